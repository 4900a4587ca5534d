"""Nothing undecodable reaches a reader as U+FFFD: a crawl of the damaged-pages fixture site
over real HTTP leaves damaged bytes out of posts and feeds, says so once per page, counts it
per source, and refuses a page that is mostly undecodable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import feedparser
import frontmatter
import pytest

from sokbo import stats as stat_keys
from sokbo.outcome import crawl_counts, stat_count
from tests.support.cli import run_sokbo
from tests.support.configs import write_source_config
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import last_run_stats
from tests.support.sites import SITES

SITE = SITES / "damaged-pages"
FEED_SOURCE = 'kind = "feed"\nstart_urls = ["{base}/feed.xml"]'
# The one U+FFFD the site really has (the UTF-8 bytes EF BF BD): an article about it.
GENUINE = "김\ufffd수"
POSTS = {
    "/news/intact.html": "이용객이 적은 노선 5개는 통합된다",
    # Cut inside 봤, the last character that arrived: the text stops just before it.
    "/news/cut-short.html": "폭염이 이어질 것으로 내다</p>",
    # The stray bytes are gone, the words around them stay.
    "/news/stray-bytes.html": "물동량이 작년 같은 달보다 6% 증가했다고",
    "/news/replacement-character.html": f"'{GENUINE}'처럼 표시되는",
}


def test_the_site_is_damaged_as_described() -> None:
    cut = (SITE / "news/cut-short.html").read_bytes()
    assert cut.endswith("내다".encode() + "봤".encode()[:1])
    stray = (SITE / "news/stray-bytes.html").read_bytes()
    assert stray.count(b"\xff") == 2 and stray.count(b"\xfe") == 1
    assert b"\xef\xbf\xbd" in (SITE / "news/replacement-character.html").read_bytes()
    mixed = (SITE / "news/mixed-encodings.html").read_bytes()
    assert "올가을 대전에서".encode("cp949") in mixed and "관련 기사".encode() in mixed
    assert (SITE / "feed.xml").read_bytes().count(b"\xff") == 1


@pytest.mark.e2e
def test_damaged_bytes_never_reach_a_reader(tmp_path: Path) -> None:
    with serve_fixture(SITE) as server:
        config = write_source_config(tmp_path, server.base_url, FEED_SOURCE)
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    url = server.url

    # Posts for every article but the mostly undecodable one, each with its own text.
    written = {}
    for file in (tmp_path / "sites/out/_posts").glob("*.md"):
        post = frontmatter.load(file)
        written[str(post["source_url"]).removeprefix(server.base_url)] = post
    assert set(written) == set(POSTS), sorted(written)
    for path, snippet in POSTS.items():
        assert snippet in written[path].content, path
    # The excerpt comes from the feed, whose summary had a stray byte too.
    excerpt = str(written["/news/stray-bytes.html"]["excerpt"]).strip()
    assert excerpt == "부산항 물동량이 석 달 연속 늘었다."

    # No U+FFFD anywhere in what was written, but the one that is content.
    files = list((tmp_path / "sites").rglob("*.*"))
    assert len(files) == 4 + 3  # four posts, three feeds
    for file in files:
        text = file.read_text("utf-8")
        assert "\ufffd" not in text.replace(GENUINE, ""), file
    feeds = list((tmp_path / "sites/out/feeds").glob("*.xml"))
    for feed in feeds:
        assert GENUINE in feed.read_text("utf-8"), feed
        parsed: Any = feedparser.parse(feed.read_bytes())
        assert not parsed.bozo, (feed, parsed.get("bozo_exception"))
        assert len(parsed.entries) == 4

    # What the user reads: one line per damaged document, the drop said plainly ...
    log = result.stderr
    expected = [
        f"{url('/feed.xml')}: 1 character could not be decoded "
        "(left out; read as utf-8, chosen by header)",
        f"{url('/news/stray-bytes.html')}: 3 characters could not be decoded "
        "(left out; read as utf-8, chosen by meta)",
        f"{url('/news/mixed-encodings.html')}: 159 characters could not be decoded "
        "(left out; read as cp949, chosen by detected)",
        f"{url('/news/mixed-encodings.html')}: not an article: mostly undecodable "
        "(159 of 1771 characters); skipped",
    ]
    for line in expected:
        assert log.count(line) == 1, (line, log)
    # ... and nothing at all about the page cut short, whose end is no encoding problem.
    assert "cut-short" not in log
    assert not re.search(r"intact|replacement-character", log), log

    # Counted per source: the cut page too, though silently.
    stats = last_run_stats(tmp_path, "src")
    pages = [stat_count(stats, stat_keys.fetched(why)) for why in ("new", "changed", "recheck")]
    assert pages == [5, 0, 0], stats
    counts = crawl_counts(stats)
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (4, 0, 0), stats
    # One page dropped, for this one reason.
    assert counts["dropped"] == 1, stats
    assert stats[stat_keys.dropped("mostly undecodable")] == 1, stats
    assert stats[stat_keys.DECODE_CUT_AT_END] == 1
    assert stats[stat_keys.DECODE_ERROR_PAGES] == 3
    assert stats[stat_keys.DECODE_ERROR_CHARACTERS] == 1 + 3 + 159
