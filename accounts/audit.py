"""The audit trail: every service that changes something a colleague would ask about calls this."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import dateformat

from accounts.models import AuditEvent, Organisation, User
from accounts.permissions import Role


def audit_record(
    *,
    organisation: Organisation,
    actor: User | None,
    verb: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        before=before,
        after=after,
    )


# --- Reading the trail ---------------------------------------------------------------------------
# Each kind of event the code writes reads as one sentence, rendered here and nowhere else (the
# page, the CSV export). Services record plain data (names, emails, levels) at the time of the
# change, so a sentence tells what happened then even after the target is renamed or deleted.
# A kind without a function still reads, through ``_fallback``.


@dataclass(frozen=True)
class _Said:
    """What a sentence is made of: who acted, on what, and the recorded before and after."""

    who: str
    target: str
    before: dict[str, Any]
    after: dict[str, Any]


def _role_label(value: object) -> str:
    try:
        return str(Role(str(value)).label)
    except ValueError:
        return _value(value)


def _value(value: object) -> str:
    if value is None or value == "" or value == []:
        return "nothing"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``job title from Engineer to Lead, manager from nothing to bo@example.com``."""
    keys = [k for k in after if before.get(k) != after.get(k)] or list(after)
    parts = [
        f"{k.replace('_', ' ')} from {_value(before.get(k))} to {_value(after.get(k))}"
        for k in keys
    ]
    return ", ".join(parts)


def _counts(after: dict[str, Any], *, skip: tuple[str, ...] = ("filename",)) -> str:
    return ", ".join(
        f"{v} {k}" for k, v in after.items() if k not in skip and isinstance(v, int | float)
    )


def _date(value: object) -> str:
    try:
        return dateformat.format(datetime.fromisoformat(str(value)), "j M Y")
    except ValueError:
        return str(value)


def _membership_name(target: str) -> str:
    # A membership reads "Bo (Manager)": the role in brackets is noise in a sentence about it.
    return re.sub(r" \([^()]*\)$", "", target)


def _invitation_email(s: _Said) -> str:
    return str(s.after.get("email") or s.target.removeprefix("Invitation for "))


def _organisation_created(s: _Said) -> str:
    return f"{s.who} created the organisation {s.after.get('name', s.target)}"


def _membership_created(s: _Said) -> str:
    role = _role_label(s.after.get("role"))
    if "invitation" in s.after:
        return f"{s.who} accepted an invitation and joined as {role}"
    if s.who == _membership_name(s.target):
        return f"{s.who} joined as {role}"
    return f"{s.who} added {_membership_name(s.target)} as {role}"


def _membership_rejoined(s: _Said) -> str:
    return f"{s.who} rejoined through an invitation, as {_role_label(s.after.get('role'))}"


def _membership_role_changed(s: _Said) -> str:
    return (
        f"{s.who} changed {_membership_name(s.target)}'s role from "
        f"{_role_label(s.before.get('role'))} to {_role_label(s.after.get('role'))}"
    )


def _membership_deactivated(s: _Said) -> str:
    return f"{s.who} deactivated {_membership_name(s.target)}"


def _membership_reactivated(s: _Said) -> str:
    return f"{s.who} reactivated {_membership_name(s.target)}"


def _invitation_created(s: _Said) -> str:
    return f"{s.who} invited {_invitation_email(s)} as {_role_label(s.after.get('role'))}"


def _invitation_resent(s: _Said) -> str:
    until = f", valid until {_date(s.after['expires_at'])}" if "expires_at" in s.after else ""
    return f"{s.who} resent the invitation to {_invitation_email(s)} with a new link{until}"


def _invitation_revoked(s: _Said) -> str:
    return f"{s.who} revoked the invitation for {_invitation_email(s)}"


def _person_created(s: _Said) -> str:
    if s.who == s.target:
        return f"{s.who} joined the people directory"
    return f"{s.who} added {s.target} to the people directory"


def _person_linked(s: _Said) -> str:
    return f"{s.who} signed in and was linked to the person {s.target}"


def _person_updated(s: _Said) -> str:
    return f"{s.who} changed {s.target}: {_changes(s.before, s.after)}"


