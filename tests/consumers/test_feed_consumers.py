"""Every feed file passes tests.support.feedlint, feedparser reads it without complaint, and the
entries are the site's posts with the right ids, titles and dates.

JSON Feed: feedparser 6.0.x (the newest release) has no JSON Feed support, so feed.json
files are read with the json module and with sokbo's own JSON Feed reader (the one the
feed spider uses on other people's feeds), besides the lint.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from datetime import UTC, datetime

import feedparser
import pytest
from feedparser.html import _cp1252  # feedparser's C1-control-to-cp1252 table

from sokbo.config import SiteConfig
from sokbo.extract.feed import parse_feed
from sokbo.publish.feeds.write import FEED_FILES
from sokbo.publish.post import post_url
from tests.consumers.conftest import Published
from tests.consumers.tools import Entry, FeedFile, feed_files, read_entries
from tests.support.feedlint import Problem, lint_feed

pytestmark = pytest.mark.consumers

# What XML 1.0 cannot carry; sokbo removes it from feed text (the rule).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def all_feeds(run: Published) -> list[FeedFile]:
    found = [feed for site in run.sites() for feed in feed_files(site)]
    assert found, f"the {run.name} run wrote no feed"
    return found


def second(value: datetime | None) -> int | None:
    return None if value is None else calendar.timegm(value.utctimetuple())


# --- the lint --------------------------------------------------------------------------------


def rss_description_bug(feed: FeedFile, problem: Problem) -> bool:
    """The known bug of test_rss_descriptions_are_plain_text: markup in an excerpt."""
    return feed.kind == "rss" and problem.rule == "unsafe-html" and "/description" in problem.where


def lint_problems(run: Published, *, known: bool) -> list[str]:
    """Lint problems of every feed: the known-bug ones, or all the others."""
    problems = []
    for feed in all_feeds(run):
        for problem in lint_feed(feed.path.read_bytes(), feed.kind, feed.url):
            if rss_description_bug(feed, problem) == known:
                problems.append(f"{feed}: {problem}")
    return problems


def test_demo_sites_have_every_configured_feed(demo_run: Published) -> None:
    for site in demo_run.sites():
        for fmt in site.feeds.formats:
            assert (site.feeds_dir / FEED_FILES[fmt]).is_file(), (site.id, fmt)


def test_demo_feeds_pass_the_lint(demo_run: Published) -> None:
    assert lint_problems(demo_run, known=False) == []
    assert lint_problems(demo_run, known=True) == []


def test_stress_feeds_pass_the_lint(stress_run: Published) -> None:
    assert lint_problems(stress_run, known=False) == []


def test_rss_descriptions_are_plain_text(stress_run: Published) -> None:
    assert lint_problems(stress_run, known=True) == []


# --- feedparser ------------------------------------------------------------------------------


def feedparser_title(title: str) -> str:
    """What feedparser makes of a plain-text title, by its documented rules: it strips
    surrounding whitespace, repairs UTF-8 read as Latin-1, and maps C1 controls to the
    cp1252 characters they stand for in mislabelled Windows text."""
    text = title.strip()
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_cp1252)


def feedparser_problems(feed: FeedFile, stated: list[Entry]) -> list[str]:
    """Where feedparser's reading of ``feed`` differs from what the document states."""
    parsed = feedparser.parse(feed.path.read_bytes())
    if parsed.bozo:
        return [f"{feed}: feedparser bozo: {parsed.bozo_exception!r}"]
    if len(parsed.entries) != len(stated):
        return [f"{feed}: feedparser read {len(parsed.entries)} of {len(stated)} entries"]
    problems = []
    for entry, expected in zip(parsed.entries, stated, strict=True):
        where = f"{feed}: {expected.id}"
        if entry.get("id") != expected.id:
            problems.append(f"{where}: id {entry.get('id')!r}")
        if entry.get("link") != expected.link:
            problems.append(f"{where}: link {entry.get('link')!r}, stated {expected.link!r}")
        title = entry.get("title", "")
        detail = entry.get("title_detail", {}).get("type")
        # RSS 2.0 does not say whether a title is text or HTML; feedparser guesses HTML
        # when it looks like markup (an entity, a tag). Such titles are not compared.
        guessed_html = feed.kind == "rss" and detail == "text/html"
        if guessed_html and not re.search(r"[<&]", expected.title):
            problems.append(f"{where}: feedparser took the plain title {expected.title!r} for HTML")
        elif not guessed_html and title != feedparser_title(expected.title):
            problems.append(f"{where}: title {title!r}, stated {expected.title!r}")
        parsed_date = entry.get("published_parsed")
        got = None if parsed_date is None else calendar.timegm(parsed_date)
        if got != second(expected.published):
            problems.append(f"{where}: published {got}, stated {second(expected.published)}")
    return problems


