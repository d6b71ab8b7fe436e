"""A person using the site over HTTP, as the fault tests need one: logged in through the real
allauth form, saving ratings as htmx does."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import requests

ERROR_PAGE = "Something went wrong"
# What Django's technical pages and a raw traceback look like: never to be shown with DEBUG off.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "Exception Value", 'id="traceback"')


@dataclass
class Answer:
    status: int
    text: str
    acknowledged: bool = False
    note: str = ""
    skill: int = 0
    level: int = 0


@dataclass
class Browser:
    base_url: str
    slug: str = "acme"
    session: requests.Session = field(default_factory=requests.Session)
    email: str = ""

    def login(self, email: str, password: str) -> Browser:
        self.email = email
        self.session.get(f"{self.base_url}/accounts/login/", timeout=30)
        response = self.session.post(
            f"{self.base_url}/accounts/login/",
            data={"login": email, "password": password, "csrfmiddlewaretoken": self._csrf()},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, f"login of {email}: {response.status_code}"
        return self

    def _csrf(self) -> str:
        return str(self.session.cookies.get("csrftoken", ""))

    def get(self, path: str, **headers: str) -> Answer:
        response = self.session.get(
            f"{self.base_url}/o/{self.slug}/{path}", headers=headers, timeout=30
        )
        return Answer(response.status_code, response.text)

    def post(self, path: str, data: dict[str, str]) -> Answer:
        """A plain form POST (no JavaScript); a redirect is the success answer."""
        url = f"{self.base_url}/o/{self.slug}/{path}"
        response = self.session.post(
            url,
            data={**data, "csrfmiddlewaretoken": self._csrf()},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )
        return Answer(response.status_code, response.text)

    def my_skill_ids(self) -> list[int]:
        page = self.get("me/skills/")
        assert page.status == 200, page.status
        return sorted(
            {int(s) for s in re.findall(rf'action="/o/{self.slug}/me/skills/(\d+)/"', page.text)}
        )

    def rate(self, skill: int, level: int, *, prefix: str = "load:") -> Answer:
        """Save a self-rating as the page's htmx does; ``acknowledged`` when the server said
        "Saved"."""
        note = f"{prefix}{uuid.uuid4()}"
        url = f"{self.base_url}/o/{self.slug}/me/skills/{skill}/"
        response = self.session.post(
            url,
            data={"level": str(level), "note": note},
            headers={"HX-Request": "true", "X-CSRFToken": self._csrf(), "Referer": url},
            timeout=30,
        )
        acknowledged = response.status_code == 200 and "Saved your rating" in response.text
        return Answer(response.status_code, response.text, acknowledged, note, skill, level)

    def ack(self, answer: Answer) -> dict[str, object]:
        """The acknowledged rating as ``scripts acks-check`` reads it."""
        return {
            "person": self.email,
            "skill": answer.skill,
            "level": answer.level,
            "source": "self",
            "note": answer.note,
        }
