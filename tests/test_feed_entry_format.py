"""The feed-entry format is versioned: a canonical entry's bytes change only with its version.

The feed-entry cache (sokbo/publish/feeds/cache.py) keys every entry by ``ENTRY_FORMAT``
rather than by the code that made it. These goldens keep that version honest: they hold
the entry of one rich article on one site, as the cache stores it, together with the
version that made it. Changed bytes under the same version fail the test, because every
store's cache would go on serving the old ones; ``--update-golden`` records new bytes only
for a raised version.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, select

from sokbo.config import FeedSettings, SiteConfig
from sokbo.models import Article
from sokbo.publish.feeds import cache
from sokbo.publish.feeds.write import FEED_FILES, write_site_feeds
from sokbo.store import Store, feed_entries
from tests.support.feed_fixtures import add, open_store

GOLDEN = Path(__file__).resolve().parent / "golden" / "feed_entries"
MADE_WITH = "made_with.json"  # the versions the goldens were made with
FIELDS = "fields.json"  # the cached entry's other columns: guid, dates, categories
REFRESH = "python -m pytest tests/test_feed_entry_format.py --update-golden"
# The canonical article's own clock, so that no other test's fixture moves its dates.
PUBLISHED = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def canonical_site(root: Path) -> SiteConfig:
    """A site that uses every setting an entry shows: templates, zone, attribution."""
    return SiteConfig(
        id="canon",
        title="캐논 <속보> & 뉴스",
        base_url="https://news.example.kr",
        posts_dir=root / "_posts",
        feeds_dir=root / "feeds",
        brand="캐논",
        alt="{brand} 속보 사진",
        footer='더 많은 속보는 <a href="https://news.example.kr">{brand} 뉴스</a>에서',
        sources=["wire"],
        categories=[],  # the article's own
        timezone="Asia/Seoul",
        attribution=True,
        feeds=FeedSettings(formats=["rss", "atom", "json"]),
    )


def canonical_article(body_html: str) -> Article:
    """An article with every part an entry has, and text that needs escaping in each."""
    return Article(
        url="https://wire.example.com/news/123?ref=rss&page=1",
        source_id="wire",
        title="<속보> \"한미\" 정상회담 & 'AI' 협력… <b>1조 원</b>",
        excerpt='요약: <script>alert(1)</script> & "인용" — 끝.',
        body_html=body_html,
        published=PUBLISHED,
        modified=PUBLISHED + timedelta(minutes=30),
        # The image's type is only in its query (as on Tistory's CDN).
        image="https://cdn.example.com/img.php?fname=https%3A%2F%2Fimg.example.com%2Fa.png",
        categories=("정치", "경제 & 금융"),
        authors=("김기자", "Lee <lee@example.com>"),
        tags=("속보", "정치", "AI"),  # 정치 is a category too: published once
    )


CANONICAL_BODY = (
    '<p>첫 문단 &amp; <a href="https://wire.example.com/a?x=1&amp;y=2">링크</a></p>\n'
    "<p>{{ site.title }} 는 리퀴드가 아니고, ]]&gt; 도 글자일 뿐</p>"
)


def canonical_entry(root: Path) -> dict[str, bytes]:
    """The canonical article's entry as the cache holds it (golden file name -> bytes).

    Built the way a crawl builds it (stored, edited three hours later, published, its
    feeds written), so whatever the feed writer does on the way is in it too.
    """
    site = canonical_site(root)
    store = open_store(root)
    try:
        add(store, site, canonical_article("<p>첫 판</p>"), PUBLISHED)
        add(store, site, canonical_article(CANONICAL_BODY), PUBLISHED + timedelta(hours=3))
        write_site_feeds(store, site)
        row = _only_cached_row(store)
    finally:
        store.close()
    fields = {
        "guid": row.guid,
        "published": row.published.astimezone(UTC).isoformat(),
        "updated": row.updated.astimezone(UTC).isoformat(),
        "categories": list(row.categories),
    }
    entry = {
        FIELDS: json.dumps(fields, ensure_ascii=False, indent=2),
        FEED_FILES["rss"]: row.rss,
        FEED_FILES["atom"]: row.atom,
        FEED_FILES["json"]: row.json,
    }
    return {name: f"{text}\n".encode() for name, text in entry.items()}


def _only_cached_row(store: Store) -> Row[Any]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(feed_entries)).all()
    assert len(rows) == 1, "the canonical site should have one cached entry"
    return rows[0]


def made_with() -> dict[str, object]:
    """The versions this code makes entries with (feedgen's is for the reader only)."""
    return {"entry_format": cache.ENTRY_FORMAT, "feedgen": package_metadata.version("feedgen")}


def golden_problem(
    folder: Path, actual: dict[str, bytes], current: dict[str, object], update: bool
) -> str | None:
    """Why ``actual`` may not stand beside the goldens in ``folder``; None when it may.

    With ``update``, goldens of a raised entry format are rewritten (and None returned).
    """
    record = folder / MADE_WITH
    recorded = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    version, was = current["entry_format"], recorded.get("entry_format")
    assert isinstance(version, int)
    changed = [
        name
        for name, data in sorted(actual.items())
        if not (folder / name).exists() or (folder / name).read_bytes() != data
    ]
    if was == version:
        if not changed:
            return None
        feedgen = ""
        if recorded.get("feedgen") != current["feedgen"]:
            feedgen = (
                f" (feedgen is {current['feedgen']} here; the goldens were made with "
                f"{recorded.get('feedgen')})"
            )
        refused = "--update-golden left the goldens alone: " if update else ""
        return (
            f"{refused}the canonical feed entry changed ({', '.join(changed)}) but "
            f"sokbo.publish.feeds.cache.ENTRY_FORMAT is still {version}{feedgen}, so every "
            f"store's cache would keep serving the old entries. Raise ENTRY_FORMAT to "
            f"{version + 1} in sokbo/publish/feeds/cache.py, then run `{REFRESH}` and read the "
            f"new goldens before committing."
        )
    if isinstance(was, int) and version < was:
        return (
            f"sokbo.publish.feeds.cache.ENTRY_FORMAT is {version}, lower than the {was} the "
            f"goldens were made with: a key of an older format would find that format's cached "
            f"entries. "
            f"Only ever raise it (to {was + 1})."
        )
    if not update:
        made = f"made with ENTRY_FORMAT {was}" if was is not None else "missing"
        return (
            f"the goldens in {folder} are {made}; sokbo.publish.feeds.cache.ENTRY_FORMAT is "
            f"{version}: run `{REFRESH}` to record the entry of this format."
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in actual.items():
        (folder / name).write_bytes(data)
    record.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    return None


def test_the_canonical_entry_is_the_one_its_format_recorded(
    tmp_path: Path, update_golden: bool
) -> None:
    problem = golden_problem(GOLDEN, canonical_entry(tmp_path), made_with(), update_golden)
    if problem:
        pytest.fail(problem, pytrace=False)


def test_the_canonical_entry_shows_every_part_of_an_entry(tmp_path: Path) -> None:
    """The goldens watch only what the canonical entry shows: it must show everything."""
    entry = {name: data.decode() for name, data in canonical_entry(tmp_path).items()}
    rss, atom, item = entry["rss.xml"], entry["atom.xml"], json.loads(entry["feed.json"])
    fields = json.loads(entry[FIELDS])
    assert fields["published"] != fields["updated"]  # the edit sokbo saw moved it
    assert fields["categories"] == ["정치", "경제 & 금융"]
    assert item["date_published"].endswith("+09:00")  # the site's zone
    assert item["external_url"] == "https://wire.example.com/news/123?ref=rss&page=1"
    assert item["authors"] == [{"name": "김기자"}, {"name": "Lee <lee@example.com>"}]
    assert item["tags"] == ["정치", "경제 & 금융", "속보", "AI"]
    assert item["image"].startswith("https://cdn.example.com/")
    content = item["content_html"]
    # SiteConfig.alt and SiteConfig.footer, rendered (their bytes are the goldens' business)
    assert " alt=" in content and '<a href="https://news.example.kr">' in content
    assert "{brand}" not in content
    assert "&#123;" in content  # Liquid kept from Jekyll
    assert 'type="image/png"' in rss and "<dc:creator>" in rss and "<source " in rss
    assert 'rel="via"' in atom and 'rel="enclosure"' in atom and "<updated>" in atom


# --- the check itself ---------------------------------------------------------------


def _goldens(folder: Path, version: int, data: bytes) -> None:
    folder.mkdir()
    (folder / "rss.xml").write_bytes(data)
    record = {"entry_format": version, "feedgen": "1.0.0"}
    (folder / MADE_WITH).write_text(json.dumps(record), encoding="utf-8")


@pytest.mark.parametrize("update", [False, True])
def test_new_bytes_under_the_same_version_ask_for_a_raised_version(
    tmp_path: Path, update: bool
) -> None:
    _goldens(tmp_path / "golden", 3, b"<item>old</item>\n")
    current = {"entry_format": 3, "feedgen": "1.0.0"}

    problem = golden_problem(tmp_path / "golden", {"rss.xml": b"<item/>\n"}, current, update)

    assert problem is not None
    assert "ENTRY_FORMAT is still 3" in problem and "Raise ENTRY_FORMAT to 4" in problem
    assert "--update-golden" in problem
    assert (tmp_path / "golden" / "rss.xml").read_bytes() == b"<item>old</item>\n"


def test_the_same_bytes_under_the_same_version_pass(tmp_path: Path) -> None:
    _goldens(tmp_path / "golden", 3, b"<item/>\n")
    current = {"entry_format": 3, "feedgen": "1.0.1"}  # feedgen alone is no reason to fail
    assert golden_problem(tmp_path / "golden", {"rss.xml": b"<item/>\n"}, current, False) is None


def test_a_raised_version_is_recorded_only_by_update_golden(tmp_path: Path) -> None:
    folder = tmp_path / "golden"
    _goldens(folder, 3, b"<item>old</item>\n")
    current = {"entry_format": 4, "feedgen": "1.0.0"}
    actual = {"rss.xml": b"<item/>\n"}

    problem = golden_problem(folder, actual, current, update=False)
    assert problem is not None and "--update-golden" in problem  # even for equal bytes

    assert golden_problem(folder, actual, current, update=True) is None
    assert (folder / "rss.xml").read_bytes() == b"<item/>\n"
    assert json.loads((folder / MADE_WITH).read_text(encoding="utf-8")) == current
    assert golden_problem(folder, actual, current, update=False) is None


@pytest.mark.parametrize("update", [False, True])
def test_a_lowered_version_is_refused(tmp_path: Path, update: bool) -> None:
    _goldens(tmp_path / "golden", 3, b"<item/>\n")
    current = {"entry_format": 2, "feedgen": "1.0.0"}

    problem = golden_problem(tmp_path / "golden", {"rss.xml": b"<item/>\n"}, current, update)

    assert problem is not None and "Only ever raise it" in problem


def test_without_attribution_the_feeds_credit_the_site(tmp_path: Path) -> None:
    """attribution = false: no source's author and no link to the original in any
    format; Atom, which wants an author, names the site."""
    site = canonical_site(tmp_path).model_copy(update={"attribution": False})
    store = open_store(tmp_path)
    try:
        add(store, site, canonical_article(CANONICAL_BODY), PUBLISHED)
        write_site_feeds(store, site)
    finally:
        store.close()
    feeds = {kind: (site.feeds_dir / file).read_text("utf-8") for kind, file in FEED_FILES.items()}
    for text in feeds.values():
        assert "김기자" not in text and "lee@example.com" not in text
        assert "wire.example.com/news/123" not in text
    named = re.findall(r"<author>\s*<name>(.*?)</name>\s*</author>", feeds["atom"])
    assert named == ["캐논 &lt;속보&gt; &amp; 뉴스"] * 2  # the feed's and the entry's
    item = json.loads(feeds["json"])["items"][0]
    assert "authors" not in item
