"""Drive the real consumers (Jekyll, newsboat) and read what they made of sokbo's output."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import lxml.html
import pytest
import yaml
from lxml import etree

from sokbo.config import SiteConfig
from tests.support.feedlint import FeedKind, detect_kind

SITE_TEMPLATE = Path(__file__).parent / "site"
APT_PACKAGES = {"jekyll": "jekyll", "newsboat": "newsboat"}
ATOM = "{http://www.w3.org/2005/Atom}"


def need(tool: str) -> str:
    """The tool's path. Missing: a failure when CI is set (make deps installs it), else a skip."""
    found = shutil.which(tool)
    if found:
        return found
    message = (
        f"{tool} is not installed: `make deps` installs it "
        f"(apt-get install {APT_PACKAGES.get(tool, tool)})"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so the consumer tests must run", pytrace=False)
    pytest.skip(message)


# --- feeds as files -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedFile:
    site: SiteConfig
    path: Path
    kind: FeedKind
    url: str  # where the site publishes it: its self link must say this

    @property
    def main(self) -> bool:
        """A site's main feed (rss.xml, atom.xml, feed.json), not a per-category one."""
        return self.path.parent == self.site.feeds_dir

    def __str__(self) -> str:
        return f"{self.site.id}:{self.path.relative_to(self.site.feeds_dir)}"


def feed_files(site: SiteConfig) -> list[FeedFile]:
    """Every feed a site's build left in its feeds folder, of whatever format exists."""
    found = []
    for path in sorted(site.feeds_dir.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue  # write_if_changed's temporary files start with a dot
        kind = detect_kind(path.read_bytes())
        assert kind is not None, f"{path} is in the feeds folder but is no RSS, Atom or JSON feed"
        relative = path.relative_to(site.feeds_dir).as_posix()
        found.append(FeedFile(site, path, kind, f"{site.feed_base_url}/{quote(relative)}"))
    return found


@dataclass(frozen=True)
class Entry:
    """One entry as the feed document itself states it (read with lxml / json)."""

    id: str
    title: str
    link: str
    published: datetime | None


def read_entries(feed: FeedFile) -> list[Entry]:
    data = feed.path.read_bytes()
    if feed.kind == "json":
        items = json.loads(data)["items"]
        return [
            Entry(
                str(item["id"]),
                item.get("title", ""),
                item.get("url", ""),
                _iso(item.get("date_published") or item.get("date_modified")),
            )
            for item in items
        ]
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    if feed.kind == "rss":
        return [
            Entry(
                item.findtext("guid") or "",
                item.findtext("title") or "",
                item.findtext("link") or "",
                _rfc822(item.findtext("pubDate")),
            )
            for item in root.iter("item")
        ]
    entries = []
    for entry in root.iter(f"{ATOM}entry"):
        alternate = next(
            (
                link.get("href", "")
                for link in entry.findall(f"{ATOM}link")
                if link.get("rel", "alternate") == "alternate"
            ),
            "",
        )
        title = entry.find(f"{ATOM}title")
        stamp = entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")
        text = "" if title is None else "".join(str(part) for part in title.itertext())
        entries.append(Entry(entry.findtext(f"{ATOM}id") or "", text, alternate, _iso(stamp)))
    return entries


def _iso(value: str | None) -> datetime | None:
    return None if not value else datetime.fromisoformat(value).astimezone(UTC)


def _rfc822(value: str | None) -> datetime | None:
    from email.utils import parsedate_to_datetime

    return None if not value else parsedate_to_datetime(value).astimezone(UTC)


# --- newsboat -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewsboatItem:
    guid: str
    title: str
    url: str
    published: datetime


def newsboat_read(feed: Path, workdir: Path) -> tuple[list[NewsboatItem], str]:
    """Let newsboat fetch one feed file into a fresh cache; its items and its error log.

    One cache per feed: newsboat identifies an item by guid across every feed in a cache,
    so the RSS and Atom feeds of one site (same ids) would overwrite each other's rows.
    """
    binary = need("newsboat")
    workdir.mkdir(parents=True)
    home = workdir / "home"
    home.mkdir()
    urls = workdir / "urls"
    urls.write_text(f"{feed.resolve().as_uri()}\n", encoding="utf-8")
    config = workdir / "config"
    # Nothing here needs a terminal: `-x reload` fetches and exits without drawing.
    config.write_text("reload-threads 1\ndownload-timeout 30\n", encoding="utf-8")
    cache, log = workdir / "cache.db", workdir / "newsboat.log"
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }
    command = [binary, "-x", "reload", "-u", str(urls), "-c", str(cache), "-C", str(config)]
    result = subprocess.run(
        [*command, "-d", str(log), "-l", "4"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    log_text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    errors = "\n".join(
        line for line in log_text.splitlines() if re.search(r"\b(USERERROR|CRITICAL|ERROR)\b", line)
    )
    assert result.returncode == 0, f"newsboat exited {result.returncode}: {result.stderr}"
    with sqlite3.connect(cache) as db:
        rows = db.execute("SELECT guid, title, url, pubDate FROM rss_item ORDER BY id").fetchall()
    items = [
        NewsboatItem(guid, title, url, datetime.fromtimestamp(stamp, UTC))
        for guid, title, url, stamp in rows
    ]
    return items, errors


# --- Jekyll ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JekyllBuild:
    returncode: int
    output: str
    source: Path
    destination: Path

    def page(self, url: str, site: SiteConfig) -> Path:
        """The file Jekyll wrote for the page whose public URL is ``url`` on ``site``.

        A base URL with a path (https://x.example/blog/) is where the built site is served
        from; Jekyll's output folder starts below it.
        """
        base = urlsplit(site.base_url).path.rstrip("/")
        path = unquote(urlsplit(url).path)
        assert path.startswith(base + "/"), f"{url} is not under {site.base_url}"
        path = path.removeprefix(base)
        if path.endswith("/"):
            path += "index.html"
        return self.destination / path.lstrip("/")

    def pages(self) -> list[Path]:
        return sorted(self.destination.rglob("*.html"))


def jekyll_build(
    posts: list[Path], site: SiteConfig, workdir: Path, folders: Mapping[str, Path] = {}
) -> JekyllBuild:
    """Build the bundled minimal site over ``posts`` for ``site`` (offline, --safe), with
    ``folders`` (a folder of the site's own, such as its images, by name) copied in."""
    binary = need("jekyll")
    source, destination = workdir / "src", workdir / "_site"
    shutil.copytree(SITE_TEMPLATE, source)
    (source / "_posts").mkdir()
    # Copies: --safe ignores symlinks.
    for post in posts:
        shutil.copyfile(post, source / "_posts" / post.name)
    for name, folder in folders.items():
        shutil.copytree(folder, source / name)
    # The blog's clock, as the README asks: the file names' dates are the site's
    # `timezone`; on Jekyll's default (the machine's zone) a post dated today in Seoul
    # is tomorrow's, and left out, while it is evening in UTC.
    overrides = {
        "title": site.title,
        "url": site.base_url,
        "permalink": site.permalink,
        "timezone": site.timezone,
    }
    (source / "_site.yml").write_text(yaml.safe_dump(overrides, allow_unicode=True), "utf-8")
    configs = f"{source / '_config.yml'},{source / '_site.yml'}"
    command = [binary, "build", "--safe", "--config", configs, "-s", str(source)]
    result = subprocess.run(
        [*command, "-d", str(destination)],
        capture_output=True,
        text=True,
        cwd=workdir,
        env={**os.environ, "JEKYLL_ENV": "production"},
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    return JekyllBuild(result.returncode, result.stdout + result.stderr, source, destination)


def assert_built(build: JekyllBuild) -> None:
    assert build.returncode == 0, build.output
    assert "Error" not in build.output, build.output
    assert "Liquid" not in build.output, build.output  # Liquid warnings name themselves


@dataclass(frozen=True)
class Page:
    """What a reader sees on a post page, and what a theme printing front matter raw gets."""

    title: str  # the <h1>'s text: {{ page.title | escape }}
    content: lxml.html.HtmlElement  # the post's body as Jekyll rendered it
    raw: dict[str, str]  # {{ page.title }} and friends, unescaped, as the HTML holds them

    def links(self) -> Iterator[tuple[str, str, str]]:
        for anchor in self.content.iter("a"):
            yield anchor.get("href", ""), anchor.get("rel", ""), anchor.text_content()


def read_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    raw = {
        name: value for name, value in re.findall(r"<!--raw:(\w+)-->(.*?)<!--/raw-->", text, re.S)
    }
    document: Any = lxml.html.document_fromstring(text)  # lxml-stubs type it as _Element
    [heading] = document.find_class("post-title")
    [content] = document.find_class("post-content")
    return Page(heading.text_content(), content, raw)


def footer_links(site: SiteConfig) -> list[tuple[str, str, str]]:
    """(href, rel, text) of each link in the site's footer line."""
    footer = site.render(site.footer).strip()
    if not footer:
        return []
    fragment = lxml.html.fragment_fromstring(footer, create_parent="div")
    return [(a.get("href", ""), a.get("rel", ""), a.text_content()) for a in fragment.iter("a")]


def visible_text(element: lxml.html.HtmlElement) -> str:
    """An element's text as a browser shows it (entities decoded)."""
    return html.unescape(element.text_content())
