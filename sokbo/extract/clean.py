"""Sanitise untrusted article HTML into a fragment safe for Jekyll posts and feeds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urljoin

import nh3
from lxml.etree import _Element

from sokbo.extract.images import LAZY_SRC_ATTRIBUTES, largest_candidate
from sokbo.web.htmlparse import parse_fragment
from sokbo.web.htmltree import HTML_WS, drop_element, inner_html

__all__ = ["clean_html"]

# ---------------------------------------------------------------------------
# Policy: everything the clean stage allows or removes is declared here.
# ---------------------------------------------------------------------------

# Elements removed together with their content in the lxml pre-pass.
DROP_TAGS: frozenset[str] = frozenset(
    {
        # Executable or styling code: never text a reader should see.
        "script", "style", "noscript", "template",
        # Embedded documents and plugins: they load third-party pages we cannot sanitise.
        # Not <object> and <applet>: with no plugin, a browser shows their content (the
        # fallback), and an unclosed one holds the rest of the article; they are unwrapped.
        "iframe", "frame", "frameset", "embed", "portal",
        # Form controls: they post wherever the source page says and are useless in a
        # feed. Not <form> itself, which a browser shows the content of (often the whole
        # article, when the page never closes it); it is unwrapped.
        "input", "button", "select", "textarea", "option", "isindex", "keygen",
        # Foreign content and drawing surfaces: separate parsing rules (classic
        # sanitiser bypasses) and nothing that survives without scripts.
        "svg", "math", "canvas",
        # Players: a feed reader cannot run the page's player scripts.
        "audio", "video", "source", "track",
        # Document metadata that leaks into a fragment: <base> rewrites every link,
        # <meta http-equiv=refresh> redirects, <link> pulls stylesheets.
        "base", "meta", "link", "title", "head",
        # Obsolete elements with special parsing rules (raw text; <listing>'s
        # swallowed newline) where libxml2 and html5ever disagree.
        "xmp", "plaintext", "listing", "noembed", "noframes",
    }
)  # fmt: skip

# Class and id tokens are split on "-" and "_"; a token with any of these parts
# marks an ad unit or a widget (Tistory's revenue_unit_item, btn_share,
# postbtn_like, tt-comment-cont, kakao_ad_area, ...). Whole parts only, so that
# "headline", "shared-photo" or "tt_article_useless_p_margin" are left alone.
JUNK_CLASS_PARTS: frozenset[str] = frozenset(
    {
        # Ad units (AdSense, Kakao AdFit, house ads).
        "ad", "ads", "adsense", "adsbygoogle", "adfit", "advert", "advertisement",
        # Like/share buttons and social widgets.
        "postbtn", "share", "sharing", "sns", "like", "likes", "social",
        # Comment threads and reply forms.
        "comment", "comments", "reply", "replies",
        # "Related posts" and "other posts in this category" lists.
        "related",
    }
)  # fmt: skip

# Token prefixes for names whose parts are too generic on their own
# ("unit", "category", "container") or that are ad networks' own prefixes.
JUNK_CLASS_PREFIXES: tuple[str, ...] = (
    "revenue_unit",  # Tistory ad slots: revenue_unit_wrap, revenue_unit_item
    "another_category",  # Tistory "more posts in this category" box
    "container_postbtn",  # Tistory like/subscribe/share button bar
    "ad-",
    "ad_",
    "ads",  # ads, ads-top, adsbygoogle, adslot...
    "google_ads",
    "google-ads",
)

# Layout wrappers that mean nothing once empty. Empty p/td/th/li are not here:
# the reference posts use <p data-ke-size="size16"></p> as spacers, and cells
# and items hold a table's or a list's shape.
EMPTY_WRAPPER_TAGS: frozenset[str] = frozenset(
    {
        "div", "span", "section", "article", "figure", "font", "center",
        "main", "header", "footer", "aside", "nav", "small", "big",
    }
)  # fmt: skip

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr",
        "ul", "ol", "li",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
        "blockquote", "figure", "figcaption", "img", "a",
        "b", "strong", "em", "i", "u", "s", "span", "div", "sup", "sub", "pre", "code",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "*": frozenset({"data-ke-size", "style"}),
        "a": frozenset({"href", "title", "rel"}),
        "img": frozenset({"src", "alt", "width", "height", "title"}),
        "td": frozenset({"colspan", "rowspan", "style"}),
        "th": frozenset({"colspan", "rowspan", "style"}),
    }
)

# A `src` that only reserves the image's place.
PLACEHOLDER_SRC = re.compile(
    r"^data:|(?:blank|spacer|pixel|transparent|grey|gray|loading|lazy|placeholder)[\w-]*\.(?:gif|png|svg)",
    re.IGNORECASE,
)

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES: tuple[str, ...] = ("href", "src")

# Second line of defence: nh3 removes these with their content should any
# reach it (the pre-pass already dropped or unwrapped them). Must be disjoint from
# ALLOWED_TAGS.
CLEAN_CONTENT_TAGS: frozenset[str] = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "frame", "frameset",
        "object", "embed", "applet", "form", "select", "textarea", "svg", "math",
        "title", "xmp", "plaintext", "noembed", "noframes",
    }
)  # fmt: skip

# CSS properties the reference posts use for colour, alignment and table
# borders; nothing here positions, overlays or loads anything.
SAFE_STYLE_PROPERTIES: frozenset[str] = frozenset(
    {
        "color", "background-color", "text-align", "width", "height",
        "border", "border-top", "border-right", "border-bottom", "border-left",
        "border-collapse", "border-color", "border-style", "border-width",
        "font-weight", "font-style", "text-decoration", "vertical-align",
        "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
        "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    }
)  # fmt: skip

# A value containing any of these can load, execute or smuggle something
# (IE expressions and behaviours, XBL bindings, escapes and comments that hide
# the other words, "<" that could close a raw-text context elsewhere). None of
# the safe properties takes a string, so quotes only ever carry smuggled text.
UNSAFE_STYLE_FRAGMENTS: tuple[str, ...] = (
    "url(",
    "expression",
    "javascript:",
    "vbscript:",
    "@import",
    "\\",
    "<",
    "behavior",
    "-moz-binding",
    "/*",
    '"',
    "'",
)

# Colour and arithmetic functions are the only ones these properties need;
# any other function (image(), image-set(), element(), src()...) is refused.
SAFE_STYLE_FUNCTIONS: frozenset[str] = frozenset(
    {"rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "calc"}
)

# ---------------------------------------------------------------------------

# Characters libxml2/lxml refuse in a str (a ValueError otherwise) or that no
# article needs: C0 controls except tab/LF/CR/FF, lone surrogates, non-characters.
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The same characters written as numeric references ("&#x1B;"): libxml2 would decode them
# into the tree, where lxml then refuses them.
_CHAR_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")


def _drop_invalid_references(fragment: str) -> str:
    def keep(match: re.Match[str]) -> str:
        code = int(match[1], 16) if match[1] else int(match[2])
        if code > 0x10FFFF or _INVALID_CHARS.match(chr(code)) or code == 0x0C:
            return ""
        return match[0]

    return _CHAR_REFERENCE.sub(keep, fragment)


# libxml2 puts whatever follows </body> or </html> outside <body>, where it would
# be lost; HTML5 parsers ignore both end tags, and so do we.
_DOCUMENT_END_TAGS = re.compile(r"</(?:body|html)(?=[\s/>])[^>]*>", re.IGNORECASE)
_CLASS_PART_SPLIT = re.compile(r"[-_]+")
_STYLE_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_STYLE_FUNCTION = re.compile(r"([-\w]*)\s*\(")
_KE_SIZE = re.compile(r"size\d+\Z")
_DIMENSION = re.compile(r"\d{1,5}%?\Z")
_SPAN = re.compile(r"\d{1,3}\Z")


# libxml2 (the pre-pass) and html5ever (inside nh3) build different trees from
# misnested markup: libxml2 closes an open <b> or <h2> when a <p> starts,
# html5ever drops a stray <tr> or <caption> outside a table. Cleaning the output
# once more can then change it again, so passes repeat until the result is
# stable. Well-formed articles take one pass plus the check; about 1 random tag
# soup in 350 needs a second pass, and none needed a third in 60,000 tries.
# Idempotence matters downstream: re-cleaning a stored article must not look
# like a new version of it.
_MAX_PASSES = 4


def clean_html(fragment: str, base_url: str) -> str:
    """Return ``fragment`` (untrusted inner HTML of an article) sanitised for publishing.

    Relative links are resolved against ``base_url``; the result is stripped and
    is a fixed point: cleaning it again returns it unchanged.
    """
    cleaned = _clean_once(fragment, base_url)
    for _ in range(_MAX_PASSES - 1):
        again = _clean_once(cleaned, base_url)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _clean_once(fragment: str, base_url: str) -> str:
    return _CLEANER.clean(_prepass(fragment, base_url)).strip()


# --- pre-pass (lxml) --------------------------------------------------------


def _prepass(fragment: str, base_url: str) -> str:
    """Drop junk with its content, unwrap unknown tags, resolve links; return HTML."""
    fragment = _INVALID_CHARS.sub("", fragment.replace("\x0c", " "))
    fragment = _drop_invalid_references(fragment)
    fragment = _DOCUMENT_END_TAGS.sub("", fragment)
    if not fragment.strip(HTML_WS):
        return ""
    root = parse_fragment(fragment)
    # Snapshot first: removing while iterating lxml's live iterator skips nodes.
    for node in list(root.iterdescendants()):
        if _is_junk(node) and not _inside_dropped(node, root):
            drop_element(node)
    # Reverse document order visits children before their parents, so a wrapper
    # whose children were all removed is seen as empty when its turn comes.
    for el in reversed(list(root.iterdescendants())):
        tag = el.tag
        if tag in EMPTY_WRAPPER_TAGS and _is_empty(el):
            drop_element(el)
        elif tag not in ALLOWED_TAGS:
            # Unwrap now rather than leave it to nh3, so that emptiness above is
            # judged on the tree nh3 will keep (cleaning twice == cleaning once).
            _unwrap(el)
    _resolve_lazy_images(root)
    _absolutise_links(root, base_url)
    return inner_html(root)


def _is_junk(node: _Element) -> bool:
    """True for comments, processing instructions, DROP_TAGS and ad/widget blocks."""
    tag = node.tag
    if not isinstance(tag, str):  # comment or processing instruction
        return True
    if tag in DROP_TAGS:
        return True
    names = f"{node.get('class') or ''} {node.get('id') or ''}".lower().split()
    for name in names:
        if name.startswith(JUNK_CLASS_PREFIXES):
            return True
        if not JUNK_CLASS_PARTS.isdisjoint(_CLASS_PART_SPLIT.split(name)):
            return True
    return False


def _inside_dropped(node: _Element, root: _Element) -> bool:
    """True if an ancestor was already removed (the node is no longer under root)."""
    return not any(ancestor is root for ancestor in node.iterancestors())


def _is_empty(el: _Element) -> bool:
    """No child elements and only HTML whitespace (U+00A0 counts as content)."""
    return len(el) == 0 and not (el.text or "").strip(HTML_WS)


def _resolve_lazy_images(root: _Element) -> None:
    """Give every image its real `src`; drop images that are only placeholders or pixels.

    A lazy attribute wins over `src` even when `src` looks real: loaders put a blurred or
    tiny preview there (Naver's `?type=w80_blur`), and the full image in the attribute.
    """
    for img in list(root.iter("img")):
        src = (img.get("src") or "").strip(HTML_WS)
        real = next(
            (v.strip(HTML_WS) for a in LAZY_SRC_ATTRIBUTES if (v := img.get(a) or "").strip()),
            None,
        )
        if real:
            src = real
        elif not src or PLACEHOLDER_SRC.search(src):
            src = largest_candidate(img.get("data-srcset") or img.get("srcset") or "") or ""
        if src:
            img.set("src", src)
        if not src or PLACEHOLDER_SRC.search(src) or _is_pixel(img):
            drop_element(img)


def _is_pixel(img: _Element) -> bool:
    sizes = [(img.get(name) or "").strip() for name in ("width", "height")]
    return any(size.isdigit() and int(size) <= 2 for size in sizes)


def _absolutise_links(root: _Element, base_url: str) -> None:
    """Resolve href/src against ``base_url``; drop values urljoin cannot parse.

    Only these two URL attributes survive nh3. A <base href> in the page is not
    consulted (it was dropped): hostile markup must not choose where links go.
    """
    for el in root.iter():
        for name in URL_ATTRIBUTES:
            value = el.get(name)
            if value is None:
                continue
            if name == "href" and value.strip(HTML_WS).startswith("#"):
                # An anchor on the source page ("#", "#comments") leads nowhere in a post.
                del el.attrib[name]
                continue
            try:
                # Browsers ignore whitespace around a URL attribute's value.
                el.set(name, urljoin(base_url, value.strip(HTML_WS)))
            except ValueError:  # e.g. "http://[::1" (bad IPv6 literal)
                del el.attrib[name]


def _unwrap(el: _Element) -> None:
    """Replace ``el`` by its text and children, keeping its tail (like lxml's drop_tag)."""
    parent = el.getparent()
    if parent is None:
        return
    previous = el.getprevious()
    text = (el.text or "") if len(el) else (el.text or "") + (el.tail or "")
    if text:
        if previous is None:
            parent.text = (parent.text or "") + text
        else:
            previous.tail = (previous.tail or "") + text
    if len(el) and el.tail:
        el[-1].tail = (el[-1].tail or "") + el.tail
    index = parent.index(el)
    parent[index : index + 1] = list(el)


# --- nh3 (allow-list) ---------------------------------------------------------


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3 callback: vet the values of allow-listed attributes."""
    if name == "style":
        return _filter_style(value)
    if name == "data-ke-size":
        return value if _KE_SIZE.match(value) else None
    if name in {"colspan", "rowspan"}:
        return value if _SPAN.match(value) else None
    if tag == "img" and name in {"width", "height"}:
        return value if _DIMENSION.match(value) else None
    return value


def _filter_style(value: str) -> str | None:
    """Keep safe declarations verbatim (same bytes, same spacing); None if none is."""
    parts = _split_declarations(value)
    kept = [part for part in parts[:-1] if _safe_declaration(part)]
    last = parts[-1]
    if _safe_declaration(last):
        kept.append(last)
    elif kept and not last.strip(HTML_WS):
        kept.append(last)  # the original ended with ";" (plus spacing): keep it
    if not any(part.strip(HTML_WS) for part in kept):
        return None
    return ";".join(kept)


def _split_declarations(value: str) -> list[str]:
    """Split on ";" outside quotes and parentheses; separators are not kept."""
    parts: list[str] = []
    depth = 0
    quote = ""
    start = 0
    for i, char in enumerate(value):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == ";" and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return parts


def _safe_declaration(declaration: str) -> bool:
    prop, colon, val = declaration.partition(":")
    if not colon or prop.strip(HTML_WS).lower() not in SAFE_STYLE_PROPERTIES:
        return False
    lowered = val.lower()
    if _STYLE_CONTROL.search(val) or any(bad in lowered for bad in UNSAFE_STYLE_FRAGMENTS):
        return False
    return all(fn in SAFE_STYLE_FUNCTIONS for fn in _STYLE_FUNCTION.findall(lowered))


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=CLEAN_CONTENT_TAGS,
    attributes=dict(ALLOWED_ATTRIBUTES),  # nh3 wants a real dict
    attribute_filter=_filter_attribute,
    strip_comments=True,
    # rel comes from the source (footers use rel="dofollow"); never add one.
    link_rel=None,
    url_schemes=URL_SCHEMES,
    # The pre-pass made every link absolute; anything still relative is suspect.
    url_relative="deny",
)
