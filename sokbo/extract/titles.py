"""The article's headline, without the site's name around it."""

from __future__ import annotations

import re
from collections.abc import Sequence

import lxml.html

from sokbo.extract import jsonld
from sokbo.extract.pagemeta import Found, PageMeta, brands, css, in_article, loose, visible_text
from sokbo.extract.text import squash

# Separators between a headline and the site's name; a hyphen or colon only with spaces
# around it, because headlines use both ("K-pop", "속보: ...").
_SEPARATOR = r"(?:\s*(?:\||::|｜|»|«|›|‹)\s*|\s+(?:-|–|—|:|·|•|/|~)\s+)"
_SEPARATOR_CHARS = " |:-–—·•/~»«›‹｜"
# Without a known site name only <title> is trimmed, and only of a short tail.
_STRONG_SUFFIX = re.compile(r"\s+(?:\||::|｜|–|—)\s+(?P<tail>[^|｜]{1,30})$")
_HYPHEN_SUFFIX = re.compile(r"\s+-\s+(?P<tail>[^-]{1,25})$")
_MEDIA_WORD = re.compile(
    r"(?:뉴스|일보|신문|경제|방송|블로그|타임즈|타임스|저널|미디어|닷컴|투데이)$"
)
_DOMAIN = re.compile(r"\b[\w-]+\.(?:com|net|org|kr|co\.kr|io|news|tv)\b", re.IGNORECASE)
# Words that carry meaning when two titles are compared (CJK runs count whole).
_WORD = re.compile(r"[^\W\d_]{4,}|[\u3040-\u9fff\uac00-\ud7af]{2,}")
_MAX_HEADLINE = 300
_BRAND_MARK = re.compile(r"logo|brand|site[-_]?(?:title|name)|masthead|gnb|navbar", re.I)


def title(
    root: lxml.html.HtmlElement, page: PageMeta, selectors: Sequence[str] = ()
) -> Found[str] | None:
    """The headline, without the site's name around it.

    Order: explicit selectors; the page's visible `<h1>` when it is the headline (see
    `_h1_is_headline`) and differs from the meta title; og:title, JSON-LD headline,
    twitter:title, any article `<h1>` (not the one around the site's logo), `<title>`. A
    site-name prefix or suffix is cut when the site's name is known (og:site_name,
    application-name, JSON-LD publisher) or when the page's own `<h1>` or headline shows
    where the headline ends; otherwise only `<title>` loses a short, brand-like tail.
    "[속보] " always stays.
    """
    for selector in selectors:
        for element in css(root, selector):
            text = visible_text(element)
            if text:
                return Found(text, f"preset:{selector}")
    names = brands(page)
    headline = _headline(page)
    title_element = root.find(".//head/title")
    if title_element is None:
        title_element = root.find(".//title")
    doc_title = visible_text(title_element)
    h1 = _headline_h1(root, names, [squash(page.meta.get("og:title", "")), doc_title])
    # A masthead <h1> that is also the tail of <title> ("Headline - 지역일보") names the site.
    tails = {loose(part) for part in re.split(_SEPARATOR, doc_title)[1:] if part}
    names = names + [t for e in root.iter("h1") if loose(t := visible_text(e)) in tails]
    known = [text for text in (squash(headline[0]) if headline else "", h1) if text]
    hints = [
        squash(page.meta.get("og:title", "")),
        doc_title,
        squash(headline[0]) if headline else "",
    ]
    visible = h1 if h1 and _h1_is_headline(root, h1, hints, names) else ""
    candidates = (
        (page.meta.get("og:title"), "og:title"),
        headline or (None, ""),
        (page.meta.get("twitter:title"), "twitter:title"),
        (h1, "h1"),
        (doc_title, "title"),
    )
    site = {loose(name) for name in names}
    for raw, source in candidates:
        text = squash(raw or "")
        # Some CMSs put the site's name in og:title on every page.
        if text and loose(text) not in site:
            found = _trim(text, names, known, generic=source == "title")
            # The meta title agreeing with the visible headline keeps its own source.
            return Found(visible, "h1") if visible and visible != found else Found(found, source)
    return None


