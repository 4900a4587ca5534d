"""The store on two real databases: a SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

import json
import multiprocessing
import re
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import inspect, select

import sokbo.store.article_rows
from sokbo.models import Article
from sokbo.slug import disambiguate, slugify
from sokbo.store import Died, Store, articles, runs

T0 = datetime(2024, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
KST = timezone(timedelta(hours=9))
URL = "https://news.example.tistory.com/101"


def make_article(url: str = URL, **changes: Any) -> Article:
    fields: dict[str, Any] = {
        "url": url,
        "source_id": "example",
        "title": "속보: 한미 정상회담 오늘 개최",
        "excerpt": "정상회담이 오늘 열린다.",
        "body_html": "<p>정상회담이 오늘 서울에서 열린다.</p>",
        "published": T0,
        "image": "https://news.example.tistory.com/img/1.jpg",
        "categories": ("News", "정치"),
        "language": "ko",
    }
    return Article(**(fields | changes))


def raw_row(store: Store, url: str) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(select(articles).where(articles.c.url == url)).one()
    return dict(row._mapping)


def test_first_upsert_is_new_with_the_slug_from_the_title(store: Store) -> None:
    article = make_article()
    stored = store.upsert(article, T0 + timedelta(minutes=5))
    assert stored.status == "new"
    assert stored.slug == slugify(article.title, article.url) == "속보-한미-정상회담-오늘-개최"
    assert stored.published == T0
    assert stored.article == article
    again = store.get_by_url(URL)
    assert again is not None
    assert (again.id, again.slug, again.published, again.article) == (
        stored.id,
        stored.slug,
        T0,
        article,
    )
    row = raw_row(store, URL)
    assert row["first_seen"] == row["changed"] == row["checked"] == T0 + timedelta(minutes=5)


def test_the_same_article_again_is_unchanged_and_only_checked_moves(store: Store) -> None:
    first = store.upsert(make_article(), T0)
    before = raw_row(store, URL)
    later = T0 + timedelta(hours=2)
    second = store.upsert(make_article(), later)
    assert second.status == "unchanged"
    assert (second.id, second.slug, second.published) == (first.id, first.slug, T0)
    after = raw_row(store, URL)
    assert after.pop("checked") == later
    before.pop("checked")
    assert after == before


def test_an_article_and_its_fetch_are_stored_together(store: Store) -> None:
    """The fetch an article came from is recorded with it, new or seen again, and not
    at all when its insert fails: one transaction each time."""
    fetched = URL + "?from=feed"
    article = make_article(fetched_url=fetched, fingerprint="fp-1")
    store.upsert(article, T0)
    assert store.fetch_records([fetched])[fetched].fetched == T0
    store.upsert(make_article(fetched_url=fetched, fingerprint="fp-2"), T0 + timedelta(hours=1))
    record = store.fetch_records([fetched])[fetched]
    assert (record.fetched, record.fingerprint) == (T0 + timedelta(hours=1), "fp-2")
    store.upsert(make_article(fetched_url=""), T0 + timedelta(hours=2))  # no fetch to note
    assert store.fetch_records([fetched])[fetched].fetched == T0 + timedelta(hours=1)


def test_a_failed_insert_records_no_fetch(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    other = "https://news.example/other?from=feed"
    taken = make_article(url="https://news.example/a")
    store.upsert(taken, T0)
    # The same title at another URL whose both slugs are taken: no slug is free.
    monkeypatch.setattr("sokbo.store.article_rows.disambiguate", lambda slug, url: slug)
    with pytest.raises(RuntimeError, match="no free slug"):
        store.upsert(make_article(url="https://news.example/b", fetched_url=other), T0)
    assert store.fetch_records([other]) == {}


def test_a_changed_body_is_updated_in_place(store: Store) -> None:
    first = store.upsert(make_article(), T0)
    edited = make_article(
        body_html="<p>정상회담이 내일로 연기됐다.</p>",
        published=T0 + timedelta(days=1),
        title="속보: 한미 정상회담 내일로 연기",
    )
    later = T0 + timedelta(hours=3)
    second = store.upsert(edited, later)
    assert second.status == "updated"
    assert (second.id, second.slug, second.published) == (first.id, first.slug, T0)
    stored = store.get_by_url(URL)
    assert stored is not None
    assert stored.slug == first.slug
    assert stored.published == stored.article.published == T0
    assert stored.article == replace(edited, published=T0)
    row = raw_row(store, URL)
    assert (row["first_seen"], row["changed"], row["checked"]) == (T0, later, later)
    # Seen again as edited: nothing more to do.
    assert store.upsert(edited, later + timedelta(hours=1)).status == "unchanged"


def test_one_title_at_two_urls_gets_two_slugs(store: Store) -> None:
    other_url = "https://other.example.com/news/7"
    third_url = "https://other.example.com/news/8"
    first = store.upsert(make_article(), T0)
    second = store.upsert(make_article(other_url), T0)
    third = store.upsert(make_article(third_url), T0)
    assert second.status == third.status == "new"
    assert re.fullmatch(re.escape(first.slug) + r"-[0-9a-f]{8}", second.slug)
    assert re.fullmatch(re.escape(first.slug) + r"-[0-9a-f]{8}", third.slug)
    # The suffix depends on the URL alone, so another store would pick the same names.
    assert second.slug == disambiguate(first.slug, other_url)
    assert third.slug == disambiguate(first.slug, third_url)
    assert len({first.slug, second.slug, third.slug}) == 3
    # An edit keeps the disambiguated name.
    edited = store.upsert(make_article(other_url, body_html="<p>수정</p>"), T0)
    assert (edited.status, edited.slug) == ("updated", second.slug)


def test_aware_datetimes_come_back_as_aware_utc(store: Store) -> None:
    published = datetime(2024, 5, 2, 0, 15, 1, 250000, tzinfo=KST)  # 2024-05-01 15:15 UTC
    modified = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    now = datetime(2024, 5, 1, 18, 0, 0, 1, tzinfo=KST)
    stored = store.upsert(make_article(published=published, modified=modified), now)
    assert stored.published == published
    again = store.get_by_url(URL)
    assert again is not None
    for value, expected in [
        (again.published, published),
        (again.article.published, published),
        (again.article.modified, modified),
        (raw_row(store, URL)["checked"], now),
    ]:
        assert value is not None
        assert value.utcoffset() == timedelta(0)
        assert value == expected  # the same instant
    assert again.published == datetime(2024, 5, 1, 15, 15, 1, 250000, tzinfo=UTC)


@pytest.mark.parametrize("field", ["published", "modified", "now"])
def test_a_naive_datetime_is_refused(store: Store, field: str) -> None:
    naive = datetime(2024, 5, 1, 9, 0)
    changes: dict[str, Any] = {field: naive} if field != "now" else {}
    article = make_article(**changes)
    with pytest.raises(ValueError, match="naive"):
        store.upsert(article, naive if field == "now" else T0)
    assert store.get_by_url(URL) is None


def test_naive_datetimes_are_refused_everywhere(store: Store) -> None:
    stored = store.upsert(make_article(), T0)
    naive = datetime(2024, 5, 1, 9, 0)
    with pytest.raises(ValueError, match="naive"):
        store.upsert(make_article(), naive)  # the "unchanged" path
    with pytest.raises(ValueError, match="naive"):
        store.record_post("site", stored, "_posts/x.md", [], True, naive)
    with pytest.raises(ValueError, match="naive"):
        store.record_run("example", naive, T0, "finished", {})
    assert store.site_articles("site") == []
    assert raw_row(store, URL)["checked"] == T0


def test_site_articles_are_newest_first_with_ties_by_url(store: Store) -> None:
    # Code-point order of these URLs differs from most locales' order ("B" < "a" < "a-b").
    base = "https://news.example.com/"
    plan = {  # url -> hours after T0
        base + "a-b": 2,
        base + "B": 2,
        base + "a": 2,
        base + "ab": 2,
        base + "old": 0,
        base + "newest": 5,
        base + "other-site-only": 9,
        base + "not-posted": 7,
    }
    stored = {}
    for number, (url, hours) in enumerate(plan.items()):
        article = make_article(url, title=f"기사 {number}", published=T0 + timedelta(hours=hours))
        stored[url] = store.upsert(article, T0)
    for url in plan:
        if url not in (base + "other-site-only", base + "not-posted"):
            store.record_post("a", stored[url], f"_posts/{stored[url].id}.md", [], True, T0)
    store.record_post("b", stored[base + "other-site-only"], "_posts/x.md", [], True, T0)
    # Recording a post again (unchanged, then moved) never duplicates it.
    old = stored[base + "old"]
    store.record_post("a", old, f"_posts/{old.id}.md", [], False, T0)
    store.record_post("a", old, "_posts/moved.md", [], False, T0)

    expected = [base + "newest", *sorted(base + tail for tail in ("a-b", "B", "a", "ab"))]
    expected.append(base + "old")
    assert expected[1:5] == [base + "B", base + "a", base + "a-b", base + "ab"]
    got = store.site_articles("a")
    assert [s.article.url for s in got] == expected
    assert [s.status for s in got] == ["unchanged"] * len(expected)
    assert [s.article.url for s in store.site_articles("a", limit=3)] == expected[:3]
    assert [s.article.url for s in store.site_articles("a", limit=0)] == []
    assert [s.article.url for s in store.site_articles("b")] == [base + "other-site-only"]
    assert store.site_articles("nobody") == []


def test_record_run_keeps_json_able_stats(store: Store) -> None:
    started = datetime(2024, 5, 1, 18, 0, tzinfo=KST)
    finished = started + timedelta(minutes=3, microseconds=5)
    stats: dict[str, Any] = {
        "start_time": started,
        "finish_time": finished,
        "item_scraped_count": 12,
        "elapsed_time_seconds": 180.000005,
        "log_count/INFO": 10,
        "sokbo/articles/new": 3,
        "note": "정상 종료 ✅",
        "nested": {"when": T0, "list": [1, "둘", None, True]},
    }
    store.record_run("example", started, finished, "finished", stats)
    long_reason = "closespider_" + "timeout_after_a_very_long_custom_reason_" * 3
    store.record_run("example", finished, finished, long_reason, {})
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(runs).order_by(runs.c.id))]
    assert [(r["source_id"], r["reason"]) for r in rows] == [
        ("example", "finished"),
        ("example", long_reason),
    ]
    first = rows[0]
    assert (first["started"], first["finished"]) == (started, finished)
    assert first["started"].utcoffset() == timedelta(0)
    kept = first["stats"]
    assert json.loads(json.dumps(kept)) == kept
    assert datetime.fromisoformat(kept["start_time"]) == started
    assert datetime.fromisoformat(kept["finish_time"]) == finished
    assert datetime.fromisoformat(kept["nested"]["when"]) == T0
    plain = {k: v for k, v in stats.items() if k not in ("start_time", "finish_time", "nested")}
    assert {k: kept[k] for k in plain} == plain
    assert kept["nested"]["list"] == [1, "둘", None, True]
    assert rows[1]["stats"] == {}


def test_hangul_emoji_and_long_bodies_round_trip_exactly(store: Store) -> None:
    paragraph = (
        "<p>서울=연합뉴스 — 「속보」 '따옴표' \"큰따옴표\" &amp; <b>굵게</b> 🇰🇷👩‍👩‍👧‍👦🔥 "
        "𝄞 \u00a0nbsp \u200bzwsp 한\u1100\u1161 e\u0301 tab\there\r\nCRLF</p>\n"
    )
    body = paragraph * 200
    assert len(body.encode("utf-8")) > 20_000
    article = make_article(
        title="🔥 속보 ‘단독’: “한미” 회담 — 10% 合意 🇰🇷",
        excerpt="첫 줄\n둘째 줄 🎉\n",
        body_html=body,
        categories=("뉴스", "🔥 Hot", "with \"quotes\" and 'apostrophes'"),
        image="https://news.example.com/이미지/사진 1.jpg?크기=큰",
        language="ko-Kore-KR-x-sokbo-test",  # longer than a plain "ko-KR"
    )
    stored = store.upsert(article, T0)
    again = store.get_by_url(URL)
    assert again is not None
    assert again.article == article
    assert again.article.body_html == body
    assert again.slug == stored.slug
    assert [s.article for s in store.articles_for_sources(["example"])] == [article]
    assert list(store.articles_for_sources(["nobody"])) == []
    assert store.upsert(article, T0).status == "unchanged"


def test_a_long_percent_encoded_url_is_kept(store: Store) -> None:
    # A Tistory entry URL carries the title, percent-encoded: 9 characters a syllable.
    title = "".join(chr(0xAC00 + (i * 7919) % 11172) for i in range(280))
    url = "https://news.example.tistory.com/entry/" + quote(title)
    assert 2500 < len(url) < 2600
    stored = store.upsert(make_article(url, title=title), T0)
    again = store.get_by_url(url)
    assert again is not None
    assert (again.id, again.article.url) == (stored.id, url)
    assert store.upsert(make_article(url, title=title), T0).status == "unchanged"


def test_a_missing_url_is_none(store: Store) -> None:
    assert store.get_by_url(URL) is None
    store.upsert(make_article(), T0)
    assert store.get_by_url(URL + "/") is None
    assert store.get_by_url(URL) is not None


def test_two_stores_on_one_database_see_each_others_writes(db_url: str) -> None:
    first, second = Store(db_url), Store(db_url)  # as two crawls in one process
    try:
        one = first.upsert(make_article(), T0)
        assert second.get_by_url(URL) is not None
        assert second.upsert(make_article(), T0).status == "unchanged"
        two = second.upsert(make_article(URL + "2", title="다른 기사"), T0)
        seen = first.get_by_url(URL + "2")
        assert seen is not None
        assert seen.slug == two.slug
        first.record_post("site", two, "_posts/two.md", [], True, T0)
        second.record_post("site", one, "_posts/one.md", [], True, T0)
        assert [s.id for s in first.site_articles("site")] == [one.id, two.id]
        assert [s.id for s in second.site_articles("site")] == [one.id, two.id]
        assert second.upsert(make_article(body_html="<p>고침</p>"), T0).status == "updated"
        edited = first.get_by_url(URL)
        assert edited is not None
        assert edited.article.body_html == "<p>고침</p>"
    finally:
        first.close()
        second.close()


def test_a_crawl_that_loses_the_race_for_a_new_url_sees_the_winners_row(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another crawl inserts the same URL between this crawl's lookup and its insert."""
    mine, theirs = Store(db_url), Store(db_url)

    def slugify_after_the_other_crawl(title: str, url: str) -> str:
        monkeypatch.setattr(sokbo.store.article_rows, "slugify", slugify)
        assert theirs.upsert(make_article(), T0).status == "new"
        return slugify(title, url)

    try:
        monkeypatch.setattr(sokbo.store.article_rows, "slugify", slugify_after_the_other_crawl)
        stored = mine.upsert(make_article(), T0 + timedelta(minutes=1))
        assert stored.status == "unchanged"
        winner = theirs.get_by_url(URL)
        assert winner is not None
        assert (stored.id, stored.slug) == (winner.id, winner.slug)
        assert raw_row(mine, URL)["checked"] == T0 + timedelta(minutes=1)
    finally:
        mine.close()
        theirs.close()


