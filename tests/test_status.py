"""`sokbo status` (sokbo.ops.status): figures read from a real store, the table and the JSON."""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sokbo.config import Config
from sokbo.lock import LiveHolder
from sokbo.models import Article
from sokbo.ops.health import Tally
from sokbo.ops.status import (
    Alert,
    LastRun,
    Overview,
    SourceStatus,
    check_health,
    collect_status,
    format_table,
    last_run_from,
    read_history,
    read_last_run,
    to_json,
)
from sokbo.schedule import jobs
from sokbo.store import Store

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
GOOD = {"body": "generic", "image": "og:image", "published": "og:published", "title": "og:title"}
# A changed layout: the page still has its meta tags, but the body is only the feed's copy.
LOST = {"body": "feed", "image": "og:image", "published": "og:published", "title": "og:title"}
_SERIAL = itertools.count(1)


def config(*source_ids: str, adaptive: str = "", state_dir: Path = Path("data")) -> Config:
    sources = [
        {"id": name, "kind": "feed", "start_urls": [f"https://{name}.example/rss"]}
        for name in source_ids
    ]
    if adaptive:
        sources.append(
            {
                "id": adaptive,
                "kind": "feed",
                "start_urls": [f"https://{adaptive}.example/rss"],
                "schedule": "adaptive",
            }
        )
    return Config.model_validate({"crawl": {"state_dir": state_dir}, "source": sources})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sokbo.db'}"
    else:
        url = request.getfixturevalue("postgres_db")
    opened = Store(url)
    try:
        yield opened
    finally:
        opened.close()


def add_articles(
    store: Store, source_id: str, at: datetime, count: int, evidence: dict[str, str]
) -> None:
    """`count` new articles, stored at `at` by the same number of seconds apart."""
    for _ in range(count):
        number = next(_SERIAL)
        article = Article(
            url=f"https://{source_id}.example/{number}",
            source_id=source_id,
            title=f"기사 {number}",
            excerpt="요약",
            body_html="<p>본문</p>",
            published=at,
            evidence=tuple(sorted(evidence.items())),
        )
        store.upsert(article, at)


def add_run(
    store: Store,
    source_id: str,
    started: datetime,
    articles: int = 0,
    evidence: dict[str, str] = GOOD,
    stats: dict[str, Any] | None = None,
) -> None:
    """A run of one minute that stored `articles` new articles."""
    add_articles(store, source_id, started + timedelta(seconds=20), articles, evidence)
    counts = {"finish_reason": "finished", "sokbo/articles/new": articles} | (stats or {})
    store.record_run(source_id, started, started + timedelta(minutes=1), "finished", counts)


def steady_week(store: Store, source_id: str, now: datetime, per_day: int = 5) -> None:
    """A run a day for a week, each storing `per_day` articles with everything found."""
    for days in range(7, 0, -1):
        add_run(store, source_id, now - timedelta(days=days, minutes=5), per_day)


# -- reading runs ------------------------------------------------------------------------


def test_the_last_run_is_read_with_its_counts(store: Store) -> None:
    add_run(store, "yna", NOW - timedelta(hours=2), 1)
    add_run(
        store,
        "yna",
        NOW - timedelta(minutes=10),
        3,
        stats={
            "sokbo/articles/updated": 2,
            "sokbo/articles/unchanged": 7,
            "sokbo/dropped/no title found": 1,
            "sokbo/dropped/not an article (og:type website)": 2,
            "start_time": NOW,  # stored as text by record_run; never read as a count
        },
    )
    last = read_last_run(store, "yna")
    assert last == LastRun(
        started=NOW - timedelta(minutes=10),
        finished=NOW - timedelta(minutes=9),
        reason="finished",
        exit_status=0,
        errors=None,
        new=3,
        updated=2,
        dropped=3,
    )
    assert last.result == "ok"
    assert last.duration == timedelta(minutes=1)
    assert read_last_run(store, "never-ran") is None


