"""API of notifications, mounted under /api/v1/orgs/<org_slug>/: the caller's own notifications
(list, mark one or all read) and email preferences. Nobody reads another member's notifications
through it, whatever their role: another user's id reads like a missing one (404)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.api_base import AuthenticatedRequest, OrgAPIView
from notifications import selectors, services
from notifications.kinds import Kind
from skillsmap.core.api import StrictInput, paginated

TAGS = ["notifications"]


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField(help_text='A path of the site ("/o/acme/me/skills/"), or "".')
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    is_read = serializers.BooleanField()


class NotificationFilter(StrictInput):
    unread = serializers.BooleanField(
        required=False, default=False, help_text="Only the unread ones."
    )


class NoBodyIn(StrictInput):
    """Nothing to send: an empty body (or none). Any field is refused rather than ignored."""


# The schema of that body: an empty JSON object (drf-spectacular leaves a serializer with no
# fields out of the schema, and clients should still read that a body, if any, must be empty).
EMPTY_BODY = {"application/json": {"type": "object", "additionalProperties": False}}


class MarkedOut(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread.")


# One boolean per kind, named by the kind: "email on" for it. The output has every kind; the
# input may name only some, and the kinds it leaves out keep their setting.
_KIND_FIELDS = {kind.value: kind.label for kind in Kind}

PreferencesOut: type[serializers.Serializer] = type(
    "EmailPreferencesOut",
    (serializers.Serializer,),
    {
        value: serializers.BooleanField(help_text=f"Email about: {label}.")
        for value, label in _KIND_FIELDS.items()
    },
)
PreferencesIn: type[serializers.Serializer] = type(
    "EmailPreferencesIn",
    (StrictInput,),
    {
        value: serializers.BooleanField(required=False, help_text=f"Email about: {label}.")
        for value, label in _KIND_FIELDS.items()
    },
)


class NotificationListApi(OrgAPIView):
    @extend_schema(
        operation_id="notifications_list",
        parameters=[NotificationFilter],
        responses=paginated(NotificationOut),
        tags=TAGS,
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.query(NotificationFilter)
        notifications = selectors.notification_list(
            organisation=self.tenant.organisation,
            user=request.user,
            unread_only=filters["unread"],
        )
        return self.page(NotificationOut, notifications, ordering=("-created_at", "-id"))


class NotificationReadApi(OrgAPIView):
    @extend_schema(
        operation_id="notification_mark_read",
        request=EMPTY_BODY,
        responses=NotificationOut,
        tags=TAGS,
    )
    def post(self, request: AuthenticatedRequest, notification_id: int) -> Response:
        self.input(NoBodyIn, request.data)
        notification = selectors.notification_get(
            organisation=self.tenant.organisation,
            user=request.user,
            notification_id=notification_id,
        )
        return self.output(
            NotificationOut, services.notification_mark_read(notification=notification)
        )


class NotificationReadAllApi(OrgAPIView):
    @extend_schema(
        operation_id="notifications_mark_all_read",
        request=EMPTY_BODY,
        responses=MarkedOut,
        tags=TAGS,
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        self.input(NoBodyIn, request.data)
        marked = services.notification_mark_all_read(
            organisation=self.tenant.organisation, user=request.user
        )
        return self.output(MarkedOut, {"marked": marked})


class EmailPreferencesApi(OrgAPIView):
    def _current(self, request: AuthenticatedRequest) -> dict[str, bool]:
        preferences = selectors.email_preferences(
            organisation=self.tenant.organisation, user=request.user
        )
        return {kind.value: email for kind, email in preferences.items()}

    @extend_schema(operation_id="notification_preferences_get", responses=PreferencesOut, tags=TAGS)
    def get(self, request: AuthenticatedRequest) -> Response:
        return self.output(PreferencesOut, self._current(request))

    @extend_schema(
        operation_id="notification_preferences_set",
        request=PreferencesIn,
        responses=PreferencesOut,
        tags=TAGS,
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        data: dict[str, Any] = self.input(PreferencesIn, request.data)
        services.email_preference_update(
            organisation=self.tenant.organisation,
            user=request.user,
            changes={Kind(value): bool(email) for value, email in data.items()},
        )
        return self.output(PreferencesOut, self._current(request))


urlpatterns: list[URLPattern] = [
    path("notifications/", NotificationListApi.as_view(), name="notifications"),
    path(
        "notifications/read-all/",
        NotificationReadAllApi.as_view(),
        name="notifications-read-all",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        NotificationReadApi.as_view(),
        name="notification-read",
    ),
    path(
        "notifications/preferences/",
        EmailPreferencesApi.as_view(),
        name="notification-preferences",
    ),
]