def _person_teams_changed(s: _Said) -> str:
    return (
        f"{s.who} changed {s.target}'s teams from {_value(s.before.get('teams'))} "
        f"to {_value(s.after.get('teams'))}"
    )


def _team_created(s: _Said) -> str:
    parent = s.after.get("parent")
    under = f" under {parent}" if parent else ""
    return f"{s.who} created the team {s.after.get('name', s.target)}{under}"


def _team_updated(s: _Said) -> str:
    return f"{s.who} changed the team {s.target}: {_changes(s.before, s.after)}"


def _people_imported(s: _Said) -> str:
    return f"{s.who} imported people from {s.after.get('filename', 'a file')}: {_counts(s.after)}"


def _skill_created(s: _Said) -> str:
    return f"{s.who} added the skill {s.after.get('name', s.target)} to the framework"


def _skill_updated(s: _Said) -> str:
    return f"{s.who} changed the skill {s.target}: {_changes(s.before, s.after)}"


def _skill_adopted(s: _Said) -> str:
    source = s.after.get("source")
    # The library's own names (skills.models.LibrarySource, a layer above this one).
    name = {"onet": "O*NET", "esco": "ESCO"}.get(str(source), str(source).upper())
    library = f" from the {name} library" if source else " from the library"
    return f"{s.who} adopted the skill {s.after.get('name', s.target)}{library}"


def _skill_merged(s: _Said) -> str:
    return (
        f"{s.who} merged the skill {s.before.get('name', s.target)} "
        f"into {s.after.get('into_name', 'another skill')}"
    )


def _skill_archived(s: _Said) -> str:
    return f"{s.who} archived the skill {s.target}"


def _skill_unarchived(s: _Said) -> str:
    return f"{s.who} restored the archived skill {s.target}"


def _skill_descriptors_updated(s: _Said) -> str:
    levels = ", ".join(sorted(s.after))
    return f"{s.who} changed the level descriptions of {s.target} (levels {levels})"


def _scale_updated(s: _Said) -> str:
    parts = []
    for value in sorted(s.after):
        old, new = s.before.get(value) or {}, s.after[value] or {}
        if old.get("name") != new.get("name"):
            parts.append(f"level {value} from {old.get('name')} to {new.get('name')}")
        else:
            parts.append(f"the description of level {value} ({new.get('name')})")
    return f"{s.who} changed the proficiency scale: {', '.join(parts)}"


def _rating_created(s: _Said) -> str:
    # A rating reads "Ana · Python: 3 (self)"; the level comes from the recorded after.
    person, _, rest = s.target.partition(" · ")
    skill = rest.rpartition(":")[0] or rest
    whose = "their own" if person == s.who else f"{person}'s"
    level, was = s.after.get("level"), s.before.get("level")
    was_text = f" (was {was})" if was is not None else ""
    if s.after.get("source") == "manager":
        return f"{s.who} validated {whose} {skill} at {level}{was_text}"
    return f"{s.who} rated {whose} {skill} {level}{was_text}"


def _profile_skill_added(s: _Said) -> str:
    return f"{s.who} added {s.after.get('skill')} to a skill profile"


def _profile_skill_removed(s: _Said) -> str:
    return f"{s.who} removed {s.before.get('skill')} from a skill profile"


def _profile_skill_added_for_roles(s: _Said) -> str:
    return (
        f"{s.who} added the skills of {s.target}'s roles to their profile: "
        f"{_value(s.after.get('skills'))}"
    )


def _ratings_imported(s: _Said) -> str:
    return (
        f"{s.who} imported ratings from {s.after.get('filename', 'a file')}: "
        f"{s.after.get('created', 0)} new, {s.after.get('unchanged', 0)} unchanged"
    )


def _ratings_reviewed(s: _Said) -> str:
    # "Mark as reviewed" (#16): one event for all the ratings it confirmed, levels unchanged.
    count = s.after.get("confirmed", 0)
    return f"{s.who} confirmed {count} rating{'' if count == 1 else 's'} as reviewed"


def _role_created(s: _Said) -> str:
    return f"{s.who} created the role profile {s.after.get('name', s.target)}"


