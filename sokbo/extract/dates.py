"""Publication and edit times of an article page, from the most trusted evidence on it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

import lxml.html
from lxml.etree import XPath

from sokbo.extract import jsonld
from sokbo.extract.dateline import elsewhere, headline_date
from sokbo.extract.datetext import (
    aware,
    first_date,
    labelled,
    parse_datetime_text,
    plausible,
)
from sokbo.extract.embedded import embedded_dates
from sokbo.extract.pagemeta import (
    NOT_TEXT,
    Found,
    PageMeta,
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
# A markup date this many days after the visible date line is a re-publication stamp;
# a day or less apart, the two differ by the time zone they were written in.
_RESTAMP_GAP_DAYS = 2
# A date as a URL path writes it: "/2023/04/28/", "/2023/october/03/", "/2025-12-17-slug".
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)[0-9]{2})(?P<sep>[/-])(?P<m>[01]?[0-9]|[a-z]{3,9})(?P=sep)"
    r"(?P<d>[0-3]?[0-9])(?=[/_-]|$|\.html?)",
    re.I,
)
_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# Locales that write "04/05/2024" for 5 April: US English, and English without a region.
_MONTH_FIRST = ("en", "en-us", "en-ph")
DateFound = tuple[Found[datetime] | None, Found[datetime] | None]


def dates(
    root: lxml.html.HtmlElement,
    page: PageMeta,
    timezone: tzinfo,
    now: datetime,
    selectors: Sequence[str] = (),
    *,
    url: str = "",
) -> DateFound:
    """(published, modified), each aware and plausible, from the most trusted evidence.

    Order: explicit selectors; JSON-LD story objects; article:published_time and its
    kin; `<time datetime>` and itemprop dates; Korean or English text after a label such
    as 입력/수정 or Published/Updated; the app state embedded in scripts; the story's date
    line just under (or over) the headline; the date in the path of `url`, og:url or the
    canonical link; then a date-looking element (class "date", "info", ...) in the
    article or near its headline.
    A JSON-LD or meta publication date that knows no later edit and falls days after the
    date line is a re-publication stamp: the date line wins. A value without an offset is
    in `timezone`; "04/05/2024" is read day first when the page's locale writes it so,
    unless the URL's date says otherwise; dates before 1995 or more than a day after
    `now` are skipped. A modified time earlier than the published one is dropped.
    """
    now = aware(now, timezone)
    day_first = _day_first(page)
    published: Found[datetime] | None = None
    modified: Found[datetime] | None = None
    from_markup = False
    for markup, (pub, mod) in _date_evidence(root, page, timezone, now, selectors, day_first):
        from_markup = from_markup or (published is None and pub is not None and markup)
        published, modified = published or pub, modified or mod
        if published and modified:
            break
    if published and from_markup and _restamped(published, modified):
        line = headline_date(root, timezone, now, day_first)
        if line and (published.value.date() - line.value.date()).days >= _RESTAMP_GAP_DAYS:
            published = line
    url_date = _url_date(root, page, url, timezone, now)
    if published is None and url_date is not None:
        published = Found(url_date, "url")
    published = published or _date_element(root, timezone, now, day_first)
    if (
        published
        and url_date
        and published.source.startswith("text:")
        and _swapped(published.value, url_date)
    ):
        # "03/10/2023" under /2023/october/03/: the URL settles which number is the month.
        value = published.value.replace(month=url_date.month, day=url_date.day)
        published = Found(value, published.source)
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
) -> Iterator[tuple[bool, DateFound]]:
    """(published, modified) from each kind of evidence, most trusted first, lazily; each
    with whether it comes from the page's machine-readable markup (JSON-LD, meta tags)."""

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
                False,
                (
                    (parse(value, source), None)
                    if value
                    else _text_dates(element, source, zone, now, day_first)
                ),
            )
    for kind, obj in jsonld.articles(page.jsonld):
        yield (
            True,
            (
                _first(
                    parse(value, f"json-ld:{kind}.{field}")
                    for field in ("datePublished", "dateCreated")
                    for value in jsonld.texts(obj.get(field))[:1]
                ),
                _first(
                    parse(value, f"json-ld:{kind}.dateModified")
                    for value in jsonld.texts(obj.get("dateModified"))[:1]
                ),
            ),
        )
    named = [k for k in page.meta if k not in _PUBLISHED_META and _PUBLISHED_META_NAME.search(k)]
    yield (
        True,
        (
            _first(
                parse(page.meta.get(key), meta_source(key)) for key in (*_PUBLISHED_META, *named)
            ),
            _first(parse(page.meta.get(key), meta_source(key)) for key in _MODIFIED_META),
        ),
    )
    yield False, _time_elements(root, parse)
    for scope in dict.fromkeys([*article_scopes(root), root]):
        yield False, _text_dates(scope, None, zone, now, day_first)
    pub_text, mod_text = embedded_dates(root)
    yield False, (parse(pub_text, "script:published"), parse(mod_text, "script:modified"))
    yield False, (headline_date(root, zone, now, day_first), None)


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


