"""A throwaway PostgreSQL server for tests, on 127.0.0.1 with its sockets in a temporary folder.

Use it from a test module with ``from pgserver import fresh_database, pg_url  # noqa: F401`` (pytest
puts tests/ on sys.path). `pg_url` (session scope) starts one server per test session, shared by
every module that imports it; `pg_fresh_url` gives one test its own empty database on it, and
`fresh_database(pg_url)` / `drop_database(url)` do the same on demand.

PostgreSQL refuses to run as root, so as root the server runs as an unprivileged user
(`briefbot-pg`, created if missing, else `nobody`). The postmaster is a direct child of the test
process with a parent-death signal, so a killed test run does not leave a server behind; folders
left by such runs are removed by the next one. Missing binaries fail the test with a message,
never a silent skip.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = [
    "PgServer",
    "PgServerError",
    "drop_database",
    "fresh_database",
    "pg_fresh_url",
    "pg_url",
    "start_server",
]

PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
PG_USER = "briefbot-pg"
SUPERUSER = "briefbot"
DATABASE = "briefbot_test"
ROOT_PREFIX = "briefbot-pg-"
START_TIMEOUT_S = 60
STALE_AFTER_S = 600
PR_SET_PDEATHSIG = 1


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


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _server_user() -> pwd.struct_passwd | None:
    """The account to run the server as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    if not _user_exists(PG_USER):
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            capture_output=True,
            check=False,
        )
    return pwd.getpwnam(PG_USER if _user_exists(PG_USER) else "nobody")


def _demote(user: pwd.struct_passwd | None, die_with_parent: bool) -> Callable[[], None]:
    """Runs in the child before exec: drop root, then ask for SIGQUIT when the test process dies."""

    def preexec() -> None:
        if user is not None:
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
        if die_with_parent:  # after setuid: a credential change clears the parent-death signal
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)

    return preexec


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_roots(tmp: Path | None = None) -> None:
    """Delete server folders of earlier, killed runs: old enough and with no live postmaster."""
    for root in Path(tmp or tempfile.gettempdir()).glob(ROOT_PREFIX + "*"):
        try:
            if time.time() - root.stat().st_mtime < STALE_AFTER_S:
                continue
            pid_file = root / "data" / "postmaster.pid"
            if pid_file.exists() and _pid_alive(int(pid_file.read_text().split()[0])):
                continue
        except (OSError, ValueError, IndexError):
            continue
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class PgServer:
    root: Path
    port: int
    user: pwd.struct_passwd | None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def stop(self) -> None:
        """Immediate shutdown (the data is thrown away, so no checkpoint), then remove the folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _initdb(server: PgServer) -> None:
    done = subprocess.run(
        [
            _binary("initdb"),
            "-D",
            str(server.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=START_TIMEOUT_S,
        cwd=server.root,
        preexec_fn=_demote(server.user, die_with_parent=False),
    )
    if done.returncode != 0:
        raise PgServerError(f"initdb failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _launch(server: PgServer) -> None:
    """Start the postmaster as our child and wait until it accepts connections."""
    import psycopg

    server.port = _free_port()
    with server.log.open("ab") as log:
        server.process = subprocess.Popen(
            [
                _binary("postgres"),
                "-D",
                str(server.data),
                "-p",
                str(server.port),
                "-k",
                str(server.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=100",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=server.root,
            preexec_fn=_demote(server.user, die_with_parent=True),
        )
    dsn = server.url("postgres").replace("postgresql+psycopg://", "postgresql://")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise PgServerError(f"postgres exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            psycopg.connect(dsn, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    server.process.kill()
    raise PgServerError(
        f"postgres did not accept connections within {START_TIMEOUT_S} s:\n{server.log_tail()}"
    )


def start_server() -> PgServer:
    """initdb into a new temporary folder and start postgres on a free loopback port."""
    for name in ("initdb", "postgres"):
        _binary(name)
    remove_stale_roots()
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PgServer(root, 0, user)
    try:
        _initdb(server)
        for attempt in range(3):  # the free port can be taken between choosing and binding it
            try:
                _launch(server)
                break
            except PgServerError:
                if attempt == 2:
                    raise
        _create_database(server.url("postgres"), DATABASE)
    except BaseException:
        server.stop()
        raise
    return server


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


def drop_database(url: str) -> None:
    """Drop a database made by `fresh_database`, closing any connection still open to it."""
    import psycopg

    base, _, name = url.rpartition("/")
    dsn = f"{base}/postgres".replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_shared: PgServer | None = None


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a database on a PostgreSQL server that lives for the test session.

    Importing this fixture into several modules registers it once per module; the server is still
    started once, by whichever asks first, and stopped at the end of the session.
    """
    global _shared
    owner = _shared is None
    if _shared is None:
        try:
            _shared = start_server()
        except PgServerError as exc:
            pytest.fail(str(exc), pytrace=False)
    server = _shared
    try:
        yield server.url()
    finally:
        if owner:
            server.stop()
            _shared = None


@pytest.fixture()
def pg_fresh_url(pg_url: str) -> Iterator[str]:
    """URL of a new, empty database for one test (on the session's server), dropped after it."""
    url = fresh_database(pg_url)
    yield url
    drop_database(url)