def _role_requirement_set(s: _Said) -> str:
    was = f" (was level {s.before['target']})" if s.before.get("target") is not None else ""
    return (
        f"{s.who} set {s.target} to require {s.after.get('skill')} "
        f"at level {s.after.get('target')}{was}"
    )


def _role_requirement_removed(s: _Said) -> str:
    return f"{s.who} removed {s.before.get('skill')} from the role profile {s.target}"


def _role_updated(s: _Said) -> str:
    was, now = s.before.get("name"), s.after.get("name")
    if was and now and was != now:
        return f"{s.who} renamed the role profile {was} to {now}"
    return f"{s.who} edited the description of the role profile {now or s.target}"


def _role_copied(s: _Said) -> str:
    return (
        f"{s.who} copied the role profile {s.before.get('name')} as {s.after.get('name')} "
        f"({s.after.get('requirements', 0)} requirements)"
    )


def _role_deleted(s: _Said) -> str:
    return (
        f"{s.who} deleted the role profile {s.before.get('name', s.target)}, which "
        f"{s.before.get('assignments', 0)} role assignments held"
    )


def _role_assigned(s: _Said) -> str:
    kind, role, was = s.after.get("kind", ""), s.after.get("role"), s.before.get("role")
    if role is None:
        return f"{s.who} removed {s.target}'s {kind} role {_value(was)}".replace("  ", " ")
    was_text = f" (was {was})" if was else ""
    return f"{s.who} gave {s.target} the {kind} role {role}{was_text}".replace("  ", " ")


def _report_exported(s: _Said) -> str:
    scope = (
        "the whole organisation"
        if s.after.get("scope") == "organisation"
        else f"teams {_value(s.after.get('teams'))}"
    )
    fmt = str(s.after.get("format", "")).upper()
    return f"{s.who} exported a {fmt} report of {scope} ({s.after.get('rows', 0)} rows)"


def _report_downloaded(s: _Said) -> str:
    fmt = str(s.after.get("format", "")).upper()
    report = f"the {fmt} report" if fmt else "the report"
    name = s.after.get("filename")
    return f"{s.who} downloaded {report}{f' {name}' if name else ''}"


# -- certifications (#16) --
def _certification_of(s: _Said, record: dict[str, Any]) -> str:
    # A certification reads "Bo · AWS SAA": its name and whose, as recorded at the time.
    person, _, name = s.target.partition(" · ")
    return f"{record.get('name') or name or s.target} of {record.get('person') or person}"


def _certification_created(s: _Said) -> str:
    return f"{s.who} added the certification {_certification_of(s, s.after)}"


def _certification_updated(s: _Said) -> str:
    changes = {k: v for k, v in s.after.items() if k != "person"}
    return (
        f"{s.who} changed the certification {_certification_of(s, s.before)}: "
        f"{_changes(s.before, changes)}"
    )


def _certification_deleted(s: _Said) -> str:
    return f"{s.who} deleted the certification {_certification_of(s, s.before)}"


def _certification_evidence_downloaded(s: _Said) -> str:
    return f"{s.who} downloaded the evidence of the certification {_certification_of(s, s.after)}"


def _certifications_imported(s: _Said) -> str:
    return (
        f"{s.who} imported certifications from {s.after.get('filename', 'a file')}: "
        f"{s.after.get('created', 0)} new, {s.after.get('updated', 0)} updated, "
        f"{s.after.get('unchanged', 0)} unchanged"
    )


# -- end certifications --


# -- endorsements (#16) --
def _endorsement_of(record: dict[str, Any]) -> str:
    return f"{record.get('person', 'someone')} for {record.get('skill', 'a skill')}"


def _endorsement_created(s: _Said) -> str:
    return f"{s.who} endorsed {_endorsement_of(s.after)}"


def _endorsement_withdrawn(s: _Said) -> str:
    return f"{s.who} withdrew their endorsement of {_endorsement_of(s.before)}"


def _endorsement_by(s: _Said) -> str:
    return (
        f"{s.after.get('endorser', 'a colleague')}'s endorsement of their "
        f"{s.after.get('skill', 'skill')}"
    )


