"""One small page per rule fitted on the WCXB development pages (bench/metadata.py).

Each rule is generic: the snippets are made up, not copied from the pages that showed the
need for the rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import lxml.html
import pytest

from sokbo.extract.article import parse_article
from sokbo.extract.metadata import authors, dates, parse_datetime_text, read_page, title
from sokbo.extract.presets import PRESETS
from sokbo.models import Page

NOW = datetime(2026, 4, 1, tzinfo=UTC)  # frozen: extraction never reads a clock
BODY = "<p>" + "A paragraph of the story that is long enough to be the body. " * 8 + "</p>"


def _page(head: str = "", body: str = "", lang: str = "") -> lxml.html.HtmlElement:
    attr = f' lang="{lang}"' if lang else ""
    return lxml.html.document_fromstring(
        f"<!doctype html><html{attr}><head>{head}</head><body>{body}</body></html>"
    )


def published_day(head: str = "", body: str = "", lang: str = "") -> tuple[date, str] | None:
    root = _page(head, body, lang)
    found, _ = dates(root, read_page(root), UTC, NOW)
    return (found.value.date(), found.source) if found else None


def names_of(head: str = "", body: str = "") -> tuple[str, ...]:
    root = _page(head, body)
    found = authors(root, read_page(root))
    return found.value if found else ()


def title_of(head: str = "", body: str = "") -> tuple[str, str] | None:
    root = _page(head, body)
    found = title(root, read_page(root))
    return (found.value, found.source) if found else None


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("28.04.2023", False, date(2023, 4, 28)),  # dots: day first everywhere
        ("04.05.2024", False, date(2024, 5, 4)),
        ("15/12/2025", False, date(2025, 12, 15)),  # 15 cannot be a month
        ("10/31/2024", True, date(2024, 10, 31)),  # 31 cannot be a day... of a month
        ("04/05/2024", False, date(2024, 4, 5)),  # US English
        ("04/05/2024", True, date(2024, 5, 4)),  # the page's locale writes the day first
    ],
)
def test_day_first_numeric_dates(text: str, day_first: bool, expected: date) -> None:
    found = parse_datetime_text(text, UTC, NOW, day_first=day_first)
    assert found is not None and found.date() == expected


def test_day_first_numeric_dates_not_in_version_numbers() -> None:
    assert parse_datetime_text("v1.2.2024", UTC, NOW) is None


def test_page_locale_decides_an_ambiguous_slash_date() -> None:
    body = "<h1>Ein Bericht aus der Stadt</h1><p>04/05/2024</p>" + BODY
    assert published_day(body=body, lang="de-DE") == (date(2024, 5, 4), "text:headline")
    assert published_day(body=body, lang="en-US") == (date(2024, 4, 5), "text:headline")


def test_unlabelled_date_line_under_the_headline() -> None:
    body = (
        "<h1>How the river changed course</h1><div>Jane Doe · December 15, 2025 · 5 min</div>"
        + BODY
        + "<p>See also a story of March 3, 2021.</p>"
    )
    assert published_day(body=body) == (date(2025, 12, 15), "text:headline")


def test_date_line_under_the_headline_skips_an_updated_date() -> None:
    body = "<h1>A headline</h1><p>Updated January 5, 2026 · First seen March 2, 2025</p>"
    assert published_day(body=body) == (date(2025, 3, 2), "text:headline")


@pytest.mark.parametrize(
    "name", ["published", "published-date", "w-published-date", "citation_publication_date"]
)
def test_publication_meta_name_variants(name: str) -> None:
    head = f'<meta name="{name}" content="2024-06-20T10:00:00Z">'
    assert published_day(head) == (date(2024, 6, 20), f"meta:{name}")


def test_itemprop_date_published_as_element_text() -> None:
    body = '<article><span itemprop="datePublished">March 5, 2024</span></article>'
    assert published_day(body=body) == (date(2024, 3, 5), "span[itemprop=datePublished]")


def test_itemprop_date_published_content_on_any_element() -> None:
    body = '<div itemprop="datePublished" content="2024-03-05">last spring</div>'
    assert published_day(body=body) == (date(2024, 3, 5), "div[itemprop=datePublished]")


@pytest.mark.parametrize(
    "script",
    [
        '<script id="__NEXT_DATA__" type="application/json">'
        '{"props":{"post":{"publishedAt":"2025-10-20T10:00:00Z"}}}</script>',
        '<script>window.__NUXT__={post:{publishedDate:"2025-10-20T00:00:00.000Z"}}</script>',
        '<script>var doc = {"first_publication_date":"2025-10-20T11:55:39+0000"};</script>',
    ],
)
def test_embedded_app_state_dates(script: str) -> None:
    assert published_day(body=script) == (date(2025, 10, 20), "script:published")


def test_embedded_json_ignores_ld_json_and_comment_dates() -> None:
    body = '<script>var c = {"createdAt":"2025-10-20","date":"2025-10-21"};</script>'
    assert published_day(body=body) is None


def test_modified_date_stands_in_for_the_crawl_time() -> None:
    html = (
        '<html><head><meta property="article:modified_time" content="2025-03-01T09:00:00Z">'
        f"</head><body><article><h1>A story</h1>{BODY}</article></body></html>"
    )
    page = Page("s", "https://example.com/a", "https://example.com/a", html, NOW)
    article = parse_article(page, PRESETS["generic"], UTC, "en")
    evidence = dict(article.evidence)
    assert article.published == datetime(2025, 3, 1, 9, tzinfo=UTC)
    assert evidence["published"] == "modified:article:modified_time"


def test_class_rule_skips_dates_of_related_stories() -> None:
    body = (
        "<article><h1>A story</h1>" + BODY + "</article>"
        '<article class="related"><span class="date">2026-03-20</span></article>'
    )
    assert published_day(body=body) is None


def test_class_rule_near_the_headline_without_an_article_element() -> None:
    body = (
        '<div class="sidebar"><span class="date">2026-03-20</span></div>'
        '<div class="post"><div class="head"><h1>A story</h1>'
        '<span class="post-date">Posted: 2024.06.20</span></div>' + BODY + "</div>"
    )
    assert published_day(body=body) == (date(2024, 6, 20), "text:Posted")
    body = body.replace("Posted: ", "")
    assert published_day(body=body) == (date(2024, 6, 20), "text:headline")


def test_class_rule_ignores_a_sidebar_when_the_page_has_no_headline() -> None:
    body = '<aside><span class="date">2026-03-20</span></aside><div class="date">2024-06-20</div>'
    assert published_day(body=body) == (date(2024, 6, 20), "text:.date")


# ---------------------------------------------------------------- bylines


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("Von Anna Schmidt und Peter Müller", ("Anna Schmidt", "Peter Müller")),
        ("von Anna Schmidt, dpa", ("Anna Schmidt",)),
        ("Par Jean Dupont et Marie Curie", ("Jean Dupont", "Marie Curie")),
        ("Door Jan de Vries", ("Jan de Vries",)),
        ("Ann Lee & Bo Kim", ("Ann Lee", "Bo Kim")),
        ("Ann Lee, Bo Kim, and Cy Park", ("Ann Lee", "Bo Kim", "Cy Park")),
    ],
)
def test_byline_prefixes_and_joiners(byline: str, expected: tuple[str, ...]) -> None:
    assert names_of(body=f'<div class="byline">{byline}</div>') == expected


@pytest.mark.parametrize("byline", ["BERLIN - Anna Schmidt", "Anna Schmidt, Berlin"])
def test_byline_drops_the_place(byline: str) -> None:
    assert names_of(body=f'<div class="byline">{byline}</div>') == ("Anna Schmidt",)


@pytest.mark.parametrize(
    "byline", ["Anna Schmidt Twitter Facebook", "Anna Schmidt More About Anna Schmidt »"]
)
def test_byline_drops_share_and_profile_widgets(byline: str) -> None:
    assert names_of(body=f'<div class="byline">{byline}</div>') == ("Anna Schmidt",)


@pytest.mark.parametrize(
    "byline",
    [
        "Jane Doe, MS, RD",
        "Jane Doe, Ph.D.",
        "Jane Doe, Dietitian",
        "Jane Doe Co-founder, Chief Architect",
        "Jane Doe Senior Autos Editor",
        "Author Jane Doe",
        "Jane Doe Jane Doe",
        "Jane Doe •",
    ],
)
def test_byline_drops_credentials_and_roles(byline: str) -> None:
    assert names_of(body=f'<div class="byline">{byline}</div>') == ("Jane Doe",)


@pytest.mark.parametrize("byline", ["By Jane Doe Dec 19, 2025", "Jane Doe Jul 3", "Jane Doe Dec"])
def test_byline_drops_a_written_out_date(byline: str) -> None:
    assert names_of(body=f'<div class="byline">{byline}</div>') == ("Jane Doe",)


@pytest.mark.parametrize("name", ["Theresa May", "April Ryan", "May Wong"])
def test_byline_keeps_month_like_first_and_last_names(name: str) -> None:
    assert names_of(body=f'<div class="byline">By {name}</div>') == (name,)


def test_byline_of_the_story_not_of_related_teasers() -> None:
    body = (
        '<div class="post"><span class="author">Jane Doe</span><p>text</p></div>'
        '<ul><li><span class="author">Ann Lee</span></li><li><span class="author">Bo Kim</span>'
        "</li></ul>"
    )
    assert names_of(body=body) == ("Jane Doe",)


def test_co_authors_in_one_byline_are_kept() -> None:
    body = '<p><a class="author">Jane Doe</a>, <a class="author">John Roe</a></p>'
    assert names_of(body=body) == ("Jane Doe", "John Roe")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("By Sofia Lind December 2, 2025", ("Sofia Lind",)),
        ("Updated: May 1, 2025 Written by: Eli Nass $ 41", ("Eli Nass",)),
        ("by: Zoe Xu , Dec 17, 2025 We are glad", ("Zoe Xu",)),
        ("Last updated Aug 04, 2025 Written by Ed Tab Table of contents", ("Ed Tab",)),
    ],
)
def test_plain_by_line_under_the_headline(line: str, expected: tuple[str, ...]) -> None:
    assert names_of(body=f"<h1>A headline</h1><p>{line}</p>{BODY}") == expected


def test_plain_by_far_from_the_headline_is_not_a_byline() -> None:
    body = f"<h1>A headline</h1>{BODY}<p>Photo by Sam Ray</p>"
    assert names_of(body=body) == ()


@pytest.mark.parametrize(
    "byline",
    ["The Investopedia Team", "Flatworld Solutions Editorial", "SmartEtailing Inc", "News Desk"],
)
def test_organisations_and_desks_are_not_people(byline: str) -> None:
    assert names_of(body=f'<div class="byline">{byline}</div>') == ()


# ---------------------------------------------------------------- titles


def test_visible_h1_beats_a_search_engine_og_title() -> None:
    head = '<meta property="og:title" content="Best Kettles 2025: Top 9 Picks | Site">'
    body = "<article><h1>The Nine Kettles We Would Buy Again</h1></article>"
    assert title_of(head, body) == ("The Nine Kettles We Would Buy Again", "h1")


def test_h1_equal_to_the_og_title_keeps_the_og_source() -> None:
    head = '<meta property="og:title" content="Nine kettles compared | Site">'
    assert title_of(head, "<h1>Nine kettles compared</h1>") == ("Nine kettles compared", "og:title")


@pytest.mark.parametrize("h1", ["Mobile menu", "Site", "Daily News"])
def test_navigation_site_or_section_h1_is_not_the_headline(h1: str) -> None:
    head = (
        '<meta property="og:site_name" content="Site">'
        '<meta property="og:title" content="Daily News - Rivers change course after rain">'
    )
    found = title_of(head, f"<h1>{h1}</h1>")
    assert found is not None and found[1] == "og:title"


def test_two_unrelated_h1s_outside_an_article_defer_to_og_title() -> None:
    head = '<meta property="og:title" content="Rivers change course">'
    body = "<h1>Rivers change course after heavy rain</h1><h1>Subscribe to our newsletter</h1>"
    assert title_of(head, body) == ("Rivers change course", "og:title")


# ---------------------------------------------------------------- authors in metadata


def test_lower_case_handle_in_metadata_kept_when_the_page_shows_it() -> None:
    head = '<meta name="author" content="jdoe">'
    assert names_of(head, "<p>Posted by jdoe</p>") == ("jdoe",)
    assert names_of(head, "<p>No name here</p>") == ()


def test_yoast_written_by_card() -> None:
    head = (
        '<meta name="twitter:label1" content="Written by">'
        '<meta name="twitter:data1" content="Jane Doe">'
    )
    assert names_of(head) == ("Jane Doe",)


def test_a_person_may_share_the_sites_name() -> None:
    head = (
        '<meta property="og:site_name" content="Jane Doe">'
        '<script type="application/ld+json">{"@type": "BlogPosting",'
        ' "author": {"@type": "Person", "name": "Jane Doe"}}</script>'
    )
    assert names_of(head) == ("Jane Doe",)


def test_written_by_in_an_author_box_below_the_story() -> None:
    body = f"<article><h1>A headline</h1>{BODY}<div>Written by Jane Doe</div></article>"
    assert names_of(body=body) == ("Jane Doe",)


def test_one_capitalised_word_amid_other_byline_text_is_no_name() -> None:
    assert names_of(body='<div class="byline">Wellness, Prevention, Health</div>') == ()
    assert names_of(body='<div class="byline">Amanda</div>') == ("Amanda",)


def test_byline_entities_escaped_twice_are_read() -> None:
    head = '<meta name="author" content="Maria &amp;amp; Katerina">'
    assert names_of(head) == ("Maria", "Katerina")


def test_abbreviated_title_after_a_name_is_dropped() -> None:
    body = '<div class="byline">Ben Johns, Sr. Director of Operations</div>'
    assert names_of(body=body) == ("Ben Johns",)
