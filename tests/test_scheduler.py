"""`sokbo schedule` for real: a scheduler process with second-level schedules crawls
fixture sites on 127.0.0.1, each run in a child process of its own."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import frontmatter
import pytest
from apscheduler.triggers.interval import IntervalTrigger

from sokbo.config import load_config
from sokbo.schedule.jobs import next_runs
from tests.support.cli import run_sokbo
from tests.support.configs import write_config
from tests.support.fixture_server import FixtureServer, serve_fixture
from tests.support.scheduling import Job, Scheduled, jobs, run_rows, set_jobs, wait_until
from tests.support.sites import SITES, expected

pytestmark = pytest.mark.e2e

# Never fetched: sources on an hourly schedule do not run while a test lasts.
NOWHERE = "http://127.0.0.1:9"


def feed(base: str, path: str, schedule: str) -> str:
    return f'kind = "feed"\nstart_urls = ["{base}{path}"]\nschedule = "{schedule}"\njitter = "0s"'


def finished(folder: Path, source_id: str) -> list[dict[str, Any]]:
    return [row for row in run_rows(folder, source_id) if row["reason"] == "finished"]


def overlapping(rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    ordered = sorted(rows, key=lambda row: row["started"])
    return [
        (earlier["id"], later["id"])
        for earlier, later in pairwise(ordered)
        if later["started"] < earlier["finished"]
    ]


@dataclass(frozen=True)
class Observed:
    exit_status: int
    log: str
    runs: list[dict[str, Any]]
    jobs: dict[str, Job]


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    """Two sources every 1 s and 2 s, one of them slow, until each has run twice."""
    folder = tmp_path_factory.mktemp("scheduled")
    with (
        serve_fixture(SITES / "jsonfeed", delay=0.5) as slow,
        serve_fixture(SITES / "rdf-feed") as quick,
    ):
        sources = {
            "slow": feed(slow.base_url, "/feed.json", "every 1s"),
            "quick": feed(quick.base_url, "/index.rdf", "every 2s"),
        }
        config = write_config(folder, sources, schedule='stop_grace = "20s"')
        with Scheduled(config) as scheduler:
            wait_until(
                lambda: len(finished(folder, "slow")) >= 2 and len(finished(folder, "quick")) >= 2,
                90,
                "two runs of each source",
            )
            status = scheduler.stop()
            log = scheduler.log()
    return Observed(status, log, run_rows(folder), jobs(folder))


def test_runs_happen_and_are_recorded(scheduled: Observed) -> None:
    assert scheduled.exit_status == 0, scheduled.log
    assert set(scheduled.jobs) == {"crawl:slow", "crawl:quick"}
    for source_id in ("slow", "quick"):
        rows = [row for row in scheduled.runs if row["source_id"] == source_id]
        assert len(rows) >= 2
        assert [(r["reason"], r["exit_status"], r["errors"]) for r in rows] == [
            ("finished", 0, None)
        ] * len(rows)
        assert rows[0]["stats"]["sokbo/articles/new"] == 3
        # One line when a run starts and one when it ends, with its figures.
        starts = re.findall(rf"{source_id}: run started \(pid \d+\)", scheduled.log)
        ends = re.findall(
            rf"{source_id}: run ended in [\d.]+ s \(crawl [\d.]+ s, exit 0\): (\d+) pages, "
            r"(\d+) new, (\d+) updated, (\d+) unchanged, (\d+) dropped; errors: none",
            scheduled.log,
        )
        assert len(starts) == len(ends) == len(rows)
        assert ends[0] == ("3", "3", "0", "0", "0")
        assert ends[1] == ("0", "0", "0", "0", "0"), "the second run found nothing new"
    assert "scheduler stopped" in scheduled.log


def test_a_slow_run_is_not_overlapped(scheduled: Observed) -> None:
    slow = [row for row in scheduled.runs if row["source_id"] == "slow"]
    assert overlapping(slow) == []
    # Each run takes longer than the interval: the runs due meanwhile were skipped.
    assert re.search(r"slow: run due at .* skipped: the previous run is still going", scheduled.log)


def test_restart_keeps_one_job_per_source_and_a_removed_source_loses_its_job(
    tmp_path: Path,
) -> None:
    hourly = {name: feed(NOWHERE, f"/{name}.xml", "every 1h") for name in ("a", "b")}
    config = write_config(tmp_path, hourly)
    with Scheduled(config) as first:
        first.wait_for(r"; next run ", count=2)
        assert first.stop() == 0
    before = jobs(tmp_path)
    assert {key: job.name for key, job in before.items()} == {
        "crawl:a": "a: every 1h, jitter 0s",
        "crawl:b": "b: every 1h, jitter 0s",
    }

    with Scheduled(config) as second:
        second.wait_for(r"; next run ", count=2)
        assert second.stop() == 0
        assert "jobs: " not in second.log(), "an unchanged job was added or replaced"
    after = jobs(tmp_path)
    assert {k: (j.name, j.next_run_time) for k, j in after.items()} == {
        k: (j.name, j.next_run_time) for k, j in before.items()
    }, "a restart must keep the jobs and their next run times"

    write_config(tmp_path, {"a": hourly["a"]})
    with Scheduled(config) as third:
        third.wait_for(r"jobs: removed crawl:b \(its source is no longer in the config\)")
        third.wait_for(r"; next run ")
        assert third.stop() == 0
    assert set(jobs(tmp_path)) == {"crawl:a"}
    assert jobs(tmp_path)["crawl:a"].next_run_time == before["crawl:a"].next_run_time


def test_a_restart_honours_the_misfire_grace(tmp_path: Path) -> None:
    with serve_fixture(SITES / "rdf-feed") as server:
        sources = {
            name: feed(server.base_url, "/index.rdf", "every 1h") for name in ("late", "due")
        }
        config = write_config(tmp_path, sources, schedule='misfire_grace = "20s"')
        with Scheduled(config) as first:
            first.wait_for(r"; next run ", count=2)
            assert first.stop() == 0
        # The scheduler was down while both came due: one 2 minutes ago, one just now.
        now = datetime.now(UTC)
        set_jobs(
            tmp_path,
            {
                "crawl:late": {"next_run_time": now - timedelta(minutes=2)},
                "crawl:due": {"next_run_time": now - timedelta(seconds=1)},
            },
        )
        with Scheduled(config) as second:
            second.wait_for(
                r"late: run due at .* skipped: missed by 2m\d*s? "
                r"\(more than \[schedule\] misfire_grace 20s\)"
            )
            second.wait_for(r"due: run ended")
            assert second.stop() == 0
    assert [row["source_id"] for row in run_rows(tmp_path)] == ["due"]
    # Both go on with their schedule: the next runs are about an hour away.
    upcoming = next_runs(load_config(config))
    for name in ("late", "due"):
        when = upcoming[name]
        assert when is not None and timedelta(minutes=55) < when - now < timedelta(minutes=61)


def parse_posts(folder: Path) -> dict[str, frontmatter.Post]:
    """Every post, parsed; no temporary file may be left beside them or the feeds."""
    site = folder / "sites/out"
    leftovers = [p for p in site.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == [], "a half-written file was left"
    found = {}
    for path in sorted((site / "_posts").glob("*.md")):
        post = frontmatter.load(path)
        assert post["title"] and post.content.strip(), path
        url = str(post["source_url"])
        found[url[url.index("/", len("http://")) :]] = post
    return found


LISTING = """kind = "listing"
start_urls = ["{base}/"]
links.region = [".post-list"]
links.pagination = ["nav.pagination a.next"]
schedule = "every 1s"
jitter = "0s\""""