def _endorsement_hidden(s: _Said) -> str:
    return f"{s.who} hid {_endorsement_by(s)}"


def _endorsement_unhidden(s: _Said) -> str:
    return f"{s.who} showed {_endorsement_by(s)} again"


# -- end endorsements --


# -- review campaigns (#16) --
def _campaign_launched(s: _Said) -> str:
    people = s.after.get("participants", 0)
    return (
        f"{s.who} launched the review campaign {s.after.get('name', s.target)}, asking "
        f"{people} {'person' if people == 1 else 'people'} by {_date(s.after['due_on'])}"
    )


def _campaign_closed(s: _Said) -> str:
    how = "closed by itself" if s.after.get("automatically") else f"{s.who} closed"
    name = s.after.get("name", s.target)
    done = f"{s.after.get('completed', 0)} of {s.after.get('participants', 0)} completed"
    if s.after.get("automatically"):
        return f"The review campaign {name} {how} after its grace period ({done})"
    return f"{how} the review campaign {name} ({done})"


# -- end review campaigns --


# -- verified domains (#15) --
_DOMAIN_FAILURES = {
    "no_record": "no TXT record was found",
    "wrong_value": "the TXT record held another value",
    "timeout": "the DNS lookup timed out",
    "failed": "the DNS lookup failed",
}


def _domain_claimed(s: _Said) -> str:
    return f"{s.who} claimed the domain {s.after.get('name', s.target)}"


def _domain_verified(s: _Said) -> str:
    return f"{s.who} verified the domain {s.after.get('name', s.target)}"


def _domain_verification_failed(s: _Said) -> str:
    reason = _DOMAIN_FAILURES.get(str(s.after.get("reason")), "the check failed")
    return f"{s.who} could not verify the domain {s.after.get('name', s.target)}: {reason}"


def _domain_removed(s: _Said) -> str:
    was = " (it was verified)" if s.before.get("verified") else ""
    return f"{s.who} removed the domain {s.before.get('name', s.target)}{was}"


# -- end verified domains --


# -- SCIM provisioning (#15, scim/services.py): the actor is the creator of the directory's token --
def _scim_token_created(s: _Said) -> str:
    return f"{s.who} created the SCIM token {s.after.get('name', s.target)}"


def _scim_token_revoked(s: _Said) -> str:
    return f"{s.who} revoked the SCIM token {s.after.get('name', s.target)}; the directory can no longer provision through SCIM"


def _scim_settings_updated(s: _Said) -> str:
    on = s.after.get("department_to_team")
    return f"{s.who} {'turned on' if on else 'turned off'} SCIM's mapping of departments to teams"


def _scim_user_created(s: _Said) -> str:
    return f"{s.who}, through SCIM, provisioned {s.after.get('email', s.target)}"


def _scim_user_updated(s: _Said) -> str:
    return f"{s.who}, through SCIM, updated {s.target}: {_changes(s.before, s.after)}"


def _scim_user_deactivated(s: _Said) -> str:
    return f"{s.who}, through SCIM, deprovisioned {s.after.get('email', s.target)}; their ratings are kept"


def _scim_user_reactivated(s: _Said) -> str:
    return f"{s.who}, through SCIM, reactivated {s.after.get('email', s.target)}"


def _scim_group_created(s: _Said) -> str:
    return f"{s.who}, through SCIM, created the group {s.after.get('name', s.target)} as a team"


def _scim_group_updated(s: _Said) -> str:
    changes = {k: v for k, v in s.after.items() if k != "name" or "name" in s.before}
    return f"{s.who}, through SCIM, updated the group {s.after.get('name', s.target)}: {_changes(s.before, changes)}"


def _scim_group_deleted(s: _Said) -> str:
    return (
        f"{s.who}, through SCIM, deleted the group {s.after.get('name', s.target)}; the team stays"
    )


# -- end SCIM provisioning --


def _demo_seeded(s: _Said) -> str:
    return f"{s.who} filled the organisation with demo data ({_counts(s.after)})"


def _fallback(s: _Said, verb: str) -> str:
    return f"{s.who}: {verb.replace('.', ' ').replace('_', ' ')} {s.target}".rstrip()