# Selected in C, in document order: a Python loop over every element costs more.
_TIME_OR_ITEMPROP = XPath("//time|//*[@itemprop]")


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
    candidates = _TIME_OR_ITEMPROP(root)
    for element in candidates if isinstance(candidates, list) else []:
        if not isinstance(element, lxml.html.HtmlElement) or element.tag == "meta":
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


def _near(heading: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The headline's header block: its third ancestor at most, which in the templates seen
    holds the headline, byline and date line but not yet the sidebar."""
    ancestors = list(heading.iterancestors())[:3]
    return ancestors[-1] if ancestors else heading


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
        if match is None or elsewhere(element):
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


def _url_date(
    root: lxml.html.HtmlElement, page: PageMeta, url: str, zone: tzinfo, now: datetime
) -> datetime | None:
    """The day in the path of the page's URL (as fetched, og:url or canonical link),
    plausible: "/2023/04/28/", "/2023/october/03/", "/blog/2025-12-17-slug"."""
    urls = [url, page.meta.get("og:url", "")]
    head = root.find("head")
    if head is not None:
        urls += [
            link.get("href", "") for link in head.iter("link") if link.get("rel") == "canonical"
        ]
    for address in urls:
        try:
            match = _URL_DATE.search(urlsplit(address).path) if address else None
        except ValueError:  # "http://[bad" and other unparseable URLs
            continue
        if match is None:
            continue
        month = match.group("m")
        number = int(month) if month.isdigit() else _MONTH_NAMES.get(month.lower()[:3], 0)
        try:
            value = datetime(int(match.group("y")), number, int(match.group("d")), tzinfo=zone)
        except ValueError:
            continue
        if plausible(value, now):
            return value
    return None


def _swapped(value: datetime, day: datetime) -> bool:
    """`value` is `day` with its month and day numbers read the other way round."""
    return (value.year, value.day, value.month) == (day.year, day.month, day.day) and (
        day.month != day.day
    )


def _restamped(published: Found[datetime], modified: Found[datetime] | None) -> bool:
    """The markup's publication time knows of no later edit: often not the first
    publication but the last time the CMS re-published or re-exported the page."""
    return modified is None or modified.value.date() <= published.value.date()


def _day_first(page: PageMeta) -> bool:
    """Whether "04/05/2024" on this page means 4 May: every locale but US English does."""
    raw = page.lang or page.meta.get("og:locale") or page.meta.get("content-language") or ""
    tag = raw.strip().replace("_", "-").lower().split(",")[0]
    return bool(tag) and tag not in _MONTH_FIRST


def _first(found: Iterable[Found[datetime] | None]) -> Found[datetime] | None:
    return next((f for f in found if f is not None), None)