def _under_way(server: FixtureServer, articles: set[str]) -> None:
    """Wait until the crawl has fetched two of the site's articles."""
    wait_until(
        lambda: sum(path in articles for path in server.paths()) >= 2,
        60,
        "the crawl to be under way",
    )


def test_sigterm_during_a_run_exits_0_and_the_next_run_resumes(tmp_path: Path) -> None:
    articles = set(expected("wordpress-listing")["articles"])
    with serve_fixture(SITES / "wordpress-listing", delay=0.4) as server:
        config = write_config(
            tmp_path, {"src": LISTING.format(base=server.base_url)}, schedule='stop_grace = "1s"'
        )
        with Scheduled(config) as scheduler:
            _under_way(server, articles)
            assert scheduler.stop() == 0, scheduler.log()
            log = scheduler.log()
        first = [path for path in server.paths() if path in articles]
        assert 2 <= len(first) < len(articles), "the stop came too late to test"
        assert re.search(r"src still running after 1s; stopping \(SIGINT\)", log), log
        (stopped,) = run_rows(tmp_path)
        assert stopped["reason"] == "shutdown"
        assert stopped["exit_status"] == 1
        assert stopped["errors"].startswith("scheduler stopped (SIGTERM); stopped: shutdown")
        assert (tmp_path / "data/jobs/src").is_dir(), "the job must stay resumable"
        assert 0 < len(parse_posts(tmp_path)) < len(articles)

        with Scheduled(config) as again:
            wait_until(lambda: finished(tmp_path, "src"), 60, "the resumed run to finish")
            assert again.stop() == 0
        fetched = Counter(path for path in server.paths() if path in articles)
    assert fetched == Counter(articles), "an article was fetched twice or never"
    assert set(parse_posts(tmp_path)) == articles
    assert not (tmp_path / "data/jobs/src").exists(), "a finished job must not resume again"


