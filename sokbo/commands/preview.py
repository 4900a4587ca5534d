"""`sokbo preview URL`: fetch one page (a one-page crawl, robots.txt obeyed) and print
the post each site would get, with where each field came from; nothing is stored."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from sokbo.config import Config, ConfigError, SiteConfig, SourceConfig
from sokbo.crawl.preview import PreviewSpider
from sokbo.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from sokbo.models import Article, StoredArticle
from sokbo.publish.post import post_filename, render_post
from sokbo.slug import slugify

GENERIC = "preview"  # the id of the stand-in source for a URL no source covers


def run(config: Config, path: Path, args: argparse.Namespace) -> int:
    url: str = args.url
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        print(f"sokbo preview: not an http(s) URL: {url}", file=sys.stderr)
        return EXIT_USAGE
    try:
        source = choose_source(config, url, args.source)
        sites = choose_sites(config, source, args.site)
    except ConfigError as exc:
        print(f"sokbo preview: {exc}", file=sys.stderr)
        return EXIT_USAGE
    used = "a generic source" if source.id == GENERIC else f"source '{source.id}'"
    print(f"sokbo preview: {url} with {used} ({source.preset})", file=sys.stderr)
    spider = _fetch(config, source, url, args.verbose)
    if spider.article is None:
        print(f"sokbo preview: {url}: {spider.error or 'nothing fetched'}", file=sys.stderr)
        return EXIT_FAILED
    stored = as_stored(spider.article)
    posts = [(site, post_filename(stored, site), render_post(stored, site)) for site in sites]
    if args.json:
        print(
            json.dumps(
                as_json(url, spider.final_url, source, stored.article, posts),
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(as_text(stored.article, posts), end="")
    return EXIT_OK


def choose_source(config: Config, url: str, source_id: str | None) -> SourceConfig:
    """The named source; else the one whose domains cover the URL's host; else a generic
    one (the config's [crawl] politeness applies to every crawl)."""
    if source_id is not None:
        return config.get_source(source_id)
    host = (urlsplit(url).hostname or "").lower()
    for source in config.source:
        if any(host == d or host.endswith(f".{d}") for d in source.domains):
            return source
    return SourceConfig(id=GENERIC, kind="listing", start_urls=[url])  # type: ignore[list-item]


def choose_sites(config: Config, source: SourceConfig, site_id: str | None) -> list[SiteConfig]:
    if site_id is not None:
        for site in config.site:
            if site.id == site_id:
                return [site]
        raise ConfigError(f"no site '{site_id}' in the config")
    return config.sites_for(source.id) or list(config.site)


def as_stored(article: Article) -> StoredArticle:
    """The identity the store would give it on first sight (the id is not known)."""
    slug = slugify(article.title, article.url)
    return StoredArticle(0, article, slug, article.published, "new")


def as_text(article: Article, posts: list[tuple[SiteConfig, str, str]]) -> str:
    evidence = "".join(f"  {field}: {where}\n" for field, where in article.evidence)
    return "".join(
        f"== site {site.id}: {site.posts_dir}/{name}\n{text}"
        f"{'' if text.endswith(chr(10)) else chr(10)}"
        f"-- where each field came from:\n{evidence}"
        for site, name, text in posts
    )


def as_json(
    url: str,
    final_url: str | None,
    source: SourceConfig,
    article: Article,
    posts: list[tuple[SiteConfig, str, str]],
) -> dict[str, Any]:
    return {
        "url": url,
        "final_url": final_url,
        "source": source.id,
        "article": {
            "title": article.title,
            "published": article.published.isoformat(),
            "modified": article.modified.isoformat() if article.modified else None,
            "authors": list(article.authors),
            "image": article.image,
            "excerpt": article.excerpt,
            "categories": list(article.categories),
            "language": article.language,
            "tags": list(article.tags),
            "evidence": dict(article.evidence),
        },
        "posts": [{"site": site.id, "file": name, "text": text} for site, name, text in posts],
    }


def _fetch(config: Config, source: SourceConfig, url: str, verbose: bool) -> PreviewSpider:
    """A one-page crawl with the project's settings but no pipeline, job folder or cache."""
    settings = Settings()
    settings.setmodule("sokbo.crawl.settings", priority="project")
    overrides: dict[str, Any] = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "SPIDER_MIDDLEWARES": {},  # StoreFailureMiddleware: there is no store here
        "JOBDIR": None,
        "HTTPCACHE_ENABLED": False,
        # The command says what went wrong in one line: Scrapy's own errors (with
        # tracebacks, robots.txt's download among them) only with -v.
        "LOG_LEVEL": "INFO" if verbose else "CRITICAL",
        "LOG_FORMAT": "%(levelname)s: %(message)s",
    }
    settings.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PreviewSpider)
    process.crawl(crawler, config=config, source=source, url=url)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, PreviewSpider)
    return spider
