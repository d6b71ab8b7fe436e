"""Redis (cache and Celery broker) stops while people change things: every rating save still
succeeds and is in the database, the pages still render, a change that needs a full recompute
(HR raising a role's target) is recorded as pending in the database (``inputs_version`` ahead of
``computed_version``), and once Redis is back the next tick of celery beat's dispatcher brings the
results level with every change.

(A single rating no longer needs the broker at all: ``ratings_changed`` rebuilds that person's rows
in the saving transaction. The target change is what exercises the pending path.)"""

from __future__ import annotations

import json
import time

import pytest

from tests.reliability.browser import ERROR_PAGE, TRACEBACK_MARKERS, Browser
from tests.reliability.procs import Stack, wait_until

pytestmark = pytest.mark.reliability

BEAT_SECONDS = 10


def test_ratings_save_and_pages_render_without_redis_and_catch_up_after(
    stack: Stack, manifest: dict
) -> None:
    stack.extra_env = {"RECOMPUTE_DISPATCH_SECONDS": str(BEAT_SECONDS)}
    stack.start_web()
    stack.start_worker()
    stack.start_beat()
    password = manifest["password"]
    engineers = [
        Browser(stack.base_url).login(email, password) for email in manifest["engineers"][:3]
    ]
    manager_account = manifest["managers"][0]
    manager = Browser(stack.base_url).login(manager_account["email"], password)
    hr = Browser(stack.base_url).login(manifest["hr"][0], password)
    requirement = stack.script("role-requirement")
    before = stack.script("org-state")
    assert before["computed_version"] == before["inputs_version"]

    stack.redis.stop()

    acks = []

    def save_ratings(rounds: range) -> None:
        for round_ in rounds:
            for engineer in engineers:
                skills = engineer.my_skill_ids()
                answer = engineer.rate(skills[round_ % len(skills)], level=(round_ + 2) % 6)
                assert answer.acknowledged, (answer.status, answer.text[:500])
                acks.append(engineer.ack(answer))

    save_ratings(range(2))
    raised = hr.post(
        f"roles/{requirement['role_id']}/requirements/",
        {
            "skill": str(requirement["skill_id"]),
            "target_level": str(min(5, requirement["target_level"] + 1)),
            "importance": requirement["importance"],
            "weight": requirement["weight"],
        },
    )
    assert raised.status == 302, (raised.status, raised.text[:500])
    save_ratings(range(2, 4))
    pages = {
        "my skills": engineers[0].get("me/skills/"),
        "team matrix": manager.get(f"teams/{manager_account['team_ids'][0]}/matrix/"),
        "validation": manager.get("ratings/validate/"),
        "dashboard": hr.get("dashboard/"),
        "export": hr.get("reports/export/"),
    }
    for name, page in pages.items():
        assert page.status == 200, (name, page.status)
        assert ERROR_PAGE not in page.text and not any(m in page.text for m in TRACEBACK_MARKERS)

    acks_file = stack.root / "redis-acks.jsonl"
    acks_file.write_text("".join(json.dumps(a) + "\n" for a in acks))
    stored = stack.script("acks-check", str(acks_file))
    assert stored["acknowledged"] == len(acks) == 12 and stored["missing_count"] == 0, stored
    pending = stack.script("org-state")
    # Recorded as pending in the database: every change bumped the version; the full recompute
    # the target change needs could not be sent.
    assert pending["inputs_version"] >= before["inputs_version"] + len(acks) + 1
    assert pending["computed_version"] < pending["inputs_version"]

    stack.redis.start()  # same port, empty: the tasks that could not be sent are simply not there
    back = time.monotonic()
    wait_until(
        lambda: _caught_up(stack, pending["inputs_version"]),
        timeout=BEAT_SECONDS * 6,
        what="the dispatcher to catch the organisation up",
    )
    caught_up_after = time.monotonic() - back
    print(f"caught up {caught_up_after:.1f} s after Redis came back (beat every {BEAT_SECONDS} s)")
    # One beat cycle, plus the worker's and beat's reconnection to the broker and the recompute.
    assert caught_up_after < BEAT_SECONDS + 15, stack.logs()

    # The gap rows are those an uninterrupted recompute produces from the new inputs.
    results = stack.script("results")
    expected = stack.script("expected-results")
    assert results["gap_scores"] == expected["gap_scores"]
    assert results["coverage"] == expected["coverage"]


def _caught_up(stack: Stack, version: int) -> bool:
    state = stack.script("org-state")
    return bool(state["computed_version"] >= version)
