"""The demo organisation "Acme": a software company of about 60 people in 6 teams, with the skill
library adopted for software work, a year of plausible self and manager ratings, and its email
domain verified.

Deterministic (a fixed random seed) and idempotent: people, teams, skills and domains are matched
by email and name, and ratings are generated only for people who have none yet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organisation, User
from certifications.alerts import expiry_alerts_send
from certifications.models import Certification
from certifications.services import certification_create
from domains.services import domain_claim
from endorsements.models import Endorsement
from endorsements.services import endorsement_create
from reviews.models import Campaign
from reviews.services import campaign_launch
from skills.library import normalise_skill_name
from skills.models import LibrarySkill, ProfileSkill, Rating, RatingSource, Skill, SkillCategory
from teams.models import Person, Team, TeamMembership

SEED = 20261125

# Library skills adopted into Acme's framework, by exact library name.
LIBRARY_SKILLS = [
    # O*NET technologies
    "Python",
    "Django",
    "PostgreSQL",
    "Redis",
    "Docker",
    "Kubernetes",
    "Git",
    "GitHub",
    "Linux",
    "Amazon Web Services AWS software",
    "Google Cloud software",
    "Apache Kafka",
    "RabbitMQ",
    "Elasticsearch",
    "Prometheus",
    "JavaScript",
    "TypeScript",
    "React",
    "Node.js",
    "GraphQL",
    "Go",
    "Kotlin",
    "Swift",
    "Selenium",
    "Jenkins CI",
    "Apache Spark",
    "MongoDB",
    "Figma",
    "Continuous integration software",
    # O*NET skills and work styles
    "Programming",
    "Critical Thinking",
    "Complex Problem Solving",
    "Active Learning",
    "Speaking",
    "Writing",
    "Systems Analysis",
    "Troubleshooting",
    "Quality Control Analysis",
    "Technology Design",
    "Attention to Detail",
    "Adaptability/Flexibility",
    "Cooperation",
    "Judgment and Decision Making",
    "Active Listening",
    # ESCO transversal skills
    "attend to detail",
    "demonstrate willingness to learn",
    "solve technical problems",
]

# Skills the product's "Backend Engineer" profile names that the library lacks (the seed profile).
OWN_SKILLS: list[tuple[str, str, str, str]] = [
    ("API Design and Development", "technical", "Backend engineering", "Designing, documenting and evolving HTTP and event APIs."),
    ("Distributed Systems", "technical", "Backend engineering", "Consistency, partitioning, retries and failure in systems of many parts."),
    ("Continuous Delivery (CD)", "technical", "Delivery", "Shipping small changes safely and often, with automated pipelines."),
    ("Database Design", "technical", "Backend engineering", "Schemas, indexes, transactions and migrations."),
    ("Cloud Infrastructure", "technical", "Platform", "Provisioning and operating services on public clouds."),
    ("Security Engineering", "technical", "Platform", "Threat modelling, authentication, secrets and secure defaults."),
    ("Real-time Data Processing", "technical", "Data", "Streams, backpressure and exactly-once-ish pipelines."),
    ("AI-integrated Backend Development", "technical", "Backend engineering", "Serving and integrating machine-learning models behind APIs."),
    ("Problem Solving", "human", "Ways of working", "Breaking a problem down and finding a workable solution."),
    ("Communication", "human", "Ways of working", "Explaining clearly, listening, writing for the reader."),
    ("Requirements Gathering", "human", "Ways of working", "Finding out what is really needed before building it."),
    ("Containerisation", "technical", "Platform", "Packaging and running services in containers: Docker, Kubernetes."),
    ("Server-side Development", "technical", "Backend engineering", "Building the services behind an API."),
    ("Data Management", "technical", "Data", "Keeping data correct, owned, backed up and lawful."),
]  # fmt: skip

TEAMS: dict[str, list[str]] = {
    "Platform": ["Kubernetes", "Docker", "Linux", "Cloud Infrastructure", "Prometheus", "Security Engineering", "Go", "Containerisation", "Continuous Delivery (CD)", "Distributed Systems", "API Design and Development", "Server-side Development"],
    "Payments API": ["Python", "Django", "PostgreSQL", "API Design and Development", "Redis", "Distributed Systems", "Server-side Development", "Database Design", "Continuous Delivery (CD)", "Security Engineering", "Containerisation"],
    "Data Engineering": ["Python", "Apache Spark", "Apache Kafka", "Real-time Data Processing", "PostgreSQL", "Database Design", "Data Management", "Distributed Systems", "API Design and Development", "Cloud Infrastructure"],
    "Web": ["JavaScript", "TypeScript", "React", "Node.js", "GraphQL", "Figma"],
    "Mobile": ["Kotlin", "Swift", "GraphQL", "Figma", "Selenium"],
    "Quality & Delivery": ["Selenium", "Jenkins CI", "Continuous Delivery (CD)", "Continuous integration software", "Quality Control Analysis"],
}  # fmt: skip
SHARED_SKILLS = ["Git", "Programming", "Problem Solving", "Communication", "Attention to Detail", "Critical Thinking", "Active Learning", "Requirements Gathering"]  # fmt: skip

FIRST = ["Alex", "Sam", "Priya", "Jonas", "Mei", "Omar", "Lena", "Tomás", "Aisha", "Kofi", "Ines", "Yuki", "Noah", "Sofia", "Ravi", "Elena", "Marek", "Chloé", "Diego", "Hana"]  # fmt: skip
LAST = ["Okafor", "Lindqvist", "Tanaka", "Novak", "Haddad", "Fischer", "Mensah", "Costa", "Ivanova", "Dubois", "Rahman", "Kowalski", "Moreau", "Nakamura", "Silva", "Byrne"]  # fmt: skip
TITLES = ["Software Engineer", "Senior Software Engineer", "Staff Engineer", "Software Engineer II"]


@dataclass
class DemoSummary:
    people: int
    teams: int
    skills: int
    ratings: int


def _adopt_library_skills(organisation: Organisation, admin: User) -> None:
    from skills.services.framework import skill_adopt

    library = list(LibrarySkill.objects.filter(name__in=LIBRARY_SKILLS))
    skill_adopt(organisation=organisation, library_skills=library, by=admin)


def _own_skills(organisation: Organisation) -> None:
    for name, kind, category, description in OWN_SKILLS:
        normalised = normalise_skill_name(name)
        if Skill.objects.filter(organisation=organisation, normalised_name=normalised).exists():
            continue
        cat, _ = SkillCategory.objects.get_or_create(organisation=organisation, name=category)
        Skill.objects.create(
            organisation=organisation,
            name=name,
            normalised_name=normalised,
            kind=kind,
            category=cat,
            description=description,
        )


def _people(
    organisation: Organisation, rng: random.Random, demo_people: dict[str, Person]
) -> list[Person]:
    """Six teams of about ten: a lead (Manuel Moreno leads Platform), engineers reporting to the
    lead, leads reporting to Ada Admin (the CTO)."""
    cto = demo_people["admin@acme.example"]
    everyone: list[Person] = []
    for index, team_name in enumerate(TEAMS):
        team, _ = Team.objects.get_or_create(organisation=organisation, name=team_name)
        if index == 0:
            lead = demo_people["manager@acme.example"]
        else:
            email = f"lead.{normalise_skill_name(team_name).replace(' ', '-')}@acme.example"
            lead, _ = Person.objects.get_or_create(
                organisation=organisation,
                email=email,
                defaults={
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "job_title": "Engineering Manager",
                },
            )
        lead.manager, lead.job_title = cto, "Engineering Manager"
        lead.save(update_fields=["manager", "job_title"])
        members = [lead]
        if index == 0:
            members.append(demo_people["engineer@acme.example"])
        for n in range(9 if index else 8):
            email = f"{team_name.split()[0].lower()}.{n + 1}@acme.example"
            person, _ = Person.objects.get_or_create(
                organisation=organisation,
                email=email,
                defaults={
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "job_title": rng.choice(TITLES),
                    "location": rng.choice(["London", "Berlin", "Lisbon", "Remote"]),
                    "start_date": (timezone.now() - timedelta(days=rng.randint(60, 2500))).date(),
                },
            )
            members.append(person)
        for person in members[1:]:
            if person.manager_id != lead.pk:
                person.manager = lead
                person.save(update_fields=["manager"])
        for person in members:
            TeamMembership.objects.get_or_create(
                organisation=organisation, team=team, person=person
            )
        everyone.extend(members)
    return everyone


def _ratings(organisation: Organisation, rng: random.Random, people: list[Person]) -> int:
    """A year of history: a self rating or two per skill, about half validated by the manager
    (sometimes a level lower), some of it older than the review period so staleness shows."""
    skills = {s.name: s for s in Skill.objects.filter(organisation=organisation)}
    teams_of: dict[int, list[str]] = {}
    for tm in TeamMembership.objects.filter(organisation=organisation).select_related("team"):
        teams_of.setdefault(tm.person_id, []).append(tm.team.name)
    already = set(
        Rating.objects.filter(organisation=organisation).values_list("person_id", flat=True)
    )
    now = timezone.now()
    # Looked up by manager_id too, which is None for someone without a manager.
    users: dict[int | None, int | None] = {p.pk: p.user_id for p in people}
    manager_user = {p.pk: users.get(p.manager_id) for p in people}
    events, profile = [], []
    for person in people:
        if person.pk in already:
            continue
        names = set(SHARED_SKILLS)
        for team in teams_of.get(person.pk, []):
            names.update(TEAMS[team])
        for name in sorted(names):
            skill = skills.get(name)
            if skill is None:
                continue
            profile.append(ProfileSkill(organisation=organisation, person=person, skill=skill))
            if person.email == "engineer@acme.example":
                continue  # the demo engineer's skills wait, unrated, on their self-rating page
            first_at = now - timedelta(days=rng.randint(150, 365))
            level = rng.choices([1, 2, 3, 4, 5], weights=[1, 3, 4, 3, 1])[0]
            events.append(
                Rating(
                    organisation=organisation,
                    person=person,
                    skill=skill,
                    level=level,
                    source=RatingSource.SELF,
                    rated_by_id=users.get(person.pk),
                    rated_at=first_at,
                    interest=rng.random() < 0.2,
                )
            )
            if rng.random() < 0.5:
                level = min(5, level + 1)
                events.append(
                    Rating(
                        organisation=organisation,
                        person=person,
                        skill=skill,
                        level=level,
                        source=RatingSource.SELF,
                        rated_by_id=users.get(person.pk),
                        rated_at=now - timedelta(days=rng.randint(5, 140)),
                        interest=rng.random() < 0.3,
                    )
                )
            if rng.random() < 0.5 and person.manager_id:
                validated = max(0, level - rng.choice([0, 0, 1]))
                events.append(
                    Rating(
                        organisation=organisation,
                        person=person,
                        skill=skill,
                        level=validated,
                        source=RatingSource.MANAGER,
                        rated_by_id=manager_user.get(person.pk),
                        rated_at=now - timedelta(days=rng.randint(1, 120)),
                        note="Seen in the last project review." if validated < level else "",
                    )
                )
            profile.append(ProfileSkill(organisation=organisation, person=person, skill=skill))
    Rating.objects.bulk_create(events)
    ProfileSkill.objects.bulk_create(profile, ignore_conflicts=True)
    return len(events)


def _roles(
    organisation: Organisation, admin: User, people: list[Person], demo_people: dict[str, Person]
) -> None:
    """Backend Engineer for the backend-heavy teams, team leads as team managers, and the demo
    engineer working towards a senior profile."""
    from roles.models import RoleAssignment, RoleProfile
    from roles.services import role_assign, role_profile_install_backend_engineer
    from skills.selectors.framework import scale_bounds
    from teams.models import TeamManager

    backend = role_profile_install_backend_engineer(organisation=organisation, by=admin)
    senior, _ = RoleProfile.objects.get_or_create(
        organisation=organisation,
        name="Senior Backend Engineer",
        defaults={"description": "Backend Engineer, with the priority skills at expert level."},
    )
    from roles.models import RoleRequirement

    if not RoleRequirement.objects.filter(organisation=organisation, role=senior).exists():
        _, top = scale_bounds(organisation=organisation)
        for r in RoleRequirement.objects.filter(organisation=organisation, role=backend):
            RoleRequirement.objects.create(
                organisation=organisation,
                role=senior,
                skill=r.skill,
                target_level=min(top, r.target_level + 1),
                importance=r.importance,
                weight=r.weight,
            )
    assigned = set(
        RoleAssignment.objects.filter(organisation=organisation).values_list("person_id", flat=True)
    )
    for team in Team.objects.filter(
        organisation=organisation, name__in=["Platform", "Payments API", "Data Engineering"]
    ):
        members = Person.objects.filter(organisation=organisation, team_memberships__team=team)
        for person in members:
            if person.pk not in assigned and person.job_title != "Engineering Manager":
                role_assign(organisation=organisation, person=person, role=backend, by=admin)
    for team in Team.objects.filter(organisation=organisation):
        lead = Person.objects.filter(
            organisation=organisation, team_memberships__team=team, job_title="Engineering Manager"
        ).first()
        if lead:
            TeamManager.objects.get_or_create(organisation=organisation, team=team, person=lead)
    engineer = demo_people["engineer@acme.example"]
    if engineer.pk not in assigned:
        role_assign(
            organisation=organisation, person=engineer, role=senior, kind="target", by=admin
        )


def _history(organisation: Organisation) -> None:
    """Weekly trend points for the last quarter, each computed from the ratings known that day, so
    the trend charts show how the organisation got here."""
    from collections import defaultdict
    from decimal import Decimal

    from reports import gaps
    from reports.members import members_build
    from reports.models import GapSnapshot, TeamSnapshot
    from roles.models import RoleAssignment, RoleRequirement
    from skills.levels import effective_level
    from skills.selectors.levels import rating_events, review_period
    from teams.hierarchy import team_descendants

    if GapSnapshot.objects.filter(organisation=organisation).exists():
        return
    requirements = defaultdict(list)
    for role_id, skill_id, target, weight, importance in RoleRequirement.objects.filter(
        organisation=organisation
    ).values_list("role_id", "skill_id", "target_level", "weight", "importance"):
        requirements[role_id].append(
            gaps.Requirement(skill_id, target, float(weight), importance == "essential")
        )
    assignments = list(
        RoleAssignment.objects.filter(organisation=organisation).values_list(
            "person_id", "role_id", "kind"
        )
    )
    current_role = {p: r for p, r, k in assignments if k == RoleAssignment.Kind.CURRENT}
    memberships = list(
        TeamMembership.objects.filter(organisation=organisation).values_list("team_id", "person_id")
    )
    people_of: defaultdict[int, set[int]] = defaultdict(set)
    for team_id, person_id in memberships:
        people_of[team_id].add(person_id)
    subtrees = team_descendants(
        Team.objects.filter(organisation=organisation).values_list("id", "parent_id")
    )
    events = rating_events(organisation=organisation)
    period = review_period(organisation)
    today = timezone.now()
    rows = []
    team_rows = []
    for weeks_back in range(12, 0, -1):
        day = today - timedelta(weeks=weeks_back)
        levels: defaultdict[int, dict[int, int]] = defaultdict(dict)
        for (person_id, skill_id), evs in events.items():
            known = [e for e in evs if e.rated_at <= day]
            if known:
                levels[person_id][skill_id] = effective_level(
                    known, review_period=period, now=day
                ).level_for_gap
        current_gap = {}
        for person_id, role_id, kind in assignments:
            result = gaps.person_gap(requirements[role_id], levels[person_id])
            rows.append(
                GapSnapshot(
                    organisation=organisation,
                    day=day.date(),
                    person_id=person_id,
                    role_id=role_id,
                    kind=kind,
                    gap=Decimal(str(result.gap)),
                )
            )
            if kind == RoleAssignment.Kind.CURRENT:
                current_gap[person_id] = Decimal(str(result.gap))
        # The teams' points as the nightly snapshot (reports.snapshots) takes them: the average of
        # the direct members' current gaps, and the bus-factor risks of the team with its sub-teams.
        team_gaps = gaps.team_current_gaps(memberships, current_gap)
        for team_id, subtree in subtrees.items():
            members = members_build(
                sorted(set().union(*(people_of.get(t, ()) for t in subtree))),
                levels=levels,
                requirements_of=lambda person_id: requirements.get(
                    current_role.get(person_id, -1), []
                ),
            )
            average = gaps.team_average_gap(team_gaps.get(team_id, []))
            team_rows.append(
                TeamSnapshot(
                    organisation=organisation,
                    day=day.date(),
                    team_id=team_id,
                    avg_gap=Decimal(0) if average is None else average,
                    bus_factor_risks=sum(
                        c.bus_factor_risk for c in gaps.team_coverage(members).values()
                    ),
                )
            )
    GapSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    TeamSnapshot.objects.bulk_create(team_rows, ignore_conflicts=True)


# (holder's email, name, issuer, credential id, issued days ago, expires in days or None, skills)
CERTIFICATIONS = [
    ("engineer@acme.example", "AWS Certified Developer – Associate", "Amazon Web Services", "AWS-DVA-4471", 1065, 30, ["Amazon Web Services AWS software"]),
    ("engineer@acme.example", "Certified Kubernetes Application Developer (CKAD)", "The Linux Foundation", "LF-CKAD-2291", 200, 530, ["Kubernetes", "Docker"]),
    ("manager@acme.example", "Professional Scrum Master I", "Scrum.org", "PSM-I-88213", 900, None, []),
    ("manager@acme.example", "Google Cloud Professional Cloud Architect", "Google Cloud", "GCP-PCA-1204", 760, -12, ["Google Cloud software"]),
]  # fmt: skip

# (endorser's email, endorsed person's email, skill, note)
ENDORSEMENTS = [
    ("manager@acme.example", "engineer@acme.example", "Python", "Led the move of the billing service to async workers."),
    ("manager@acme.example", "engineer@acme.example", "PostgreSQL", ""),
    ("admin@acme.example", "engineer@acme.example", "Python", "Her code reviews teach the whole team."),
    ("hr@acme.example", "engineer@acme.example", "Communication", "Ran the onboarding sessions for new joiners."),
    ("engineer@acme.example", "manager@acme.example", "Communication", ""),
]  # fmt: skip


def _keeping_current(organisation: Organisation, demo_people: dict[str, Person]) -> None:
    """Certifications (one expiring within a month, one expired: the alerts have something to
    say) and endorsements among the demo logins, through the services, so the bell and the
    expiry lists show what a real organisation's would. Only into an organisation with none."""
    skills = {s.name: s for s in Skill.objects.filter(organisation=organisation)}
    today = timezone.localdate()
    if not Certification.objects.filter(organisation=organisation).exists():
        for email, name, issuer, credential, issued_ago, expires_in, skill_names in CERTIFICATIONS:
            person = demo_people[email]
            assert person.user is not None
            certification_create(
                organisation=organisation,
                person=person,
                by=person.user,
                name=name,
                issuer=issuer,
                credential_id=credential,
                issued_on=today - timedelta(days=issued_ago),
                expires_on=None if expires_in is None else today + timedelta(days=expires_in),
                skills=[skills[n] for n in skill_names if n in skills],
            )
        expiry_alerts_send(organisation=organisation)
    if not Campaign.objects.filter(organisation=organisation).exists():
        # Launched three weeks ago by HR for the leads among the demo logins (only people with an
        # account can be asked), so its page shows progress, and the engineer's to-dos stay hers.
        hr = demo_people["hr@acme.example"].user
        assert hr is not None
        campaign_launch(
            organisation=organisation,
            by=hr,
            name="Autumn skills review: leads",
            message="Please check your ratings are still true before the planning round.",
            due_on=today + timedelta(days=7),
            people=[demo_people["manager@acme.example"], demo_people["admin@acme.example"]],
            now=timezone.now() - timedelta(days=21),
        )
    if not Endorsement.objects.filter(organisation=organisation).exists():
        for endorser, endorsed, skill_name, note in ENDORSEMENTS:
            by = demo_people[endorser].user
            assert by is not None
            endorsement_create(
                organisation=organisation,
                person=demo_people[endorsed],
                skill=skills[skill_name],
                note=note,
                by=by,
            )


