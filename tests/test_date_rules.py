"""One small page per publication-date rule fitted on the WCXB development pages.

The snippets are made up, not copied from the pages that showed the need for a rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import lxml.html
import pytest

from sokbo.extract.datetext import labelled
from sokbo.extract.metadata import dates, read_page

NOW = datetime(2026, 4, 1, tzinfo=UTC)  # frozen: extraction never reads a clock
PROSE = "<p>" + "A paragraph of the story that is long enough to be the body. " * 8 + "</p>"
STANDFIRST = (
    "<p>"
    + "A standfirst that sums the story up in a few sentences, as long as many are. " * 5
    + "</p>"
)


def published_day(head: str = "", body: str = "", lang: str = "en") -> tuple[date, str] | None:
    attr = f' lang="{lang}"' if lang else ""
    root = lxml.html.document_fromstring(
        f"<!doctype html><html{attr}><head>{head}</head><body>{body}</body></html>"
    )
    found, _ = dates(root, read_page(root), UTC, NOW)
    return (found.value.date(), found.source) if found else None


# ---------------------------------------------------------------- the date line


def test_date_line_past_a_long_standfirst() -> None:
    body = (
        "<article><h1>Shared services explained</h1>" + STANDFIRST + "<p>Jane Doe</p>"
        "<div><p><span>23.07.2025</span><span> · </span><span>6 min read</span></p></div>"
        + PROSE
        + "</article>"
    )
    assert published_day(body=body) == (date(2025, 7, 23), "text:headline")


def test_date_line_not_in_a_paragraph_nor_in_another_story() -> None:
    story = "the story goes on for a while. " * 6
    body = (
        "<h1>Shared services explained</h1>" + STANDFIRST
        + f"<p>Back on March 3, 2021 the team met, and {story}</p>"
        + '<div class="related"><p>Another story</p><p>12.01.2026</p></div>'
        + "<div><span>Jane Doe</span> <span>23.07.2025</span></div>"
    )  # fmt: skip
    assert published_day(body=body) == (date(2025, 7, 23), "text:headline")


def test_an_h2_is_the_headline_of_a_main_without_h1() -> None:
    body = (
        "<main><div><h2>Introducing the new accelerator</h2>"
        "<div><p>Jane Doe</p><small>December 17, 2025</small></div></div>" + PROSE + "</main>"
    )
    assert published_day(body=body) == (date(2025, 12, 17), "text:headline")


# ---------------------------------------------------------------- re-stamped markup


def _ld(published: str, modified: str) -> str:
    return (
        '<script type="application/ld+json">{"@type": "Article", '
        f'"datePublished": "{published}", "dateModified": "{modified}"}}</script>'
    )


@pytest.mark.parametrize(
    ("published", "modified", "expected"),
    [
        # Published and never edited, yet later than the page's own date line: a re-stamp.
        ("2025-06-24T10:00:00Z", "2025-06-24T10:00:00Z", (date(2024, 8, 25), "text:headline")),
        # An edit after publication: the markup keeps its word.
        ("2025-06-24T10:00:00Z", "2025-09-01T10:00:00Z", None),
        # A day apart is a time zone, not a re-stamp.
        ("2024-08-26T02:00:00Z", "2024-08-26T02:00:00Z", None),
    ],
)
def test_markup_date_restamped_later_than_the_date_line(
    published: str, modified: str, expected: tuple[date, str] | None
) -> None:
    body = (
        "<article><h1>How much to charge for a class</h1>"
        "<div><div>Jane Doe</div><div>August 25, 2024</div></div>" + PROSE + "</article>"
    )
    markup = (date.fromisoformat(published[:10]), "json-ld:Article.datePublished")
    # Without the date line, the markup's date stands.
    assert published_day(_ld(published, modified), PROSE) == markup
    assert published_day(_ld(published, modified), body) == (expected or markup)


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize("label", ["Post time:", "Publish date", "Publication date:"])
def test_publication_labels_naming_a_date_or_time(label: str) -> None:
    found, _ = labelled(f"Share this {label} 01-04-2024 Next", UTC, NOW)
    assert found is not None and found[0].date() == date(2024, 1, 4)


# ---------------------------------------------------------------- the URL


def _canonical(url: str) -> str:
    return f'<link rel="canonical" href="{url}">'


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/2023/10/03/wine-styles/",
        "https://example.com/blog/2023/october/03/wine-styles",
        "https://example.com/notes/2023-10-03-wine-styles",
    ],
)
def test_url_path_date_when_the_page_gives_none(url: str) -> None:
    body = "<article><h1>How many wine styles are there?</h1>" + PROSE + "</article>"
    assert published_day(_canonical(url), body) == (date(2023, 10, 3), "url")


@pytest.mark.parametrize(
    ("line", "expected"),
    [("03/10/2023", date(2023, 10, 3)), ("04/10/2023", date(2023, 4, 10))],
)
def test_url_path_date_settles_day_and_month_of_a_numeric_date(line: str, expected: date) -> None:
    # US English reads "03/10/2023" as 10 March; the URL says 3 October. Another day
    # ("04/10/2023") is not the URL's either way and is left as read.
    head = '<meta property="og:url" content="https://example.com/blog/2023/october/03/styles">'
    body = f"<article><h1>How many wine styles are there?</h1><p>{line}</p>{PROSE}</article>"
    assert published_day(head, body) == (expected, "text:headline")
