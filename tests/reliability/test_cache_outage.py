"""An unreachable Redis, in-process: the cache reads as empty and stores nothing instead of raising,
and a change saved while it is down still commits and is recorded as pending. (The end-to-end
version, with a real Redis stopped under a running site, is test_redis_outage.py.)"""

from __future__ import annotations

import pytest
from django.core.cache.backends.redis import RedisCache

from accounts.models import Organisation
from reports.freshness import inputs_changed, recompute_enqueue
from reports.recompute import organisations_behind
from skillsmap.core.cache import DegradingRedisCache
from tests.reliability.procs import free_port

OPTIONS = {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}


def _nothing_listening() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def test_an_unreachable_redis_reads_as_an_empty_cache_that_stores_nothing() -> None:
    cache = DegradingRedisCache(_nothing_listening(), OPTIONS)
    assert cache.get("key", "default") == "default"
    assert cache.get_many(["key"]) == {}
    assert cache.has_key("key") is False
    # "Not stored": a lock or debounce guarded by add() is not taken.
    assert cache.add("key", 1) is False
    cache.set("key", 1)
    cache.set_many({"key": 1})
    cache.delete("key")
    cache.delete_many(["key"])
    assert cache.touch("key") is False
    # A counter reads as missing, the way an empty cache answers incr().
    with pytest.raises(ValueError):
        cache.incr("key")


@pytest.mark.django_db
def test_an_invalid_token_is_refused_while_the_cache_is_down(org_a, settings) -> None:
    from rest_framework.test import APIClient

    settings.CACHES = {
        "default": {
            "BACKEND": "skillsmap.core.cache.DegradingRedisCache",
            "LOCATION": _nothing_listening(),
            **OPTIONS,
        }
    }
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer smk_deadbeef_not-a-real-token")
    # Counting the failure needs the cache; without it the answer is still a clean 401.
    assert client.get("/api/v1/me/").status_code == 401


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """A real broker's code path (not the in-process one the test settings use), with the publish
    recorded instead of sent, so nothing reaches a shared Redis."""
    from reports.tasks import recompute_organisation_task

    sent: list[dict] = []
    monkeypatch.setitem(recompute_organisation_task.app.conf, "task_always_eager", False)
    monkeypatch.setattr(recompute_organisation_task, "apply_async", lambda **kw: sent.append(kw))
    return sent


@pytest.mark.django_db
def test_a_change_commits_and_stays_pending_while_the_cache_is_down(
    org_a, monkeypatch, broker, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr(
        "reports.freshness.cache", DegradingRedisCache(_nothing_listening(), OPTIONS)
    )
    with django_capture_on_commit_callbacks(execute=True):
        inputs_changed(organisation=org_a.organisation)
    assert Organisation.objects.get(pk=org_a.organisation.pk).inputs_version == 1
    # Nothing could be queued (cache and broker are the same Redis); the dispatcher will see it.
    assert broker == []
    assert org_a.organisation.pk in organisations_behind()


@pytest.mark.django_db
def test_enqueueing_never_raises_even_from_a_cache_that_does(org_a, monkeypatch, broker) -> None:
    """recompute_enqueue runs after the change has committed: whatever fails, the user must not
    see an error for a saved change."""
    monkeypatch.setattr("reports.freshness.cache", RedisCache(_nothing_listening(), OPTIONS))
    assert recompute_enqueue(organisation_id=org_a.organisation.pk) is False
    assert broker == []
