"""A throwaway PostgreSQL database per test, on the local server (started if need be).

Import the fixture into a test module (``from tests.pg import postgres_db``) and ask for
it by name. Without a reachable server the test is skipped, or fails when ``CI`` is set:
a CI run must never pass by silently testing SQLite alone.
"""

from __future__ import annotations

import functools
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

HOST = "127.0.0.1"
PORT = 5432
USER = "postgres"
ADMIN_DSN = f"postgresql://{USER}@{HOST}:{PORT}/postgres"
START_WAIT_SECONDS = 20.0
ICU_OPTIONS = " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=3)


def _reachable() -> str | None:
    """None when the server answers, else why not."""
    try:
        with _admin():
            return None
    except psycopg.OperationalError as error:
        return str(error).strip() or type(error).__name__


def _start_local_cluster() -> str:
    """Start the newest cluster in /etc/postgresql; say what was tried."""
    root = Path("/etc/postgresql")
    names = [entry.name for entry in root.iterdir()] if root.is_dir() else []
    versions = sorted(
        (name for name in names if name.replace(".", "").isdigit()),
        key=lambda name: [int(part) for part in name.split(".")],
    )
    if not versions:
        return "no cluster under /etc/postgresql to start"
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`{' '.join(command)}` could not run: {error}"
    output = (done.stdout + done.stderr).strip()
    return f"`{' '.join(command)}` exited {done.returncode}" + (f": {output}" if output else "")


@functools.cache
def server_problem() -> str | None:
    """None once the server answers (starting it if needed); asked once per session."""
    problem = _reachable()
    if problem is None:
        return None
    started = _start_local_cluster()
    deadline = time.monotonic() + START_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if _reachable() is None:
            return None
    return (
        f"PostgreSQL at {HOST}:{PORT} is unreachable ({problem}); "
        f"tried to start it ({started}) and waited {START_WAIT_SECONDS:.0f} s"
    )


def require_server() -> None:
    problem = server_problem()
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the PostgreSQL tests must run: {problem}", pytrace=False)
    pytest.skip(f"no PostgreSQL server: {problem}")


@pytest.fixture
def postgres_db() -> Iterator[str]:
    """The SQLAlchemy URL of a fresh, empty database, dropped after the test.

    Close every engine on it before this fixture's teardown runs (depend on this fixture
    from the one that closes them); WITH (FORCE) still ends any connection left open.
    """
    require_server()
    name = f"sokbo_test_{secrets.token_hex(6)}"
    with _admin() as admin:
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        try:
            # A linguistic collation, as on most production servers (en_US.UTF-8), so
            # that code relying on the byte order of a "C" database fails here too.
            admin.execute(create + sql.SQL(ICU_OPTIONS))
        except psycopg.Error:  # before PostgreSQL 15, or built without ICU
            admin.execute(create)
    try:
        yield f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
