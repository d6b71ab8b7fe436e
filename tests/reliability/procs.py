"""Private, real components for load and fault tests: a PostgreSQL cluster and a Redis server of
our own on free loopback ports in a temporary directory, and the application's gunicorn, Celery
worker and Celery beat pointed at them.

The machine's shared PostgreSQL and Redis are never touched: the fault tests stop and restart these
private ones. Every process runs in its own session so that it and its children can be stopped
together; every wait has a deadline; ``Stack.close`` stops everything and removes the directory.
Used by ``tests/reliability`` and by ``python -m bench.load.run``.
"""

from __future__ import annotations

import contextlib
import json
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
APP_ROLE = "skillsmap"
DB_NAME = "skillsmap_reliability"


def pg_bin_dir() -> Path | None:
    """The newest installed PostgreSQL server binaries, or None."""
    override = os.environ.get("PG_BIN_DIR")
    if override:
        return Path(override)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    return candidates[-1].parent if candidates else None


def missing_prerequisites() -> list[str]:
    """What this machine lacks to run the private stack; empty when everything is there."""
    missing = []
    if pg_bin_dir() is None or not (pg_bin_dir() / "pg_ctl").exists():  # type: ignore[operator]
        missing.append("PostgreSQL server binaries (initdb, pg_ctl)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if shutil.which("psql") is None:
        missing.append("psql")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser (initdb refuses to run as root)")
    for tool in ("gunicorn", "celery", "locust"):
        if not (VENV_BIN / tool).exists():
            missing.append(f"{tool} in {VENV_BIN}")
    if reliability_pooled():
        missing += pgbouncer_missing()
    return missing


def reliability_pooled() -> bool:
    return "1" in (os.environ.get("RELIABILITY_POOLED"), os.environ.get("DATABASE_POOLED"))


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
    """A child process in its own session, with its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL, no clean-up: a crash."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        # Children that outlived their parent (a prefork pool, gunicorn workers).
        self.signal_group(signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def spawn(name: str, argv: list[str], *, env: dict[str, str], log: Path) -> Proc:
    handle = log.open("ab")
    popen = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    handle.close()
    return Proc(name, popen, log)


class PrivatePostgres:
    """A throwaway cluster: trust authentication on 127.0.0.1, fsync off (nothing here must
    survive a power cut), the ``skillsmap`` role as CI creates it (NOSUPERUSER NOBYPASSRLS)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self.bin = pg_bin_dir()
        self.log = root / "postgres.log"

    def _as_postgres(self, argv: list[str], timeout: float = 60) -> str:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode:
            raise RuntimeError(f"{argv} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def _pg_ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._as_postgres(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.log),
                "-w",
                "-t",
                "30",
                *args,
            ]
        )

    def setup(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        self.start()
        self.psql(f"CREATE ROLE {APP_ROLE} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE")
        self.psql(f"CREATE DATABASE {DB_NAME} OWNER {APP_ROLE}")

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("restart", "-m", mode)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def psql(self, sql: str, *, db: str = "postgres", user: str = "postgres") -> str:
        done = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                user,
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-tAq",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout.strip()

    def url(self, db: str = DB_NAME) -> str:
        return f"postgres://{APP_ROLE}@127.0.0.1:{self.port}/{db}"

    def close(self) -> None:
        if self.running():
            with contextlib.suppress(Exception):
                self.stop("immediate")


class PrivateRedis:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.proc: Proc | None = None

    def start(self) -> None:
        self.proc = spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
                "--daemonize",
                "no",
            ],
            env=dict(os.environ),
            log=self.root / "redis.log",
        )
        wait_until(lambda: self.ping(), timeout=20, what="redis-server")

    def ping(self) -> bool:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return done.stdout.strip() == "PONG"

    def stop(self) -> None:
        """Abrupt, like a crashed or unreachable Redis: no save, connections reset."""
        if self.proc:
            self.proc.kill()
            self.proc = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def close(self) -> None:
        self.stop()


