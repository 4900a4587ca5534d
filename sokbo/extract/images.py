"""The article's lead image: a real photo, never a logo, icon, pixel, ad or placeholder."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html

from sokbo.extract import jsonld
from sokbo.extract.pagemeta import Found, PageMeta
from sokbo.web.htmlparse import parse_fragment
from sokbo.web.urls import http_url

# Path words of site chrome. "logo", "favicon" and "sprite" count anywhere ("siteLogo.png");
# the others only as whole words, so that "uploads" or "silicon" pass.
_CHROME_ANYWHERE = re.compile(r"logo|favicon|sprite")
_CHROME_WORD = re.compile(
    r"(?<![a-z])(?:icons?|blank|spacer|pixel|placeholders?|default|noimage|no[-_]?image"
    r"|no[-_]?img|nophoto|ads?|advert\w*|banners?|tracking|beacon|1x1|transparent|avatars?"
    r"|emoji|emoticons?|btn|buttons?|loading|spinner|lazy)(?![a-z])"
)
_AD_HOST = re.compile(
    r"doubleclick|googlesyndication|google-analytics|adservice|scorecardresearch|^pixel\.|\.ads?\."
)
_NOT_PHOTO = (".ico", ".svg", ".svgz")
_CHROME_ATTRS = re.compile(r"logo|icon|emoji|avatar|profile|sprite|btn", re.IGNORECASE)
# Lazy loaders keep the real address here while `src` holds a placeholder (a blank GIF,
# a data: URI, a blurred preview) until a script swaps them, which never happens in a
# feed reader or a Jekyll page. The clean stage reads the same list.
LAZY_SRC_ATTRIBUTES = (
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-lazy",
    "data-url",
    "data-echo",
    "data-actualsrc",
    "data-full-src",
)
_OG_IMAGE_URLS = ("og:image", "og:image:url", "og:image:secure_url")
_SMALLEST_PHOTO = 50
_SMALLEST_CARD = 200
_HIDDEN = ("noscript", "script", "template", "iframe", "object")


def lead_image(
    root: lxml.html.HtmlElement, page: PageMeta, base_url: str, body_html: str | None
) -> Found[str] | None:
    """The article's picture: og:image, twitter:image or JSON-LD image unless it is a logo,
    icon, placeholder, pixel or ad; else the first real image of the body. Absolute http(s).
    """
    for urls, width, height in _og_images(root):
        for value in urls:
            url = image_url(value, base_url, width, height)
            if url:
                return Found(url, "og:image")
    for key in ("twitter:image", "twitter:image:src"):
        url = image_url(page.meta.get(key), base_url)
        if url:
            return Found(url, "twitter:image")
    for kind, obj in jsonld.articles(page.jsonld):
        for value in _as_list(obj.get("image")) + _as_list(obj.get("thumbnailUrl")):
            url = _jsonld_image(value, base_url)
            if url:
                return Found(url, f"json-ld:{kind}.image")
    found = body_image(body_html or "", base_url)
    return Found(found[0], f"body:{found[1]}") if found else None


def _og_images(root: lxml.html.HtmlElement) -> list[tuple[list[str], str | None, str | None]]:
    """Each og:image with its url/secure_url variants and declared size, in page order.

    A page may declare several; the first is often the site's logo and a later one the photo.
    """
    groups: list[tuple[list[str], dict[str, str]]] = []
    for element in root.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        content = (element.get("content") or "").strip()
        if not content or not key.startswith("og:image"):
            continue
        if key == "og:image" or (not groups and key in _OG_IMAGE_URLS):
            groups.append(([], {}))
        if key in _OG_IMAGE_URLS:
            groups[-1][0].append(content)
        elif groups and key in ("og:image:width", "og:image:height"):
            groups[-1][1].setdefault(key, content)
    return [
        (urls, size.get("og:image:width"), size.get("og:image:height")) for urls, size in groups
    ]


def _jsonld_image(value: Any, base_url: str) -> str | None:
    if isinstance(value, dict):
        size = [_dimension(value.get(k)) for k in ("width", "height")]
        for key in ("url", "contentUrl"):
            for text in jsonld.texts(value.get(key))[:1]:
                url = image_url(text, base_url, size[0], size[1])
                if url:
                    return url
        return None
    texts = jsonld.texts(value)
    return image_url(texts[0], base_url) if texts else None


def _dimension(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    texts = jsonld.texts(value)
    return texts[0] if texts else None


def image_url(
    value: str | None, base: str, width: str | None = None, height: str | None = None
) -> str | None:
    """`value` as an absolute http(s) URL, unless it looks like site chrome.

    `width` and `height` are the declared size (og:image:width, ImageObject.width): a
    declared 200x200 or smaller is an icon, not a photo.
    """
    url = http_url(value, base)
    if url is None:
        return None
    parts = urlsplit(url)
    path = unquote(parts.path).lower()
    if path.endswith(_NOT_PHOTO) or _CHROME_ANYWHERE.search(path) or _CHROME_WORD.search(path):
        return None
    if _AD_HOST.search((parts.hostname or "").lower()):
        return None
    sizes = [n for n in (_pixels(width), _pixels(height)) if n is not None]
    if sizes and max(sizes) <= _SMALLEST_CARD:
        return None
    return url


def body_image(body_html: str, base: str) -> tuple[str, str] | None:
    """(URL, "img[attribute]") of the first real picture in an article body."""
    if "<img" not in body_html.lower():
        return None
    root = parse_fragment(body_html)
    for img in root.iter("img"):
        if any(a.tag in _HIDDEN for a in img.iterancestors()) or _tiny(img):
            continue
        marks = " ".join(img.get(a, "") for a in ("class", "id", "alt"))
        if _CHROME_ATTRS.search(marks):
            continue
        for attr in (*LAZY_SRC_ATTRIBUTES, "data-srcset", "srcset", "src"):
            raw = img.get(attr)
            value = largest_candidate(raw) if raw and attr.endswith("srcset") else raw
            url = image_url(value, base)
            if url:
                return url, f"img[{attr}]"
    return None


def largest_candidate(srcset: str) -> str | None:
    """The widest (or densest) URL of a srcset; a URL may itself contain commas."""
    best: str | None = None
    best_size = -1.0
    position, length = 0, len(srcset)
    while position < length:
        while position < length and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        start = position
        while position < length and not srcset[position].isspace():
            position += 1
        url, descriptor = srcset[start:position], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start = position
            while position < length and srcset[position] != ",":
                position += 1
            descriptor = srcset[start:position].strip()
        size = _descriptor_size(descriptor)
        if url and size > best_size:
            best, best_size = url, size
    return best


def _descriptor_size(descriptor: str) -> float:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([wx])", descriptor.strip().lower())
    if match is None:
        return 1.0
    return float(match.group(1))


def _tiny(img: lxml.html.HtmlElement) -> bool:
    style = img.get("style", "")
    for attr in ("width", "height"):
        declared = _pixels(img.get(attr))
        styled = re.search(rf"(?<![-\w]){attr}\s*:\s*([0-9]+)px", style)
        for size in (declared, int(styled.group(1)) if styled else None):
            if size is not None and size <= _SMALLEST_PHOTO:
                return True
    return False


def _pixels(value: str | None) -> int | None:
    text = (value or "").strip().lower().removesuffix("px").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
