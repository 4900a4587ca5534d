"""The declarative config (`sokbo.toml`): pydantic models, loading and readable errors."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sokbo.urls import http_url

DEFAULT_CONFIG = "sokbo.toml"
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


class ConfigError(Exception):
    """A config that cannot be used; the message names file, entry and field."""


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
    from sokbo.cron import cron_trigger

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


def _check_database_url(value: str) -> str:
    """A SQLAlchemy URL of a database SQLAlchemy knows, with a blocking driver. Whether
    the driver is installed is the environment's business (sokbo.preflight)."""
    from sqlalchemy import dialects
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

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
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(value)
    except SelectorError as exc:
        raise ValueError(f"bad CSS selector {value!r}: {exc}") from None
    return value


def _check_xpath(value: str) -> str:
    from lxml import etree

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
DatabaseUrl = Annotated[str, AfterValidator(_check_database_url)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(Strict):
    url: DatabaseUrl = "sqlite:///data/sokbo.db"
    # SQLite: how long a write waits for another process's; longer, and it fails.
    busy_timeout: Duration = timedelta(seconds=30)


class CrawlConfig(Strict):
    """Politeness and crawl-state settings shared by every source."""

    user_agent: str = "sokbo/0.1 (+https://github.com/sokbo/sokbo)"
    delay: float = Field(default=1.0, ge=0)
    concurrent_per_domain: int = Field(default=2, ge=1, le=32)
    autothrottle: bool = True
    obey_robots_txt: bool = True
    state_dir: Path = Path("data")
    resume: bool = True


class ScheduleConfig(Strict):
    """`sokbo schedule`: the settings of the long-running scheduler process."""

    # APScheduler's job store; empty: the store's URL when it is PostgreSQL, else
    # sqlite:///<state_dir>/scheduler.db.
    jobstore: str = ""
    misfire_grace: Duration = timedelta(minutes=5)  # a run this late still happens
    stop_grace: Duration = timedelta(seconds=60)  # on SIGTERM, a running crawl may finish
    # After SIGINT (a timeout, or stop_grace over), a crawl has this long to stop cleanly
    # (its requests in flight finish or time out: Scrapy's DOWNLOAD_TIMEOUT is 30 s).
    kill_grace: Duration = timedelta(seconds=30)
    max_parallel: int = Field(default=2, ge=1, le=64)  # crawls at once, each a process
    log_file: Path = Path("sokbo.log")  # rotating; relative to crawl.state_dir

    @field_validator("jobstore")
    @classmethod
    def _jobstore_url(cls, value: str) -> str:
        return _check_database_url(value) if value else value


class FeedSettings(Strict):
    formats: list[Literal["rss", "atom", "json"]] = ["rss", "atom", "json"]
    limit: int = Field(default=50, ge=1, le=1000)
    per_category: bool = False
    hub: HttpUrl | None = None  # a WebSub hub to name in the feeds and ping after changes


class Selectors(Strict):
    """Explicit CSS selectors; each one set overrides the preset's."""

    body: list[Css] = []
    title: list[Css] = []
    date: list[Css] = []
    author: list[Css] = []
    image: list[Css] = []
    drop: list[Css] = []


class LinkRules(Strict):
    """How a `listing` source walks its pages and which links are articles."""

    allow: list[Regex] = []
    deny: list[Regex] = []
    region: list[Css] = []
    region_xpath: list[XPath] = []
    article: list[Regex] = []
    pagination: list[Css] = []
    max_depth: int = Field(default=3, ge=0, le=100)
    max_pages: int = Field(default=50, ge=1, le=10_000)


class SourceConfig(Strict):
    id: Id
    kind: Literal["feed", "sitemap", "listing"]
    start_urls: list[HttpUrl] = Field(min_length=1)
    allowed_domains: list[str] = []
    schedule: Schedule = "every 15m"
    jitter: Duration = timedelta(seconds=30)  # runs start up to this much later, at random
    timeout: Duration = timedelta(minutes=30)  # a run still going is stopped (SIGINT)
    # schedule = "adaptive": the interval moves between these with the source's pace.
    min_interval: Duration = timedelta(minutes=5)
    max_interval: Duration = timedelta(hours=2)
    language: str = "ko"
    timezone: TimeZone = "Asia/Seoul"
    encoding: str | None = None
    preset: Literal["tistory", "wordpress", "blogger", "naver_blog", "kr_news", "generic"] = (
        "generic"
    )
    selectors: Selectors = Selectors()
    max_age: Duration | None = None
    recheck_after: Duration = timedelta(hours=6)
    links: LinkRules | None = None

    @model_validator(mode="after")
    def _links_for_listings(self) -> SourceConfig:
        if self.links is not None and self.kind != "listing":
            raise ValueError("links: only for kind = 'listing'")
        return self

    @model_validator(mode="after")
    def _adaptive_bounds(self) -> SourceConfig:
        bounds = {"min_interval", "max_interval"} & self.model_fields_set
        if bounds and self.schedule != ADAPTIVE:
            raise ValueError(f"{min(bounds)}: only for schedule = 'adaptive'")
        if not timedelta(seconds=1) <= self.min_interval <= self.max_interval:
            raise ValueError("min_interval: must be at least 1s and at most max_interval")
        return self

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        from sokbo.encoding import normalise_encoding

        if value is not None and normalise_encoding(value) is None:
            raise ValueError(f"unknown encoding {value!r}")
        return value

    @property
    def domains(self) -> list[str]:
        """Allowed domains: as declared, else the hosts of the start URLs."""
        if self.allowed_domains:
            return list(self.allowed_domains)
        hosts = (urlsplit(url).hostname or "" for url in self.start_urls)
        return sorted({host for host in hosts if host})


class SiteConfig(Strict):
    id: Id
    title: str
    base_url: HttpUrl
    posts_dir: Path
    feeds_dir: Path
    brand: str
    sources: list[str] = Field(min_length=1)
    alt: str = "{brand} 속보"
    footer: str = ""
    feature_heading: str = ""
    default_image: str | None = None
    categories: list[str] = ["News"]
    language: str = "ko"
    timezone: TimeZone = "Asia/Seoul"
    attribution: bool = True
    permalink: str = "/:categories/:year/:month/:day/:title:output_ext"
    feeds_url: HttpUrl | None = None
    feeds: FeedSettings = FeedSettings()

    @field_validator("alt", "footer", "feature_heading")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(brand="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad template (only {{brand}} is known): {exc}") from None
        return value

    @property
    def feed_base_url(self) -> str:
        return (self.feeds_url or self.base_url.rstrip("/") + "/feeds").rstrip("/")

    def render(self, template: str) -> str:
        return template.format(brand=self.brand)


class Config(Strict):
    store: StoreConfig = StoreConfig()
    crawl: CrawlConfig = CrawlConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    site: list[SiteConfig] = []
    source: list[SourceConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        for kind, entries in (("site", self.site), ("source", self.source)):
            seen: set[str] = set()
            for entry in entries:
                if entry.id in seen:
                    raise ValueError(f"{kind} '{entry.id}': id: used twice")
                seen.add(entry.id)
        known = {source.id for source in self.source}
        for site in self.site:
            for name in site.sources:
                if name not in known:
                    raise ValueError(f"site '{site.id}': sources: no source with id '{name}'")
        return self

    def get_source(self, source_id: str) -> SourceConfig:
        for source in self.source:
            if source.id == source_id:
                return source
        names = ", ".join(s.id for s in self.source)
        raise ConfigError(f"no source '{source_id}' in the config (sources: {names})")

    def sites_for(self, source_id: str) -> list[SiteConfig]:
        return [site for site in self.site if source_id in site.sources]

    @property
    def jobstore_url(self) -> str:
        """Where the scheduler keeps its jobs: as configured, else beside the store."""
        if self.schedule.jobstore:
            return self.schedule.jobstore
        if self.store.url.startswith("postgresql"):
            return self.store.url
        return f"sqlite:///{self.crawl.state_dir / 'scheduler.db'}"

    @property
    def log_file(self) -> Path:
        return self.crawl.state_dir / self.schedule.log_file


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; relative paths resolve against its folder."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"{path}: not found (copy examples/demo/sokbo.toml to start)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except PermissionError:
        raise ConfigError(f"{path}: cannot read (permission denied)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, raw, exc)) from None
    return _resolve_paths(config, path.resolve().parent)


def _resolve_paths(config: Config, base: Path) -> Config:
    sites = [
        site.model_copy(
            update={"posts_dir": base / site.posts_dir, "feeds_dir": base / site.feeds_dir}
        )
        for site in config.site
    ]
    store = config.store
    if store.url.startswith("sqlite:///") and not store.url.startswith("sqlite:////"):
        relative = store.url.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            store = store.model_copy(update={"url": f"sqlite:///{base / relative}"})
    crawl = config.crawl.model_copy(update={"state_dir": base / config.crawl.state_dir})
    return config.model_copy(update={"site": sites, "store": store, "crawl": crawl})


def _describe(path: Path, raw: dict[str, Any], exc: ValidationError) -> str:
    """One line per problem: `file: source 'yna': schedule: not a cron expression`."""
    errors = exc.errors()
    # A misspelt required key is one mistake, not two: `start_url` stands for `start_urls`.
    meant = {
        (*error["loc"][:-1], name)
        for error in errors
        if error["type"] == "extra_forbidden" and (name := _meant_key(error["loc"]))
    }
    lines = []
    for error in errors:
        if error["type"] == "missing" and tuple(error["loc"]) in meant:
            continue
        loc = list(error["loc"])
        where: list[str] = []
        if loc and loc[0] in ("site", "source") and len(loc) > 1 and isinstance(loc[1], int):
            kind, index = str(loc[0]), loc[1]
            entries = raw.get(kind)
            entry_id = None
            if isinstance(entries, list) and index < len(entries):
                entry = entries[index]
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    entry_id = entry["id"]
            where.append(f"{kind} '{entry_id}'" if entry_id else f"{kind} #{index + 1}")
            loc = loc[2:]
        elif len(loc) > 1 and loc[0] in ("store", "crawl", "schedule"):
            where.append(str(loc[0]))  # the table is the entry: `store: url: ...`
            loc = loc[1:]
        # Annotated validators add their function name to the location; hide it.
        field = ".".join(str(part) for part in loc if not str(part).startswith("function-"))
        if field:
            where.append(field)
        lines.append(": ".join([str(path), *where, _message(error)]))
    return "\n".join(lines)


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        name = _meant_key(error["loc"])
        return f"unknown key (did you mean {name!r}?)" if name else "unknown key"
    if kind == "missing":
        return "required but missing"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _meant_key(loc: tuple[str | int, ...]) -> str | None:
    """The known key nearest to the unknown one at `loc` (`start_url` -> `start_urls`)."""
    *parents, key = loc
    model: type[BaseModel] | None = Config
    for part in parents:
        if isinstance(part, str) and model is not None:
            field = model.model_fields.get(part)
            model = _model_in(field.annotation) if field else None
    if model is None or not isinstance(key, str):
        return None
    close = difflib.get_close_matches(key, list(model.model_fields), n=1)
    return close[0] if close else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: `Selectors`, `list[SiteConfig]`, `LinkRules | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        model = _model_in(argument)
        if model is not None:
            return model
    return None


def config_warnings(
    config: Config, path: str | Path, sources: Collection[str] | None = None
) -> list[str]:
    """What a valid config probably did not mean, one line each (`file: entry: reason`);
    `sources`: only the warnings about these sources (default: all)."""
    published = {name for site in config.site for name in site.sources}
    return [
        f"{path}: source '{source.id}': no site lists it in sources; its articles are "
        "stored but published nowhere"
        for source in config.source
        if source.id not in published and (sources is None or source.id in sources)
    ]