def _start_and_write(url: str, number: int, barrier: Any, results: Any) -> None:
    """One crawl process: open the store at the same moment as the others, then write."""
    try:
        barrier.wait(timeout=60)
        store = Store(url)
        try:
            own = store.upsert(make_article(f"{URL}/{number}", title=f"기사 {number}"), T0)
            shared = store.upsert(make_article(), T0)
            results.put((number, own.status, shared.status, shared.id))
        finally:
            store.close()
    except Exception as error:
        results.put((number, "error", repr(error), -1))


def test_crawls_starting_at_once_create_the_schema_once(db_url: str) -> None:
    processes = 6
    # fork starts the workers in a blink (no re-import), which makes the race likely;
    # the parent holds no open connection at this point.
    if sys.platform == "linux":
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [
        context.Process(target=_start_and_write, args=(db_url, number, barrier, results))
        for number in range(processes)
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert [o for o in outcomes if o[1] == "error"] == []
    assert [o[1] for o in outcomes] == ["new"] * processes
    assert sorted(o[2] for o in outcomes) == ["new"] + ["unchanged"] * (processes - 1)
    assert len({o[3] for o in outcomes}) == 1
    store = Store(db_url)
    try:
        assert len(list(store.articles_for_sources(["example"]))) == processes + 1
    finally:
        store.close()


def _run_rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(runs).order_by(runs.c.id))]


