from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files import File
from django.http import FileResponse, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from reports import exports
from reports.selectors import export_file_get, export_list_recent, job_get_for
from skillsmap.core.errors import ServiceError, form_add_service_error
from skillsmap.core.jobs import JobFileExpired, job_progress
from skillsmap.core.models import Job
from teams.models import Team

RECENT_EXPORTS = 10


@org_view()
def job_detail(request: AuthenticatedHttpRequest, tenant: Tenant, job_id: int) -> HttpResponse:
    """An import's or export's progress; htmx polls the partial, and without JavaScript the page
    refreshes itself until the job ends."""
    job = job_get_for(
        organisation=tenant.organisation, job_id=job_id, tenant=tenant, user=request.user
    )
    done, total = job_progress(job=job)
    context = {
        "tenant": tenant,
        "job": job,
        "done": done,
        "total": total,
        "retention_days": settings.EXPORT_RETENTION_DAYS,
    }
    template = "reports/_job_status.html" if request.htmx else "reports/job_detail.html"
    return render(request, template, context)


# --- Exports -------------------------------------------------------------------------------------

ORGANISATION, TEAMS = "organisation", "teams"


class ExportForm(forms.Form):
    """The shape of an export request. The view passes the teams the caller may export, so a team
    of theirs not led by them, another organisation's team and a missing id all read the same."""

    format = forms.ChoiceField(
        choices=[
            (
                exports.XLSX,
                "XLSX workbook: gap report, About (scope, scale, freshness), one sheet per team, "
                "bus-factor risks",
            ),
            (exports.CSV, "CSV (UTF-8): the gap table only, its header in the first row"),
        ],
        initial=exports.XLSX,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a format.", "invalid_choice": "Choose a format."},
    )
    scope = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what to export.",
            "invalid_choice": "You may export only the teams you lead.",
        },
    )
    teams = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": exports.INVALID_TEAM},
    )

    def __init__(
        self, *args: Any, teams: Sequence[Team], whole_organisation: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        scopes = [(TEAMS, "Selected teams (with the teams below them)")]
        if whole_organisation:
            scopes.insert(0, (ORGANISATION, "The whole organisation"))
        # self.fields holds copies of the fields declared above, of the same classes.
        scope = cast(forms.ChoiceField, self.fields["scope"])
        scope.choices = scopes
        scope.initial = scopes[0][0]
        team_field = cast(forms.TypedMultipleChoiceField, self.fields["teams"])
        team_field.choices = [(str(team.pk), team.name) for team in teams]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("scope") == ORGANISATION:
            cleaned["teams"] = []
        elif cleaned.get("scope") == TEAMS and "teams" in cleaned:
            if not cleaned["teams"]:
                self.add_error("teams", "Select at least one team.")
            cleaned["teams"] = sorted(set(cleaned.get("teams") or []))
        return cleaned


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
def export(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    """Choose a format and a scope; a POST starts the export job and shows its progress."""
    organisation = tenant.organisation
    rights = exports.export_rights(organisation=organisation, membership=tenant.membership)
    teams = exports.export_team_choices(organisation=organisation, rights=rights)
    form = ExportForm(
        request.POST if request.method == "POST" else None,
        teams=teams,
        whole_organisation=rights.whole_organisation,
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = exports.gap_export_start(
                organisation=organisation,
                membership=tenant.membership,
                by=request.user,
                fmt=form.cleaned_data["format"],
                team_ids=form.cleaned_data["teams"],
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            return redirect("reports:job_detail", org_slug=organisation.slug, job_id=job.pk)
    recent = export_list_recent(organisation=organisation, user=request.user, limit=RECENT_EXPORTS)
    return render(
        request,
        "reports/export.html",
        {"tenant": tenant, "form": form, "rights": rights, "recent": recent},
        status=400 if form.errors else 200,
    )


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
def job_download(request: AuthenticatedHttpRequest, tenant: Tenant, job_id: int) -> HttpResponse:
    """A finished export's file, streamed from the storage, and the download audited. Another
    member's job (unless HR), another organisation's, an import, or an export that has not
    succeeded: the same 404. A file deleted by the retention task: 410, saying so."""
    job = export_file_get(
        organisation=tenant.organisation, job_id=job_id, tenant=tenant, user=request.user
    )
    # Checked after the lookup, so a foreign id is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        handle = exports.export_file_open(
            organisation=tenant.organisation, job=job, by=request.user
        )
    except JobFileExpired:
        return render(
            request,
            "reports/job_expired.html",
            {"tenant": tenant, "job": job, "retention_days": settings.EXPORT_RETENTION_DAYS},
            status=410,
        )
    # org_view is typed for plain responses; Django serves a streamed one all the same.
    return cast(HttpResponse, export_file_response(job, handle))


def export_file_response(job: Job, handle: File) -> FileResponse:
    """The export's file as an attachment, streamed in blocks from the storage (a large workbook
    never sits in memory), never cached by a shared proxy (page and API)."""
    response = FileResponse(
        handle, content_type=job.output_content_type or "application/octet-stream"
    )
    # Set here rather than by FileResponse(as_attachment=...), so the header stays exactly the
    # one the product has always sent, whatever the storage names the file.
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=job.output_name or job.filename
    )
    response["Cache-Control"] = "private, no-store"
    return response
