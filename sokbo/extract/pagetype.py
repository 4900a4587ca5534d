"""Is a page an article? Generic signals that tell a story from service, product,
collection, forum, listing and documentation pages.

Used for pages a listing crawl follows on its own (no feed or sitemap vouched for them):
a wrong "yes" turns an about page into a post dated the crawl day, a wrong "no" loses a
story. The verdict weighs what the page says about itself (schema.org types, og:type,
publication dates) against what it looks like (repeated teasers, prose in one block,
forum posts, code and documentation marks), and the URL. No per-site rules.
Pure and fast: one walk of the tree, no network, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml.etree import XPath

from sokbo.extract import jsonld
from sokbo.extract.datetext import labelled

# schema.org types that say "a story".
_STORY_TYPES = frozenset(
    {
        "Article", "NewsArticle", "BlogPosting", "Report", "ReportageNewsArticle",
        "AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle",
        "ReviewNewsArticle", "LiveBlogPosting", "ScholarlyArticle", "Blog",
        "SatiricalArticle", "Recipe", "HowTo",
    }
)  # fmt: skip
_PRODUCT_TYPES = frozenset({"Product", "ProductGroup", "IndividualProduct", "ProductModel"})
_FORUM_TYPES = frozenset({"DiscussionForumPosting", "QAPage", "Question"})
_COLLECTION_TYPES = frozenset({"CollectionPage", "ItemList", "SearchResultsPage", "OfferCatalog"})
_SERVICE_TYPES = frozenset({"AboutPage", "ContactPage", "ProfilePage", "CheckoutPage"})
_DOC_TYPES = frozenset({"TechArticle", "APIReference"})

_PUBLISHED_META = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "og:regdate", "dc.date",
    "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date",
)  # fmt: skip
# The text a label such as "Published" or 입력 is looked for in; a byline sits near the top.
_LABEL_SPAN = 4000
# Any date found counts as evidence, so the bound only has to admit every real one.
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# Elements whose text is chrome or not text at all.
_CHROME = frozenset(
    {"nav", "header", "footer", "aside", "script", "style", "noscript", "template",
     "select", "button", "svg", "iframe", "figure", "label"}
)  # fmt: skip
# Where a list of cards or posts can sit (not inline elements, not table rows).
_CONTAINERS = frozenset({"div", "section", "ul", "ol", "main", "article", "body", "tbody", "dl"})
_BLOCKS = frozenset({"p", "div", "td", "li", "blockquote", "section", "dd"})
_PARAGRAPH = 120  # characters a block of prose has at least
_CART = re.compile(
    r"add(?:ed)?\s+to\s+(?:cart|bag|basket)|buy\s+now|장바구니|바로\s*구매|구매하기|checkout"
)
_ITEMTYPED = XPath("//*[@itemtype]")
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
_AUTHOR_META = (
    "author",
    "article:author",
    "byl",
    "dc.creator",
    "sailthru.author",
    "parsely-author",
)
_AUTHOR_MARK = (
    "//*[@rel='author' or @itemprop='author' or contains(@class,'byline') or "
    "contains(@class,'author')][1]"
)
# What documentation sites print around a page, and the tools that build them.
_DOC_TEXT = re.compile(
    r"edit this page|edit on github|was this page helpful|view page source"
    r"|이 페이지 편집|이 문서를 편집",
)
_DOC_GENERATOR = re.compile(r"mediawiki|docusaurus|sphinx|mkdocs|gitbook|vitepress|docfx", re.I)

# Path patterns of pages that are not stories, with what they say the page is. Index
# segments count only at the end of the path (/tag/x/), since many sites keep stories
# under /topics/... or /category/.../story-slug.
_PATH_RULES = (
    (re.compile(r"/(?:tags?|category|categories|topics?|section|archives?|author|authors)"
                r"(?:/[^/]+)?/?$", re.I), "an index page"),
    # Page 2 onwards of a list; article URLs often carry the list's "page=1" along.
    (re.compile(r"/page/\d+/?$|[?&](?:page|paged)=(?:[2-9]|\d{2,})(?:&|$)", re.I),
     "an index page"),
    (re.compile(r"/(?:about(?:-us)?|company|team|careers?|jobs)/?$", re.I), "an about page"),
    (re.compile(r"/contact(?:-us)?/?$", re.I), "a contact page"),
    (re.compile(r"/(?:privacy|privacy-policy|terms|terms-of-(?:use|service)|terms-and-conditions"
                r"|tos|legal|cookies?|cookie-policy|disclaimer|imprint|impressum)(?:\.[a-z]+)?/?$",
                re.I), "a legal notice"),
    (re.compile(r"/(?:services?|solutions?|pricing|plans)(?:/|$)", re.I), "a service page"),
    (re.compile(r"/(?:products?|shop|store|item|cart|checkout|dp|collections)/", re.I),
     "a shop page"),
    (re.compile(r"/(?:forums?|threads?|topic|t|questions|discussions?|community|board|comments)/"
                r"|/(?:viewtopic|showthread|showtopic)\b", re.I), "a forum page"),
    (re.compile(r"/(?:docs?|documentation|wiki|reference|api|manual)/", re.I),
     "a documentation page"),
    (re.compile(r"/(?:login|signin|sign-in|register|signup|search)(?:\.[a-z]+)?/?$|"
                r"/wp-login\.php", re.I), "a login or search page"),
)  # fmt: skip


_SLUG_SPLIT = re.compile(r"[-_+\s]+")
_EXTENSION = re.compile(r"\.(?:s?html?|php|aspx?|jsp)$", re.I)

# A host name that says what the whole site is: docs.example.com, forum.example.com.
_HOST_RULE = re.compile(r"(docs?|developers?|wiki|forums?|community|bbs|shop|store)\.", re.I)
_HOST_KINDS = {
    "doc": "a documentation page", "docs": "a documentation page",
    "developer": "a documentation page", "developers": "a documentation page",
    "wiki": "a documentation page", "forum": "a forum page", "forums": "a forum page",
    "community": "a forum page", "bbs": "a forum page", "shop": "a shop page",
    "store": "a shop page",
}  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """Whether the page is an article, and why (the phrase logged and counted on refusal)."""

    article: bool
    reason: str


@dataclass(frozen=True)
class Signals:
    """What the verdict is made of, read in one walk of the page."""

    types: frozenset[str]  # schema.org types from JSON-LD and microdata
    og_type: str
    dated: bool  # a publication date in metadata or after a label
    path_kind: str | None  # what the URL path says the page is, if anything
    slug_words: int  # words in the URL's last segment: a story's URL spells its headline
    teasers: int  # the largest group of like siblings that each hold a heading and a link
    posts: int  # the largest group of like siblings that each hold a date and a user
    prose: int  # characters of prose in the block that holds the most
    text: int  # characters of text outside navigation and other chrome
    link_text: int  # of those, characters inside links
    code_lines: int  # lines of preformatted code
    cart: bool
    comments: int  # microdata Comment / forum post items
    legal_title: bool  # a title such as "Privacy Policy" or 이용약관
    byline: bool  # an author named in metadata or marked in the page
    calls: int  # calls to action: "get a quote", "book now", "request a demo", ...
    doc_marks: int  # documentation markers: TechArticle, "Edit this page", a docs generator


def is_article(root: lxml.html.HtmlElement, url: str) -> Verdict:
    """The verdict on one page; `url` is where it was fetched (its path is evidence)."""
    return judge(read_signals(root, url))


def read_signals(root: lxml.html.HtmlElement, url: str) -> Signals:
    """Every signal the verdict weighs (kept apart from `judge` so the bench can show them)."""
    objects = jsonld.read_jsonld(root)
    types = {t for obj in objects for t in jsonld.types_of(obj)}
    meta = _meta(root)
    comments = 0
    found = _ITEMTYPED(root)
    for element in found if isinstance(found, list) else []:
        if not isinstance(element, lxml.html.HtmlElement):
            continue
        first = element.get("itemtype", "").split()[:1]
        if first:
            name = re.split(r"[/:#]", first[0])[-1]
            types.add(name)
            comments += name in ("Comment", "DiscussionForumPosting", "Answer")
    code_lines = sum(element.text_content().count("\n") + 1 for element in root.iter("pre"))
    body = root.find("body")
    if body is None:
        body = root
    walk = _walk(body)
    lowered = walk.all_text.lower()  # once, for the phrase patterns below (no re.I: faster)
    return Signals(
        types=frozenset(types),
        og_type=meta.get("og:type", "").lower(),
        dated=_dated(objects, meta, walk.head_text),
        path_kind=_path_kind(url),
        slug_words=_slug_words(url),
        teasers=walk.teasers,
        posts=walk.posts,
        prose=walk.prose,
        text=walk.text,
        link_text=walk.link_text,
        code_lines=code_lines,
        cart=bool(_CART.search(lowered)),
        comments=comments,
        legal_title=_legal_title(root),
        byline=_byline(root, objects, meta),
        calls=len(_CALLS.findall(lowered)),
        doc_marks=len(set(_DOC_TEXT.findall(lowered)))
        + bool(_DOC_GENERATOR.search(meta.get("generator", "")))
        + bool(types & _DOC_TYPES),
    )


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
    if s.slug_words >= SLUG_WORDS:
        found.append(_Sign(SLUG_POINTS, "a headline in the URL"))
    if s.prose >= PROSE:
        found.append(_Sign(3 + (s.prose >= LONG_PROSE), f"{s.prose} characters of prose"))
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
        found.append(_Sign(2, f"a listing of {s.teasers} teasers"))
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


@dataclass(frozen=True)
class _Walk:
    text: int
    link_text: int
    prose: int
    teasers: int
    posts: int
    head_text: str
    all_text: str


def _walk(body: lxml.html.HtmlElement) -> _Walk:
    """Text, link text, prose per block and runs of teasers and posts, in one walk that
    skips chrome (navigation, header, footer, aside): related links and menus are on
    every page and say nothing of what this one is."""
    pieces: list[str] = []
    text = link_text = teasers = posts = 0
    prose_by_parent: dict[lxml.html.HtmlElement, int] = {}
    stack = [(body, False)]
    while stack:
        element, in_link = stack.pop()
        tag = element.tag
        in_link = in_link or tag == "a"
        parts = [element.text] if element.text else []
        parts += [child.tail for child in element if child.tail]
        stack += [
            (child, in_link)
            for child in reversed(element)
            if isinstance(child.tag, str) and child.tag not in _CHROME
        ]
        if tag in _CONTAINERS and len(element) >= 3:
            run, post_run = _runs(element)
            teasers, posts = max(teasers, run), max(posts, post_run)
        own = " ".join("".join(parts).split()) if parts else ""
        if own:
            pieces.append(own)
            text += len(own)
            if in_link:
                link_text += len(own)
        if tag in _BLOCKS:
            block = " ".join(element.text_content().split()) if tag == "p" else own
            if len(block) >= _PARAGRAPH:
                links = sum(len(a.text_content()) for a in element.iter("a"))
                if links < 0.3 * len(block):
                    # Credited to the parent and the grandparent: a story split in
                    # <section>s or wrapped per paragraph is still one block.
                    parent = element.getparent() if tag == "p" else element
                    for holder in (parent, parent.getparent() if parent is not None else None):
                        if holder is not None:
                            prose_by_parent[holder] = prose_by_parent.get(holder, 0) + len(block)
    all_text = " ".join(pieces)
    return _Walk(
        text=text,
        link_text=link_text,
        prose=max(prose_by_parent.values(), default=0),
        teasers=teasers,
        posts=posts,
        head_text=all_text[:_LABEL_SPAN],
        all_text=all_text,
    )


def _meta(root: lxml.html.HtmlElement) -> dict[str, str]:
    meta: dict[str, str] = {}
    for element in root.iter("meta"):
        content = (element.get("content") or "").strip()
        if content:
            for attr in ("property", "name", "itemprop"):
                for key in (element.get(attr) or "").lower().split():
                    meta.setdefault(key, content)
    return meta


def _dated(objects: list[dict[str, object]], meta: dict[str, str], head: str) -> bool:
    """A publication date in JSON-LD, meta tags or after a label near the top of the text."""
    # A WebPage's dates describe the page template as often as the story: not evidence.
    for kind, obj in jsonld.articles(objects):
        if kind != "WebPage" and (obj.get("datePublished") or obj.get("dateCreated")):
            return True
    if any(meta.get(key) for key in _PUBLISHED_META):
        return True
    published, _ = labelled(head, UTC, _LATEST)
    return published is not None


def _legal_title(root: lxml.html.HtmlElement) -> bool:
    title = root.find(".//title")
    heading = next(root.iter("h1"), None)
    return any(
        element is not None and _LEGAL_TITLE.search(element.text_content())
        for element in (title, heading)
    )


def _byline(
    root: lxml.html.HtmlElement, objects: list[dict[str, object]], meta: dict[str, str]
) -> bool:
    if any(meta.get(key) for key in _AUTHOR_META):
        return True
    if any(obj.get("author") for _, obj in jsonld.articles(objects)):
        return True
    return bool(root.xpath(_AUTHOR_MARK))


def _slug_words(url: str) -> int:
    """Words in the last path segment ("how-to-bake-sourdough-at-home.html": 5); numbers
    do not count, so an id such as 12345 or 2024 is no word."""
    segments = [part for part in unquote(urlsplit(url).path).split("/") if part]
    if not segments:
        return 0
    last = _EXTENSION.sub("", segments[-1])
    return sum(1 for word in _SLUG_SPLIT.split(last) if word and not word.isdigit())


def _path_kind(url: str) -> str | None:
    parts = urlsplit(url)
    host = _HOST_RULE.match(parts.hostname or "")
    if host:
        return _HOST_KINDS[host.group(1).lower()]
    if parts.path in ("", "/") and not parts.query:
        return "a home page"
    path = unquote(parts.path) + (f"?{parts.query}" if parts.query else "")
    for pattern, kind in _PATH_RULES:
        if pattern.search(path):
            return kind
    return None


def _runs(parent: lxml.html.HtmlElement) -> tuple[int, int]:
    """The largest groups of like children (same tag and class) that look like teasers
    (a heading or an image, and a link: the cards of a listing, a shop category, a search
    page) and like posts (a date and a user: the replies of a forum thread)."""
    teasers: dict[tuple[str, str], int] = {}
    posts: dict[tuple[str, str], int] = {}
    for child in parent:
        if not isinstance(child.tag, str) or child.tag in _CHROME:
            continue
        key = (child.tag, child.get("class") or "")
        if key not in teasers and len(teasers) >= 20:
            continue
        teasers.setdefault(key, 0)
        if child.tag == "a" or next(child.iter("a"), None) is not None:
            teasers[key] += next(child.iter(*_TEASER_MARKS), None) is not None
        if next(child.iter("time"), None) is not None and _USER_MARK(child):
            posts[key] = posts.get(key, 0) + 1
    return max(teasers.values(), default=0), max(posts.values(), default=0)


_TEASER_MARKS = ("h2", "h3", "h4", "h5", "img")
_USER_MARK = XPath(
    "boolean(.//*[contains(@class,'author') or contains(@class,'user') or "
    "contains(@class,'poster') or contains(@class,'member') or @itemprop='author'])"
)
