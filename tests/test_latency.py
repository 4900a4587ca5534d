"""Latency, publication to post (sokbo.ops.latency): the figures, the jump alert, and
what `sokbo status` reads of it from a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from sokbo.models import Article
from sokbo.ops.latency import (
    LatencyHistory,
    build_latency,
    latency_alert,
    latency_of,
)
from sokbo.ops.status import collect_status, format_table, read_history, read_last_run, to_json
from sokbo.store import Store
from tests.test_status import config

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_median_and_p90_by_nearest_rank() -> None:
    found = latency_of([timedelta(minutes=m) for m in (1, 2, 3, 4, 5, 6, 7, 8, 9, 30)])
    assert found is not None
    assert (found.posts, found.median, found.p90) == (10, 5.5 * MINUTE, 9 * MINUTE)
    assert latency_of([]) is None
    one = latency_of([2 * MINUTE])
    assert one is not None and one.median == one.p90 == 2 * MINUTE


def test_backlog_and_future_dates_are_no_latency() -> None:
    first_run = NOW - timedelta(days=3)
    marks = [
        (NOW - timedelta(days=10), NOW - timedelta(days=3)),  # the first run's backlog
        (NOW - 30 * MINUTE, NOW - 25 * MINUTE),
        (NOW - 5 * MINUTE, NOW - 7 * MINUTE),  # dated after its post: no wait
        (NOW - timedelta(days=2), NOW - timedelta(days=2) + 3 * MINUTE),
    ]
    history = build_latency(marks, NOW, first_run)
    assert history.last_24h is not None and history.usual is not None
    assert (history.last_24h.posts, history.last_24h.median) == (2, 2.5 * MINUTE)
    assert (history.usual.posts, history.usual.median) == (1, 3 * MINUTE)


def steady(minutes: float, posts: int) -> list[timedelta]:
    return [minutes * MINUTE] * posts


@pytest.mark.parametrize(
    ("recent", "usual", "flagged"),
    [
        (steady(45, 6), steady(5, 40), True),  # 9x longer, 40 minutes more
        (steady(45, 4), steady(5, 40), False),  # too few posts today
        (steady(45, 6), steady(5, 9), False),  # too little history
        (steady(14, 6), steady(5, 40), False),  # under 3x
        (steady(3, 6), steady(0.5, 40), False),  # 6x, but 2.5 minutes more only
    ],
)
def test_a_jump_against_its_own_history_is_flagged(
    recent: list[timedelta], usual: list[timedelta], flagged: bool
) -> None:
    alert = latency_alert(LatencyHistory(latency_of(recent), latency_of(usual)))
    assert (alert is not None) == flagged
    if flagged:
        assert alert == (
            "posts wait longer: median 45m after publication in the last 24 hours (6 posts), "
            "against 5m over the 14 days before"
        )


def post(store: Store, number: int, published: datetime, posted: datetime) -> None:
    """An article of `yna` published at `published`, stored and posted at `posted`."""
    article = Article(
        url=f"https://yna.example/{number}",
        source_id="yna",
        title=f"기사 {number}",
        excerpt="요약",
        body_html=f"<p>본문 {number} {'가나다 ' * number}</p>",
        published=published,
    )
    stored = store.upsert(article, posted)
    store.record_post("blog", stored, f"_posts/{number}.md", [], True, posted)
    # A second site a minute later and a re-render later still change nothing.
    store.record_post("other", stored, f"_posts/{number}.md", [], True, posted + MINUTE)
    store.record_post("blog", stored, f"_posts/{number}.md", [], True, posted + 60 * MINUTE)


def test_status_reads_latency_from_the_posts_and_flags_a_jump(store: Store) -> None:
    store.record_run("yna", NOW - timedelta(days=9), NOW - timedelta(days=9), "finished", {})
    number = 0
    for day in range(8, 1, -1):  # a week of posts 4 minutes after publication
        for hour in (8, 12, 16):
            number += 1
            published = NOW - timedelta(days=day, hours=hour)
            post(store, number, published, published + 4 * MINUTE)
    for hour in range(1, 7):  # today: 40 minutes (the poll stopped keeping up)
        number += 1
        published = NOW - timedelta(hours=hour)
        post(store, number, published, published + 40 * MINUTE)
    found = read_history(store, "yna", NOW, read_last_run(store, "yna"))
    assert found.latency is not None
    assert (found.latency.posts, found.latency.median) == (6, 40 * MINUTE)
    assert found.alerts == (
        "posts wait longer: median 40m after publication in the last 24 hours (6 posts), "
        "against 4m over the 14 days before",
    )
    overview = collect_status(config("yna", "quiet"), store, _NoSchedule(), NOW)
    table = format_table(overview, NOW)
    assert table.splitlines()[0].split()[-1] == "LATENCY"
    assert table.splitlines()[1].split()[-1] == "40m/40m"
    assert table.splitlines()[2].split()[-1] == "-"  # quiet: no post
    rows = json.loads(to_json(overview))["sources"]
    assert rows[0]["latency"] == {"posts": 6, "median_seconds": 2400.0, "p90_seconds": 2400.0}
    assert rows[1]["latency"] is None


class _NoSchedule:
    def next_runs(self, config: object) -> dict[str, datetime | None]:
        return {}

    def current_interval(self, config: object, store: object, source: object) -> None:
        return None