def json_reader_problems(feed: FeedFile, stated: list[Entry]) -> list[str]:
    """Where sokbo's own JSON Feed reader differs from what the document states."""
    items, problems = parse_feed(feed.path.read_bytes(), feed.url)
    found = [f"{feed}: {problem}" for problem in problems]
    if [item.url for item in items] != [entry.link for entry in stated]:
        return [*found, f"{feed}: the reader found other items"]
    for item, expected in zip(items, stated, strict=True):
        if (item.hint.title or "") != expected.title:
            found.append(f"{feed}: {expected.id}: title {item.hint.title!r}")
        if second(item.hint.published) != second(expected.published):
            found.append(f"{feed}: {expected.id}: published {item.hint.published}")
    return found


def reader_problems(run: Published) -> list[str]:
    problems = []
    for feed in all_feeds(run):
        stated = read_entries(feed)
        if feed.kind == "json":
            problems += json_reader_problems(feed, stated)
        else:
            problems += feedparser_problems(feed, stated)
    return problems


def test_demo_feeds_read_by_feedparser(demo_run: Published) -> None:
    assert reader_problems(demo_run) == []


def test_stress_feeds_read_by_feedparser(stress_run: Published) -> None:
    assert reader_problems(stress_run) == []


# --- the feeds hold the store ----------------------------------------------------------------


def store_problems(run: Published) -> list[str]:
    """Each site's main feeds list its newest posts: link, title and date from the store."""
    problems = []
    for site in run.sites():
        articles = run.articles(site, limit=site.feeds.limit)
        expected = {
            post_url(stored, site): (
                NOT_XML.sub("", stored.article.title),
                second(stored.published),
            )
            for stored in articles
        }
        for feed in feed_files(site):
            if not feed.main:
                continue
            entries = read_entries(feed)
            stated = {entry.link: (entry.title, second(entry.published)) for entry in entries}
            if len(stated) != len(entries):
                problems.append(f"{feed}: two entries with one link")
            problems += [
                f"{feed}: {link}: {stated.get(link)} != {want}"
                for link, want in expected.items()
                if stated.get(link) != want
            ]
            problems += [f"{feed}: {link} is no post" for link in stated.keys() - expected.keys()]
            # Newest first; ties in any order (the feeds break them by id, the store by URL).
            stamps = [second(entry.published) or 0 for entry in entries]
            if stamps != sorted(stamps, reverse=True):
                problems.append(f"{feed}: entries are not newest first")
    return problems


def test_demo_feeds_hold_the_posts(demo_run: Published) -> None:
    assert store_problems(demo_run) == []


def test_stress_feeds_hold_the_posts(stress_run: Published) -> None:
    assert store_problems(stress_run) == []
    for site in stress_run.sites():
        assert len(stress_run.articles(site, limit=site.feeds.limit)) == 500


def test_stress_covers_what_it_claims(stress_run: Published) -> None:
    """The generated titles really hold the awkward text the stress test is for."""
    titles = [stored.article.title for stored in stress_run.articles(stress_run.sites()[0])]
    joined = "".join(titles)
    for needle in ("]]>", "{{", "{%", "\u202e", "\x00", "\x1b", "\x85", "👩\u200d👩\u200d👧"):
        assert needle in joined, repr(needle)
    assert any(re.search("[\uac00-\ud7a3]", title) for title in titles)  # Hangul
    assert any(re.search("[\u0590-\u06ff]", title) for title in titles)  # right to left
    assert any(not NOT_XML.sub("", title).strip() for title in titles)  # nothing left


def test_stress_bodies_clean(stress_run: Published) -> None:
    assert stress_run.clean_crashes == []


def site_of(run: Published, site_id: str) -> SiteConfig:
    return next(site for site in run.sites() if site.id == site_id)


def test_stress_feeds_keep_their_dates(stress_run: Published) -> None:
    """Ties and odd zones: RSS, Atom and JSON Feed state the same instants, to the second."""
    site = site_of(stress_run, "beta")
    main = [feed for feed in feed_files(site) if feed.main]
    by_kind = {feed.kind: [second(e.published) for e in read_entries(feed)] for feed in main}
    assert len(set(map(tuple, by_kind.values()))) == 1, by_kind.keys()
    assert all(stamp is not None for stamp in by_kind["rss"])
    assert second(datetime(2024, 7, 29, 1, 5, tzinfo=UTC)) in by_kind["rss"]
