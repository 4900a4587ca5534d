"""What a page says about its own kind, read once: the signals `pagetype` weighs.

Kept apart from the verdict so that bench/pagetype.py reports on exactly what the package
reads. Fast by leaving the walking to libxml2: the body is copied with chrome cut out, its
text read in one call, and Python loops only over the elements that matter (paragraphs,
links, headings, dates), at most `MAX_ELEMENTS` of each kind. The URL is read in
`pageurl`. Pure: no network, no clock.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import lxml.html
from lxml import etree
from lxml.etree import XPath

from sokbo.extract import jsonld, pageurl
from sokbo.extract.datetext import labelled, parse_datetime_text
from sokbo.extract.pagemeta import PageMeta, read_page

_PUBLISHED_META = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "og:regdate", "dc.date",
    "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date",
)  # fmt: skip
_AUTHOR_META = (
    "author",
    "article:author",
    "byl",
    "dc.creator",
    "sailthru.author",
    "parsely-author",
)
# The text a label such as "Published" or 입력 is looked for in; a byline sits near the top.
_LABEL_SPAN = 1500
# Any date found counts as evidence, so the bound only has to admit every real one.
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# Past this many links, paragraphs, list items... of one kind, the page has said what it
# is; the rest costs time only (a few pages hold ten thousand elements and more).
MAX_ELEMENTS = 600
# The phrase patterns read this much text at most.
_MAX_TEXT = 30_000

# Elements whose text is chrome or not text at all.
_CHROME = frozenset(
    {"nav", "header", "footer", "aside", "script", "style", "noscript", "template",
     "select", "button", "svg", "iframe", "figure", "label", "form"}
)  # fmt: skip
# Where a list of cards or posts can sit (not inline elements, not table rows).
_CONTAINERS = frozenset({"div", "section", "ul", "ol", "main", "article", "body", "tbody", "dl"})
_TEASER_MARKS = frozenset({"h2", "h3", "h4", "h5", "img"})
T = TypeVar("T")
_PARAGRAPH = 120  # characters a block of prose has at least

_CART = re.compile(
    r"add(?:ed)?\s+to\s+(?:cart|bag|basket)|buy\s+now|장바구니|바로\s*구매|구매하기|checkout"
)
# The titles of a site's legal notices (a privacy policy is long, dated prose at times).
_LEGAL_TITLE = re.compile(
    r"^\s*(?:privacy(?: policy| notice| statement)?|cookie policy|terms(?: of (?:use|service))?"
    r"|terms (?:and|&) conditions|legal notice|disclaimer|imprint|impressum"
    r"|개인정보\s*처리\s*방침|이용\s*약관|서비스\s*약관)\s*(?:$|[|\-–—:·])",
    re.I,
)
# What service and landing pages ask of the reader.
_CALLS = re.compile(
    r"get (?:a|your) (?:free )?(?:quote|estimate|consultation)|request a (?:demo|quote|call)"
    r"|book (?:now|a |an |your )|schedule (?:a|an|your) |contact us|call (?:us|now|today)"
    r"|get started|sign up|free trial|enroll now|apply now|상담\s*신청|문의하기|견적",
)
# How an explainer, a how-to or a guide is titled, dated or not: a question, "how to",
# "N ways", "tips", "X vs Y". A service page's questions are about itself ("What we do",
# "Why choose us", "How it works"), hence the lookahead.
_STORY_HEADLINE = re.compile(
    r"^(?:how|what|why|when|where|which|who)\s+(?!(?:\S+\s+){0,2}(?:we|us|our)\b|it works\b)"
    r"|^(?:\S+\s+){3,}\S*\?\s*$"
    r"|\bhow to\b|\bguide (?:to|for)\b"
    r"|\b(?:beginner'?s?|complete|ultimate|buying|essential|definitive) guide\b"
    r"|^(?:top\s+)?\d{1,2}\+?\s+(?:\S+\s+){0,3}\S+s\b|\btop\s+\d{1,3}\b"
    r"|\b(?:tips|ways|steps|things|mistakes|reasons|lessons learned)\b|\bexplained\b"
    r"|\bvs\.?\s|\bversus\b|\beverything you need\b|\b(?:benefits|history|pros and cons) of\b"
    r"|\bintroduction to\b|방법|\d+\s*가지",
    re.I,
)
# What documentation sites print around a page, and the tools that build them.
_DOC_TEXT = re.compile(
    r"edit this page|edit on github|was this page helpful|view page source"
    r"|이 페이지 편집|이 문서를 편집",
)
_DOC_GENERATOR = re.compile(r"mediawiki|docusaurus|sphinx|mkdocs|gitbook|vitepress|docfx", re.I)
_DOC_TYPES = frozenset({"TechArticle", "APIReference"})


@dataclass(frozen=True)
class Signals:
    """What the verdict is made of, read in one walk of the page."""

    types: frozenset[str]  # schema.org types from JSON-LD and microdata
    og_type: str
    dated: bool  # a publication date in metadata or after a label
    byline: bool  # an author named in metadata or marked in the page
    path_kind: str | None  # what the URL says the page is, if anything
    slug_words: int  # words in the URL's last segment: a story's URL spells its headline
    story_section: bool  # the URL is a page under /blog/, /articles/, /news/...
    legal_title: bool  # a title such as "Privacy Policy" or 이용약관
    story_headline: bool  # a headline worded as a how-to, a question, "N ways", "X vs Y"
    text: int  # characters of text outside navigation and other chrome
    link_text: int  # of those, characters inside links
    prose: int  # characters of prose in the block that holds the most
    teasers: int  # the largest group of like siblings that each hold a heading and a link
    posts: int  # the largest group of like siblings that each hold a date and a user
    comments: int  # microdata Comment / forum post items
    code_lines: int  # lines of preformatted code
    cart: bool
    calls: int  # calls to action: "get a quote", "book now", "request a demo", ...
    doc_marks: int  # documentation markers: TechArticle, "Edit this page", a docs generator


def read_signals(root: lxml.html.HtmlElement, url: str, info: PageMeta | None = None) -> Signals:
    """Every signal the verdict weighs, from the parsed page and the URL it came from;
    `info` is the page's metadata when the caller has read it already."""
    info = info or read_page(root)
    objects, meta = info.jsonld, info.meta
    body = root.find("body")
    page = _read_body(body if body is not None else root)
    itemtypes = page.itemtypes
    types = {t for obj in objects for t in jsonld.types_of(obj)} | itemtypes
    lowered = page.all_text[:_MAX_TEXT].lower()  # once, for the phrase patterns (no re.I)
    title = root.find("head/title")
    title_text = title.text_content() if title is not None else ""
    h1 = next(root.iter("h1"), None)
    h1_text = " ".join(h1.text_content().split()) if h1 is not None else ""
    headline = h1_text or " ".join(title_text.split())
    url_shape = pageurl.read_url(url)
    return Signals(
        types=frozenset(types),
        og_type=meta.get("og:type", "").lower(),
        dated=_dated(objects, meta, page.all_text[:_LABEL_SPAN]),
        byline=_byline(root, objects, meta),
        path_kind=url_shape.kind,
        slug_words=url_shape.slug_words,
        story_section=url_shape.story_section,
        legal_title=any(_LEGAL_TITLE.search(t) for t in (title_text, h1_text) if t),
        story_headline=bool(_STORY_HEADLINE.search(headline)),
        text=page.text,
        link_text=page.link_text,
        prose=page.prose,
        teasers=page.teasers,
        posts=page.posts,
        comments=sum(1 for t in itemtypes if t in ("Comment", "DiscussionForumPosting", "Answer")),
        code_lines=page.code_lines,
        cart=bool(_CART.search(lowered)),
        calls=len(_CALLS.findall(lowered)),
        doc_marks=len(set(_DOC_TEXT.findall(lowered)))
        + bool(_DOC_GENERATOR.search(meta.get("generator", "")))
        + bool(types & _DOC_TYPES),
    )


