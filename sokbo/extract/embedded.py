"""Dates in a page's embedded application state (`__NEXT_DATA__`, Nuxt, Prismic, Sanity...).

Single-page sites often render the date with JavaScript and leave it nowhere in the HTML
but in the JSON or object literal that boots the app. Key names vary by CMS, so the
script text is searched for a few unambiguous ones rather than walked as a tree.
"""

from __future__ import annotations

import re

import lxml.html

# Names that mean "first published" in the CMSs seen; "date" or "createdAt" alone are left
# out: they also date comments, images and the page template.
_PUBLISHED_KEYS = (
    "datePublished", "publishedAt", "published_at", "publishedDate", "published_date",
    "publishDate", "publish_date", "firstPublishedDate", "first_published_date",
    "firstPublishedAt", "first_publication_date", "firstPublicationDate", "publicationDate",
    "publication_date", "datePosted", "date_posted", "displayDate", "display_date",
)  # fmt: skip
_MODIFIED_KEYS = (
    "dateModified", "updatedAt", "updated_at", "modifiedAt", "modifiedDate", "dateUpdated",
    "lastModified", "last_publication_date",
)  # fmt: skip
_VALUE = r"\s*\\?[\"']?\s*:\s*\\?[\"'](?P<value>[0-9]{4}-[0-9]{2}-[0-9]{2}[^\"'\\]{0,30})"
_PUBLISHED = re.compile(rf"[\"']?\b(?:{'|'.join(_PUBLISHED_KEYS)})\b{_VALUE}")
_MODIFIED = re.compile(rf"[\"']?\b(?:{'|'.join(_MODIFIED_KEYS)})\b{_VALUE}")
_SKIPPED_TYPES = ("application/ld+json", "text/css", "text/template", "text/html")
_MAX_SCRIPT = 2_000_000


def embedded_dates(root: lxml.html.HtmlElement) -> tuple[str | None, str | None]:
    """(published, modified) as written in the first script that names each, or None.

    JSON-LD is read elsewhere, with its types; here only the other scripts. The first
    occurrence is the story's in the frameworks seen: the page's own data comes before the
    lists of related stories.
    """
    published: str | None = None
    modified: str | None = None
    for script in root.iter("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        text = script.text or ""
        if kind in _SKIPPED_TYPES or not text or len(text) > _MAX_SCRIPT:
            continue
        if published is None and (match := _PUBLISHED.search(text)):
            published = match.group("value")
        if modified is None and (match := _MODIFIED.search(text)):
            modified = match.group("value")
        if published and modified:
            break
    return published, modified
