"""Who wrote an article: byline evidence, and names cleaned of roles, e-mails and brands."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import lxml.html

from sokbo.extract import jsonld
from sokbo.extract.pagemeta import (
    Found,
    PageMeta,
    article_scopes,
    brands,
    contains,
    css,
    meta_source,
    visible_text,
)
from sokbo.extract.text import squash

_MAX_NAME = 40
_MAX_NAMES = 10
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^】]*】|〔[^〕]*〕|<[^<>]*>")
# "(서울=연합뉴스) 홍길동 기자 =" and "워싱턴=홍길동 특파원": dateline before "=", lead after.
_DATELINE = re.compile(r"^[^=]{0,20}=\s*")
_LEAD_IN = re.compile(r"\s*=\s*$")
# "홍길동 기자 입력 2024.06.20 오후 02:30": a date and its label are not part of a name.
_DATED = re.compile(
    r"(?:입력|수정|승인|등록|송고|발행|업데이트|published|updated|posted(?:\s+on)?)?\s*[:：]?\s*"
    r"[0-9][0-9\s.:/\-년월일시분]*(?:오전|오후|[ap]\.?m\.?(?![a-z]))?",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:[,;·ㆍ・/|&、]|\s+and\s+|\s+및\s+)\s*", re.I)
_PREFIX = re.compile(
    r"^(?:(?:(?:written|words|posted|reported|story|text|photos?|edited)\s+)?by\b\s*:?\s*"
    r"|(?:글|사진|영상|그래픽|취재|정리|편집|구성)(?:\s*[·ㆍ/,및]\s*(?:글|사진|영상|그래픽|취재|정리|편집|구성))*"
    r"(?:\s*[:=]\s*|\s+)"
    r"|(?:작성자|기자명|기자|저자|글쓴이|필자|author|reporter|writer)\s*[:：]\s*)",
    re.IGNORECASE,
)
# "홍길동 기자", "홍길동기자", "홍길동 경제부 선임기자", "홍길동 특파원".
_ROLE_SUFFIX = re.compile(
    r"(?:\s+\S{1,8}부)?\s*(?:(?:선임|수석|전문|객원|인턴|수습|사진|영상|취재|대|부장|차장)\s*)?"
    r"(?:기자|특파원)$"
    r"|\s+(?:논설위원|편집위원|통신원|칼럼니스트|에디터|리포터|앵커|PD|작가|객원기자)$"
)
# Words that are never a person: boilerplate, staff accounts, desks and agencies.
_JUNK = re.compile(
    r"\bmin(?:ute)?s?\.?\s+read\b|\bread\s+more\b|\bfollow\b|\bshare\b|\bsubscribe\b"
    r"|\bpublished\b|\bupdated\b|\bposted\b|뉴스|편집|온라인|디지털|데스크|닷컴|관리자|운영자"
    r"|기사|제보|구독|무단|저작권",
    re.IGNORECASE,
)
_NOT_A_NAME = {
    "by", "staff", "admin", "administrator", "editor", "editors", "webmaster", "guest",
    "anonymous", "unknown", "none", "null", "user", "author", "reporter", "writer",
    "contributor", "correspondent", "columnist", "newsroom", "익명", "작성자", "기자",
    "특파원", "reuters", "ap", "afp", "associated press", "bloomberg", "yonhap", "연합",
    "뉴시스", "newsis", "xinhua", "efe", "dpa", "upi",
}  # fmt: skip
# Lower-case words that may stand inside a Latin name ("Ludwig van Beethoven").
_PARTICLES = {
    "al", "bin", "da", "das", "de", "del", "den", "der", "di", "dos", "du", "la", "le", "van",
    "von",
}  # fmt: skip
_ROLE_WORDS = {
    "senior", "staff", "writer", "reporter", "correspondent", "editor", "contributor",
    "columnist", "chief", "political", "foreign", "deputy", "managing", "associate",
    "contributing", "special", "news", "desk", "team", "the", "and", "of", "at", "for",
    "business", "sports", "tech", "technology", "science", "health", "opinion", "guest",
}  # fmt: skip


_AUTHOR_META = (
    "author", "article:author", "byl", "dc.creator", "parsely-author", "sailthru.author",
    "dable:author",
)  # fmt: skip
# Exact class names first; then the same words inside longer ones ("writer-zone", "art_byline").
_BYLINE_SELECTORS = (
    "[rel~=author]", "[itemprop~=author]", ".byline", ".author", ".writer", ".reporter",
    ".journalist", "[class*=byline]", "[class*=writer]", "[class*=reporter]",
    "[class*=journalist]", "[class*=author]",
)  # fmt: skip


def authors(
    root: lxml.html.HtmlElement, page: PageMeta, selectors: Sequence[str] = ()
) -> Found[tuple[str, ...]] | None:
    """People who wrote the article: clean names, no roles, e-mails, brands or boilerplate.

    Order: explicit selectors, JSON-LD author, author meta tags, byline elements.
    """
    site = brands(page)
    for selector in selectors:
        found = names((visible_text(e) for e in css(root, selector)[:5]), site)
        if found:
            return Found(found, f"preset:{selector}")
    ids = jsonld.by_id(page.jsonld)
    for kind, obj in jsonld.articles(page.jsonld):
        found = names(_jsonld_people(obj.get("author"), ids), site)
        if found:
            return Found(found, f"json-ld:{kind}.author")
    for key in _AUTHOR_META:
        found = names([page.meta.get(key, "")], site)
        if found:
            return Found(found, meta_source(key))
    scopes = article_scopes(root)
    for selector in _BYLINE_SELECTORS:
        matches = css(root, selector)
        inside = [e for e in matches if any(contains(s, e) for s in scopes)]
        texts = (_byline_text(e) for e in (inside or matches)[:5])
        found = names((t for t in texts if len(t) <= 200), site)
        if found:
            return Found(found, f"byline:{selector}")
    return None


def _jsonld_people(value: Any, ids: dict[str, dict[str, Any]], depth: int = 0) -> list[str]:
    """Names in a JSON-LD author: a string, a Person (maybe by @id), or a list of those."""
    if depth > 5:
        return []
    if isinstance(value, list):
        return [name for item in value for name in _jsonld_people(item, ids, depth + 1)]
    if isinstance(value, dict) and "@value" not in value:
        ref = value.get("@id")
        if "name" not in value and isinstance(ref, str) and ref in ids:
            value = ids[ref]
        if set(jsonld.types_of(value)) & {"Organization", "NewsMediaOrganization"}:
            return []
        return _jsonld_people(value.get("name"), ids, depth + 1)
    return jsonld.texts(value)


def _byline_text(element: lxml.html.HtmlElement) -> str:
    name = element.find(".//*[@itemprop='name']")
    if name is not None:
        return name.get("content") or visible_text(name)
    return element.get("content") or visible_text(element)


def names(texts: Iterable[str], site: Sequence[str] = ()) -> tuple[str, ...]:
    """The people named in byline texts, de-duplicated in order of first appearance.

    "글·사진 홍길동 기자 hong@yna.co.kr" -> ("홍길동",); "By Jane Doe and John Roe" ->
    ("Jane Doe", "John Roe"). Anything that is not plausibly a person's name is dropped:
    e-mails, URLs, "5 Minute Read", dates, "Staff", "관리자", the `site`'s own names.
    """
    refused = {_key(b) for b in site} | _NOT_A_NAME
    seen: dict[str, str] = {}
    for text in texts:
        for name in _split(text):
            if _is_name(name, refused):
                seen.setdefault(_key(name), name)
    return tuple(seen.values())[:_MAX_NAMES]


def _split(text: str) -> list[str]:
    text = squash(_DATED.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", text))))
    # Twice: "(서울=연합뉴스) [사진]" style groups can nest one level.
    text = _BRACKETED.sub(" ", _BRACKETED.sub(" ", text))
    text = _PREFIX.sub("", _DATELINE.sub("", _LEAD_IN.sub("", squash(text))))
    return [_clean(part) for part in _SPLIT.split(text)]


def _clean(part: str) -> str:
    part = squash(_DATELINE.sub("", _LEAD_IN.sub("", part)))
    for _ in range(2):
        part = _PREFIX.sub("", part).strip(" .:;,-=*\"'“”‘’")
        part = _ROLE_SUFFIX.sub("", part).strip()
    words = part.split()
    # "Jane Doe Staff Writer": a Latin name followed by its role.
    while len(words) > 1 and part.isascii() and words[-1].casefold() in _ROLE_WORDS:
        words.pop()
    return " ".join(words)


def _is_name(name: str, refused: set[str]) -> bool:
    if not 2 <= len(name) <= _MAX_NAME or _key(name) in refused:
        return False
    if any(char.isdigit() for char in name) or re.search(r"[@=<>{}#:/\\]|://", name):
        return False
    if _JUNK.search(name) or not any(char.isalpha() for char in name):
        return False
    words = name.split()
    if len(words) > 5 or all(w.casefold().strip(".") in _ROLE_WORDS for w in words):
        return False
    # Latin names are capitalised; "Jane Doe is a" or "posted in politics" is prose.
    return not name.isascii() or all(
        w[0].isupper() or w.casefold() in _PARTICLES or re.match(r"[a-z]'[A-Z]", w) for w in words
    )


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()
