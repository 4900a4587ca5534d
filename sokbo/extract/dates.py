"""Publication and edit times of an article page, from the most trusted evidence on it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo

import lxml.html

from sokbo.extract import jsonld
from sokbo.extract.datetext import (
    aware,
    first_date,
    first_published,
    labelled,
    parse_datetime_text,
)
from sokbo.extract.embedded import embedded_dates
from sokbo.extract.pagemeta import (
    NOT_TEXT,
    Found,
    PageMeta,
    around,
    article_scopes,
    contains,
    css,
    headline_element,
    in_article,
    meta_source,
    visible_text,
)

_PUBLISHED_META = (
    "article:published_time", "og:published_time", "article:published", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "og:regdate", "date",
    "dc.date", "dc.date.issued", "dc.date.created", "dcterms.created", "dcterms.issued",
    "dcterms.date", "sailthru.date", "parsely-pub-date", "published", "citation_publication_date",
    "citation_date", "og:article:published_time", "published-date", "published_date",
    "publication-date", "publication_date",
)  # fmt: skip
# Names no list can keep up with: "w-published-date", "article.published_at", "pub-date".
_PUBLISHED_META_NAME = re.compile(r"(?:publish(?:ed)?|pub|publication)[-_.:]?(?:date|time|at)$")
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "article:modified", "datemodified",
    "dc.date.modified", "dcterms.modified",
)  # fmt: skip
_DATE_ELEMENT = re.compile(r"date|time|byline|publish|posted|regdate|info|meta", re.I)
# Where dates of other stories live: the last-resort class rule never looks inside these.
_ELSEWHERE = re.compile(
    r"related|sidebar|widget|recent|popular|trending|recommend|more-?stor|comment|footer"
    r"|\bnav|teaser|\bcard",
    re.I,
)
_ELSEWHERE_TAGS = ("aside", "nav", "footer")
# A date line under a headline ("Jane Doe · December 15, 2025 · 5 min read") stays short.
_AFTER_HEADLINE = 300
_BEFORE_HEADLINE = 100
# Locales that write "04/05/2024" for 5 April: US English, and English without a region.
_MONTH_FIRST = ("en", "en-us", "en-ph")
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
    kin; `<time datetime>` and itemprop dates; Korean or English text after a label such
    as 입력/수정 or Published/Updated; the app state embedded in scripts; an unlabelled
    date just under (or over) the headline; then a date-looking element (class "date",
    "info", ...) in the article or near its headline. A value without an offset is in
    `timezone`; "04/05/2024" is read day first when the page's locale writes it so;
    dates before 1995 or more than a day after `now` are skipped. A modified time earlier
    than the published one is dropped.
    """
    now = aware(now, timezone)
    day_first = _day_first(page)
    published: Found[datetime] | None = None
    modified: Found[datetime] | None = None
    for pub, mod in _date_evidence(root, page, timezone, now, selectors, day_first):
        published, modified = published or pub, modified or mod
        if published and modified:
            break
    published = published or _date_element(root, timezone, now, day_first)
    if published and modified and modified.value < published.value:
        modified = None
    return published, modified


def _date_evidence(
    root: lxml.html.HtmlElement,
    page: PageMeta,
    zone: tzinfo,
    now: datetime,
    selectors: Sequence[str],
    day_first: bool,
) -> Iterator[DateFound]:
    """(published, modified) from each kind of evidence, most trusted first, lazily."""

    def parse(value: str | None, source: str) -> Found[datetime] | None:
        parsed = parse_datetime_text(value, zone, now, day_first=day_first) if value else None
        return Found(parsed, source) if parsed else None

    for selector in selectors:
        for element in css(root, selector)[:1]:
            # <abbr class="published" title="2024-06-20T14:30:00+09:00"> (Blogger, hAtom).
            title = element.get("title") if element.tag == "abbr" else None
            value = element.get("datetime") or element.get("content") or title
            source = f"preset:{selector}"
            yield (
                (parse(value, source), None)
                if value
                else _text_dates(element, source, zone, now, day_first)
            )
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
    named = [k for k in page.meta if k not in _PUBLISHED_META and _PUBLISHED_META_NAME.search(k)]
    yield (
        _first(parse(page.meta.get(key), meta_source(key)) for key in (*_PUBLISHED_META, *named)),
        _first(parse(page.meta.get(key), meta_source(key)) for key in _MODIFIED_META),
    )
    yield _time_elements(root, parse)
    for scope in dict.fromkeys([*article_scopes(root), root]):
        yield _text_dates(scope, None, zone, now, day_first)
    pub_text, mod_text = embedded_dates(root)
    yield parse(pub_text, "script:published"), parse(mod_text, "script:modified")
    yield _headline_date(root, zone, now, day_first), None


