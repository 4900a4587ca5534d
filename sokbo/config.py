"""The declarative config (`sokbo.toml`): pydantic models, loading and readable errors.

The value types the models use (durations, schedules, URLs, selectors) are in
sokbo.config_values; how validation errors are said, in sokbo.config_errors.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sokbo.config_errors import describe_errors
from sokbo.config_values import (
    ADAPTIVE,
    Css,
    Duration,
    HttpUrl,
    Id,
    Regex,
    Schedule,
    StoreUrl,
    TimeZone,
    XPath,
    check_database_url,
    format_duration,
    parse_interval,
)
from sokbo.web.encoding import normalise_encoding

__all__ = [
    "ADAPTIVE",
    "DEFAULT_CONFIG",
    "Config",
    "ConfigError",
    "CrawlConfig",
    "FeedSettings",
    "LinkRules",
    "PushConfig",
    "ScheduleConfig",
    "Selectors",
    "SiteConfig",
    "SourceConfig",
    "StoreConfig",
    "config_warnings",
    "format_duration",
    "load_config",
    "parse_interval",
]

DEFAULT_CONFIG = "sokbo.toml"


class ConfigError(Exception):
    """A config that cannot be used; the message names file, entry and field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(Strict):
    url: StoreUrl = "sqlite:///data/sokbo.db"
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
    # Worker processes a large crawl extracts in (after its first 20 pages); None: one
    # per core but one; 0: extract in the crawl's own process.
    extract_workers: int | None = Field(default=None, ge=0, le=64)


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
        return check_database_url(value) if value else value


class ClusterConfig(Strict):
    """Crawl nodes: Scrapyd instances the scheduler hands each source's runs to (none: the
    crawls run on this machine). They share the store, which must be PostgreSQL."""

    scrapyd: list[HttpUrl] = []  # base URLs, `http://crawl-1:6800`
    slots: int = Field(default=2, ge=1, le=64)  # jobs at once per node (Scrapyd's max_proc)
    username: str | None = None  # Scrapyd's basic auth, when its config sets one
    password: str | None = None