def test_a_stop_does_not_wait_forever_for_a_store_that_does_not_answer(tmp_path: Path) -> None:
    """A crawl under way when the store stops answering (here another process holds its
    write lock; the store would wait 5 minutes): SIGTERM stops the crawl (SIGINT, then
    SIGKILL), waits kill_grace for the run to record its end, then says why it gives up
    and exits 1, at once; the next start closes the run record left open."""
    articles = set(expected("wordpress-listing")["articles"])
    with serve_fixture(SITES / "wordpress-listing", delay=0.4) as server:
        config = write_config(
            tmp_path,
            {"src": LISTING.format(base=server.base_url)},
            schedule='stop_grace = "1s"\nkill_grace = "2s"',
        )
        config.write_text(config.read_text("utf-8") + '\n[store]\nbusy_timeout = "5m"\n')
        with Scheduled(config) as scheduler:
            _under_way(server, articles)
            holder = sqlite3.connect(tmp_path / "data" / "sokbo.db", isolation_level=None)
            try:
                holder.execute("BEGIN IMMEDIATE")  # the store's write lock, held
                started = time.monotonic()
                assert scheduler.stop(timeout=60) == 1, scheduler.log()
                took = time.monotonic() - started
            finally:
                holder.close()
            log = scheduler.log()
        assert took < 30, f"the stop took {took:.0f} s"
        assert re.search(
            r"ERROR sokbo\.scheduler: 1 run could not record how its crawl ended within 2s "
            r"\(is the store answering\?\); stopping without waiting longer: the next start "
            r"closes its record",
            log,
        ), log
        with Scheduled(config) as again:
            again.wait_for(r"closed 1 run records left open by a scheduler that stopped")
            # Said before the scheduler handles signals: a SIGTERM then is Python's own.
            again.wait_for(r"scheduler starting \(pid")
            assert again.stop() == 0


