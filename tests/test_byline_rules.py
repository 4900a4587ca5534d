"""One small page per byline rule fitted on the WCXB development pages (bench/metadata.py).

Each rule is generic: the snippets are made up, not copied from the pages that showed the
need for the rule. Every test fails without its rule.
"""

from __future__ import annotations

import lxml.html

from sokbo.extract.metadata import authors, read_page
from sokbo.extract.names import names

STORY = "<p>" + "A paragraph of the story that is long enough to be read as one. " * 6 + "</p>"


def names_of(head: str = "", body: str = "") -> tuple[str, ...]:
    root = lxml.html.document_fromstring(
        f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
    )
    found = authors(root, read_page(root))
    return found.value if found else ()


# ---------------------------------------------------------------- names.py


def test_reading_time_beside_the_name_is_dropped() -> None:
    assert names(["Ann Example 7 min read"]) == ("Ann Example",)
    assert names(["Ann Example Jul 18, 2025 4 mins"]) == ("Ann Example",)


def test_a_team_or_desk_is_nobody() -> None:
    # Trimming "Team" as a role word used to leave "Pricing Widgets" as a person.
    assert names(["Pricing Widgets Team"], structured=True) == ()
    assert names(["Metro Desk"], structured=True) == ()


def test_sign_in_link_is_no_name() -> None:
    assert names(["Sign In"]) == ()
    assert names(["Log in"], structured=True) == ()


def test_the_site_name_is_refused_before_cleaning() -> None:
    # "Widgetly7" loses nothing to cleaning now, but "Travel Expert" sites used to be
    # trimmed to a word that no longer matched the site's name.
    assert names(["Widgetly7"], ["Widgetly7"], structured=True) == ()
    head = (
        '<meta property="og:site_name" content="Sunny Travel Expert">'
        '<meta name="author" content="Sunny Travel Expert">'
    )
    assert names_of(head, f"<article><h1>Ten beaches</h1>{STORY}</article>") == ()


def test_digits_inside_a_word_are_no_date() -> None:
    # A forum handle keeps its digits; a date beside a name still goes.
    assert names(["FrostyOwl45"]) == ("FrostyOwl45",)
    assert names(["Ann Example 2024-06-20"]) == ("Ann Example",)


def test_role_after_a_comma_is_not_more_people() -> None:
    text = "By Ann Example, Home and Garden Security Expert"
    assert names([text]) == ("Ann Example",)
    assert names(["Bo Sample, Trial Attorney"]) == ("Bo Sample",)


def test_an_admin_account_is_no_person() -> None:
    assert names(["Widget Admin"], structured=True) == ()
    assert names(["Site Administrator"], structured=True) == ()


# ---------------------------------------------------------------- bylines.py


def test_by_after_a_prose_word_is_no_byline() -> None:
    body = (
        "<article><h1>How we help</h1><p>The fund was established by Parliament in "
        f"1990 to pay for repairs.</p>{STORY}</article>"
    )
    assert names_of(body=body) == ()


def test_by_after_a_control_word_is_no_byline() -> None:
    body = f"<main><h1>Tents</h1><div>Shop by Brand Alpine Gear</div>{STORY}</main>"
    assert names_of(body=body) == ()
    body = f"<main><h1>Tents</h1><div>Photo by Ann Example</div>{STORY}</main>"
    assert names_of(body=body) == ()


def test_writer_before_reviewer() -> None:
    body = (
        "<article><h1>Ten trips</h1><p>Reviewed by: Bo Sample</p>"
        f"<p>Written by Ann Example | June 3, 2025</p>{STORY}</article>"
    )
    assert names_of(body=body) == ("Ann Example",)


def test_byline_in_a_testimonial_is_no_byline() -> None:
    body = (
        f"<main><h1>Moving services</h1>{STORY}</main><aside class='testimonials'>"
        "<blockquote>Great movers!</blockquote><div class='author'>Ann Example</div></aside>"
    )
    assert names_of(body=body) == ()


def test_bylines_of_teaser_cards_are_no_byline() -> None:
    card = (
        "<li class='card post-{n}'><h2><a href='/s{n}'>A story about something else {n}</a>"
        "</h2><span class='author'>{w}</span></li>"
    )
    people = ((1, "Ann Example"), (2, "Bo Sample"), (3, "Cy Tester"))
    cards = "".join(card.format(n=n, w=w) for n, w in people)
    body = f"<h1>Latest news</h1><ul class='cards'>{cards}</ul>"
    assert names_of(body=body) == ()


def test_name_further_in_the_byline_block() -> None:
    body = (
        "<article><h1>A story</h1><div class='meta'><div class='author-meta'>June 3, 2025 "
        "· 5 min read</div><div><span class='author-name'>Ann Example</span></div></div>"
        f"{STORY}</article>"
    )
    assert names_of(body=body) == ("Ann Example",)


def test_written_by_stops_at_the_greeting() -> None:
    body = (
        f"<article><h1>A story</h1>{STORY}<div>Written by Ann Example Hi! I'm Ann and I "
        "write about gardens.</div></article>"
    )
    assert names_of(body=body) == ("Ann Example",)


def test_written_by_stops_at_the_full_stop() -> None:
    body = (
        f"<article><h1>A story</h1>{STORY}<div>Written by Ann Example. She Grows Roses "
        "in a small garden.</div></article>"
    )
    assert names_of(body=body) == ("Ann Example",)