class PushConfig(Strict):
    """WebSub subscriptions (sokbo.push): `sokbo schedule` subscribes to the hubs that the
    sources' feeds name and serves the callback the hubs call."""

    enabled: bool = False
    host: str = Field(default="127.0.0.1", min_length=1)  # where the callback listens
    port: int = Field(default=8971, ge=1, le=65535)
    # The callback's public base URL, as the hubs reach it (through a reverse proxy, say);
    # each subscription gets a path of its own under it.
    callback_url: HttpUrl | None = None
    lease: Duration = timedelta(days=10)  # asked of the hubs; each grants what it will
    # A source whose hub delivers is still polled this often, in case the hub misses one.
    safety_interval: Duration = timedelta(minutes=30)

    @field_validator("callback_url")
    @classmethod
    def _plain_base(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).query or urlsplit(value).fragment):
            raise ValueError("a base URL without a query or fragment (paths are added to it)")
        return value

    @field_validator("lease", "safety_interval")
    @classmethod
    def _at_least_a_second(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value <= timedelta(days=365):
            raise ValueError("must be at least 1s and at most 365d")
        return value

    @model_validator(mode="after")
    def _callback_when_enabled(self) -> PushConfig:
        if self.enabled and self.callback_url is None:
            raise ValueError(
                "callback_url: required with enabled = true (the public URL at which the "
                f"hubs reach port {self.port}, e.g. 'https://push.example.com/websub')"
            )
        return self


class FeedSettings(Strict):
    formats: list[Literal["rss", "atom", "json"]] = ["rss", "atom", "json"]
    limit: int = Field(default=50, ge=1, le=1000)
    per_category: bool = False
    hub: HttpUrl | None = None  # a WebSub hub to name in the feeds and ping after changes


# The extraction presets (sokbo/extract/presets.py holds one for each, checked there).
PresetName = Literal["tistory", "wordpress", "blogger", "naver_blog", "kr_news", "generic"]


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
    preset: PresetName = "generic"
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
    # The publication time in the front matter (`date: 2024-07-29 10:05:00 +0900`): Jekyll
    # then orders a day's posts by time, and themes can show it. Off: the owner's format.
    date_in_front_matter: bool = False
    # One story carried by several sources (or by one source again, updated): `update`
    # shows one post per story, re-rendered in place by a fuller version; `first` shows
    # the first version only; `all` gives every version a post of its own.
    stories: Literal["update", "first", "all"] = "update"
    # Sources whose version of a story is preferred, best first (sokbo.publish.stories).
    prefer_sources: list[str] = []
    # The other versions' URLs in the front matter (`also_reported_by`). Off: the owner's format.
    also_reported_by: bool = False
    permalink: str = "/:categories/:year/:month/:day/:title:output_ext"
    feeds_url: HttpUrl | None = None
    # Images: `hotlink` shows the source's own files; `mirror` downloads the lead and body
    # images (sokbo.crawl.pipelines.images) into images_dir, served at images_url.
    images: Literal["hotlink", "mirror"] = "hotlink"
    images_dir: Path | None = None  # relative: to the config's folder, as posts_dir
    images_url: str | None = None  # an absolute http(s) URL or a path on the blog ("/x/")
    images_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    # At most 100 MP: Pillow refuses to open about 179 MP (a decompression bomb).
    images_max_pixels: int = Field(default=25_000_000, ge=1, le=100_000_000)
    images_per_article: int = Field(default=20, ge=1, le=200)
    feeds: FeedSettings = FeedSettings()

    @field_validator("alt", "footer", "feature_heading")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(brand="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"bad template (only {{brand}} is known): {exc}") from None
        return value

    @field_validator("images_url")
    @classmethod
    def _images_url(cls, value: str | None) -> str | None:
        if value is None or value.startswith("/"):
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("an absolute http(s) URL or a path starting with '/'")
        return value

    @model_validator(mode="after")
    def _mirror_needs_a_place(self) -> SiteConfig:
        if self.images == "mirror":
            for name in ("images_dir", "images_url"):
                if getattr(self, name) is None:
                    raise ValueError(f"{name}: required with images = 'mirror'")
        return self

    @property
    def feed_base_url(self) -> str:
        return (self.feeds_url or self.base_url.rstrip("/") + "/feeds").rstrip("/")

    def render(self, template: str) -> str:
        return template.format(brand=self.brand)


class Config(Strict):
    store: StoreConfig = StoreConfig()
    crawl: CrawlConfig = CrawlConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    cluster: ClusterConfig = ClusterConfig()
    push: PushConfig = PushConfig()
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
        if self.cluster.scrapyd and not self.store.url.startswith("postgresql"):
            raise ValueError(
                "cluster: scrapyd: crawl nodes share the store, so it must be PostgreSQL "
                f"([store] url), not {self.store.url.split(':', 1)[0]}"
            )
        known = {source.id for source in self.source}
        for site in self.site:
            for name in site.sources:
                if name not in known:
                    raise ValueError(f"site '{site.id}': sources: no source with id '{name}'")
            for name in site.prefer_sources:
                if name not in site.sources:
                    raise ValueError(
                        f"site '{site.id}': prefer_sources: '{name}' is not one of its sources"
                    )
        return self

    def find_source(self, source_id: str) -> SourceConfig | None:
        """The source with this id; None when the config has none (a source removed)."""
        return next((source for source in self.source if source.id == source_id), None)

    def get_source(self, source_id: str) -> SourceConfig:
        source = self.find_source(source_id)
        if source is not None:
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
        text = path.read_text(encoding="utf-8")
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
    return parse_config(text, path.resolve().parent, path)


def parse_config(text: str, base: Path, name: str | Path) -> Config:
    """Validate a config's TOML text; relative paths resolve against `base`. `name` says
    where the text came from, in the errors (a file, or a config a crawl node read from
    the store)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_errors(name, raw, exc, Config)) from None
    return _resolve_paths(config, base)


def _resolve_paths(config: Config, base: Path) -> Config:
    sites = [
        site.model_copy(
            update={
                "posts_dir": base / site.posts_dir,
                "feeds_dir": base / site.feeds_dir,
                "images_dir": base / site.images_dir if site.images_dir else None,
            }
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
