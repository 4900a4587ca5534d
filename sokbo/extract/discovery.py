"""Pure feed discovery: which URLs of a site are its feeds.

Three ways, cheapest first for the caller to combine: a platform whose feed URL follows
from the blog's address (`known_feed_url`), `<link rel="alternate">` autodiscovery in a
page (`discover_feeds`), and well-known paths to probe (`FALLBACK_FEED_PATHS`), each
answer checked with `looks_like_feed` before it is parsed.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urldefrag, urlsplit

from lxml import etree

from sokbo.web.htmlparse import parse_document
from sokbo.web.urls import http_url

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
    }
)

# Tistory `/rss`, WordPress `/feed/` (and `/feed` redirecting to it), Blogger
# `/feeds/posts/default`, Hugo `/index.xml`, Jekyll (jekyll-feed) `/feed.xml`.
FALLBACK_FEED_PATHS: tuple[str, ...] = (
    "/rss",
    "/feed",
    "/feed/",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feeds/posts/default",
)

_COMMENT_WORDS = ("comment", "댓글")
SNIFF_BYTES = 2048


def _absolute(base: str, href: str) -> str | None:
    """`href` resolved against `base`, without a fragment, if it is http(s)."""
    url = http_url(href, base)
    return urldefrag(url).url if url else None


def _parse_html(html: str) -> etree._Element | None:
    # The page is already text (decoded by the caller); blank text has no tree.
    try:
        root: etree._Element = parse_document(html)
    except (etree.ParserError, ValueError):
        return None
    return root


def discover_feeds(html: str, page_url: str) -> list[str]:
    """Absolute feed URLs a page advertises with `<link rel="alternate" type=...>`.

    In document order and de-duplicated, except that comment feeds (title or href
    mentioning "comment" or "댓글") come last, and a bare `application/json` link, which
    WordPress also uses for its REST API, comes after the links typed as feeds.
    Relative hrefs resolve against `<base href>` when there is one; hrefs that are not
    http(s) are ignored.
    """
    root = _parse_html(html)
    if root is None:
        return []
    base = page_url
    for element in root.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            base = _absolute(page_url, href) or base
            break  # only the first <base href> counts
    ranked: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for position, link in enumerate(root.iter("link")):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        url = _absolute(base, href)
        if url is None or url in seen:
            continue
        seen.add(url)
        about = f"{link.get('title') or ''} {href}".lower()
        if any(word in about for word in _COMMENT_WORDS):
            rank = 2
        else:
            rank = 1 if kind == "application/json" else 0
        ranked.append((rank, position, url))
    return [url for _, _, url in sorted(ranked)]


_PROLOG = re.compile(
    rb"""\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^>\[]|\[.*?\])*>)""", re.DOTALL | re.IGNORECASE
)
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|RDF|feed)[\s>/]")
_JSON_FEED = re.compile(
    rb'^\{.*?"version"\s*:\s*"https:\\?/\\?/jsonfeed\.org\\?/version\\?/', re.DOTALL
)


def looks_like_feed(body: bytes) -> bool:
    """A cheap sniff: an RSS, RSS 1.0 (RDF) or Atom root element, or a JSON Feed version,
    within the first 2 KB after a BOM, whitespace, the XML declaration, processing
    instructions (e.g. xml-stylesheet), comments and a doctype."""
    head = body[: SNIFF_BYTES + 2]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    head = head.removeprefix(b"\xef\xbb\xbf")[:SNIFF_BYTES]
    if _JSON_FEED.match(head.lstrip()):
        return True
    position = 0
    while match := _PROLOG.match(head, position):
        position = match.end()
    return _ROOT.match(head[position:].lstrip()) is not None


_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>/]", re.IGNORECASE)
_ROOT_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def _sniffed(body: bytes) -> bytes:
    """The first 2 KB after a BOM and leading whitespace, as UTF-8 when it was UTF-16."""
    head = body[: SNIFF_BYTES + 2]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:SNIFF_BYTES]


def looks_like_html(body: bytes, content_type: str | None = None) -> bool:
    """A web page: served as HTML, or an HTML doctype or an html, head or body tag
    within the first 2 KB (a page served as text/plain or without a type still counts).
    Only for a document already known not to be a feed: feeds are often served as HTML."""
    if content_type and "html" in content_type.lower():
        return True
    return _HTML.search(_sniffed(body)) is not None


def describe_document(body: bytes, content_type: str | None = None) -> str:
    """What a document that is not a feed seems to be, in a few words, for the message
    that says so: `an empty body`, `an HTML page`, `XML whose root is <urlset>`, `JSON
    that is not a JSON Feed`, `text/plain starting 'Service Unavailable'`."""
    head = _sniffed(body)
    if not head:
        return "an empty body"
    if looks_like_html(body, content_type):
        return "an HTML page"
    if head.startswith(b"{") or head.startswith(b"["):
        return "JSON that is not a JSON Feed"
    if head.startswith(b"<"):
        position = 0
        while match := _PROLOG.match(head, position):
            position = match.end()
        root = _ROOT_NAME.match(head[position:].lstrip())
        if root:
            return f"XML whose root is <{root.group(1).decode('ascii', 'replace')}>"
    served = (content_type or "").split(";")[0].strip().lower()
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return f"binary data ({served})" if served else "binary data"
    start = " ".join(text.split())[:40]
    return f"{served or 'text'} starting {start!r}"


_NAVER_ID = re.compile(r"[A-Za-z0-9_-]{2,40}")


def _naver_blog_id(path: str, query: str) -> str | None:
    # PostList.naver?blogId=<id>, PostView.naver?blogId=<id>&logNo=...
    from_query = parse_qs(query).get("blogId", [""])[0]
    if _NAVER_ID.fullmatch(from_query):
        return from_query
    # /<id> or /<id>/<logNo>; never a script name such as /BlogHome.naver.
    first = path.strip("/").split("/")[0]
    return first if _NAVER_ID.fullmatch(first) and first != "prologue" else None


def known_feed_url(url: str) -> str | None:
    """The feed of a blog whose platform fixes the feed's address, or None.

    Naver Blog (`https://blog.naver.com/<id>`, `m.blog.naver.com`, `PostList.naver?blogId=`)
    pages are frames around the posts; its feed is `https://rss.blog.naver.com/<id>.xml`.
    A Tistory blog `https://<name>.tistory.com/...` has its feed at `/rss`.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    if host in ("blog.naver.com", "m.blog.naver.com"):
        blog_id = _naver_blog_id(parts.path, parts.query)
        return f"https://rss.blog.naver.com/{blog_id}.xml" if blog_id else None
    if host == "rss.blog.naver.com" and re.fullmatch(r"/[A-Za-z0-9_-]+\.xml", parts.path):
        return f"https://rss.blog.naver.com{parts.path}"
    name, _, domain = host.partition(".")
    if domain == "tistory.com" and re.fullmatch(r"[a-z0-9-]+", name) and name not in ("www", "m"):
        return f"https://{name}.tistory.com/rss"
    return None


_NAVER_POST_PATH = re.compile(r"/([A-Za-z0-9_-]+)/(\d+)/?")


def article_page_url(url: str) -> str:
    """The URL that holds an article's content, where a platform frames it elsewhere.

    A Naver Blog post (`blog.naver.com/<id>/<logNo>`, as its feed links it) is a frameset
    around `PostView.naver?blogId=<id>&logNo=<logNo>`; every other URL is itself.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if (parts.hostname or "").lower() in ("blog.naver.com", "m.blog.naver.com"):
        match = _NAVER_POST_PATH.fullmatch(parts.path)
        if match:
            blog_id, log_no = match.groups()
            return f"https://blog.naver.com/PostView.naver?blogId={blog_id}&logNo={log_no}"
    return url
