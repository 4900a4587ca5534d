"""Is a page an article? Generic signals that tell a story from service, product,
collection, forum, listing and documentation pages.

Used for pages a listing crawl follows on its own (no feed or sitemap vouched for them):
a wrong "yes" turns an about page into a post dated the crawl day, a wrong "no" loses a
story. The verdict weighs what the page says about itself (schema.org types, og:type,
publication dates) against what it looks like (repeated teasers, prose in one block,
forum posts, code and documentation marks), and the URL. No per-site rules.
The signals are read in `pagesignals`. Pure and fast: no network, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import lxml.html

from sokbo.extract.pagemeta import PageMeta
from sokbo.extract.pagesignals import TYPE_GROUPS, Signals, read_signals

__all__ = ["NO_EVIDENCE", "Signals", "Verdict", "is_article", "judge", "read_signals"]

_STORY_TYPES = TYPE_GROUPS["story"]
_PRODUCT_TYPES = TYPE_GROUPS["product"]
_FORUM_TYPES = TYPE_GROUPS["forum"]
_COLLECTION_TYPES = TYPE_GROUPS["collection"]
_SERVICE_TYPES = frozenset({"AboutPage", "ContactPage", "ProfilePage", "CheckoutPage"})


@dataclass(frozen=True)
class Verdict:
    """Whether the page is an article, and why (the phrase logged and counted on refusal)."""

    article: bool
    reason: str


def is_article(root: lxml.html.HtmlElement, url: str, info: PageMeta | None = None) -> Verdict:
    """The verdict on one page; `url` is where it was fetched (its path is evidence),
    `info` its metadata when the caller has read it already."""
    return judge(read_signals(root, url, info))


def judge(s: Signals) -> Verdict:
    """The verdict from the signals: points for and against, summed.

    A refusal names the heaviest signal against that says what the page is (a product,
    a listing, a legal notice...); failing one, a page with no date and no article schema
    is "no date and no article schema; looks like a service page", the commonest case;
    else the heaviest remaining signal (little prose, mostly links). The points were
    fitted on half A of the WCXB development pages and kept where they held on half B
    (bench/pagetype.py).
    """
    for_it = _evidence_for(s)
    against = _evidence_against(s)
    score = sum(sign.points for sign in for_it) - sum(sign.points for sign in against)
    if score >= THRESHOLD:
        return Verdict(True, "article (" + ", ".join(sign.phrase for sign in for_it) + ")")
    naming = [sign for sign in against if sign.names_page]
    if naming:
        return Verdict(False, f"not an article ({max(naming, key=_points).phrase})")
    if not s.dated and not s.types & _STORY_TYPES:
        return Verdict(False, f"not an article ({NO_EVIDENCE})")
    worst = max(against, key=_points, default=_Sign(0, "too little that says article"))
    return Verdict(False, f"not an article ({worst.phrase})")


NO_EVIDENCE = "no date and no article schema; looks like a service page"


class _Sign(NamedTuple):
    """One piece of evidence: its points, how a log line says it, and whether it says
    what kind of page this is (and so can be the reason for a refusal)."""

    points: int
    phrase: str
    names_page: bool = True


def _points(sign: _Sign) -> int:
    return sign.points


# The points, fitted on half A of the WCXB development pages and kept where they held on
# half B (bench/pagetype.py). A page is an article when the points for it exceed those
# against by THRESHOLD: a publication date alone (4) passes, og:type article alone (1),
# which WordPress gives its about pages, does not.
THRESHOLD = 2
PROSE = 2000  # characters of prose in one block that read as a story
LONG_PROSE = 6000
SHORT_PROSE = 400
TEASERS = 12
CODE_LINES = 40
LINK_DENSITY = 0.4
POSTS = 3
BYLINE = 1
SLUG_WORDS = 5
SLUG_POINTS = 3
CALLS = 4
# An undated explainer or guide says what it is in its headline and its URL. On the WCXB
# pages with no date and no article schema, a story-worded headline marks about 40 % of
# the articles and 2 % of the service pages (forum questions have their own signals
# against); a page under /blog/, /articles/... is nearly always a story. (A headline that
# only names what is sold, "Consulting Services", was tried against: it held on half A
# and broke even on half B, so it is not used.)
STORY_HEADLINE = 3
STORY_SECTION = 2
# What the URL path says, in points against: shop, forum and documentation sections are
# rarely wrong; an index or legal path on a story's URL is rarer still.
_PATH_POINTS = {
    "an index page": 6,
    "a home page": 6,
    "an about page": 6,
    "a contact page": 6,
    "a legal notice": 6,
    "a login or search page": 6,
    "a service page": 3,
    "a shop page": 8,
    "a forum page": 8,
    "a documentation page": 8,
}
_PLAIN = False  # a _Sign that does not say what the page is


def _evidence_for(s: Signals) -> list[_Sign]:
    found: list[_Sign] = []
    story = sorted(s.types & _STORY_TYPES)
    if story:
        found.append(_Sign(3, f"schema.org {story[0]}"))
    if s.dated:
        found.append(_Sign(4, "a publication date"))
    if s.byline:
        found.append(_Sign(BYLINE, "an author"))
    if s.og_type == "article":
        found.append(_Sign(1, "og:type article"))
    if s.story_headline:
        found.append(_Sign(STORY_HEADLINE, "a headline worded as a story"))
    if s.story_section:
        found.append(_Sign(STORY_SECTION, "a story section in the URL"))
    if s.slug_words >= SLUG_WORDS:
        found.append(_Sign(SLUG_POINTS, "a headline in the URL"))
    if s.prose >= PROSE:
        found.append(_Sign(3 + (s.prose >= LONG_PROSE), "prose"))
    return found


def _evidence_against(s: Signals) -> list[_Sign]:
    found: list[_Sign] = []
    if s.types & _PRODUCT_TYPES or s.og_type.startswith("product") or s.og_type.endswith(":item"):
        found.append(_Sign(8, "product page: schema.org Product"))
    if s.types & _FORUM_TYPES or s.comments >= 3:
        found.append(_Sign(4, "forum thread: posts by several users"))
    if s.posts >= POSTS:
        found.append(_Sign(3, "forum thread: posts with a user and a date"))
    if s.legal_title:
        found.append(_Sign(6, "a legal notice by its title"))
    if service := sorted(s.types & _SERVICE_TYPES):
        found.append(_Sign(4, f"schema.org {service[0]}"))
    if s.types & _COLLECTION_TYPES or s.og_type == "product.group":
        found.append(_Sign(3, "collection page: schema.org ItemList"))
    if s.path_kind:
        found.append(_Sign(_PATH_POINTS[s.path_kind], f"{s.path_kind} by its URL"))
    if s.teasers >= TEASERS:
        found.append(_Sign(2, "a listing of teasers"))
    if s.code_lines >= CODE_LINES:
        found.append(_Sign(2 + (s.code_lines >= 150), "documentation: code blocks"))
    if s.doc_marks:
        found.append(_Sign(3 * s.doc_marks, "documentation: a docs site's page"))
    if s.cart:
        found.append(_Sign(1, "shop page: add to cart"))
    if s.text and s.link_text / s.text >= LINK_DENSITY:
        found.append(_Sign(4, "mostly links", _PLAIN))
    if s.calls >= CALLS:
        found.append(_Sign(1, "calls to action", _PLAIN))
    if s.prose < SHORT_PROSE:
        found.append(_Sign(2, "little prose", _PLAIN))
    if "WebPage" in s.types and not s.types & _STORY_TYPES:
        found.append(_Sign(1, "schema.org WebPage, not an article", _PLAIN))
    return found