def test_a_failed_run_says_what_went_wrong(store: Store) -> None:
    stats = {"sokbo/articles/new": 1, "sokbo/page_errors": 2}
    started = NOW - timedelta(minutes=40)
    store.record_run(
        "yna",
        started,
        started + timedelta(minutes=30),
        "shutdown",
        stats,
        exit_status=-15,
        errors="stopped: shutdown; 2 pages not fetched",
    )
    last = read_last_run(store, "yna")
    assert last is not None
    assert (last.exit_status, last.new, last.duration) == (-15, 1, timedelta(minutes=30))
    assert last.result == "killed by signal 15; stopped: shutdown; 2 pages not fetched"


@pytest.mark.parametrize(
    ("exit_status", "errors", "result"),
    [
        (0, None, "ok"),
        (1, "2 errors logged", "2 errors logged"),
        (1, None, "exit 1"),
        (2, "config: no source 'x'\nsecond line", "exit 2; config: no source 'x'"),
    ],
)
def test_the_result_names_exit_status_and_errors(
    exit_status: int, errors: str | None, result: str
) -> None:
    row = {"started": NOW, "finished": NOW, "reason": "finished", "stats": {}}
    assert last_run_from(row | {"exit_status": exit_status, "errors": errors}).result == result


def test_a_run_recorded_before_exit_statuses_gets_them_from_its_stats() -> None:
    row = {
        "started": NOW,
        "finished": NOW + timedelta(seconds=30),
        "reason": "shutdown",
        "stats": {"sokbo/page_errors": 2, "log_count/ERROR": 1},
        "exit_status": None,
        "errors": None,
    }
    run = last_run_from(row)
    assert (run.exit_status, run.errors) == (
        1,
        "stopped: shutdown; 1 error logged; 2 pages not fetched",
    )
    assert run.result == "stopped: shutdown; 1 error logged; 2 pages not fetched"


# -- health and alerts from the store -----------------------------------------------------


def test_a_steady_source_has_full_health_and_no_alert(store: Store) -> None:
    steady_week(store, "yna", NOW)
    add_run(store, "yna", NOW - timedelta(minutes=30), 4)
    last = read_last_run(store, "yna")
    found = read_history(store, "yna", NOW, last)
    new, health, reasons = found.new_last_24h, found.health, found.alerts
    assert (new, health, reasons) == (4, Tally(4, 4, 4, 4), ())


def test_a_source_whose_layout_changed_is_flagged_and_logged(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    steady_week(store, "yna", NOW)
    steady_week(store, "steady", NOW)
    add_run(store, "steady", NOW - timedelta(minutes=20), 5)
    # The body is no longer found on the page: only the feed's copy is left.
    add_run(store, "yna", NOW - timedelta(minutes=10), 4, LOST)
    with caplog.at_level(logging.WARNING, logger="sokbo.ops.health"):
        found = check_health(config("yna", "steady"), store, now=NOW)
    reason = "body found in 0% of the 4 articles of the last 24 h (usually 100%)"
    assert found == [Alert("yna", reason)]
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("sokbo.ops.health", "WARNING", f"source 'yna': {reason}")
    ]
    # Asked about one source only (as the scheduler does after its run), only it is read.
    caplog.clear()
    assert check_health(config("yna", "steady"), store, sources=["steady"], now=NOW) == []
    assert not caplog.records


def test_a_source_that_falls_silent_is_flagged(store: Store) -> None:
    steady_week(store, "yna", NOW - timedelta(days=2), per_day=12)
    add_run(store, "yna", NOW - timedelta(minutes=10), 0)
    found = check_health(config("yna"), store, now=NOW)
    assert found == [Alert("yna", "no new articles in the last 3 days (usually 12 a day)")]


def test_a_new_source_is_not_flagged(store: Store) -> None:
    # The first run takes the feed's whole backlog, some of it without a body.
    add_run(store, "yna", NOW - timedelta(minutes=10), 20, LOST)
    add_articles(store, "yna", NOW - timedelta(minutes=9), 20, GOOD)
    assert check_health(config("yna"), store, now=NOW) == []