class PrivatePgBouncer:
    """PgBouncer in transaction-pooling mode in front of a PostgreSQL server, as a SaaS at scale
    runs it: after every transaction the server connection may serve another client. Any
    database name is passed through (``* =``), so template copies need no reconfiguration.
    PgBouncer refuses to run as root, so as root it runs as ``postgres``."""

    def __init__(self, root: Path, *, server_port: int, pool_size: int = 5) -> None:
        self.root = root / f"pgbouncer-{free_port()}"
        self.port = free_port()
        self.server_port = server_port
        self.pool_size = pool_size
        self.log = self.root / "pgbouncer.log"
        self.pidfile = self.root / "pgbouncer.pid"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o777)  # noqa: S103  postgres, another user, writes its pid and log here
        (self.root / "userlist.txt").write_text(f'"{APP_ROLE}" ""\n"postgres" ""\n')
        (self.root / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.server_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.root / 'userlist.txt'}\n"
            f"pool_mode = transaction\ndefault_pool_size = {self.pool_size}\n"
            "max_client_conn = 500\nadmin_users = postgres\n"
            f"logfile = {self.log}\npidfile = {self.pidfile}\n"
        )
        argv = ["pgbouncer", "-d", str(self.root / "pgbouncer.ini")]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, timeout=30, capture_output=True)
        wait_until(self._accepting, timeout=20, what="pgbouncer")

    def _accepting(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def admin(self, command: str) -> list[tuple[str, ...]]:
        """A command of PgBouncer's admin console (``SHOW SERVERS``…), its rows."""
        connect = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "pgbouncer"]
        done = subprocess.run(
            ["psql", *connect, "-tA", "-F", "\t", "-c", command],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return [tuple(line.split("\t")) for line in done.stdout.splitlines() if line]

    def url(self, db: str) -> str:
        return f"postgres://{APP_ROLE}@127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(self.pidfile.read_text().strip()), signal.SIGTERM)
            wait_until(lambda: not self.pidfile.exists(), timeout=10, what="pgbouncer to stop")


def pgbouncer_missing() -> list[str]:
    missing = [] if shutil.which("pgbouncer") else ["pgbouncer (apt-get install pgbouncer)"]
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser (pgbouncer refuses to run as root)")
    return missing


@dataclass
class Stack:
    """PostgreSQL, Redis and the application, all private. Start the parts a test needs."""

    root: Path
    settings: str = "skillsmap.settings.base"
    extra_env: dict[str, str] = field(default_factory=dict)
    pg: PrivatePostgres = field(init=False)
    redis: PrivateRedis = field(init=False)
    procs: dict[str, Proc] = field(default_factory=dict)
    web_port: int = 0
    db_name: str = DB_NAME
    # RELIABILITY_POOLED=1 (CI sets it) puts a private PgBouncer in transaction-pooling mode
    # between the application and its PostgreSQL, as production at scale runs.
    pooled: bool = field(default_factory=lambda: reliability_pooled())
    bouncer: PrivatePgBouncer | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.pg = PrivatePostgres(self.root)
        self.redis = PrivateRedis(self.root)

    @classmethod
    @contextlib.contextmanager
    def running(
        cls, *, settings: str = "skillsmap.settings.base", extra_env: dict[str, str] | None = None
    ) -> Iterator[Stack]:
        root = Path(tempfile.mkdtemp(prefix="skillsmap-reliability-"))
        os.chmod(root, 0o755)  # noqa: S103  postgres, another user, must enter it
        stack = cls(root, settings, dict(extra_env or {}))
        try:
            stack.pg.setup()
            stack.redis.start()
            if stack.pooled:
                stack.bouncer = PrivatePgBouncer(root, server_port=stack.pg.port, pool_size=10)
                stack.bouncer.start()
            yield stack
        finally:
            stack.close()

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "REDIS_", "DJANGO_", "CELERY_", "PYTEST_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE=self.settings,
            DATABASE_URL=self._database_url(),
            REDIS_URL=self.redis.url(),
            SECRET_KEY="reliability-tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            ACCOUNT_EMAIL_VERIFICATION="mandatory",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        if self.bouncer is not None and self.db_name != DB_NAME:
            env["DATABASE_POOLED"] = "1"
        env.update(self.extra_env)
        return env

    def _database_url(self) -> str:
        # The prepared database is the template of every test's copy, and PostgreSQL copies only
        # a template nobody is connected to: PgBouncer would keep server connections to it, so
        # it is prepared directly. The application reads each copy through PgBouncer.
        if self.bouncer is not None and self.db_name != DB_NAME:
            return self.bouncer.url(self.db_name)
        return self.pg.url(self.db_name)

    def run(self, *argv: str, timeout: float = 300) -> str:
        """A one-off command in the application's environment; its stdout."""
        done = subprocess.run(
            [str(VENV_BIN / "python"), *argv],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"{argv} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def script(self, command: str, *args: str, timeout: float = 300) -> dict:
        """``tests.reliability.scripts <command>``: set-up and checks that need the ORM on the
        private database; prints JSON."""
        out = self.run("-m", "tests.reliability.scripts", command, *args, timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def prepare(self) -> None:
        """Schema, skill library and the demo organisation Acme."""
        self.run("manage.py", "migrate", "--noinput")
        self.run("manage.py", "import_skill_library")
        self.run("manage.py", "seed_demo")

    def use_copy(self, name: str) -> None:
        """Point the application at a fresh copy of the prepared database (a template copy takes a
        second, migrating and seeding again twenty), so each test starts from the same data."""
        self.stop_app()
        self.pg.psql(f"CREATE DATABASE {name} TEMPLATE {DB_NAME} OWNER {APP_ROLE}")
        self.db_name = name

    def stop_app(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()
        self.procs.clear()

    # --- the application's processes -------------------------------------------------------------

    def start_web(self, *, workers: int = 3) -> str:
        """gunicorn as the Dockerfile runs it: sync workers (one request each, no keep-alive).
        The timeout is 60 s rather than 30 because this machine is shared and loaded; the control
        socket is off, since its default path is shared by every gunicorn on the machine."""
        self.web_port = free_port()
        argv = [str(VENV_BIN / "gunicorn"), "skillsmap.wsgi", "-b", f"127.0.0.1:{self.web_port}"]
        argv += ["-w", str(workers), "--timeout", "60", "--graceful-timeout", "5"]
        argv += ["--no-control-socket", "--access-logfile", "-"]
        self.procs["web"] = spawn("web", argv, env=self.env(), log=self.root / "web.log")
        wait_until(lambda: self._healthy(), timeout=60, what="gunicorn /healthz")
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _healthy(self) -> bool:
        if not self.procs["web"].alive():
            raise RuntimeError(f"gunicorn exited:\n{self.procs['web'].output()[-3000:]}")
        try:
            url = f"{self.base_url}/healthz"
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  our own http URL
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def start_worker(self, name: str = "worker") -> Proc:
        # The solo pool runs the task in the worker's own process, so killing that process kills
        # the task mid-flight: a machine or container dying, not one pool child.
        proc = spawn(
            name,
            [
                str(VENV_BIN / "celery"),
                "-A",
                "skillsmap",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "-n",
                f"{name}-{free_port()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=self.env(),
            log=self.root / f"{name}.log",
        )
        self.procs[name] = proc
        wait_until(
            lambda: "ready." in proc.output() or not proc.alive(), timeout=60, what="celery worker"
        )
        if not proc.alive():
            raise RuntimeError(f"celery worker exited:\n{proc.output()[-3000:]}")
        return proc

    def start_beat(self) -> Proc:
        proc = spawn(
            "beat",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "skillsmap",
                "beat",
                "--loglevel",
                "INFO",
                "--pidfile",
                str(self.root / "beat.pid"),
            ],
            env=self.env(),
            log=self.root / "beat.log",
        )
        self.procs["beat"] = proc
        wait_until(
            lambda: "beat: Starting" in proc.output() or not proc.alive(),
            timeout=60,
            what="celery beat",
        )
        if not proc.alive():
            raise RuntimeError(f"celery beat exited:\n{proc.output()[-3000:]}")
        return proc

    def logs(self) -> str:
        """Every process's log, for a failure message."""
        parts = []
        for log in sorted(self.root.rglob("*.log")):
            with contextlib.suppress(OSError):
                parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def close(self) -> None:
        self.stop_app()
        if self.bouncer is not None:
            self.bouncer.stop()
        self.redis.close()
        self.pg.close()
        if os.environ.get("KEEP_RELIABILITY_DIR"):
            print(f"kept {self.root}", file=sys.stderr)
            return
        shutil.rmtree(self.root, ignore_errors=True)
