"""Publication and edit times of an article page, from the most trusted evidence on it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo

import lxml.html

from sokbo.extract import jsonld
from sokbo.extract.datetext import aware, first_date, labelled, parse_datetime_text
from sokbo.extract.pagemeta import (
    NOT_TEXT,
    Found,
    PageMeta,
    article_scopes,
    css,
    in_article,
    meta_source,
    visible_text,
)

_PUBLISHED_META = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "og:regdate", "date",
    "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date",
)  # fmt: skip
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "article:modified", "datemodified",
    "dc.date.modified", "dcterms.modified",
)  # fmt: skip
_DATE_ELEMENT = re.compile(r"date|time|byline|publish|posted|regdate|info|meta", re.I)

DateFound = tuple[Found[datetime] | None, Found[datetime] | None]


def dates(
    root: lxml.html.HtmlElement,
    page: PageMeta,
    timezone: tzinfo,
    now: datetime,
    selectors: Sequence[str] = (),
) -> DateFound:
    """(published, modified), each aware and plausible, from the most trusted evidence.

    Order: explicit selectors; JSON-LD story objects; article:published_time and its
    kin; `<time datetime>`; Korean or English text after a label such as 입력/수정 or
    Published/Updated; then a date-looking element (class "date", "info", ...). A value
    without an offset is in `timezone`; dates before 1995 or more than a day after `now`
    are skipped. A modified time earlier than the published one is dropped.
    """
    now = aware(now, timezone)
    published: Found[datetime] | None = None
    modified: Found[datetime] | None = None
    for pub, mod in _date_evidence(root, page, timezone, now, selectors):
        published, modified = published or pub, modified or mod
        if published and modified:
            break
    published = published or _date_element(root, timezone, now)
    if published and modified and modified.value < published.value:
        modified = None
    return published, modified


def _date_evidence(
    root: lxml.html.HtmlElement,
    page: PageMeta,
    zone: tzinfo,
    now: datetime,
    selectors: Sequence[str],
) -> Iterator[DateFound]:
    """(published, modified) from each kind of evidence, most trusted first, lazily."""

    def parse(value: str | None, source: str) -> Found[datetime] | None:
        parsed = parse_datetime_text(value, zone, now) if value else None
        return Found(parsed, source) if parsed else None

    for selector in selectors:
        for element in css(root, selector)[:1]:
            # <abbr class="published" title="2024-06-20T14:30:00+09:00"> (Blogger, hAtom).
            title = element.get("title") if element.tag == "abbr" else None
            value = element.get("datetime") or element.get("content") or title
            source = f"preset:{selector}"
            yield (parse(value, source), None) if value else _text_dates(element, source, zone, now)
    for kind, obj in jsonld.articles(page.jsonld):
        yield (
            _first(
                parse(value, f"json-ld:{kind}.{field}")
                for field in ("datePublished", "dateCreated")
                for value in jsonld.texts(obj.get(field))[:1]
            ),
            _first(
                parse(value, f"json-ld:{kind}.dateModified")
                for value in jsonld.texts(obj.get("dateModified"))[:1]
            ),
        )
    yield (
        _first(parse(page.meta.get(key), meta_source(key)) for key in _PUBLISHED_META),
        _first(parse(page.meta.get(key), meta_source(key)) for key in _MODIFIED_META),
    )
    yield _time_elements(root, parse)
    for scope in dict.fromkeys([*article_scopes(root), root]):
        yield _text_dates(scope, None, zone, now)


def _text_dates(
    element: lxml.html.HtmlElement, unlabelled: str | None, zone: tzinfo, now: datetime
) -> DateFound:
    """Dates after 입력/수정-style labels; with `unlabelled` set, else the first date."""
    text = visible_text(element)
    pub, mod = labelled(text, zone, now)
    published = Found(pub[0], f"text:{pub[1]}") if pub else None
    if published is None and unlabelled:
        value = first_date(text, zone, now)
        published = Found(value, unlabelled) if value else None
    return published, (Found(mod[0], f"text:{mod[1]}") if mod else None)


def _time_elements(
    root: lxml.html.HtmlElement, parse: Callable[[str | None, str], Found[datetime] | None]
) -> DateFound:
    """`<time datetime>` and itemprop dates: marked ones first, then the first in the article."""
    published: list[tuple[int, Found[datetime]]] = []
    modified: Found[datetime] | None = None
    # With an <article> or <main> on the page, an unmarked <time> outside it belongs to
    # a sidebar or a list of other stories.
    scoped = bool(root.xpath("//article|//main|//*[@role='main']"))
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag == "meta":
            continue
        prop = (element.get("itemprop") or "").lower()
        value = element.get("datetime") or (element.get("content") if prop else None)
        if not value or (element.tag != "time" and not prop):
            continue
        marks = f"{element.get('class', '')} {element.get('id', '')}".lower()
        if prop == "datemodified" or (not prop and re.search(r"modif|updat", marks)):
            modified = modified or parse(value, f"{element.tag}[itemprop=dateModified]")
        elif prop == "datepublished" or element.get("pubdate") is not None or "publish" in marks:
            mark = "itemprop=datePublished" if prop else "pubdate"
            found = parse(value, f"{element.tag}[{mark}]")
            published += [(0, found)] if found else []
        elif not prop and (in_article(element) or not scoped):
            found = parse(value, "time[datetime]")
            published += [(1, found)] if found else []
    best = min(published, key=lambda item: item[0], default=None)
    return (best[1] if best else None), modified


def _date_element(
    root: lxml.html.HtmlElement, zone: tzinfo, now: datetime
) -> Found[datetime] | None:
    """The last resort: a short element whose class or id says it holds a date."""
    marked = [
        (element, match)
        for element in root.iter()
        if isinstance(element.tag, str) and element.tag not in NOT_TEXT
        if (match := _DATE_ELEMENT.search(f"{element.get('class', '')} {element.get('id', '')}"))
    ]
    # Those inside the article first: sidebars list other articles' dates.
    marked.sort(key=lambda item: not in_article(item[0]))
    for element, match in marked:
        text = visible_text(element)
        value = first_date(text, zone, now) if len(text) <= 150 else None
        if value:
            return Found(value, f"text:.{match.group().lower()}")
    return None


def _first(found: Iterable[Found[datetime] | None]) -> Found[datetime] | None:
    return next((f for f in found if f is not None), None)
