"""The value types of the config, each checked with a reason a person can act on: ids,
http(s) URLs, time zones, durations and intervals, schedules (cron, interval, adaptive),
database URLs, regular expressions, CSS selectors and XPath."""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import GenericTranslator, SelectorError
from lxml import etree
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy import dialects
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from sokbo.cron import cron_trigger
from sokbo.web.urls import http_url

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_INTERVAL = re.compile(r"^(?:every\s+)?((?:\d+[smhd]\s*)+)$")
_INTERVAL_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# What an interval written in words looks like: `every 15 minutes`, `2 hours`.
_EVERY = re.compile(r"^\s*every\b", re.IGNORECASE)
_UNIT_WORD = re.compile(r"\b(?:secs?|seconds?|mins?|minutes?|hrs?|hours?|days?)\b", re.IGNORECASE)
_WORDED_PART = re.compile(
    r"(\d*)\s*\b(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\b", re.IGNORECASE
)
_FILLER = re.compile(r"\band\b|[\s,]", re.IGNORECASE)


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError("use lowercase letters, digits, '-' or '_' (at most 64)")
    return value


def _check_http_url(value: str) -> str:
    if http_url(value) != value:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def parse_interval(value: str) -> timedelta | None:
    """`every 10m`, `90s`, `1h30m` -> timedelta; None when it is not an interval."""
    match = _INTERVAL.match(value.strip())
    if not match:
        return None
    delta = timedelta()
    for number, unit in _INTERVAL_PART.findall(match.group(1)):
        delta += timedelta(**{_UNITS[unit]: int(number)})
    return delta


def format_duration(delta: timedelta) -> str:
    """A duration as the config writes it (`90s` -> `1m30s`, `1h`); parse_interval reads it."""
    seconds = round(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


ADAPTIVE = "adaptive"


def _check_schedule(value: str) -> str:
    if value == ADAPTIVE:
        return value
    interval = parse_interval(value)
    if interval is not None:
        if interval < timedelta(seconds=1):
            raise ValueError("interval shorter than one second")
        return value
    if _EVERY.search(value) or _UNIT_WORD.search(value):
        raise ValueError(_interval_hint(value))

    try:
        cron_trigger(value, "UTC")
    except ValueError as exc:
        if len(value.split()) == 5:  # a cron expression, with a field cron cannot read
            raise ValueError(f"not a cron expression ({exc})") from None
        raise ValueError(
            "not a cron expression (five fields, e.g. '*/10 * * * *'), "
            f"an interval (e.g. 'every 15m') nor 'adaptive' ({exc})"
        ) from None
    return value


def _interval_hint(value: str) -> str:
    """How to write an interval meant in words: `every 15 minutes` -> `every 15m`."""
    words = _EVERY.sub("", value)
    parts = _WORDED_PART.findall(words)
    written = "every " + "".join((number or "1") + unit[0].lower() for number, unit in parts)
    interval = parse_interval(written)
    only_units = parts and not _FILLER.sub("", _WORDED_PART.sub("", words))
    if only_units and interval is not None and interval >= timedelta(seconds=1):
        written = repr(written)
    else:  # words beyond numbers and units: show the form instead
        written = "e.g. 'every 15m'"
    return f"{value!r} is not an interval: write the interval as {written} (units s, m, h, d)"


def check_database_url(value: str) -> str:
    """A SQLAlchemy URL of a database SQLAlchemy knows, with a blocking driver. Whether
    the driver is installed is the environment's business (sokbo.ops.preflight)."""

    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise ValueError(
            "not a database URL (dialect+driver://user:password@host/database, e.g. "
            "'sqlite:///data/sokbo.db' or 'postgresql+psycopg://sokbo@localhost/sokbo')"
        ) from None
    backend = url.get_backend_name()
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        if "+" in url.drivername and backend in dialects.__all__:
            raise ValueError(f"{backend} has no driver {url.drivername.split('+')[1]!r}") from None
        close = difflib.get_close_matches(backend, dialects.__all__, n=1)
        known = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(dialects.__all__)}"
        raise ValueError(f"unknown database {backend!r} ({known})") from None
    if dialect.is_async:
        raise ValueError(
            f"{url.drivername} is an asyncio driver, which sokbo cannot use: name a blocking "
            f"one or none (e.g. {backend}://...)"
        )
    return value


def _duration(value: object) -> object:
    """`2d`, `6h`, `90m` (or `every 2d`) -> timedelta; anything else is left to pydantic."""
    if isinstance(value, str):
        delta = parse_interval(value)
        if delta is None:
            raise ValueError(f"not a duration: {value!r} (e.g. '2d', '6h', '90m', '1h30m')")
        return delta
    return value


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"bad regular expression {value!r}: {exc}") from None
    return value


def _check_css(value: str) -> str:

    try:
        GenericTranslator().css_to_xpath(value)
    except SelectorError as exc:
        raise ValueError(f"bad CSS selector {value!r}: {exc}") from None
    return value


def _check_xpath(value: str) -> str:
    try:
        etree.XPath(value)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"bad XPath {value!r}: {exc}") from None
    return value


Id = Annotated[str, AfterValidator(_check_id)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]
Regex = Annotated[str, AfterValidator(_check_regex)]
Css = Annotated[str, AfterValidator(_check_css)]
XPath = Annotated[str, AfterValidator(_check_xpath)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
Schedule = Annotated[str, AfterValidator(_check_schedule)]
DatabaseUrl = Annotated[str, AfterValidator(check_database_url)]

# The databases sokbo's store runs on (its upserts are written for these two dialects);
# the scheduler's job store may be any database SQLAlchemy knows.
STORE_BACKENDS = ("sqlite", "postgresql")


def check_store_url(value: str) -> str:
    """A database URL (check_database_url) of a backend the store runs on."""
    backend = make_url(check_database_url(value)).get_backend_name()
    if backend not in STORE_BACKENDS:
        raise ValueError(
            f"sokbo's store runs on SQLite or PostgreSQL, not {backend} (the scheduler's "
            "job store, [schedule] jobstore, may be any database SQLAlchemy knows)"
        )
    return value


StoreUrl = Annotated[str, AfterValidator(check_store_url)]
