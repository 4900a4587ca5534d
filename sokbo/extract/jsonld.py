"""JSON-LD blocks of a page: parsed leniently, flattened, and searched by schema.org type."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import lxml.html

# Article types in order of trust; WebPage comes last because its dates and names often
# describe the page template rather than the story.
ARTICLE_TYPES = (
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "LiveBlogPosting",
    "BlogPosting",
    "Article",
    "SocialMediaPosting",
    "Report",
    "WebPage",
)
_WRAPPER = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?://\s*\]\]>|\]\]>|-->)\s*$")
_CLOSING = re.compile(r"\s*(?:[}\]]|\Z)")
_MAX_DEPTH = 20


def read_jsonld(root: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, `@graph`s and arrays flattened, in document order."""
    objects: list[dict[str, Any]] = []
    for script in root.iter("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json":
            continue
        for value in parse_block(script.text or ""):
            objects.extend(_flatten(value, 0))
    return objects


def parse_block(text: str) -> list[Any]:
    """The JSON values in one script block; [] when it cannot be read even leniently.

    Many CMSs emit trailing commas, raw control characters inside strings, HTML comment
    or CDATA wrappers, or several objects one after another; all of these are tolerated.
    """
    text = _WRAPPER.sub("", text.strip()).strip()
    if not text:
        return []
    try:
        return [json.loads(text, strict=False)]
    except (ValueError, RecursionError):
        pass
    return _decode_sequence(_drop_trailing_commas(text))


def _decode_sequence(text: str) -> list[Any]:
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    position = 0
    while position < len(text):
        while position < len(text) and (text[position].isspace() or text[position] in ",;"):
            position += 1
        if position >= len(text):
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError):
            break
        values.append(value)
    return values


def _drop_trailing_commas(text: str) -> str:
    """Remove commas that close an object or array, leaving string contents alone."""
    out: list[str] = []
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            out.append(char)
            continue
        if char == '"':
            in_string = True
        elif char == "," and _CLOSING.match(text, index + 1):
            continue
        out.append(char)
    return "".join(out)


def _flatten(value: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item, depth + 1)
    elif isinstance(value, dict):
        if "@type" in value or "@graph" not in value:
            yield value
        yield from _flatten(value.get("@graph"), depth + 1)
        # A WebPage often carries the story as its main entity.
        main = value.get("mainEntity")
        if isinstance(main, dict) and "@type" in main:
            yield from _flatten(main, depth + 1)


def types_of(obj: dict[str, Any]) -> tuple[str, ...]:
    """`@type` as bare names: "schema:NewsArticle" and "https://schema.org/NewsArticle" too."""
    raw = obj.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return tuple(re.split(r"[/:#]", n.strip())[-1] for n in names if isinstance(n, str))


def articles(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(type, object) for the story objects on the page, most trusted type first."""
    found: list[tuple[int, int, str, dict[str, Any]]] = []
    for position, obj in enumerate(objects):
        ranks = [ARTICLE_TYPES.index(t) for t in types_of(obj) if t in ARTICLE_TYPES]
        if ranks:
            rank = min(ranks)
            found.append((rank, position, ARTICLE_TYPES[rank], obj))
    found.sort(key=lambda item: (item[0], item[1]))
    return [(kind, obj) for _, _, kind, obj in found]


def by_id(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Objects by `@id`, so that `{"@id": ...}` references (Yoast's graph) can be followed."""
    index: dict[str, dict[str, Any]] = {}
    for obj in objects:
        ident = obj.get("@id")
        if isinstance(ident, str) and ident not in index and len(obj) > 1:
            index[ident] = obj
    return index


def texts(value: Any, depth: int = 0) -> list[str]:
    """The strings in a JSON-LD value: a string, `{"@value": ...}`, or a list of those."""
    if depth > _MAX_DEPTH:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, dict) and "@value" in value:
        return texts(value["@value"], depth + 1)
    if isinstance(value, list):
        return [text for item in value for text in texts(item, depth + 1)]
    return []