def _h1_is_headline(
    root: lxml.html.HtmlElement, h1: str, hints: list[str], names: list[str]
) -> bool:
    """Whether the visible `<h1>` is the story's headline, to be preferred to og:title.

    og:title and `<title>` are often written for search engines and social cards ("Best
    X of 2025 | Site"); readers see the `<h1>`. It is trusted when it is the page's only
    headline-like `<h1>` (or the one in the article), is not the site's name, and either
    shares a word with the meta titles or is a sentence of its own (four words or more):
    "Mobile menu" or "Blog" is navigation, not a headline.
    """
    if loose(h1) in {loose(n) for n in names} or len(h1) > _MAX_HEADLINE:
        return False
    texts = [t for e in root.iter("h1") if (t := visible_text(e))]
    if len({loose(t) for t in texts}) > 1 and not any(
        in_article(e) and visible_text(e) == h1 for e in root.iter("h1")
    ):
        return False
    for hint in hints:
        parts = [loose(part) for part in re.split(_SEPARATOR, hint)]
        # "오늘의 소식 - 서울 전역 폭염 경보 발령" with <h1>오늘의 소식</h1>: a section name.
        if len(parts) > 1 and loose(h1) in parts and 2 * len(loose(h1)) < len(loose(hint)):
            return False
    words = set(_WORD.findall(h1.casefold()))
    shared = words & {w for hint in hints for w in _WORD.findall(hint.casefold())}
    return bool(shared) or len(h1.split()) >= 4


def _headline(page: PageMeta) -> tuple[str, str] | None:
    for kind, obj in jsonld.articles(page.jsonld):
        for field in ("headline", "name") if kind != "WebPage" else ("headline",):
            for text in jsonld.texts(obj.get(field))[:1]:
                if squash(text):
                    return text, f"json-ld:{kind}.{field}"
    return None


def _trim(text: str, names: list[str], known: list[str], generic: bool) -> str:
    for other in known:
        # "Headline | Site" where the page's own h1 or headline says "Headline"; the part
        # cut off is the shorter one, so an undetected logo h1 cannot win.
        dropped = len(text) - len(other)
        if dropped < len(other) and re.fullmatch(rf"{re.escape(other)}{_SEPARATOR}.+", text):
            return other
    for name in names:
        pattern = re.escape(name)
        cut = re.sub(rf"^{pattern}{_SEPARATOR}|{_SEPARATOR}{pattern}$", "", text, flags=re.I)
        if cut != text and cut.strip():
            return cut.strip()
        # "… | 연합뉴스TV" for 연합뉴스, "… - The Guardian" for Guardian.
        parts = re.split(_SEPARATOR, text)
        tail, brand = loose(parts[-1]), loose(name)
        if len(parts) > 1 and len(brand) >= 4 and brand in tail and len(tail) - len(brand) <= 6:
            return text[: len(text) - len(parts[-1])].rstrip(_SEPARATOR_CHARS)
    if generic:
        strong = _STRONG_SUFFIX.search(text)
        if strong and len(strong["tail"].split()) <= 4 and strong.start() >= len(strong["tail"]):
            return text[: strong.start()]
        hyphen = _HYPHEN_SUFFIX.search(text)
        if hyphen and _brand_like(hyphen["tail"]) and hyphen.start() >= 10:
            return text[: hyphen.start()]
    return text


def _brand_like(tail: str) -> bool:
    """ "연합뉴스", "The Guardian", "example.com": a name, not the end of a headline."""
    words = tail.split()
    if _DOMAIN.search(tail) or (len(words) == 1 and _MEDIA_WORD.search(tail)):
        return True
    return 0 < len(words) <= 3 and all(w[0].isupper() and w.isascii() for w in words)


def _headline_h1(root: lxml.html.HtmlElement, names: list[str], hints: list[str]) -> str:
    """The `<h1>` that holds the headline: inside the article or matching the page's title,
    and not the one around the site's logo or name."""
    best, best_score = "", -1
    site = {loose(name) for name in names}
    # "Headline - Site" in <title> names the site even when no meta tag does.
    for hint in hints[1:]:
        site.update(loose(part) for part in re.split(_SEPARATOR, hint)[1:] if part)
    for element in root.iter("h1"):
        text = visible_text(element)
        if not text or loose(text) in site or _is_brand(element):
            continue
        if not in_article(element) and any(a.tag == "header" for a in element.iterancestors()):
            continue  # the page's masthead, not the article's header
        score = 2 if in_article(element) else 0
        if any(hint == text or hint.startswith(text) for hint in hints if hint):
            score += 2
        if score > best_score:
            best, best_score = text, score
    return best


def _is_brand(element: lxml.html.HtmlElement) -> bool:
    nodes = [element, *list(element.iterancestors())[:3], *element.iterdescendants()]
    marks = " ".join(
        f"{n.get('class', '')} {n.get('id', '')}" for n in nodes if isinstance(n.tag, str)
    )
    if _BRAND_MARK.search(marks):
        return True
    links = element.findall(".//a")
    return len(links) == 1 and (links[0].get("href") or "").strip() in ("/", "./", "#")
