"""Load the demo organisation "Acme" with its people. Safe to run any number of times."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import Membership, Organisation, User
from accounts.permissions import Role
from accounts.services import organisation_create
from reports.recompute import recompute_organisation
from reports.snapshots import snapshot_take
from skills.services.scale import scale_install_default
from skillsmap.core.tenancy import organisation_context
from skillsmap.demo import demo_populate
from teams.services import person_link_user

DEMO_PASSWORD = "demo-password-1"  # noqa: S105  public demo credentials, printed on purpose
DEMO_LOGINS: list[tuple[str, str, Role]] = [
    ("admin@acme.example", "Ada Admin", Role.ADMIN),
    ("hr@acme.example", "Harriet Hughes", Role.HR),
    ("manager@acme.example", "Manuel Moreno", Role.MANAGER),
    ("engineer@acme.example", "Erin Engineer", Role.MEMBER),
]


def _demo_user(email: str, name: str) -> User:
    from allauth.account.models import EmailAddress

    user, created = User.objects.get_or_create(email=email, defaults={"name": name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    # Demo logins are pre-verified: nobody can read mail sent to acme.example.
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


class Command(BaseCommand):
    help = "Create or refresh the demo organisation and its logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="Where the demo is served, for the closing message (make demo passes its own).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        base_url = options["url"].rstrip("/")
        users = {email: _demo_user(email, name) for email, name, _ in DEMO_LOGINS}
        organisation = Organisation.objects.filter(slug="acme").first()
        if organisation is None:
            organisation = organisation_create(name="Acme", creator=users["admin@acme.example"])
        with organisation_context(organisation):
            scale_install_default(organisation=organisation)
            demo_people = {}
            for email, _name, role in DEMO_LOGINS:
                Membership.objects.update_or_create(
                    organisation=organisation,
                    user=users[email],
                    defaults={"role": role, "is_active": True},
                )
                demo_people[email] = person_link_user(organisation=organisation, user=users[email])
            summary = demo_populate(
                organisation=organisation,
                admin=users["admin@acme.example"],
                demo_people=demo_people,
            )
        # Fresh figures and today's trend point, so every page has something to show at once.
        recompute_organisation(organisation_id=organisation.pk)
        snapshot_take(organisation_id=organisation.pk)
        # Printed on every run, the idempotent ones included: it is how a visitor gets in.
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organisation Acme: {summary.people} people, {summary.teams} teams, "
                f"{summary.skills} skills, {summary.ratings} ratings"
            )
        )
        self.stdout.write(f"Sign in at {base_url}/accounts/login/ (Acme is at {base_url}/o/acme/)")
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for email, name, role in DEMO_LOGINS:
            self.stdout.write(f"  {email:<24} {role.label:<8} {name}")