def test_a_second_sigterm_stops_the_running_crawl_at_once(tmp_path: Path) -> None:
    articles = set(expected("wordpress-listing")["articles"])
    with serve_fixture(SITES / "wordpress-listing", delay=0.4) as server:
        # A grace period the test would notice waiting out.
        config = write_config(
            tmp_path, {"src": LISTING.format(base=server.base_url)}, schedule='stop_grace = "5m"'
        )
        with Scheduled(config) as scheduler:
            _under_way(server, articles)
            scheduler.process.send_signal(signal.SIGTERM)
            scheduler.wait_for(r"SIGTERM: taking no new runs; src may finish within 5m")
            started = time.monotonic()
            # To a thread other than the main one, which waits for the crawl meanwhile.
            scheduler.signal_a_worker_thread(signal.SIGTERM)
            assert scheduler.exit_status(60, "of a second SIGTERM") == 0, scheduler.log()
            assert time.monotonic() - started < 60
            log = scheduler.log()
    assert "SIGTERM again: stopping the running crawls now (SIGINT)" in log, log
    (stopped,) = run_rows(tmp_path)
    assert stopped["reason"] == "shutdown"
    assert stopped["errors"].startswith("scheduler stopped (SIGTERM twice)"), stopped
    assert (tmp_path / "data/jobs/src").is_dir(), "the job must stay resumable"


def test_a_manual_crawl_during_a_scheduled_run_exits_3_or_waits(tmp_path: Path) -> None:
    with serve_fixture(SITES / "jsonfeed", delay=1.0) as server:
        config = write_config(tmp_path, {"src": feed(server.base_url, "/feed.json", "every 2s")})
        with Scheduled(config) as scheduler:
            started = r"src: run started \(pid (\d+)\)"
            scheduler.wait_for(started)
            wait_until(server.paths, 30, "the scheduled crawl's first request")
            busy = run_sokbo("--config", str(config), "crawl", "src", cwd=tmp_path)
            assert busy.returncode == 3, busy.stderr
            holder = re.fullmatch(
                r"sokbo crawl: source 'src' is already being crawled \(pid (\d+), "
                r"since \d\d:\d\d:\d\d UTC\); try later or pass --wait\n",
                busy.stderr,
            )
            assert holder, busy.stderr
            # The scheduled run going then: on a slow machine the first may have ended
            # (every 2 s) before this crawl started, and the next one holds the source.
            assert holder.group(1) in re.findall(started, scheduler.log()), busy.stderr

            waited = run_sokbo(
                "--config", str(config), "crawl", "src", "--wait", "60", cwd=tmp_path
            )
            assert waited.returncode == 0, waited.stdout + waited.stderr
            assert scheduler.stop() == 0
    rows = run_rows(tmp_path)
    assert len(rows) >= 2 and all(row["reason"] == "finished" for row in rows)
    assert overlapping(rows) == []


def busy_and_quiet_sites(root: Path) -> tuple[Path, Path]:
    """A JSON Feed site publishing every 3 minutes, and one with two items a day old."""

    def site(name: str, minutes_ago: list[int]) -> Path:
        folder = root / name
        items: list[dict[str, str]] = []
        for number, minutes in enumerate(minutes_ago):
            when = f"__NOW-{minutes}m__"
            page = folder / "posts" / str(number) / "index.html"
            page.parent.mkdir(parents=True)
            page.write_text(
                f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">'
                f'<meta property="og:type" content="article">'
                f'<meta property="og:title" content="{name} 기사 {number}">'
                f'<meta property="article:published_time" content="{when}"></head>'
                f"<body><article><h1>{name} 기사 {number}</h1>"
                f"<p>{name} 소식 {number}번째 본문입니다. 충분히 긴 문장으로 씁니다.</p>"
                f"</article></body></html>",
                encoding="utf-8",
            )
            items.append(
                {
                    "id": f"__BASE__/posts/{number}/",
                    "url": f"__BASE__/posts/{number}/",
                    "title": f"{name} 기사 {number}",
                    "date_published": when,
                    "content_html": f"<p>{name} {number}</p>",
                }
            )
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": name, "items": items}
        (folder / "feed.json").write_text(json.dumps(feed, ensure_ascii=False), encoding="utf-8")
        return folder

    return site("busy", [3 * n + 1 for n in range(10)]), site("quiet", [20 * 60, 23 * 60])


