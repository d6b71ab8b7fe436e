"""PostgreSQL restarts while people browse and save ratings. Requests caught by the outage fail
cleanly (the application's own error page, no traceback, nothing half-written: each request is
one transaction), every save that was acknowledged is in the database, and the same gunicorn
processes serve normally again once PostgreSQL is back, without being restarted."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest

from tests.reliability.browser import ERROR_PAGE, TRACEBACK_MARKERS, Answer, Browser
from tests.reliability.procs import Stack, wait_until

pytestmark = pytest.mark.reliability

PREFIX = "pgfault:"
OUTAGE_SECONDS = 3


def _gunicorn_pids(stack: Stack) -> set[int]:
    import subprocess

    master = stack.procs["web"].pid
    children = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True, timeout=10, check=False
    ).stdout.split()
    return {master, *(int(pid) for pid in children)}


def test_requests_during_a_postgres_restart_fail_cleanly_and_the_app_recovers(
    stack: Stack, manifest: dict
) -> None:
    stack.start_web()
    processes = _gunicorn_pids(stack)
    password = manifest["password"]
    engineers = [
        Browser(stack.base_url).login(email, password) for email in manifest["engineers"][:4]
    ]
    skills = {e.email: e.my_skill_ids() for e in engineers}
    answers: list[tuple[str, Answer, Browser]] = []
    lock, stop = threading.Lock(), threading.Event()

    def person(engineer: Browser) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if n % 3:
                    own = skills[engineer.email]
                    answer = engineer.rate(own[n % len(own)], level=n % 6, prefix=PREFIX)
                    kind = "save"
                else:
                    answer, kind = engineer.get("me/skills/"), "page"
            except Exception as exc:  # a reset connection is a clean failure too, but note it
                answer, kind = Answer(0, repr(exc)), "transport"
            with lock:
                answers.append((kind, answer, engineer))
            time.sleep(0.05)

    threads = [threading.Thread(target=person, args=(e,)) for e in engineers]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        stack.pg.stop("fast")  # in-flight transactions are aborted, connections dropped
        time.sleep(OUTAGE_SECONDS)
        stack.pg.start()
        time.sleep(4)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    statuses = Counter(answer.status for _, answer, _ in answers)
    print(f"answers during the run: {dict(statuses)}")
    for kind, answer, _ in answers:
        assert not any(marker in answer.text for marker in TRACEBACK_MARKERS), answer.text[:2000]
        if answer.status != 200:
            # The only failure allowed is the application's own error page.
            assert answer.status == 500 and ERROR_PAGE in answer.text, (kind, answer.status)
    assert statuses[500] > 0, "no request met the outage: the test proved nothing"

    # Nothing half-written: every rating saved in the run has its audit event and profile entry,
    # and every save the server acknowledged is there.
    integrity = stack.script("integrity", "--prefix", PREFIX)
    assert integrity["incomplete"] == [], integrity
    acks = [e.ack(a) for kind, a, e in answers if kind == "save" and a.acknowledged]
    acks_file = stack.root / "pg-acks.jsonl"
    acks_file.write_text("".join(json.dumps(a) + "\n" for a in acks))
    stored = stack.script("acks-check", str(acks_file))
    assert stored["missing_count"] == 0, stored
    # A save can commit and still lose its answer; then it is there without an acknowledgement.
    assert integrity["ratings"] >= len(acks)

    # Recovered without a restart: the same processes answer every request normally.
    def all_ok() -> bool:
        return all(e.get("me/skills/").status == 200 for e in engineers)

    wait_until(all_ok, timeout=30, what="the pages to work again")
    for engineer in engineers:
        own = skills[engineer.email]
        assert engineer.rate(own[0], level=3, prefix=PREFIX).acknowledged
        assert engineer.get("me/skills/").status == 200
    assert _gunicorn_pids(stack) == processes
