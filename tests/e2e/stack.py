"""The application as a user meets it, for the browser tests: gunicorn and a Celery worker on a
PostgreSQL database and a Redis database of their own.

The server runs in other processes, so it must see committed data: pytest-django's test database
(one transaction per test) is of no use here. ``Stack.start`` creates a throwaway database on the
server of ``DATABASE_URL``, migrates it, imports the skill library and seeds the demo organisation,
collects the static files into a temporary directory, then starts the processes; ``Stack.close``
stops them (terminate, wait, kill) and drops the database. Mail goes to files (Django's file
backend), where the tests read the verification and invitation links.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
# The Redis database of the server and its worker: not the one the rest of the suite uses, so
# flushing it at the start of a run touches nobody else's keys. E2E_REDIS_URL overrides it.
E2E_REDIS_DB = 9
SETTINGS_MODULE = "tests.e2e.server_settings"


def missing_prerequisites() -> list[str]:
    """What this machine lacks to run the browser tests; empty when everything is there."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"Chromium at {CHROMIUM}")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.append("DATABASE_URL pointing at PostgreSQL")
    if not os.environ.get("REDIS_URL"):
        missing.append("REDIS_URL")
    if not AXE_JS.exists():
        missing.append(f"axe-core at {AXE_JS.relative_to(REPO)} (make install runs npm ci)")
    for tool in ("gunicorn", "celery"):
        if not (VENV_BIN / tool).exists():
            missing.append(f"{tool} in {VENV_BIN}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    return missing


def e2e_redis_url() -> str:
    override = os.environ.get("E2E_REDIS_URL")
    if override:
        return override
    parts = urlsplit(os.environ["REDIS_URL"])
    return urlunsplit(parts._replace(path=f"/{E2E_REDIS_DB}"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")


@dataclass
class Proc:
    """A child process in its own session (so that gunicorn's workers go with it), its output in a
    log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 10) -> None:
        if self.alive():
            self._signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.popen.wait(10)
        # Children that outlived their parent.
        self._signal(signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Stack:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="skillsmap-e2e-")))
    db_name: str = field(default_factory=lambda: f"skillsmap_e2e_{os.getpid()}")
    port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)
    db_created: bool = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mail_dir(self) -> Path:
        return self.root / "mail"

    @property
    def database_url(self) -> str:
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path=f"/{self.db_name}"))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
            DATABASE_URL=self.database_url,
            REDIS_URL=e2e_redis_url(),
            SECRET_KEY="e2e-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CSRF_TRUSTED_ORIGINS=self.base_url,
            # Mails sent by the worker have no request to build links from: they use SITE_URL.
            SITE_URL=self.base_url,
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(self.mail_dir),
            E2E_STATIC_ROOT=str(self.root / "static"),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            # The browser journeys' identity providers serve plain HTTP on 127.0.0.1.
            SSO_REQUIRE_HTTPS="0",
        )
        return env

    # --- Set-up ----------------------------------------------------------------------------------

    def _admin_sql(self, sql: str) -> None:
        """Run one statement on the server's maintenance connection (CREATE/DROP DATABASE cannot
        run in a transaction). The ``skillsmap`` role may create databases; no superuser needed."""
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def _manage_start(self, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.root / f"manage-{args[0]}.log"
        with log.open("ab") as handle:
            popen = subprocess.Popen(
                [str(VENV_BIN / "python"), "manage.py", *args],
                cwd=REPO,
                env=self.env(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return popen, log

    def _manage_wait(
        self, started: tuple[subprocess.Popen[bytes], Path], timeout: float = 180
    ) -> None:
        popen, log = started
        try:
            returncode = popen.wait(timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
            raise
        if returncode:
            raise RuntimeError(f"{popen.args} failed:\n{log.read_text()[-5000:]}")

    def _manage(self, *args: str) -> None:
        self._manage_wait(self._manage_start(*args))

    def _spawn(self, name: str, argv: list[str]) -> Proc:
        log = self.root / f"{name}.log"
        with log.open("ab") as handle:
            popen = subprocess.Popen(
                argv,
                cwd=REPO,
                env=self.env(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def start(self) -> None:
        import redis

        self.mail_dir.mkdir()
        self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}"')
        self._admin_sql(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        # Left-overs of an earlier run (the recompute debounce marker, say) must not leak in.
        redis.Redis.from_url(e2e_redis_url()).flushdb()
        # collectstatic needs no database: it runs while the database is prepared.
        collectstatic = self._manage_start("collectstatic", "--noinput", "-v", "0")
        try:
            self._manage("migrate", "--noinput", "-v", "0")
            self._manage("import_skill_library")
            # The demo organisation gives the keyboard and accessibility tests populated pages
            # without depending on the order in which the journey test runs.
            self._manage("seed_demo")
        finally:
            self._manage_wait(collectstatic)

        gunicorn = self._spawn(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "skillsmap.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--timeout",
                "60",
                "--access-logfile",
                "-",
            ],
        )
        worker = self._spawn(
            "celery",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "skillsmap",
                "worker",
                "--loglevel",
                "info",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
        )
        wait_until(
            lambda: self._healthy() or not gunicorn.alive(), timeout=30, what="gunicorn to answer"
        )
        wait_until(
            lambda: " ready." in worker.output() or not worker.alive(),
            timeout=30,
            what="the Celery worker to be ready",
        )
        for proc in (gunicorn, worker):
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-5000:]}")

    # --- Tear-down -------------------------------------------------------------------------------

    def logs(self) -> str:
        """Every process's output, for the report of a failed test."""
        parts = []
        for log in sorted(self.root.glob("*.log")):
            text = log.read_text(errors="replace")
            parts.append(f"----- {log.name} (last 8000 characters) -----\n{text[-8000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()
        if self.db_created:
            # The server's connections are gone with it; FORCE covers a straggler.
            with contextlib.suppress(Exception):
                self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        shutil.rmtree(self.root, ignore_errors=True)

    # --- Mail ------------------------------------------------------------------------------------

    def mail_to(self, address: str) -> list[EmailMessage]:
        """Every message sent to ``address`` so far, oldest first. The file backend writes one file
        per connection, messages separated by a line of 79 dashes."""
        found: list[EmailMessage] = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for chunk in path.read_text(errors="replace").split("-" * 79 + "\n"):
                if not chunk.strip():
                    continue
                message = email.message_from_string(chunk, policy=email.policy.default)
                if address.lower() in str(message.get("To", "")).lower():
                    found.append(message)  # type: ignore[arg-type]
        return found

    def wait_for_mail(self, address: str, subject_contains: str, timeout: float = 15) -> str:
        """The plain-text body of the newest message to ``address`` whose subject contains
        ``subject_contains``, waiting for it to arrive."""
        body: list[str] = []

        def arrived() -> bool:
            for message in reversed(self.mail_to(address)):
                if subject_contains.lower() in str(message["Subject"]).lower():
                    part = message.get_body(preferencelist=("plain",))
                    body.append(part.get_content() if part else "")
                    return True
            return False

        wait_until(arrived, timeout=timeout, what=f"mail to {address} about {subject_contains!r}")
        return body[0]