# Acme's email domains: its own, verified, and a second one claimed but not yet proved, so the
# Verified domains page shows both states. No identity provider and no SCIM token: the demo logins
# sign in with their passwords, and a SCIM token's secret could be shown only once.
VERIFIED_DOMAIN = "acme.example"
PENDING_DOMAIN = "acme-labs.example"


def _domains(organisation: Organisation, admin: User) -> None:
    """Claimed by the admin through the service (its ``domain.claimed`` event); an existing claim
    is returned unchanged, so a second run adds nothing."""
    domain = domain_claim(organisation=organisation, name=VERIFIED_DOMAIN, by=admin)
    domain_claim(organisation=organisation, name=PENDING_DOMAIN, by=admin)
    if domain.verified_at is not None:
        return
    # The demo has no DNS to publish the TXT record in, so ``domain_verify`` (which looks it up)
    # cannot succeed: the seed writes the outcome of a successful check itself, and the audit
    # event that check records, with the service's verb and fields.
    domain.verified_at = domain.last_checked_at = timezone.now()
    domain.last_error = ""
    domain.save(update_fields=["verified_at", "last_checked_at", "last_error"])
    audit_record(
        organisation=organisation,
        actor=admin,
        verb="domain.verified",
        target=domain,
        before={"verified": False},
        after={"name": domain.name, "verified": True},
    )


@transaction.atomic
def demo_populate(
    *, organisation: Organisation, admin: User, demo_people: dict[str, Person]
) -> DemoSummary:
    """Fill Acme. Call inside ``organisation_context(organisation)``."""
    rng = random.Random(SEED)
    _adopt_library_skills(organisation, admin)
    _own_skills(organisation)
    people = _people(organisation, rng, demo_people)
    created = _ratings(organisation, rng, people)
    _roles(organisation, admin, people, demo_people)
    _history(organisation)
    _keeping_current(organisation, demo_people)
    _domains(organisation, admin)
    if created:
        audit_record(
            organisation=organisation,
            actor=admin,
            verb="demo.seeded",
            target=organisation,
            after={"ratings": created},
        )
    return DemoSummary(
        people=Person.objects.filter(organisation=organisation).count(),
        teams=Team.objects.filter(organisation=organisation).count(),
        skills=Skill.objects.filter(organisation=organisation).count(),
        ratings=Rating.objects.filter(organisation=organisation).count(),
    )
