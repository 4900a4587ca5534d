"""Scrapy settings for every sokbo crawl; politeness values come from the config's [crawl]."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from sokbo.config import CrawlConfig

BOT_NAME = "sokbo"
SPIDER_MODULES = ["sokbo.crawl.spiders"]
NEWSPIDER_MODULE = "sokbo.crawl.spiders"

# Where the spiders read sokbo.toml; `-s SOKBO_CONFIG=...` or the environment overrides.
SOKBO_CONFIG = "sokbo.toml"

# A crawl node's job (`-a config_id=N`, sokbo.crawl.node) reads its config from the store
# at SOKBO_STORE, keeps its crawl state in SOKBO_STATE_DIR and publishes nothing (the
# spider turns SOKBO_PUBLISH off); `-s` or the environment sets the first two.
SOKBO_STORE = None
SOKBO_STATE_DIR = "sokbo-state"
SOKBO_PUBLISH = True

ITEM_PIPELINES = {
    "sokbo.crawl.pipelines.extract.ExtractPipeline": 100,
    "sokbo.crawl.pipelines.store.StorePipeline": 300,
    # The images of sites with images = "mirror" (off on a crawl node, which writes no files).
    "sokbo.crawl.pipelines.images.ImagesMirrorPipeline": 350,
    "sokbo.crawl.pipelines.publish.PublishPipeline": 400,
    "sokbo.crawl.pipelines.feeds.FeedsPipeline": 500,
}

# Extraction (stage 100) in worker processes once a crawl has more pages than
# SOKBO_EXTRACT_INLINE; SOKBO_EXTRACT_WORKERS unset: one per core but one (at least 1);
# 0: always in the crawl's own process.
SOKBO_EXTRACT_INLINE = 20

# How long a crawl's feed stage waits (in a thread) for another process's build of the
# same site's feeds; then the feeds stay queued and the next build writes them.
SOKBO_FEED_LOCK_WAIT = 300.0

# A live line per source on the terminal (sokbo/crawl/progress.py): off unless asked for;
# `sokbo crawl` asks when its stdout is a terminal.
EXTENSIONS = {"sokbo.crawl.progress.CrawlProgress": 500}
SOKBO_PROGRESS = False

# How many of one response's outputs Scrapy processes at once. It starts that many tasks
# for every response's output; a page yields one article and a feed yields requests,
# so Scrapy's 100 would only start 99 idle tasks per page.
CONCURRENT_ITEMS = 4

# Politeness (defaults; the config's [crawl] table sets them per deployment).
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
COOKIES_ENABLED = False

# News pages are small; a 10 MB page is a mistake or a trap.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Above RetryMiddleware (550), so it sees a 429/503 before the retry is scheduled.
# Nearest the spider (above Scrapy's own, 50-900), so it sees a callback's exception first.
SPIDER_MIDDLEWARES = {"sokbo.crawl.middlewares.StoreFailureMiddleware": 950}
DOWNLOADER_MIDDLEWARES = {
    # In place of Scrapy's robots middleware: robots.txt kept between runs (in
    # <state_dir>/robots, as RFC 9309 allows) and shared with the sitemap spider.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "sokbo.crawl.robots.CachedRobotsTxtMiddleware": 100,
    "sokbo.crawl.middlewares.BackoffMiddleware": 560,
}
# Off (`-s SOKBO_ROBOTS_CACHE=0`): robots.txt is asked for in every run, as Scrapy does.
SOKBO_ROBOTS_CACHE = True
# Redirects stay within the source's allowed domains: Scrapy's offsite filter checks
# every redirected request again (scrapy.downloadermiddlewares.offsite).
REDIRECT_MAX_TIMES = 5

# Development cache (`sokbo crawl --cache`); HTTPCACHE_DIR is set per config.
HTTPCACHE_ENABLED = False
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.DummyPolicy"

# A crawl listens on no port: neither Scrapy's telnet console nor its remote-control
# HTTP server (on by default since Scrapy 2.14) is wanted on a news crawler.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_FORMATTER = "sokbo.crawl.logformatter.SokboLogFormatter"
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"


def apply_crawl_config(settings: BaseSettings, crawl: CrawlConfig) -> None:
    """Copy the config's [crawl] table into Scrapy settings below command-line priority."""
    values: dict[str, object] = {
        "USER_AGENT": crawl.user_agent,
        "DOWNLOAD_DELAY": crawl.delay,
        "AUTOTHROTTLE_START_DELAY": crawl.delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrent_per_domain,
        "ROBOTSTXT_OBEY": crawl.obey_robots_txt,
    }
    if crawl.extract_workers is not None:
        values["SOKBO_EXTRACT_WORKERS"] = crawl.extract_workers
    settings.setdict(values, priority="spider")