def _itemtypes(root: lxml.html.HtmlElement) -> set[str]:
    """Microdata types (Product, Comment, NewsArticle...), bare names."""
    found = _ITEMTYPES(root)
    values = [str(v).split()[:1] for v in (found if isinstance(found, list) else [])]
    return {re.split(r"[/:#]", first[0])[-1] for first in values if first}


def _byline(
    root: lxml.html.HtmlElement, objects: list[dict[str, object]], meta: dict[str, str]
) -> bool:
    """An author in metadata, or marked in the page (searched last: it is the slowest).
    The whole page is searched: an article's header, chrome elsewhere, holds its byline."""
    if any(meta.get(key) for key in _AUTHOR_META):
        return True
    if any(obj.get("author") for _, obj in jsonld.articles(objects)):
        return True
    # A byline sits by the headline: look around the first <h1> when there is one (an
    # "author" class in a sidebar or under comments says nothing of the story).
    scope = next(root.iter("h1"), None)
    for _ in range(4):
        if scope is None:
            break
        scope = scope.getparent()
    return bool(_AUTHOR_MARK(scope if scope is not None else root))


@dataclass
class _Body:
    """What the text of the page's body holds, chrome left out."""

    text: int = 0
    link_text: int = 0
    prose: int = 0
    teasers: int = 0
    posts: int = 0
    code_lines: int = 0
    all_text: str = ""
    itemtypes: frozenset[str] = frozenset()