def test_the_adaptive_interval_follows_each_source(tmp_path: Path) -> None:
    busy_root, quiet_root = busy_and_quiet_sites(tmp_path / "sites")
    adaptive = 'schedule = "adaptive"\njitter = "0s"\nmin_interval = "30s"\nmax_interval = "1h"'
    with serve_fixture(busy_root) as busy, serve_fixture(quiet_root) as quiet:
        sources = {
            "busy": f'kind = "feed"\nstart_urls = ["{busy.base_url}/feed.json"]\n{adaptive}',
            "quiet": f'kind = "feed"\nstart_urls = ["{quiet.base_url}/feed.json"]\n{adaptive}',
        }
        config = write_config(tmp_path / "run", sources)
        folder = config.parent
        with Scheduled(config) as first:  # no article yet: both start at max_interval
            first.wait_for(r"; next run ", count=2)
            assert first.stop() == 0
        assert {job.state["trigger"].interval for job in jobs(folder).values()} == {
            timedelta(hours=1)
        }
        # Both at a middle pace of 10 minutes, and due now.
        every = IntervalTrigger(minutes=10, timezone=UTC)
        due = {"next_run_time": datetime.now(UTC), "trigger": every}
        set_jobs(folder, {"crawl:busy": due, "crawl:quiet": due})
        with Scheduled(config) as second:
            second.wait_for(r"busy: adaptive interval 10m -> 1m30s")
            second.wait_for(r"quiet: adaptive interval 10m -> 1h")
            assert second.stop() == 0
    intervals = {key: job.state["trigger"].interval for key, job in jobs(folder).items()}
    # Busy: an article every 3 minutes, polled at half that. Quiet: as seldom as allowed.
    assert intervals == {"crawl:busy": timedelta(seconds=90), "crawl:quiet": timedelta(hours=1)}
    upcoming = next_runs(load_config(config))
    now = datetime.now(UTC)
    assert upcoming["busy"] is not None and upcoming["busy"] - now < timedelta(seconds=91)
    assert upcoming["quiet"] is not None and upcoming["quiet"] - now > timedelta(minutes=55)


def test_sighup_reloads_a_good_config_keeps_jobs_on_a_bad_one_one_scheduler_per_store(
    tmp_path: Path,
) -> None:
    hourly = {name: feed(NOWHERE, f"/{name}.xml", "every 1h") for name in ("a", "b")}
    config = write_config(tmp_path, hourly)
    with Scheduled(config) as scheduler:
        scheduler.wait_for(r"; next run ", count=2)
        with Scheduled(config) as second:
            assert second.process.wait(timeout=30) == 3, "one scheduler per store"
        assert re.search(
            rf"another scheduler is running on this store \(pid {scheduler.pid}, since "
            r"\d\d:\d\d:\d\d UTC\); not starting",
            (tmp_path / "scheduler.out").read_text("utf-8"),
        )

        write_config(tmp_path, {"a": feed(NOWHERE, "/a.xml", "*/30 * * * *")})
        scheduler.process.send_signal(signal.SIGHUP)
        scheduler.wait_for(r"SIGHUP: reloaded .*sokbo\.toml: removed crawl:b")
        reloaded = jobs(tmp_path)
        assert {key: job.name for key, job in reloaded.items()} == {
            "crawl:a": "a: cron '*/30 * * * *' Asia/Seoul, jitter 0s"
        }

        config.write_text(config.read_text("utf-8").replace('kind = "feed"', 'kind = "fed"'))
        scheduler.process.send_signal(signal.SIGHUP)
        scheduler.wait_for(r"SIGHUP: .*sokbo\.toml has errors; keeping the current jobs")
        assert "source 'a': kind" in scheduler.log()
        assert {k: (j.name, j.next_run_time) for k, j in jobs(tmp_path).items()} == {
            k: (j.name, j.next_run_time) for k, j in reloaded.items()
        }
        assert scheduler.stop() == 0


