"""Golden extraction per platform preset and for the generic path.

Each stored page under tests/data/presets/ (bytes as the server sent them, plus an optional
JSON sidecar: url, preset, timezone, fetched_at, language, encoding, feed hint) goes through
`parse_article` and the clean stage; every field of the result is compared with
tests/golden/presets/<name>.json. `--update-golden` rewrites those expectations, never the
pages. The behaviours each page exists for are asserted again field by field below, so that
a wrong expectation accepted by mistake cannot hide them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import pytest

from sokbo.config import PresetName
from sokbo.extract import metadata
from sokbo.extract.article import parse_article
from sokbo.extract.clean import clean_html
from sokbo.extract.presets import PRESETS
from sokbo.models import Article, FeedHint, Page
from sokbo.web.encoding import decode_html

PAGES = Path(__file__).parent / "data/presets"
GOLDEN = Path(__file__).parent / "golden/presets"
# Frozen crawl time: extraction never reads a clock, and year-less dates need a "now".
DEFAULT_FETCHED_AT = "2024-07-01T00:00:00+09:00"
DEFAULT_TIMEZONE = "Asia/Seoul"
DEFAULT_LANGUAGE = "ko"

NAMES = sorted(path.stem for path in PAGES.glob("*.html"))
GENERIC = [name for name in NAMES if name.startswith("generic-")]


@dataclass(frozen=True)
class Stored:
    """One stored page as a spider would hand it over, with how to extract it."""

    page: Page
    preset: PresetName
    timezone: ZoneInfo
    language: str | None
    encoding: str


def _sidecar(name: str) -> dict[str, Any]:
    path = PAGES / f"{name}.json"
    if not path.exists():
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _hint(fields: dict[str, Any]) -> FeedHint:
    return FeedHint(
        title=fields.get("title"),
        published=_when(fields.get("published")),
        updated=_when(fields.get("updated")),
        summary=fields.get("summary"),
        categories=tuple(fields.get("categories", ())),
        content_html=fields.get("content_html"),
        speculative=bool(fields.get("speculative", False)),
    )


@functools.cache
def stored(name: str) -> Stored:
    meta = _sidecar(name)
    # Decoded as the spiders decode responses: a CP949 page is stored as CP949 bytes.
    decoded = decode_html((PAGES / f"{name}.html").read_bytes())
    url = meta.get("url", f"https://www.example.com/{name}")
    page = Page(
        source_id=name,
        url=url,
        final_url=meta.get("final_url", url),
        html=decoded.text,
        fetched_at=datetime.fromisoformat(meta.get("fetched_at", DEFAULT_FETCHED_AT)),
        hint=_hint(meta.get("hint", {})),
    )
    return Stored(
        page=page,
        preset=meta.get("preset", name.split("-")[0]),
        timezone=ZoneInfo(meta.get("timezone", DEFAULT_TIMEZONE)),
        language=meta.get("language", DEFAULT_LANGUAGE),
        encoding=decoded.encoding,
    )


@functools.cache
def extract(name: str) -> Article:
    """The article as the pipeline stores it: extracted, then its body cleaned."""
    source = stored(name)
    article = parse_article(source.page, PRESETS[source.preset], source.timezone, source.language)
    return replace(article, body_html=clean_html(article.body_html, article.url))


def golden_fields(article: Article) -> dict[str, Any]:
    """Every field of the article as JSON; the body one line per list item, for review."""
    fields = asdict(article)
    # A hash of the feed hint: provenance for the incremental crawl, not extracted content.
    fields.pop("fingerprint")
    for key in ("published", "modified"):
        value = fields[key]
        fields[key] = value.isoformat() if value is not None else None
    for key in ("categories", "authors", "tags"):
        fields[key] = list(fields[key])
    fields["evidence"] = dict(article.evidence)
    fields["body_html"] = article.body_html.splitlines()
    return fields


def body_tree(article: Article) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(article.body_html, create_parent="div")


def image_sources(article: Article) -> list[str]:
    return [str(img.get("src")) for img in body_tree(article).iter("img")]


def body_text(article: Article) -> str:
    return " ".join(str(body_tree(article).text_content()).split())


@pytest.mark.parametrize("name", NAMES)
def test_preset_golden(name: str, update_golden: bool) -> None:
    actual = golden_fields(extract(name))
    golden = GOLDEN / f"{name}.json"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_every_page_is_stored_in_its_declared_encoding() -> None:
    for name in NAMES:
        declared = _sidecar(name).get("encoding", "utf-8")
        assert stored(name).encoding == declared, name


# --- where the body came from -------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in NAMES if name not in GENERIC])
def test_preset_pages_take_the_body_from_the_preset(name: str) -> None:
    preset = stored(name).preset
    assert dict(extract(name).evidence)["body"].startswith(f"preset:{preset} ")


@pytest.mark.parametrize("name", GENERIC)
def test_generic_pages_take_the_body_from_the_generic_extractor(name: str) -> None:
    assert stored(name).preset == "generic"
    assert dict(extract(name).evidence)["body"] == "generic"


# --- dates --------------------------------------------------------------------------


def test_a_korean_date_line_is_the_only_date_needed() -> None:
    # No meta, JSON-LD or <time>: only "입력 2024.06.20 오후 02:30" under the headline.
    article = extract("kr_news-regional-cp949")
    assert article.published.isoformat() == "2024-06-20T14:30:00+09:00"
    assert article.modified is None


def test_a_naive_published_time_takes_the_source_time_zone() -> None:
    article = extract("generic-naive-date")
    assert article.published.isoformat() == "2024-06-20T09:15:00+09:00"
    assert article.modified is not None
    assert article.modified.isoformat() == "2024-06-20T11:40:27+09:00"


def test_explicit_offsets_are_kept() -> None:
    article = extract("generic-jsonld-english")
    assert article.published.isoformat() == "2024-06-20T03:00:00+00:00"
    assert article.modified is not None
    assert article.modified.isoformat() == "2024-06-20T05:45:00+00:00"


# --- titles, authors, tags ----------------------------------------------------------


def test_of_two_h1_the_headline_wins_over_the_site_name() -> None:
    article = extract("generic-two-h1")
    assert article.title == "자율주행 셔틀, 세종 도심 정규 노선 달린다"
    assert dict(article.evidence)["title"] == "h1"


def test_reporter_role_and_e_mail_are_stripped_from_the_author() -> None:
    # The byline box reads "홍길동 기자 hong@example.co.kr".
    assert extract("kr_news-regional-cp949").authors == ("홍길동",)


def test_json_ld_author_list_and_keywords() -> None:
    article = extract("generic-jsonld-english")
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.tags == ("Seoul", "heat wave", "public health", "weather")
    assert article.language == "en"


def test_yoast_graph_author_is_found_through_its_id() -> None:
    # The theme's byline wins for this page; the Yoast graph alone must give the same name.
    root = lxml.html.document_fromstring(stored("wordpress-news-theme").page.html)
    found = metadata.authors(root, metadata.read_page(root))
    assert found is not None
    assert (found.value, found.source) == (("김민지",), "json-ld:NewsArticle.author")


def test_smarteditor_one_post_fields_come_from_the_preset() -> None:
    article = extract("naver_blog-smarteditor-one")
    evidence = dict(article.evidence)
    assert article.title == "부산 해수욕장 7곳 조기 개장, 야간 개장도 확대"
    assert article.authors == ("파도소리",)
    assert article.published.isoformat() == "2024-06-21T09:05:00+09:00"
    assert (evidence["title"], evidence["authors"], evidence["published"]) == (
        "preset:.se-title-text",
        "preset:.nick .link",
        "preset:.se_publishDate",
    )


# --- encoding -----------------------------------------------------------------------


def test_a_cp949_page_reads_as_hangul() -> None:
    assert stored("kr_news-regional-cp949").encoding == "cp949"
    article = extract("kr_news-regional-cp949")
    # 똠 is one of the syllables CP949 added to EUC-KR: a strict EUC-KR decode fails on it.
    assert article.title == "유성 '세계 음식 축제' 22일 개막… 똠얌꿍부터 케밥까지"
    assert "태국 똠얌꿍과 튀르키예 케밥" in body_text(article)
    assert "\ufffd" not in json.dumps(golden_fields(article), ensure_ascii=False)


# --- images -------------------------------------------------------------------------


def test_a_logo_og_image_gives_way_to_the_article_photo() -> None:
    article = extract("generic-logo-og-image")
    assert article.image == (
        "https://www.gbtoday.example/data/news/2024/06/20/20240620_101512_drone.jpg"
    )


@pytest.mark.parametrize("name", ["generic-lazy-images", "wordpress-news-theme"])
def test_lazy_images_get_their_real_address(name: str) -> None:
    sources = image_sources(extract(name))
    assert sources
    for src in sources:
        assert src.startswith(("https://", "http://")), src
        assert not any(mark in src for mark in ("data:", "blank.gif", "placeholder", "pixel"))


def test_lazy_image_addresses_are_resolved_per_loader() -> None:
    sources = image_sources(extract("generic-lazy-images"))
    assert sources[0] == "https://cdn.outdoor-mag.example/2024/06/tarp-1200x800.jpg"
    assert sources[1] == "https://outdoor-mag.example/uploads/2024/06/fan.jpg"
    assert sources[2].startswith("https://outdoor-mag.example/uploads/2024/06/net-")
    assert sources[3] == "https://cdn.outdoor-mag.example/2024/06/icebox.jpg"
    assert len(sources) == 4  # the 1x1 tracking pixel is gone


def test_images_inside_table_cells_are_kept() -> None:
    tree = body_tree(extract("generic-table-images"))
    cells = [str(img.get("src")) for img in tree.iterfind(".//table//td//img")]
    assert cells == [
        f"http://www.designwide.example/news/photo/202406/40512_{n}.jpg" for n in (1, 2, 3, 4)
    ]


def test_tistory_image_block_and_table_survive_cleaning() -> None:
    tree = body_tree(extract("tistory-current-skin"))
    assert [str(img.get("src")) for img in tree.iterfind(".//figure//img")] == [
        "https://blog.kakaocdn.net/dn/bq3Xy1/btsHZk7QwEr/k2nP0aLmQ4vT8sXyZ1aBc0/img.jpg"
    ]
    assert len(tree.findall(".//table//tr")) == 4


# --- platform furniture -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "furniture"),
    [
        ("tistory-current-skin", ["카테고리의 다른 글", "공유하기", "AdFit", "반응형"]),
        ("tistory-old-skin", ["카테고리의 다른 글", "공유하기", "저작자표시"]),
        ("tistory-entry-content", ["카테고리의 다른 글", "구독하기", "AdFit"]),
        ("wordpress-news-theme", ["공유하기", "Facebook", "관련", "보육 예산"]),
        ("naver_blog-smarteditor-one", ["부산광역시 시정소식", "www.busan.go.kr"]),
        ("kr_news-regional-cp949", ["관련기사", "온천문화축제", "무단전재"]),
    ],
)
def test_platform_widgets_inside_the_body_are_dropped(name: str, furniture: list[str]) -> None:
    text = body_text(extract(name))
    assert [word for word in furniture if word in text] == []


# --- extractor bugs found while reviewing the goldens, fixed since -----------------------


def test_blogger_abbr_published_title_gives_the_time() -> None:
    assert extract("blogger-post").published.isoformat() == "2024-06-20T14:30:00+09:00"


def test_generic_pages_keep_their_og_image() -> None:
    article = extract("generic-naive-date")
    assert article.image == (
        "https://img.bitgoeul-tv.example/news/2024/06/20/kickboard_parking_1200.jpg"
    )
    assert dict(article.evidence)["image"] == "og:image"


def test_smarteditor_one_images_use_the_lazy_source() -> None:
    sources = image_sources(extract("naver_blog-smarteditor-one"))
    assert sources[0].endswith("beach_opening.jpg?type=w773")


def test_script_only_links_do_not_point_back_at_the_page() -> None:
    article = extract("naver_blog-smarteditor-one")
    hrefs = [str(a.get("href")) for a in body_tree(article).iter("a")]
    assert article.url not in hrefs


def test_old_editor_post_names_the_blogger() -> None:
    assert extract("naver_blog-old-editor").authors == ("봄날의곰",)


def test_srcset_only_images_take_the_widest_candidate() -> None:
    sources = image_sources(extract("generic-lazy-images"))
    assert sources[2] == "https://outdoor-mag.example/uploads/2024/06/net-1440.jpg"