def test_a_run_opened_by_the_runner_is_completed_and_settled_by_its_id(store: Store) -> None:
    opened = store.open_run("src", T0)
    assert store.last_run("src") is None, "a run still going is not the last run"
    # A crawl by hand starts meanwhile and records its own row, newer than the opened one.
    hand = store.record_run("src", T0 + timedelta(seconds=5), T0 + timedelta(seconds=9), "x", {})
    crawl_started = T0 + timedelta(seconds=1)
    stats = {"item_scraped_count": 2}
    assert store.complete_run(
        opened.id,
        crawl_started,
        T0 + timedelta(seconds=20),
        "finished",
        stats,
        exit_status=0,
        errors=None,
    )
    settled = store.settle_run(
        opened, T0 + timedelta(seconds=21), 0, None, Died("exited", "exited 0")
    )
    assert settled.stats == stats and settled.errors is None and settled.seconds == 19
    rows = {row["id"]: row for row in _run_rows(store)}
    assert (rows[opened.id]["reason"], rows[opened.id]["exit_status"]) == ("finished", 0)
    assert rows[opened.id]["started"] == crawl_started
    assert (rows[hand]["reason"], rows[hand]["exit_status"]) == ("x", None), "not stolen"


def test_a_run_whose_crawl_died_is_closed_by_the_runner(store: Store) -> None:
    killed = store.open_run("src", T0)
    settled = store.settle_run(
        killed, T0 + timedelta(seconds=3), -9, None, Died("killed", "killed by SIGKILL")
    )
    assert (settled.stats, settled.errors, settled.seconds) == ({}, "killed by SIGKILL", None)
    late = store.open_run("src", T0 + timedelta(minutes=1))
    why = "timed out after 4s"
    died = Died("timeout", f"{why}; killed by SIGKILL")
    store.settle_run(late, T0 + timedelta(minutes=2), -9, why, died)
    rows = _run_rows(store)
    assert [(r["reason"], r["exit_status"]) for r in rows] == [("killed", -9), ("timeout", -9)]
    assert rows[1]["errors"] == "timed out after 4s; killed by SIGKILL"
    assert store.last_run("src") == rows[1]


