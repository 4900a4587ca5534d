"""Extraction golden files: stored page (+ feed hint) in, expected JSON out, one per page."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sokbo.demo.server import SITE_ROOT
from sokbo.extract.article import ExtractError, parse_article
from sokbo.extract.presets import PRESETS
from sokbo.models import FeedHint, Page

GOLDEN = Path(__file__).parent / "golden/extract"
PAGES = Path(__file__).parent / "data/pages"
SEOUL = ZoneInfo("Asia/Seoul")
CRAWLED_AT = datetime(2024, 8, 1, 0, 0, tzinfo=UTC)  # frozen: extraction never reads a clock
BASE = "https://demo.tistory.com"

CASES = {
    **{f"demo-{n}": (SITE_ROOT / f"{n}.html", f"{BASE}/{n}", FeedHint()) for n in range(1, 6)},
    "no-meta": (
        PAGES / "no-meta.html",
        "https://small.tistory.com/7",
        FeedHint(title="피드 제목", published=datetime(2024, 7, 1, 3, 0, tzinfo=UTC)),
    ),
}


def extract(name: str) -> dict[str, object]:
    path, url, hint = CASES[name]
    html = path.read_text(encoding="utf-8").replace("__BASE__", BASE)
    page = Page(
        source_id="demo", url=url, final_url=url, html=html, fetched_at=CRAWLED_AT, hint=hint
    )
    article = parse_article(page, PRESETS["tistory"], SEOUL, "ko")
    fields = asdict(article)
    # Provenance for the incremental crawl, not extracted content.
    assert fields.pop("fetched_url") == url
    fields.pop("fingerprint")
    # The body is checked through the clean stage's golden tests; here its size and ends.
    body = fields.pop("body_html")
    assert isinstance(body, str)
    fields["body_start"], fields["body_end"] = body.strip()[:60], body.strip()[-60:]
    result: dict[str, object] = json.loads(json.dumps(fields, default=str, ensure_ascii=False))
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_extract_golden(name: str, update_golden: bool) -> None:
    actual = extract(name)
    golden = GOLDEN / f"{name}.json"
    if update_golden:
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_fallbacks_when_the_page_has_no_metadata() -> None:
    fields = extract("no-meta")
    assert fields["title"] == "속보 테스트 글"  # <title> without the blog's name
    assert fields["url"] == "https://small.tistory.com/7"  # cross-host canonical ignored
    assert fields["image"] == "https://small.tistory.com/attach/photo.jpg"  # no pixels
    assert fields["published"] == "2024-07-01 03:00:00+00:00"  # the feed's date
    excerpt = str(fields["excerpt"])
    assert excerpt.startswith("첫 문장은 여기에서 끝납니다. 두 번째 문장도 짧습니다!")
    assert len(excerpt) <= 300 and excerpt.endswith(".")


def test_page_without_body_or_title_is_refused() -> None:
    page = Page("demo", BASE, BASE, "<html><body><p>login</p></body></html>", CRAWLED_AT)
    with pytest.raises(ExtractError, match=r"no title found|no article body found"):
        parse_article(page, PRESETS["tistory"], SEOUL, "ko")


def test_feed_content_stands_in_for_a_missing_body() -> None:
    hint = FeedHint(title="제목", content_html="<p>피드 본문</p>")
    page = Page("demo", BASE, BASE, "<html><body></body></html>", CRAWLED_AT, hint=hint)
    article = parse_article(page, PRESETS["tistory"], SEOUL, "ko")
    assert (article.title, article.body_html, article.published) == (
        "제목",
        "<p>피드 본문</p>",
        CRAWLED_AT,
    )


def test_naive_dates_take_the_source_time_zone() -> None:
    html = (
        '<html><head><meta property="og:title" content="t">'
        '<meta property="article:published_time" content="2024-06-21T08:31:00"></head>'
        '<body><div class="contents_style"><p>x</p></div></body></html>'
    )
    page = Page("demo", BASE, BASE, html, CRAWLED_AT)
    article = parse_article(page, PRESETS["tistory"], SEOUL, "ko")
    assert article.published == datetime(2024, 6, 21, 8, 31, tzinfo=SEOUL)