# Past this depth above a heading or a link, an ancestor is a section, not a card.
_CARD_DEPTH = 5
_ITEMTYPES = XPath("//@itemtype", smart_strings=False)
_AUTHOR_MARK = XPath(
    "boolean(.//@class[contains(., 'author') or contains(., 'byline')]"
    " | .//@rel[. = 'author'] | .//@itemprop[. = 'author'])"
)
_USER_MARKS = XPath(
    ".//*[contains(@class,'author') or contains(@class,'user') or contains(@class,'poster')"
    " or contains(@class,'member') or @itemprop='author']"
)
# Blocks with a long run of their own text (a text node, not only their children's):
# prose written straight into a <div> or <td>. Found from the text nodes up, which
# libxml2 does faster than testing every block for long text.
_LONG_OWN_TEXT = XPath(
    "//text()[string-length() > 60]/parent::*[self::div or self::td or self::li"
    " or self::blockquote or self::section or self::dd]"
)


def _read_body(body: lxml.html.HtmlElement) -> _Body:
    """Counts over a copy of the body with chrome (navigation, header, footer, aside,
    scripts...) cut out: related links and menus are on every page and say nothing of
    what this one is. Copying and cutting are done by libxml2 and cost less than
    checking every element's ancestors in Python; the page itself is left as it was."""
    found = _Body()
    page = copy.deepcopy(body)
    etree.strip_elements(page, *_CHROME, etree.Comment, with_tail=False)
    found.all_text = " ".join(etree.tostring(page, method="text", encoding=str).split())
    found.text = len(found.all_text)
    found.link_text = sum(len(a.text_content().strip()) for a in _first(page.iter("a")))
    times = list(page.iter("time"))
    found.code_lines = sum(pre.text_content().count("\n") + 1 for pre in _first(page.iter("pre")))
    _prose(found, page)
    found.teasers = _teasers(page)
    found.posts = _posts(times) if len(times) >= 3 else 0
    # Microdata of chrome (a site's Organization, its navigation) says nothing of the page.
    found.itemtypes = frozenset(_itemtypes(page))
    return found


def _first(elements: Iterable[T]) -> Iterator[T]:
    return itertools.islice(elements, MAX_ELEMENTS)


def _prose(found: _Body, page: lxml.html.HtmlElement) -> None:
    """The most prose (in a <p>, or a block whose own text is long, with few links)
    under one parent or grandparent: a story split in <section>s or
    wrapped per paragraph is still one block."""
    by_holder: dict[lxml.html.HtmlElement, int] = {}
    others = _LONG_OWN_TEXT(page)
    others = others[:MAX_ELEMENTS] if isinstance(others, list) else []
    for element in [*_first(page.iter("p")), *others]:
        if not isinstance(element, lxml.html.HtmlElement):
            continue
        if element.tag == "p":
            raw = element.text_content()
        else:
            raw = (element.text or "") + "".join(child.tail or "" for child in element)
        if len(raw) < _PARAGRAPH:  # spaces only shrink it: most <p>s end here, cheaply
            continue
        size = len(" ".join(raw.split()))
        if size < _PARAGRAPH:
            continue
        if sum(len(a.text_content()) for a in element.iter("a")) >= 0.3 * size:
            continue
        holder = element.getparent() if element.tag == "p" else element
        for _ in range(2):
            if holder is None:
                break
            by_holder[holder] = by_holder.get(holder, 0) + size
            holder = holder.getparent()
    found.prose = max(by_holder.values(), default=0)