# The event kinds and their labels (the "what" filter), in the order the filter lists them.
def _sso_protocol(s: _Said) -> str:
    value = str((s.after or s.before).get("protocol", ""))
    return {"saml": "SAML", "oidc": "OpenID Connect"}.get(value, "single sign-on")


def _sso_configured(s: _Said) -> str:
    return f"{s.who} set up single sign-on through {_sso_protocol(s)}"


def _sso_updated(s: _Said) -> str:
    return f"{s.who} changed the single sign-on settings: {_changes(s.before, s.after)}"


def _sso_enabled(s: _Said) -> str:
    return f"{s.who} enabled single sign-on"


def _sso_disabled(s: _Said) -> str:
    return f"{s.who} disabled single sign-on"


def _sso_removed(s: _Said) -> str:
    return f"{s.who} removed single sign-on ({_sso_protocol(s)})"


def _sso_account_created(s: _Said) -> str:
    return f"{s.who} got an account at their first single sign-on, as {s.after.get('email', '')}"


def _sso_signed_in(s: _Said) -> str:
    return f"{s.who} signed in through {_sso_protocol(s)}"


def _sso_break_glass_used(s: _Said) -> str:
    return f"{s.who} signed in with a password through break-glass, bypassing required SSO"


# -- SAML metadata URL (#15, sso/metadata.py): recorded by the daily or on-save fetch --
def _sso_saml_metadata_fetched(s: _Said) -> str:
    return f"{s.who} stored new SAML metadata fetched from {s.after.get('url', 'the metadata URL')}"


def _sso_saml_metadata_fetch_failed(s: _Said) -> str:
    return (
        f"{s.who} could not fetch the SAML metadata from {s.after.get('url', 'the metadata URL')}"
        f" ({s.after.get('error', 'unknown error')}); the last good metadata stays in use"
    )