def _text_dates(
    element: lxml.html.HtmlElement,
    unlabelled: str | None,
    zone: tzinfo,
    now: datetime,
    day_first: bool,
) -> DateFound:
    """Dates after 입력/수정-style labels; with `unlabelled` set, else the first date."""
    text = visible_text(element)
    pub, mod = labelled(text, zone, now, day_first=day_first)
    published = Found(pub[0], f"text:{pub[1]}") if pub else None
    if published is None and unlabelled:
        value = first_date(text, zone, now, day_first=day_first)
        published = Found(value, unlabelled) if value else None
    return published, (Found(mod[0], f"text:{mod[1]}") if mod else None)


def _time_elements(
    root: lxml.html.HtmlElement,
    parse: Callable[[str | None, str], Found[datetime] | None],
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
        if not value and prop in ("datepublished", "datemodified"):
            # <span itemprop="datePublished">March 5, 2024</span>: the date is the text.
            text = visible_text(element)
            value = text if len(text) <= 100 else None
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
    root: lxml.html.HtmlElement, zone: tzinfo, now: datetime, day_first: bool
) -> Found[datetime] | None:
    """The last resort: a short element whose class or id says it holds a date.

    Only inside the article, or near the headline when the page marks no article: lists of
    other stories in sidebars, teasers and footers carry dates too, newer ones usually.
    """
    heading = headline_element(root)
    near = _near(heading) if heading is not None else None
    scoped = bool(root.xpath("//article|//main|//*[@role='main']"))
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in NOT_TEXT:
            continue
        match = _DATE_ELEMENT.search(f"{element.get('class', '')} {element.get('id', '')}")
        if match is None or _elsewhere(element):
            continue
        if scoped and not in_article(element):
            continue
        if not scoped and near is not None and not contains(near, element):
            continue
        text = visible_text(element)
        value = first_date(text, zone, now, day_first=day_first) if len(text) <= 150 else None
        if value:
            return Found(value, f"text:.{match.group().lower()}")
    return None


def _near(heading: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The headline's header block: its third ancestor at most, which in the templates seen
    holds the headline, byline and date line but not yet the sidebar."""
    ancestors = list(heading.iterancestors())[:3]
    return ancestors[-1] if ancestors else heading


def _elsewhere(element: lxml.html.HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in _ELSEWHERE_TAGS or _ELSEWHERE.search(
            f"{node.get('class', '')} {node.get('id', '')}"
        ):
            return True
    return False


def _headline_date(
    root: lxml.html.HtmlElement, zone: tzinfo, now: datetime, day_first: bool
) -> Found[datetime] | None:
    """An unlabelled date in the few lines right under the headline, or just over it."""
    heading = headline_element(root)
    if heading is None:
        return None
    before, after = around(heading, _AFTER_HEADLINE)
    value = first_published(after[:_AFTER_HEADLINE], zone, now, day_first=day_first)
    if value is None:
        value = first_published(before[-_BEFORE_HEADLINE:], zone, now, day_first=day_first)
    return Found(value, "text:headline") if value else None


def _day_first(page: PageMeta) -> bool:
    """Whether "04/05/2024" on this page means 4 May: every locale but US English does."""
    raw = page.lang or page.meta.get("og:locale") or page.meta.get("content-language") or ""
    tag = raw.strip().replace("_", "-").lower().split(",")[0]
    return bool(tag) and tag not in _MONTH_FIRST


def _first(found: Iterable[Found[datetime] | None]) -> Found[datetime] | None:
    return next((f for f in found if f is not None), None)
