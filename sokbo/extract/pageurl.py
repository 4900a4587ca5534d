"""What a page's URL says it is: a story's slug and date, or an index, legal, shop,
forum or documentation path. Generic patterns only, no site's rules."""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

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
PATH_KINDS = (
    "an index page", "a home page", "an about page", "a contact page", "a legal notice",
    "a login or search page", "a service page", "a shop page", "a forum page",
    "a documentation page",
)  # fmt: skip
# A host name that says what the whole site is: docs.example.com, forum.example.com.
_HOST_RULE = re.compile(r"(docs?|developers?|wiki|forums?|community|bbs|shop|store)\.", re.I)
_HOST_KINDS = {
    "doc": "a documentation page", "docs": "a documentation page",
    "developer": "a documentation page", "developers": "a documentation page",
    "wiki": "a documentation page", "forum": "a forum page", "forums": "a forum page",
    "community": "a forum page", "bbs": "a forum page", "shop": "a shop page",
    "store": "a shop page",
}  # fmt: skip
# A section that holds stories, with a page under it: /blog/some-post, /articles/123. The
# section's own page (/blog/) and its index pages (/blog/page/2/) are matched by the
# rules above, which weigh more.
_STORY_SECTION = re.compile(r"/(?:blogs?|articles?|posts?|stories|insights|news)/[^/]+", re.I)
_SLUG_SPLIT = re.compile(r"[-_+\s]+")
_EXTENSION = re.compile(r"\.(?:s?html?|php|aspx?|jsp)$", re.I)


class UrlShape(NamedTuple):
    """The URL's evidence, read once."""

    kind: str | None  # what the URL says the page is, if anything (one of PATH_KINDS)
    slug_words: int  # words in the last segment: a story's URL spells its headline
    story_section: bool  # a page under /blog/, /articles/, /news/...: where stories are kept


def read_url(url: str) -> UrlShape:
    """The shape of `url` (where the page was fetched)."""
    path = unquote(urlsplit(url).path)
    return UrlShape(
        kind=_path_kind(url),
        slug_words=_slug_words(path),
        story_section=bool(_STORY_SECTION.search(path)),
    )


def _slug_words(path: str) -> int:
    """Words in the last path segment ("how-to-bake-sourdough-at-home.html": 5); numbers
    do not count, so an id such as 12345 or 2024 is no word."""
    segments = [part for part in path.split("/") if part]
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