EVENT_KINDS: dict[str, tuple[str, Callable[[_Said], str]]] = {
    "organisation.created": ("Organisation created", _organisation_created),
    "membership.created": ("Member joined", _membership_created),
    "membership.rejoined": ("Member rejoined", _membership_rejoined),
    "membership.role_changed": ("Role changed", _membership_role_changed),
    "membership.deactivated": ("Member deactivated", _membership_deactivated),
    "membership.reactivated": ("Member reactivated", _membership_reactivated),
    "invitation.created": ("Invitation sent", _invitation_created),
    "invitation.resent": ("Invitation resent", _invitation_resent),
    "invitation.revoked": ("Invitation revoked", _invitation_revoked),
    "person.created": ("Person added", _person_created),
    "person.linked": ("Person linked to a user", _person_linked),
    "person.updated": ("Person changed", _person_updated),
    "person.teams_changed": ("Person's teams changed", _person_teams_changed),
    "team.created": ("Team created", _team_created),
    "team.updated": ("Team changed", _team_updated),
    "people.imported": ("People imported", _people_imported),
    "skill.created": ("Skill added", _skill_created),
    "skill.updated": ("Skill changed", _skill_updated),
    "skill.adopted": ("Skill adopted from the library", _skill_adopted),
    "skill.merged": ("Skills merged", _skill_merged),
    "skill.archived": ("Skill archived", _skill_archived),
    "skill.unarchived": ("Skill restored", _skill_unarchived),
    "skill.descriptors_updated": ("Level descriptions changed", _skill_descriptors_updated),
    "scale.updated": ("Proficiency scale changed", _scale_updated),
    "rating.created": ("Skill rated", _rating_created),
    "profile_skill.added": ("Skill added to a profile", _profile_skill_added),
    "profile_skill.removed": ("Skill removed from a profile", _profile_skill_removed),
    "profile_skill.added_for_roles": (
        "Role skills added to a profile",
        _profile_skill_added_for_roles,
    ),
    "ratings.imported": ("Ratings imported", _ratings_imported),
    "ratings.reviewed": ("Ratings marked as reviewed", _ratings_reviewed),
    "role.created": ("Role profile created", _role_created),
    "role.requirement_set": ("Role requirement set", _role_requirement_set),
    "role.requirement_removed": ("Role requirement removed", _role_requirement_removed),
    "role.assigned": ("Role assigned", _role_assigned),
    "role.updated": ("Role profile edited", _role_updated),
    "role.copied": ("Role profile copied", _role_copied),
    "role.deleted": ("Role profile deleted", _role_deleted),
    "report.exported": ("Report exported", _report_exported),
    "report.downloaded": ("Export downloaded", _report_downloaded),
    "certification.created": ("Certification added", _certification_created),
    "certification.updated": ("Certification changed", _certification_updated),
    "certification.deleted": ("Certification deleted", _certification_deleted),
    "certification.evidence_downloaded": (
        "Certification evidence downloaded",
        _certification_evidence_downloaded,
    ),
    "certifications.imported": ("Certifications imported", _certifications_imported),
    "endorsement.created": ("Endorsement given", _endorsement_created),
    "endorsement.withdrawn": ("Endorsement withdrawn", _endorsement_withdrawn),
    "endorsement.hidden": ("Endorsement hidden", _endorsement_hidden),
    "endorsement.unhidden": ("Endorsement shown again", _endorsement_unhidden),
    "campaign.launched": ("Review campaign launched", _campaign_launched),
    "campaign.closed": ("Review campaign closed", _campaign_closed),
    "domain.claimed": ("Domain claimed", _domain_claimed),
    "domain.verified": ("Domain verified", _domain_verified),
    "domain.verification_failed": ("Domain verification failed", _domain_verification_failed),
    "domain.removed": ("Domain removed", _domain_removed),
    "demo.seeded": ("Demo data added", _demo_seeded),
    "scim_token.created": ("SCIM token created", _scim_token_created),
    "scim_token.revoked": ("SCIM token revoked", _scim_token_revoked),
    "scim.settings_updated": ("SCIM settings changed", _scim_settings_updated),
    "scim.user_created": ("User provisioned through SCIM", _scim_user_created),
    "scim.user_updated": ("User updated through SCIM", _scim_user_updated),
    "scim.user_deactivated": ("User deprovisioned through SCIM", _scim_user_deactivated),
    "scim.user_reactivated": ("User reactivated through SCIM", _scim_user_reactivated),
    "scim.group_created": ("Group created through SCIM", _scim_group_created),
    "scim.group_updated": ("Group updated through SCIM", _scim_group_updated),
    "scim.group_deleted": ("Group deleted through SCIM", _scim_group_deleted),
    "sso.configured": ("Single sign-on set up", _sso_configured),
    "sso.updated": ("Single sign-on settings changed", _sso_updated),
    "sso.enabled": ("Single sign-on enabled", _sso_enabled),
    "sso.disabled": ("Single sign-on disabled", _sso_disabled),
    "sso.removed": ("Single sign-on removed", _sso_removed),
    "sso.account_created": ("Account created at first SSO sign-in", _sso_account_created),
    "sso.signed_in": ("Signed in through SSO", _sso_signed_in),
    "sso.break_glass_used": ("Break-glass password sign-in", _sso_break_glass_used),
    "sso.saml_metadata_fetched": ("SAML metadata fetched", _sso_saml_metadata_fetched),
    "sso.saml_metadata_fetch_failed": (
        "SAML metadata fetch failed",
        _sso_saml_metadata_fetch_failed,
    ),
}


def event_kind_label(verb: str) -> str:
    kind = EVENT_KINDS.get(verb)
    return kind[0] if kind else verb


def audit_sentence(event: AuditEvent) -> str:
    """The event as a colleague would say it: "Ana changed Bo's role from Member to Manager"."""
    said = _Said(
        who=str(event.actor) if event.actor_id else "The system",
        target=event.target_repr,
        before=event.before if isinstance(event.before, dict) else {},
        after=event.after if isinstance(event.after, dict) else {},
    )
    kind = EVENT_KINDS.get(event.verb)
    try:
        return kind[1](said) if kind else _fallback(said, event.verb)
    except (KeyError, TypeError, AttributeError, ValueError):
        # An old row recorded in another shape must not break the page: say what we can.
        return _fallback(said, event.verb)