def test_a_signal_the_kernel_hands_to_another_thread_is_acted_on_at_once(
    tmp_path: Path,
) -> None:
    """Python runs signal handlers in the main thread, but the kernel may deliver a signal
    sent to the process to any of its threads. Nothing is due for an hour: the main
    thread's wait for the next job must not hold the signal back for that hour."""
    config = write_config(tmp_path, {"a": feed(NOWHERE, "/a.xml", "every 1h")})
    with Scheduled(config) as scheduler:
        scheduler.wait_for(r"; next run ")
        write_config(tmp_path, {"a": feed(NOWHERE, "/a.xml", "every 2h")})
        scheduler.signal_a_worker_thread(signal.SIGHUP)
        scheduler.wait_for(r"SIGHUP: reloaded .*: rescheduled crawl:a", timeout=5)
        scheduler.signal_a_worker_thread(signal.SIGTERM)
        scheduler.wait_for(r"SIGTERM: taking no new runs; no crawl is running", timeout=5)
        assert scheduler.exit_status(10, "of SIGTERM") == 0


@pytest.mark.parametrize("script", [False, True], ids=["sokbo schedule", "scheduler.py"])
def test_a_bad_config_at_start_exits_2(tmp_path: Path, script: bool) -> None:
    config = write_config(tmp_path, {"a": feed(NOWHERE, "/a.xml", "every 0s")})
    with Scheduled(config, script=script) as scheduler:
        assert scheduler.process.wait(timeout=30) == 2
    output = (tmp_path / "scheduler.out").read_text("utf-8")
    assert "source 'a': schedule: interval shorter than one second" in output
    assert jobs(tmp_path) == {}


@pytest.mark.parametrize("script", [False, True], ids=["sokbo schedule", "scheduler.py"])
def test_a_store_without_its_driver_exits_2(tmp_path: Path, script: bool) -> None:
    config = write_config(
        tmp_path,
        {"a": feed(NOWHERE, "/a.xml", "every 1h")},
        store="postgresql+psycopg2://u@127.0.0.1/db",
    )
    with Scheduled(config, script=script) as scheduler:
        assert scheduler.process.wait(timeout=30) == 2
    output = (tmp_path / "scheduler.out").read_text("utf-8")
    assert "store: url: no database driver for 'postgresql' is installed" in output, output


@pytest.mark.postgres
def test_on_postgresql_the_jobs_live_in_the_store_database(
    tmp_path: Path,
    postgres_db: str,
) -> None:
    hourly = {name: feed(NOWHERE, f"/{name}.xml", "every 1h") for name in ("a", "b")}
    config = write_config(tmp_path, hourly, store=postgres_db)
    for _restart in range(2):
        with Scheduled(config) as scheduler:
            scheduler.wait_for(r"; next run ", count=2)
            assert scheduler.stop() == 0
    assert scheduler.log().count("jobs: ") == 0, "the restart kept both jobs"
    assert "jobs in postgresql+psycopg://" in scheduler.log()
    upcoming = next_runs(load_config(config))
    now = datetime.now(UTC)
    for name in ("a", "b"):
        when = upcoming[name]
        assert when is not None and timedelta(minutes=58) < when - now <= timedelta(hours=1)
    assert not (tmp_path / "data/scheduler.db").exists()


def test_a_job_store_that_cannot_be_opened_exits_1(tmp_path: Path) -> None:
    unreachable = 'jobstore = "postgresql+psycopg://nobody@127.0.0.1:9/sokbo"'
    config = write_config(tmp_path, {"a": feed(NOWHERE, "/a.xml", "every 1h")}, unreachable)
    with Scheduled(config) as scheduler:
        assert scheduler.process.wait(timeout=30) == 1
        assert "scheduler stopped: the scheduler failed: (psycopg.OperationalError)" in (
            scheduler.log()
        )
