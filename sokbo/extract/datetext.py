"""Dates written in pages: ISO 8601, compact digits, day-first numbers, Korean and English text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

# Nothing on the web we crawl predates 1995; a date further ahead than clock skew and
# time zones explain is a typo or an event announcement, not a publication time.
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# Minutes east of UTC. CST is left out: China (+8) and US Central (-6) both use it.
_ZONES = {
    "UTC": 0, "GMT": 0, "KST": 540, "JST": 540, "HKT": 480, "SGT": 480, "EST": -300,
    "EDT": -240, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "BST": 60, "CET": 60, "CEST": 120, "AEST": 600, "AEDT": 660,
}  # fmt: skip

_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?P<y>(?:19|20)[0-9]{2})"
_WEEKDAY = r"(?:[월화수목금토일](?:요일)?|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)"
_AMPM = r"(?:오전|오후|[ap]\.?m\.?(?![a-z]))"
_ZONE = (
    r"(?P<tz>z(?![a-z])|[+-][0-9]{2}(?::?[0-9]{2})?(?![0-9])"
    r"|(?:utc|gmt)\s*[+-]\s*[0-9]{1,2}(?::?[0-9]{2})?"
    rf"|(?:{'|'.join(_ZONES)})(?![a-z]))"
)
_TIME = (
    rf"(?:(?P<ap1>{_AMPM})\s*)?(?P<h>[0-9]{{1,2}})\s*"
    r"(?::\s*(?P<mi>[0-9]{2})(?:\s*:\s*(?P<s>[0-9]{2})(?:[.,][0-9]+)?)?"
    r"|시(?!간)(?:\s*(?P<mi2>[0-9]{1,2})\s*분)?(?:\s*(?P<s2>[0-9]{1,2})\s*초)?)"
    rf"(?:\s*(?P<ap2>{_AMPM}))?(?:\s*\(?\s*{_ZONE}\s*\)?)?"
)
_TIME_AFTER = re.compile(
    rf"(?:\s*\(?\s*{_WEEKDAY}\s*\)?)?\s*(?:t|,|at|\|)?\s*{_TIME}", re.IGNORECASE
)
# "Updated 10:47 AM EDT, Thu June 20, 2024": some English sites put the time first.
_TIME_BEFORE = re.compile(rf"{_TIME}[\s,]*(?:{_WEEKDAY}[\s,]*)?$", re.IGNORECASE)

_NUMERIC = re.compile(
    rf"(?<![0-9]){_YEAR}\s*(?:[-./]|년)\s*(?P<m>[0-9]{{1,2}})\s*(?:[-./]|월)\s*"
    r"(?P<d>[0-9]{1,2})(?![0-9])(?:\s*일)?\.?"
)
# "28.04.2023", "15/12/2025", "10/31/2024": the year last. Which of the first two numbers
# is the month is decided in `_day_month` (a number above 12, the separator, the locale).
_YEAR_LAST = re.compile(
    r"(?<![0-9A-Za-z./-])(?P<a>[0-9]{1,2})(?P<sep>[./-])(?P<b>[0-9]{1,2})(?P=sep)"
    rf"{_YEAR}(?![0-9]|[./-][0-9])"
)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<![a-z]){_MONTH}\.?\s+(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}(?![0-9])",
    re.IGNORECASE,
)
_DAY_MONTH_YEAR = re.compile(
    rf"(?<![0-9])(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?[\s-]+(?:of\s+)?{_MONTH}\.?,?[\s-]+"
    rf"{_YEAR}(?![0-9])",
    re.IGNORECASE,
)
_KOREAN_NO_YEAR = re.compile(r"(?<![0-9])(?P<m>[0-9]{1,2})\s*월\s*(?P<d>[0-9]{1,2})\s*일")
_COMPACT = re.compile(
    r"((?:19|20)[0-9]{2})([0-9]{2})([0-9]{2})(?:T?([0-9]{2})([0-9]{2})([0-9]{2})?)?"
)

# Words that introduce the publication or the last edit; the date follows within a few
# characters ("입력 : 2024-06-20", "기사입력 2024.06.20", "Updated on June 21, 2024").
# The lookahead names every label's first letter: with it, the regex engine skips along
# the text by one character class instead of trying each alternative at every position,
# several times faster over a whole page.
_LABEL = re.compile(
    r"(?=[기최입등작게발송수업갱fplume])"
    r"(?:(?P<published>기사\s*입력|최초\s*입력|입력|등록|작성|게재|발행|송고"
    r"|\b(?:first\s+)?published\b|\bposted\b|\b(?:post|publish|publication)\s+(?:date|time)\b)"
    r"|(?P<modified>최종\s*수정|기사\s*수정|수정|업데이트|갱신"
    r"|\b(?:last\s+)?updated\b|\bmodified\b|\bedited\b))",
    re.IGNORECASE,
)
_LABEL_GAP = 20
# Longer than any date as written ("30th of September, 2024"); a time or weekday after
# it is matched separately, past this end.
_LONGEST_DATE = 30


@dataclass(frozen=True)
class Dated:
    """A date found in text: where it starts and ends, and its value when plausible."""

    start: int
    end: int
    value: datetime | None


def parse_datetime_text(
    text: str, timezone: tzinfo, now: datetime, *, day_first: bool = False
) -> datetime | None:
    """The publication time written in `text`, aware, or None.

    Accepts ISO 8601 ("2024-06-20T14:30:00+09:00"), compact digits ("20240620143000"),
    Korean forms ("입력 2024.06.20 오후 02:30", "2024년 6월 20일 14:30", "6월 20일") and
    English ones ("June 20, 2024 2:30 PM", "20 Jun 2024"). When the text carries both a
    publication and an edit label, the publication date is returned; otherwise the first
    plausible date. A value without an offset is in `timezone`; a year-less date takes the
    latest year that puts it at most a day after `now`. Dates before 1995 or more than a
    day after `now` are refused. "04/05/2024" is 5 April unless `day_first` (the page's
    locale writes the day first); "04.05.2024" is always 4 May. Never raises.
    """
    now = aware(now, timezone)
    stripped = text.strip()
    compact = _COMPACT.fullmatch(stripped)
    if compact:
        return _compact(compact, timezone, now)
    published, _ = labelled(stripped, timezone, now, day_first=day_first)
    if published is not None:
        return published[0]
    return first_date(stripped, timezone, now, day_first=day_first)


def first_date(
    text: str, zone: tzinfo, now: datetime, *, day_first: bool = False
) -> datetime | None:
    """The first plausible date in `text`."""
    found = scan(text, zone, now, day_first=day_first)
    return next((d.value for d in found if d.value is not None), None)


def first_published(
    text: str, zone: tzinfo, now: datetime, *, day_first: bool = False
) -> datetime | None:
    """The first plausible date in `text` that no edit label ("Updated", "수정") introduces."""
    for date in scan(text, zone, now, day_first=day_first):
        if date.value is not None and label_before(text, date.start) != "modified":
            return date.value
    return None


def label_before(text: str, start: int) -> str | None:
    """ "published" or "modified" when such a label ends just before `start`, else None."""
    labels = list(_LABEL.finditer(text[max(0, start - _LABEL_GAP) : start]))
    if not labels:
        return None
    return "modified" if labels[-1].group("modified") else "published"


def labelled(
    text: str, zone: tzinfo, now: datetime, *, day_first: bool = False
) -> tuple[tuple[datetime, str] | None, tuple[datetime, str] | None]:
    """(published, modified) dates that follow a label, each with the label as written."""
    published: tuple[datetime, str] | None = None
    modified: tuple[datetime, str] | None = None
    for label in _LABEL.finditer(text):
        kind = "published" if label.group("published") else "modified"
        if (published if kind == "published" else modified) is not None:
            continue
        # Only the few characters after the label are read: scanning a whole page's text
        # for dates costs more than finding its few labels.
        window = scan(text, zone, now, day_first=day_first, start=label.end(),
                      end=label.end() + _LABEL_GAP + _LONGEST_DATE)  # fmt: skip
        date = next((d for d in window if d.start >= label.end()), None)
        gap = text[label.end() : date.start] if date else ""
        if date is None or date.value is None or len(gap) > _LABEL_GAP or _has_digit(gap):
            continue
        word = re.sub(r"\s+", " ", label.group())
        if kind == "published":
            published = (date.value, word)
        else:
            modified = (date.value, word)
        if published and modified:
            break
    return published, modified


def scan(
    text: str,
    zone: tzinfo,
    now: datetime,
    *,
    day_first: bool = False,
    start: int = 0,
    end: int | None = None,
) -> list[Dated]:
    """Every date-like span in `text` (or in `text[start:end]`, with the text around it
    still read for a time or a weekday), in order, overlaps resolved to the earliest one."""
    now = aware(now, zone)
    spans: list[Dated] = []
    stop = len(text) if end is None else min(end, len(text))
    for pattern in (_NUMERIC, _YEAR_LAST, _MONTH_DAY_YEAR, _DAY_MONTH_YEAR, _KOREAN_NO_YEAR):
        for match in pattern.finditer(text, start, stop):
            spans.append(_dated(match, pattern, text, zone, now, day_first))
    spans.sort(key=lambda d: (d.start, -d.end))
    kept: list[Dated] = []
    for span in spans:
        # An implausible "1990년 6월 20일" still hides the "6월 20일" inside it.
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def plausible(value: datetime, now: datetime) -> bool:
    """Not before 1995 and not more than a day after the crawl."""
    try:
        return EARLIEST <= value <= now + FUTURE_SLACK
    except OverflowError:
        return value >= EARLIEST


def aware(value: datetime, zone: tzinfo) -> datetime:
    """A value without an offset is in the source's zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _dated(
    match: re.Match[str],
    pattern: re.Pattern[str],
    text: str,
    zone: tzinfo,
    now: datetime,
    day_first: bool,
) -> Dated:
    start, end = match.start(), match.end()
    time = _TIME_AFTER.match(text, end)
    if time is not None:
        end = time.end()
    elif pattern in (_MONTH_DAY_YEAR, _DAY_MONTH_YEAR):
        time = _TIME_BEFORE.search(text, max(0, start - 40), start)
        if time is not None:
            start = time.start()
    month_name = match.groupdict().get("mon")
    if pattern is _YEAR_LAST:
        day, month = _day_month(match, day_first)
    else:
        # casefold, not lower: IGNORECASE lets "ſep" (long s) match "sep".
        month = _MONTHS.get(month_name.casefold(), 0) if month_name else int(match.group("m"))
        day = int(match.group("d"))
    clock = _clock(time)
    if "y" in match.groupdict():
        value = _make(int(match.group("y")), month, day, clock, zone)
        if value is not None and not plausible(value, now):
            value = None
        return Dated(start, end, value)
    for year in range(now.year, now.year - 5, -1):
        value = _make(year, month, day, clock, zone)
        if value is not None and plausible(value, now):
            return Dated(start, end, value)
    return Dated(start, end, None)