def test_runs_that_did_not_happen_or_were_abandoned(store: Store) -> None:
    skipped = store.open_run("src", T0)
    store.discard_run(skipped)
    assert _run_rows(store) == []
    store.open_run("a", T0)
    store.open_run("b", T0)
    assert store.abandon_open_runs(T0 + timedelta(hours=1), {"a"}) == 1
    rows = _run_rows(store)
    assert [(r["source_id"], r["reason"]) for r in rows] == [("a", "abandoned"), ("b", "running")]
    assert rows[0]["errors"] == "the scheduler stopped before the run ended"
    assert store.abandon_open_runs(T0, set()) == 0


def test_a_store_made_without_the_posts_indexes_gains_them(db_url: str) -> None:
    """pending_posts and post_delays look posts up by what they show and by article; a
    store made before those indexes gets them when it is next opened, with its rows."""
    store = Store(db_url)
    store.upsert(make_article(), T0)
    with store.engine.begin() as conn:  # as an older sokbo left it
        for name in ("ix_posts_shows", "ix_posts_article"):
            conn.exec_driver_sql(f"DROP INDEX {name}")
    store.close()
    store = Store(db_url)
    try:
        found = {index["name"] for index in inspect(store.engine).get_indexes("posts")}
        assert {"ix_posts_shows", "ix_posts_article"} <= found
        assert len(store.pending_posts("blog", "example")) == 1
    finally:
        store.close()
