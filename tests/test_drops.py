"""Entries that cannot become posts are dropped with a reason, counted in the summary."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from sokbo import stats as stat_keys
from sokbo.outcome import crawl_counts, stat_count
from tests.support.cli import run_sokbo
from tests.support.scheduling import last_run_stats

pytestmark = pytest.mark.e2e

# A listing page (no article container) and an entry that names no page at all, both
# newer than the five posts, as a blog's feed would list them.
EXTRA_ITEMS = """<item>
<title>News 카테고리의 글 목록</title>
<link>__BASE__/category/News</link>
<description>카테고리 글 목록</description>
<category>News</category>
<pubDate>Tue, 30 Jul 2024 09:00:00 +0900</pubDate>
</item>
<item>
<title>링크 없는 공지</title>
<description>&lt;p&gt;이 항목에는 링크도 guid도 없습니다.&lt;/p&gt;</description>
<category>News</category>
<pubDate>Tue, 30 Jul 2024 08:00:00 +0900</pubDate>
</item>
"""


def test_dropped_entries_are_counted_by_reason(
    demo_site: Path, demo_base: str, demo_config: Path
) -> None:
    feed = demo_site / "rss.xml"
    xml = feed.read_text(encoding="utf-8")
    first_item = xml.index("<item>")
    feed.write_text(xml[:first_item] + EXTRA_ITEMS + xml[first_item:], encoding="utf-8")

    run = demo_config.parent
    result = run_sokbo("--config", str(demo_config), "crawl", cwd=run)
    assert result.returncode == 0, result.stdout + result.stderr
    stats = last_run_stats(run)
    counts = crawl_counts(stats)
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (5, 0, 0), stats
    assert stat_count(stats, stat_keys.POSTS_WRITTEN) == 20, stats
    assert stat_count(stats, stat_keys.POSTS_UNCHANGED) == 0, stats
    assert stat_count(stats, stat_keys.FEEDS_WRITTEN) == 12, stats
    assert stat_count(stats, stat_keys.FEEDS_UNCHANGED) == 0, stats
    dropped = {
        key.removeprefix(stat_keys.DROPPED): count
        for key, count in stats.items()
        if key.startswith(stat_keys.DROPPED)
    }
    # These two reasons, once each, and no third.
    assert dropped == {"feed entry without a link": 1, "no article body found": 1}, stats
    assert "errors" not in result.stdout

    # Nothing of the dropped entries is written: five posts a site, five entries a feed.
    posts = sorted(p.name for p in (run / "sites").glob("*/_posts/*.md"))
    assert len(posts) == 20
    assert not any(name.startswith("2024-07-30") for name in posts), posts
    for path in (run / "sites").rglob("*.*"):
        text = path.read_text(encoding="utf-8")
        assert "카테고리" not in text, path
        assert "링크 없는 공지" not in text, path
    feeds = sorted((run / "sites").glob("*/feeds/*.xml"))
    assert len(feeds) == 8
    for feed_file in feeds:
        assert len(feedparser.parse(feed_file.read_bytes()).entries) == 5, feed_file