def test_every_configured_source_is_listed_with_the_adaptive_interval(
    store: Store, tmp_path: Path
) -> None:
    now = datetime.now(UTC)  # adaptive polling reads the clock
    steady_week(store, "steady", now)
    add_run(store, "steady", now - timedelta(minutes=30), 4)
    # A busy adaptive source: an article every ten minutes for the last three hours.
    for minutes in range(180, 0, -10):
        add_articles(store, "busy", now - timedelta(minutes=minutes), 1, GOOD)
    chosen = config("steady", "never", adaptive="busy", state_dir=tmp_path)
    overview = collect_status(chosen, store, jobs, now)
    steady, never, busy = overview.sources
    assert steady.source_id == "steady" and steady.schedule == "every 15m"
    assert steady.last_run is not None and steady.last_run.new == 4
    assert (steady.new_last_24h, steady.health, steady.alerts) == (4, Tally(4, 4, 4, 4), ())
    assert (never.source_id, never.last_run, never.new_last_24h) == ("never", None, 0)
    assert never.health == Tally() and never.alerts == ()
    assert steady.interval is None and never.interval is None
    assert busy.schedule == "adaptive" and busy.interval is not None
    assert busy.interval < chosen.get_source("busy").max_interval
    # No scheduler has run with this config: no job store, so no next run yet.
    assert [row.next_run for row in (steady, never, busy)] == [None, None, None]
    # Nothing runs now: no scheduler, no crawl (their locks are free).
    assert overview.scheduler is None and not overview.store_missing
    assert [row.crawling for row in overview.sources] == [None, None, None]


# -- presenting -------------------------------------------------------------------------


SCHEDULER = LiveHolder(4100, NOW - timedelta(days=2, hours=3), "news-1")
CRAWLING = LiveHolder(4242, NOW - timedelta(seconds=40), "news-2")


def status_overview() -> Overview:
    ok = LastRun(
        NOW - timedelta(minutes=4, seconds=12),
        NOW - timedelta(minutes=4),
        "finished",
        0,
        None,
        new=9,
        updated=1,
        dropped=0,
    )
    broken = LastRun(
        NOW - timedelta(hours=2, minutes=3),
        NOW - timedelta(hours=2),
        "finished",
        1,
        "2 pages not fetched",
        new=0,
        updated=3,
        dropped=12,
    )
    rows = [
        SourceStatus(
            "yonhap",
            "every 15m",
            ok,
            212,
            Tally(212, 212, 212, 205),
            (),
            NOW + timedelta(minutes=11),
            None,
            crawling=CRAWLING,
        ),
        SourceStatus(
            "guardian",
            "adaptive",
            broken,
            3,
            Tally(3, 0, 3, 3),
            ("body found in 0% of the 3 articles of the last 24 h (usually 98%)",),
            NOW + timedelta(minutes=45),
            timedelta(minutes=45),
        ),
        SourceStatus("newblog", "*/10 * * * *", None, 0, Tally(), (), None, None),
    ]
    return Overview(rows, SCHEDULER)


def test_the_table_aligns_and_marks_alerts() -> None:
    assert format_table(status_overview(), NOW) == (
        "  SOURCE    LAST RUN  TOOK   RESULT               NEW  UPD  DROP  24H  BODY  DATE"
        "  IMAGE  NEXT RUN  SCHEDULE\n"
        "  yonhap    4m ago    12.0s  ok                     9    1     0  212  100%  100%"
        "    97%  in 11m    every 15m\n"
        "! guardian  2h ago    3m00s  2 pages not fetched    0    3    12    3    0%  100%"
        "   100%  in 45m    adaptive (45m)\n"
        "  newblog   never     -      -                      -    -     -    0     -     -"
        "      -  -         */10 * * * *\n"
        "\n"
        "scheduler: running on news-1 (pid 4100, since 2024-06-29 09:00:00 UTC)\n"
        "crawling now: yonhap for 40s on news-2 (pid 4242, since 11:59:20 UTC)\n"
        "\n"
        "alerts:\n"
        "  ! guardian: body found in 0% of the 3 articles of the last 24 h (usually 98%)"
    )


