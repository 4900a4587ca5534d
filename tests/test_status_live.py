"""`sokbo status` says what is live, read from the locks without taking them: the crawl
running now and the scheduler (pid, host, since), no next run while no scheduler runs,
and a store not made yet said in a line, with nothing created."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from sokbo.config import load_config
from sokbo.schedule.jobs import next_runs
from tests.support.cli import run_sokbo
from tests.support.configs import write_config
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import Scheduled, jobs, wait_until
from tests.support.sites import SITES

pytestmark = pytest.mark.e2e

NOWHERE = "http://127.0.0.1:9"  # never fetched: the sources are hourly
NO_SCHEDULER = "scheduler: not running: no source runs until `sokbo schedule` starts"
SINCE = r"since \d\d:\d\d:\d\d UTC"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """'' for the default SQLite store under the config's folder, else a fresh database."""
    if request.param == "sqlite":
        return ""
    url: str = request.getfixturevalue("postgres_db")
    return url


def hourly(base: str, path: str) -> str:
    return f'kind = "feed"\nstart_urls = ["{base}{path}"]\nschedule = "every 1h"\njitter = "0s"'


def status(config: Path) -> tuple[list[str], dict[str, Any]]:
    """`sokbo status` and `sokbo status --json`, both exiting 0."""
    table = run_sokbo("--config", str(config), "status", cwd=config.parent)
    assert table.returncode == 0, table.stdout + table.stderr
    machine = run_sokbo("--config", str(config), "status", "--json", cwd=config.parent)
    assert machine.returncode == 0, machine.stdout + machine.stderr
    data: dict[str, Any] = json.loads(machine.stdout)
    return table.stdout.splitlines(), data


def by_source(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["source"]: row for row in data["sources"]}


def row_of(lines: list[str], source_id: str) -> list[str]:
    return next(line.split() for line in lines if line.split()[:1] == [source_id])


def test_status_names_the_crawl_and_the_scheduler_running_now(
    tmp_path: Path, store_url: str
) -> None:
    # A site that answers after a minute: the crawl stays at its first request while the
    # test looks at it.
    with serve_fixture(SITES / "rdf-feed", delay=60) as stalled:
        sources = {"busy": hourly(stalled.base_url, "/index.rdf"), "idle": hourly(NOWHERE, "/")}
        config = write_config(tmp_path, sources, store=store_url)
        # A crawl's lock is a file on this machine; PostgreSQL sees the crawl's address.
        host = "127.0.0.1" if store_url else socket.gethostname()
        with Scheduled(config) as scheduler:
            scheduler.wait_for(r"; next run ", count=2)
            crawl = subprocess.Popen(
                [sys.executable, "-m", "sokbo", "--config", str(config), "crawl", "busy"],
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                wait_until(lambda: stalled.log, 60, "the crawl's first request")
                lines, data = status(config)
            finally:
                os.killpg(crawl.pid, signal.SIGKILL)
                crawl.wait()
            where = rf"on {re.escape(host)} \(pid {{pid}}, {SINCE}\)"
            assert re.fullmatch(
                "scheduler: running " + where.format(pid=scheduler.pid), lines[-2]
            ), lines
            assert re.fullmatch(
                r"crawling now: busy for \d+s " + where.format(pid=crawl.pid), lines[-1]
            ), lines
            # The scheduler runs: the next runs from its job store are shown.
            for source_id in ("busy", "idle"):
                assert row_of(lines, source_id)[-4:-2] in (["in", "59m"], ["in", "1h"]), lines
            assert data["store_exists"] is True
            assert data["scheduler"] | {"since": None} == {
                "running": True,
                "pid": scheduler.pid,
                "host": host,
                "since": None,
            }
            assert data["scheduler"]["since"].endswith("Z")
            rows = by_source(data)
            assert rows["busy"]["crawling"] | {"since": None} == {
                "pid": crawl.pid,
                "host": host,
                "since": None,
            }
            assert rows["idle"]["crawling"] is None
            assert rows["busy"]["next_run"] and rows["idle"]["next_run"]

            # Killed, the crawl no longer runs, even where its lock file still names it.
            if not store_url:
                named = (tmp_path / "data/locks/busy.lock").read_text("utf-8")
                assert named.startswith(f"{crawl.pid} ")

            def crawl_gone() -> list[str]:
                lines, data = status(config)
                return lines if by_source(data)["busy"]["crawling"] is None else []

            lines = wait_until(crawl_gone, 30, "the killed crawl to be no longer shown")
            assert not any(line.startswith("crawling now:") for line in lines), lines
            assert lines[-1].startswith("scheduler: running "), lines
            assert scheduler.stop() == 0

    # No scheduler: its job store still holds the next runs, which now say nothing.
    if store_url:
        assert all(next_runs(load_config(config)).values())
    else:
        assert all(job.next_run_time for job in jobs(tmp_path).values())
    lines, data = status(config)
    assert lines[-1] == NO_SCHEDULER, lines
    for source_id in ("busy", "idle"):
        assert row_of(lines, source_id)[-3:] == ["-", "every", "1h"], lines
    assert data["scheduler"] == {"running": False, "pid": None, "host": None, "since": None}
    assert [row["next_run"] for row in data["sources"]] == [None, None]
    assert [row["crawling"] for row in data["sources"]] == [None, None]


def tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_status_before_any_run_says_so_and_creates_nothing(tmp_path: Path, store_url: str) -> None:
    database = tmp_path / "not/made/yet/sokbo.db"
    config = write_config(tmp_path, {"src": hourly(NOWHERE, "/")}, store=store_url)
    if not store_url:  # a store whose folders do not exist either
        text = config.read_text("utf-8")
        config.write_text(f'[store]\nurl = "sqlite:///{database}"\n{text}', "utf-8")
    before = tree(tmp_path)

    lines, data = status(config)

    missing = f"{store_url} has no tables yet" if store_url else f"{database} does not exist"
    assert lines == [f"no runs yet: the store {missing}", NO_SCHEDULER]
    assert data["store_exists"] is False
    assert data["scheduler"]["running"] is False
    (row,) = data["sources"]
    assert (row["source"], row["last_run"], row["next_run"], row["crawling"]) == (
        "src",
        None,
        None,
        None,
    )
    assert tree(tmp_path) == before  # no store, no state_dir, no job store
    if store_url:
        engine = create_engine(store_url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()


def test_status_of_a_store_that_could_not_be_made_is_no_runs_yet(tmp_path: Path) -> None:
    """A store that `crawl` could not create either (its folder is under a file) is for
    status no environment problem: nothing has run, and it says so."""
    (tmp_path / "afile").write_text("not a folder\n")
    database = tmp_path / "afile/sokbo.db"
    config = write_config(tmp_path, {"src": hourly(NOWHERE, "/")})
    text = config.read_text("utf-8")
    config.write_text(f'[store]\nurl = "sqlite:///{database}"\n{text}', "utf-8")

    result = run_sokbo("--config", str(config), "status", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"no runs yet: the store {database} does not exist"
