"""A throwaway PostgreSQL server for tests, on 127.0.0.1 with its sockets in a temporary folder.

Use it from a test module with ``from pgserver import pg_fresh_url, pg_url  # noqa: F401`` (pytest
puts tests/ on sys.path). `pg_url` (session scope) starts one server per
test session; `pg_fresh_url` gives each test its own empty database on it; `fresh_database(pg_url)`
does the same on demand. PostgreSQL refuses to run as root, so as root the server runs as an
unprivileged user (`briefbot-pg`, created if missing, else `nobody`). Missing binaries fail the test
with a message, never a silent skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PgServer", "fresh_database", "pg_fresh_url", "pg_url", "start_server"]

PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
PG_USER = "briefbot-pg"
SUPERUSER = "briefbot"
DATABASE = "briefbot_test"
START_TIMEOUT_S = 60


class PgServerError(RuntimeError):
    """The test PostgreSQL server could not be set up."""


def _binary(name: str) -> str:
    for folder in PG_BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise PgServerError(
        f"PostgreSQL's `{name}` was not found in {', '.join(PG_BIN_DIRS)} or on PATH; install the "
        "PostgreSQL server (e.g. apt-get install postgresql) to run the PostgreSQL store tests"
    )


def _run_as() -> str | None:
    """The user to run the server as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    if not _user_exists(PG_USER):
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                       capture_output=True, check=False)
    return PG_USER if _user_exists(PG_USER) else "nobody"


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    root: Path
    port: int
    user: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self._cmd(*args), capture_output=True, text=True, check=False,
                              timeout=START_TIMEOUT_S, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgServerError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")
        return done

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(self._cmd(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                           capture_output=True, check=False, timeout=START_TIMEOUT_S)


def start_server() -> PgServer:
    """initdb into a new temporary folder and start postgres on a free loopback port."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    _binary("postgres")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="briefbot-pg-"))
    if user:
        info = pwd.getpwnam(user)
        os.chown(root, info.pw_uid, info.pw_gid)
    server = PgServer(root, 0, user)
    server.run(initdb, "-D", str(server.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
               "--locale=C", "--no-sync")
    last: Exception | None = None
    for _ in range(3):  # the free port can be taken between choosing and binding it
        server.port = _free_port()
        options = (f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50")
        try:
            server.run(pg_ctl, "-D", str(server.data), "-o", options, "-l", str(root / "server.log"),
                       "-t", str(START_TIMEOUT_S), "-w", "start")
        except PgServerError as exc:
            last = exc
            continue
        _create_database(server.url("postgres"), DATABASE)
        return server
    shutil.rmtree(root, ignore_errors=True)
    raise PgServerError(f"PostgreSQL did not start: {last}")


def _create_database(admin_url: str, name: str) -> None:
    import psycopg

    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def fresh_database(pg_url: str, prefix: str = "t") -> str:
    """Create a new empty database on the server of `pg_url` and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    base, _, _ = pg_url.rpartition("/")
    _create_database(f"{base}/postgres", name)
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a database on a PostgreSQL server that lives for the test session."""
    try:
        server = start_server()
    except PgServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server.url()
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture()
def pg_fresh_url(pg_url: str) -> str:
    """URL of a new, empty database for one test (on the session's server)."""
    return fresh_database(pg_url)