def _day_month(match: re.Match[str], day_first: bool) -> tuple[int, int]:
    """(day, month) of "a.b.yyyy": a number above 12 is the day; else dots mean day first
    (German, Russian, Scandinavian use), slashes and hyphens follow the page's locale."""
    a, b = int(match.group("a")), int(match.group("b"))
    if a > 12 >= b:
        return a, b
    if b > 12 >= a:
        return b, a
    return (a, b) if day_first or match.group("sep") == "." else (b, a)


def _clock(time: re.Match[str] | None) -> tuple[int, int, int, tzinfo | None]:
    """(hour, minute, second, zone or None); midnight when there is no usable time."""
    if time is None:
        return 0, 0, 0, None
    hour = int(time.group("h"))
    minute = int(time.group("mi") or time.group("mi2") or 0)
    second = min(int(time.group("s") or time.group("s2") or 0), 59)
    marker = (time.group("ap1") or time.group("ap2") or "").lower()
    if marker and hour <= 12:
        if marker.startswith(("오후", "p")):
            hour = hour % 12 + 12
        else:
            hour %= 12
    if hour > 23 or minute > 59:
        return 0, 0, 0, None
    return hour, minute, second, _zone(time.group("tz"))


def _zone(token: str | None) -> tzinfo | None:
    if not token:
        return None
    upper = token.upper().replace(" ", "")
    if upper in ("Z", "UTC", "GMT"):
        return UTC
    if upper in _ZONES:
        return timezone(timedelta(minutes=_ZONES[upper]))
    offset = re.search(r"([+-])([0-9]{1,2}):?([0-9]{2})?$", upper)
    if offset is None:
        return None
    minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
    if minutes > 14 * 60 or int(offset.group(3) or 0) > 59:
        return None
    return timezone(timedelta(minutes=-minutes if offset.group(1) == "-" else minutes))


def _make(
    year: int, month: int, day: int, clock: tuple[int, int, int, tzinfo | None], zone: tzinfo
) -> datetime | None:
    hour, minute, second, explicit = clock
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=explicit or zone)
    except (ValueError, OverflowError):
        return None


def _compact(match: re.Match[str], zone: tzinfo, now: datetime) -> datetime | None:
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    value = _make(year, month, day, (hour, minute, second, None), zone)
    return value if value is not None and plausible(value, now) else None


def _has_digit(text: str) -> bool:
    return any("0" <= char <= "9" for char in text)
