"""The three journeys of issue #7 as Locust users, each logging in through the real allauth form.

- ``Engineer`` opens My skills and saves ratings inline, as htmx does (``HX-Request``).
- ``Manager`` opens their team's matrix, the validation list and a report's page, and validates.
- ``Hr`` starts a CSV export, polls the job's status partial as the page does, and downloads it.

Every save the server acknowledges (200 with "Saved your …") is appended to ``LOAD_ACK_FILE`` as a
JSON line with a unique note, so that ``bench.load.run`` (and ``tests/reliability/test_load.py``)
can check afterwards that each acknowledged rating is really in the database.

The accounts come from ``LOAD_MANIFEST`` (written by ``tests.reliability.scripts load-users``).
Run by ``python -m bench.load.run``; by hand:
``LOAD_MANIFEST=... LOAD_ACK_FILE=... locust -f bench/load/locustfile.py --headless -u 50 -r 10
-t 5m --host http://127.0.0.1:8000``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task
from locust.exception import StopUser

MANIFEST: dict[str, Any] = json.loads(Path(os.environ["LOAD_MANIFEST"]).read_text())
SLUG = MANIFEST["slug"]
ORG = f"/o/{SLUG}"
# Locust users take the accounts in turn: engineers each get their own, managers and HR share
# theirs between sessions (the same person in several tabs).
_ENGINEERS = itertools.cycle(MANIFEST["engineers"])
_MANAGERS = itertools.cycle(MANIFEST["managers"])
_HR = itertools.cycle(MANIFEST["hr"])
_ACKS = Path(os.environ["LOAD_ACK_FILE"]).open("a", encoding="utf-8")  # noqa: SIM115  lives as long as the run
POLL_LIMIT = 60

SELF_SAVE = re.compile(rf'action="{ORG}/me/skills/(\d+)/"')
VALIDATE_PERSON = re.compile(rf'href="{ORG}/ratings/validate/(\d+)/"')
VALIDATE_SAVE = re.compile(rf'action="{ORG}/ratings/validate/(\d+)/(\d+)/"')
JOB_URL = re.compile(rf"{ORG}/jobs/(\d+)/$")


def _acknowledge(**fields: Any) -> None:
    _ACKS.write(json.dumps(fields) + "\n")
    _ACKS.flush()


class _Member(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    email = ""

    def login(self, email: str) -> None:
        self.email = email
        self.client.get("/accounts/login/", name="login page")
        with self.client.post(
            "/accounts/login/",
            data={
                "login": email,
                "password": MANIFEST["password"],
                "csrfmiddlewaretoken": self.csrf(),
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {email} answered {response.status_code}")
                raise StopUser

    def csrf(self) -> str:
        return str(self.client.cookies.get("csrftoken", ""))

    def htmx_post(self, url: str, data: dict[str, Any], name: str) -> Any:
        return self.client.post(
            url,
            data=data,
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf(), "Referer": url},
            name=name,
            catch_response=True,
        )

    def page(self, url: str, name: str, marker: str) -> str:
        """GET a page; a 200 without the page's own content (an error page) is a failure too."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200 or marker not in response.text:
                response.failure(f"{name}: {response.status_code} {response.error or ''}")
                return ""
            return str(response.text)


class Engineer(_Member):
    weight = 6

    def on_start(self) -> None:
        self.login(next(_ENGINEERS))
        self.skills: list[int] = []
        self.open_page()

    @task(1)
    def open_page(self) -> None:
        html = self.page(f"{ORG}/me/skills/", "my skills", "My skills")
        self.skills = sorted({int(s) for s in SELF_SAVE.findall(html)}) or self.skills

    @task(4)
    def rate(self) -> None:
        if not self.skills:
            return
        skill = random.choice(self.skills)
        level = random.randint(0, 5)
        note = f"load:{uuid.uuid4()}"
        with self.htmx_post(
            f"{ORG}/me/skills/{skill}/",
            {"level": str(level), "note": note},
            "my skills: save (htmx)",
        ) as response:
            if response.status_code == 200 and "Saved your rating" in response.text:
                _acknowledge(person=self.email, skill=skill, level=level, source="self", note=note)
            else:
                response.failure(f"save answered {response.status_code} {response.error or ''}")


class Manager(_Member):
    weight = 3

    def on_start(self) -> None:
        account = next(_MANAGERS)
        self.teams: list[int] = account["team_ids"]
        self.login(account["email"])

    @task(2)
    def matrix(self) -> None:
        team = random.choice(self.teams)
        self.page(f"{ORG}/teams/{team}/matrix/", "team matrix", "skill matrix")

    @task(3)
    def validate(self) -> None:
        html = self.page(f"{ORG}/ratings/validate/", "validation list", "Validate ratings")
        people = VALIDATE_PERSON.findall(html)
        if not people:
            return
        person = random.choice(people)
        html = self.page(
            f"{ORG}/ratings/validate/{person}/", "validation: person", "<title>Validate"
        )
        saves = VALIDATE_SAVE.findall(html)
        if not saves:
            return
        person_id, skill = (int(v) for v in random.choice(saves))
        level = random.randint(0, 5)
        note = f"load:{uuid.uuid4()}"  # a note makes any level valid, confirming or adjusting
        with self.htmx_post(
            f"{ORG}/ratings/validate/{person_id}/{skill}/",
            {"level": str(level), "note": note},
            "validation: save (htmx)",
        ) as response:
            if response.status_code == 200 and "Saved your validation" in response.text:
                _acknowledge(
                    person_id=person_id, skill=skill, level=level, source="manager", note=note
                )
            else:
                response.failure(
                    f"validation answered {response.status_code} {response.error or ''}"
                )


class Hr(_Member):
    weight = 1
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.login(next(_HR))

    @task
    def export(self) -> None:
        self.page(f"{ORG}/reports/export/", "export page", "Export gap report")
        with self.client.post(
            f"{ORG}/reports/export/",
            data={"format": "csv", "scope": "organisation", "csrfmiddlewaretoken": self.csrf()},
            name="export: start",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            match = JOB_URL.search(response.headers.get("Location", ""))
            if response.status_code != 302 or not match:
                response.failure(f"export start answered {response.status_code}")
                return
        job = match.group(1)
        for _ in range(POLL_LIMIT):
            with self.client.get(
                f"{ORG}/jobs/{job}/",
                headers={"HX-Request": "true"},
                name="export: job status (htmx poll)",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"job status answered {response.status_code}")
                    return
                if "Your report is ready" in response.text:
                    break
                if "export failed" in response.text:
                    response.failure("the export job failed")
                    return
            self._sleep(1)
        else:
            # A job users wait on for more than a minute is a failure they would notice.
            self.environment.events.request.fire(
                request_type="JOB",
                name="export: finished within a minute",
                response_time=0,
                response_length=0,
                exception=TimeoutError(f"job {job} still running"),
                context={},
            )
            return
        with self.client.get(
            f"{ORG}/jobs/{job}/download/", name="export: download", catch_response=True
        ) as response:
            if response.status_code != 200 or not response.content:
                response.failure(f"download answered {response.status_code}")

    def _sleep(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)