def _groups(starts: list[lxml.html.HtmlElement]) -> dict[tuple[object, str, str], set[object]]:
    """For each element and its ancestors up to _CARD_DEPTH, the group of like siblings
    it belongs to: (parent, tag, class) -> the siblings reached."""
    groups: dict[tuple[object, str, str], set[object]] = {}
    for start in starts:
        element = start
        for _ in range(_CARD_DEPTH):
            parent = element.getparent()
            if parent is None:
                break
            if parent.tag in _CONTAINERS:
                key = (parent, str(element.tag), element.get("class") or "")
                groups.setdefault(key, set()).add(element)
            element = parent
    return groups


def _teasers(page: lxml.html.HtmlElement) -> int:
    """The largest group of like siblings that each hold a heading or an image and a
    link: the cards of a listing, a shop category, a search page."""
    linked: set[object] = set()
    for link in _first(page.iter("a")):
        linked.add(link)
        linked.update(itertools.islice(link.iterancestors(), _CARD_DEPTH))
    groups = _groups(list(_first(page.iter(*_TEASER_MARKS))))
    return max((len(cards & linked) for cards in groups.values()), default=0)


def _posts(times: list[lxml.html.HtmlElement]) -> int:
    """The largest group of like siblings that each hold a date and a user: the replies
    of a forum thread."""
    best = 0
    for cards in _groups(times).values():
        if len(cards) > best:
            best = max(best, sum(1 for card in cards if _has_user(card)))
    return best


def _has_user(card: object) -> bool:
    found = _USER_MARKS(card) if isinstance(card, lxml.html.HtmlElement) else []
    return bool(found)


def _dated(objects: list[dict[str, object]], meta: dict[str, str], head: str) -> bool:
    """A publication date in JSON-LD, meta tags or after a label near the top of the text."""
    # A WebPage's dates describe the page template as often as the story: not evidence.
    for kind, obj in jsonld.articles(objects):
        if kind != "WebPage" and any(
            _a_date(obj.get(key)) for key in ("datePublished", "dateCreated")
        ):
            return True
    if any(_a_date(meta.get(key)) for key in _PUBLISHED_META):
        return True
    published, _ = labelled(head, UTC, _LATEST)
    return published is not None


def _a_date(value: object) -> bool:
    """A value that reads as a date: an empty or template value ("{{date}}") is no evidence."""
    return isinstance(value, str) and parse_datetime_text(value, UTC, _LATEST) is not None


_STORY_TYPES = frozenset(
    {
        "Article", "NewsArticle", "BlogPosting", "Report", "ReportageNewsArticle",
        "AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle",
        "ReviewNewsArticle", "LiveBlogPosting", "ScholarlyArticle", "Blog",
        "SatiricalArticle", "Recipe", "HowTo",
    }
)  # fmt: skip
# schema.org types grouped by what they say the page is; one feature per group.
TYPE_GROUPS = {
    "story": _STORY_TYPES,
    "product": frozenset({"Product", "ProductGroup", "IndividualProduct", "ProductModel"}),
    "forum": frozenset({"DiscussionForumPosting", "QAPage", "Question"}),
    "collection": frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "OfferCatalog"}),
    "service": frozenset({"AboutPage", "ContactPage", "ProfilePage", "CheckoutPage", "Service"}),
    "doc": _DOC_TYPES,
    "webpage": frozenset({"WebPage"}),
    "organization": frozenset({"Organization", "LocalBusiness", "Corporation"}),
    "faq": frozenset({"FAQPage"}),
    "breadcrumbs": frozenset({"BreadcrumbList"}),
}