def test_the_json_has_stable_keys_utc_times_and_seconds() -> None:
    data = json.loads(to_json(status_overview()))
    assert list(data) == ["store_exists", "scheduler", "sources", "nodes"]
    assert data["store_exists"] is True
    assert data["scheduler"] == {
        "running": True,
        "pid": 4100,
        "host": "news-1",
        "since": "2024-06-29T09:00:00Z",
    }
    yonhap, guardian, newblog = data["sources"]
    assert (
        list(yonhap)
        == list(newblog)
        == [
            "source",
            "schedule",
            "interval_seconds",
            "crawling",
            "next_run",
            "last_run",
            "new_last_24h",
            "health",
            "latency",
            "push",
            "alerts",
        ]
    )
    assert yonhap["next_run"] == "2024-07-01T12:11:00Z"
    assert yonhap["crawling"] == {"pid": 4242, "host": "news-2", "since": "2024-07-01T11:59:20Z"}
    assert newblog["crawling"] is None
    assert yonhap["last_run"] == {
        "started": "2024-07-01T11:55:48Z",
        "finished": "2024-07-01T11:56:00Z",
        "duration_seconds": 12.0,
        "result": "ok",
        "reason": "finished",
        "exit_status": 0,
        "errors": None,
        "new": 9,
        "updated": 1,
        "dropped": 0,
        "stories": {"new": 0, "versions": 0, "duplicates": 0},
        "node": None,
    }
    assert yonhap["health"] == {"articles": 212, "body": 1.0, "date": 1.0, "image": 0.967}
    assert guardian["interval_seconds"] == 2700.0
    assert guardian["alerts"] == [
        "body found in 0% of the 3 articles of the last 24 h (usually 98%)"
    ]
    assert newblog["last_run"] is None and newblog["next_run"] is None
    assert newblog["health"] == {"articles": 0, "body": None, "date": None, "image": None}


def test_push_subscriptions_are_shown_per_source(store: Store, tmp_path: Path) -> None:
    """A PUSH column once a source has a subscription: its hub's last notification, a
    silent hub, one still asked for; the JSON lists each subscription."""
    now = datetime.now(UTC).replace(microsecond=0)
    hub = "https://hub.example/"

    def subscribe(source_id: str, state: str, **values: Any) -> None:
        topic = f"https://{source_id}.example/rss"
        added = store.add_subscription(source_id, topic, hub, source_id, "s", state, now)
        if values:
            store.update_subscription(added.id, values)

    subscribe("live", "active", last_notified=now - timedelta(minutes=4))
    subscribe("quiet", "active", silent_since=now - timedelta(minutes=1))
    subscribe("asked", "subscribing")
    chosen = config("live", "quiet", "asked", "polled", state_dir=tmp_path)
    overview = collect_status(chosen, store, jobs, now)
    table = format_table(overview, now).splitlines()
    assert table[0].split()[-1] == "PUSH"
    assert re.search(r"^\s+live\s.*\s{2}live 4m$", table[1])
    assert re.search(r"^\s+quiet\s.*\s{2}silent \d+[smh]$", table[2])
    assert re.search(r"^\s+asked\s.*\s{2}subscribing$", table[3])
    assert re.search(r"^\s+polled\s.*\s{2}-$", table[4])
    data = json.loads(to_json(overview))["sources"]
    assert data[0]["push"] == [
        {
            "hub": hub,
            "topic": "https://live.example/rss",
            "state": "active",
            "expires": None,
            "last_notified": (now - timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "silent_since": None,
            "error": None,
        }
    ]
    assert data[3]["push"] == []
