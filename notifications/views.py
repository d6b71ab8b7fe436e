"""A member's notifications: the bell, the list, reading them, email preferences, and the
emails' one-click unsubscribe.

Every page but the unsubscribe one is an ``org_view`` and reads only the caller's own
notifications of that organisation: another member's, or another organisation's, is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import organisation_get_by_slug
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from notifications import selectors, services
from notifications.emails import is_site_path
from notifications.forms import EmailPreferencesForm
from notifications.kinds import Kind
from notifications.services import UnsubscribeError

PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def _list_url(tenant: Tenant) -> str:
    return reverse("notifications:list", kwargs={"org_slug": tenant.organisation.slug})


def _back_to_list(request: HttpRequest, tenant: Tenant) -> HttpResponseRedirect:
    """Back to the page of the list the button was on (only a page number is carried over)."""
    url = _list_url(tenant)
    page = request.POST.get("page", "")
    if page.isdigit():
        url += f"?page={page}"
    return redirect(url)


@org_view()
@never_cache
def notification_bell(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    """The navigation's link with the unread count, loaded by htmx after the page: the pages
    themselves run no query for it."""
    count = selectors.notification_unread_count(organisation=tenant.organisation, user=request.user)
    return render(request, "notifications/_bell.html", {"tenant": tenant, "unread": count})


@org_view()
def notification_list(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    notifications = selectors.notification_list(
        organisation=tenant.organisation, user=request.user, unread_only=unread_only
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    unread = selectors.notification_unread_count(
        organisation=tenant.organisation, user=request.user
    )
    return render(
        request,
        "notifications/notification_list.html",
        {"tenant": tenant, "page": page, "unread": unread, "unread_only": unread_only},
    )


@org_view()
def notification_open(
    request: AuthenticatedHttpRequest, tenant: Tenant, notification_id: int
) -> HttpResponse:
    """Follow a notification's link, marking it read. Only a path of this site is followed (a
    notification's url is written by our code, but a redirect to another host must never be
    possible); without one, the list."""
    notification = selectors.notification_get(
        organisation=tenant.organisation, user=request.user, notification_id=notification_id
    )
    services.notification_mark_read(notification=notification)
    return redirect(notification.url if is_site_path(notification.url) else _list_url(tenant))


@org_view()
@require_POST
def notification_read(
    request: AuthenticatedHttpRequest, tenant: Tenant, notification_id: int
) -> HttpResponse:
    notification = selectors.notification_get(
        organisation=tenant.organisation, user=request.user, notification_id=notification_id
    )
    services.notification_mark_read(notification=notification)
    if _is_htmx(request):
        response = render(
            request,
            "notifications/_notification.html",
            {"tenant": tenant, "notification": notification, "page_number": ""},
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    return _back_to_list(request, tenant)


@org_view()
@require_POST
def notification_read_all(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    count = services.notification_mark_all_read(organisation=tenant.organisation, user=request.user)
    messages.success(
        request,
        f"Marked {count} notification{'s' if count != 1 else ''} as read."
        if count
        else "Nothing was unread.",
    )
    return _back_to_list(request, tenant)


@org_view()
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    current = selectors.email_preferences(organisation=tenant.organisation, user=request.user)
    status = 200
    if request.method == "POST":
        form = EmailPreferencesForm(request.POST)
        if form.is_valid():
            services.email_preferences_set(
                organisation=tenant.organisation,
                user=request.user,
                email_kinds=form.cleaned_data["email_kinds"],
            )
            messages.success(request, "Your email preferences are saved.")
            return redirect("notifications:preferences", org_slug=tenant.organisation.slug)
        status = 400
    else:
        form = EmailPreferencesForm(
            initial={"email_kinds": [kind.value for kind, on in current.items() if on]}
        )
    return render(
        request,
        "notifications/preferences.html",
        {"tenant": tenant, "form": form, "kinds": list(Kind)},
        status=status,
    )


# No CSRF token: mail clients POST the RFC 8058 one-click unsubscribe from outside the site, with
# no session. The signed token is the only credential, it can do exactly one harmless thing
# (turn one kind of email off for one person), and the view reads no session.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    """GET: a page with one button; POST (that button, or the mail client's one-click): done.

    A tampered or foreign token is refused with a 400 page naming nothing of the organisation."""
    organisation = organisation_get_by_slug(slug=org_slug)
    if request.method == "POST":
        try:
            _user, kind = services.unsubscribe_apply(organisation=organisation, token=token)
        except UnsubscribeError:
            return render(request, "notifications/unsubscribe_invalid.html", status=400)
        return render(
            request,
            "notifications/unsubscribe_done.html",
            {"kind_label": kind.label, "organisation_name": organisation.name},
        )
    kind_or_none = selectors.unsubscribe_kind(organisation=organisation, token=token)
    if kind_or_none is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    return render(
        request,
        "notifications/unsubscribe.html",
        {"kind_label": kind_or_none.label, "organisation_name": organisation.name},
    )
