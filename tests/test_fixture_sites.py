"""The fixture sites under tests/sites/ are what their `_expected.json` says (fast, no Scrapy).

The integration tests crawl these sites and assert on `_expected.json`; these checks make sure
those assertions mean something: every expected article is a real, extractable article page,
every `never_requested` path is really offered by a sitemap, feed or listing (so a crawler that
ignored robots.txt or max_age would be caught), and each feed or sitemap parses.
"""

from __future__ import annotations

import gzip
import html
import http.client
import json
import re
import urllib.robotparser
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import lxml.etree
import lxml.html
import pytest

from tests.support.fixture_server import FixtureServer, serve_fixture

SITES_DIR = Path(__file__).parent / "sites"
SITES = sorted(p.name for p in SITES_DIR.iterdir() if (p / "_expected.json").is_file())
# The sites whose every same-site link must resolve (euckr-news keeps an old CMS's dead links).
LINKED_SITES = ["autodiscovery", "jsonfeed", "rdf-feed", "sitemap-index", "wordpress-listing"]
BODY = "[itemprop='articleBody'], .entry-content, .article-body, #articleBody"
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
NOT_FEEDS = ["/feed", "/feed/", "/rss", "/rss/", "/rss.xml", "/atom.xml", "/index.xml"]

Reply = tuple[int, dict[str, str], bytes]


def expected(site: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SITES_DIR / site / "_expected.json").read_text("utf-8"))
    return data


@pytest.fixture
def serve(request: pytest.FixtureRequest) -> Iterator[FixtureServer]:
    """The site named by the test's `site` parameter, served on a free port."""
    site = request.node.callspec.params["site"]
    with serve_fixture(SITES_DIR / site) as server:
        yield server


def served(site: str) -> pytest.MarkDecorator:
    """Run a site-specific test against that one site (the `serve` fixture reads the name)."""
    return pytest.mark.parametrize("site", [site])


def get(server: FixtureServer, path: str) -> Reply:
    host, _, port = server.base_url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers={"User-Agent": "sokbo-fixture-check"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def get_following(server: FixtureServer, path: str) -> tuple[str, Reply]:
    """GET, following same-site redirects; returns the final path and the reply."""
    for _ in range(5):
        reply = get(server, path)
        if reply[0] not in (301, 302, 303, 307, 308):
            return path, reply
        location = reply[1]["Location"]
        assert location.startswith(server.base_url), f"{path} redirects off-site to {location}"
        path = location.removeprefix(server.base_url)
    raise AssertionError(f"{path}: too many redirects")


def decode(data: bytes) -> str:
    """UTF-8, else CP949 (the EUC-KR site), as a crawler with the right answer would decode."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp949")


def parse(data: bytes) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(decode(data))


def meta(tree: lxml.html.HtmlElement, prop: str) -> str | None:
    found = tree.xpath(f"//meta[@property='{prop}']/@content")
    return str(found[0]) if found else None


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def url_path(site: str, file: Path) -> str:
    """The URL path the fixture server answers with `file`."""
    relative = file.relative_to(SITES_DIR / site).as_posix()
    name, at, query = relative.partition("@")
    if name == "index.html" or name.endswith("/index.html"):
        name = name.removesuffix("index.html")
    return "/" + name + (f"?{query}" if at else "")


def site_files(site: str) -> list[Path]:
    """Every file the server would serve (nothing under a `_` name)."""
    root = SITES_DIR / site
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith("_") for part in p.relative_to(root).parts)
    )


def html_files(site: str) -> list[Path]:
    return [p for p in site_files(site) if p.suffix in (".html", ".php") or "@" in p.name]


def referenced_in_other_files(site: str, path: str) -> list[str]:
    """The files (other than the page itself and robots.txt) that link or list `path`."""
    pattern = re.compile(r"""(?<=["'>\s])""" + re.escape(path) + r"""(?=["'<\s#])""")
    found = []
    for file in site_files(site):
        if file.name == "robots.txt" or url_path(site, file) == path:
            continue
        text = html.unescape(decode(file.read_bytes()).replace("__BASE__", ""))
        if pattern.search(text):
            found.append(url_path(site, file))
    return found


def robots(server: FixtureServer) -> urllib.robotparser.RobotFileParser:
    parser = urllib.robotparser.RobotFileParser()
    status, _, data = get(server, "/robots.txt")
    parser.parse(decode(data).splitlines() if status == 200 else [])
    return parser


# -- every site ------------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_expected_json_is_well_formed(site: str) -> None:
    data = expected(site)
    for key in ("articles", "never_requested", "not_articles", "snippets", "notes"):
        assert key in data, f"{site}: _expected.json lacks {key!r}"
    articles = data["articles"]
    assert articles and len(set(articles)) == len(articles)
    assert all(isinstance(p, str) and p.startswith("/") for p in articles)
    assert not set(articles) & set(data["never_requested"])
    assert not set(articles) & set(data["not_articles"])
    assert set(data["snippets"]) == set(articles), "one snippet per article"
    assert isinstance(data["notes"], str) and data["notes"]


@pytest.mark.parametrize("site", SITES)
def test_articles_are_extractable_pages(site: str, serve: FixtureServer) -> None:
    data = expected(site)
    for path in data["articles"]:
        status, _, body = get(serve, path)
        assert status == 200, f"{site}{path}: {status}"
        text = decode(body)
        assert "\ufffd" not in text
        assert "__BASE__" not in text and "NOW__" not in text and "__NOW" not in text
        tree = parse(body)
        assert meta(tree, "og:type") == "article", f"{site}{path}"
        assert meta(tree, "og:title"), f"{site}{path}: no og:title"
        assert meta(tree, "og:description"), f"{site}{path}: no og:description"
        published = meta(tree, "article:published_time")
        assert published, f"{site}{path}: no article:published_time"
        moment = datetime.fromisoformat(published)
        assert moment.tzinfo is not None, f"{site}{path}: {published} has no offset"
        assert moment <= serve.now
        containers = tree.cssselect(BODY)
        assert len(containers) == 1, f"{site}{path}: {len(containers)} body containers"
        snippet = data["snippets"][path]
        assert snippet in text_of(containers[0]), f"{site}{path}: {snippet!r} not in the body"
        titles = data.get("titles", {})
        if path in titles:
            assert meta(tree, "og:title") == titles[path]


@pytest.mark.parametrize("site", SITES)
def test_articles_and_never_requested_paths_are_offered_somewhere(site: str) -> None:
    """A `never_requested` assertion only means something when a crawler could ask for it."""
    data = expected(site)
    for path in [*data["articles"], *data["never_requested"]]:
        assert referenced_in_other_files(site, path), f"{site}: nothing links or lists {path}"


@pytest.mark.parametrize("site", SITES)
def test_never_requested_paths_exist_or_are_forbidden(site: str, serve: FixtureServer) -> None:
    """Too-old pages exist (a wrong filter would fetch them); others are robots-disallowed."""
    rules = robots(serve)
    for path in expected(site)["never_requested"]:
        status = get(serve, path)[0]
        forbidden = not rules.can_fetch("sokbo", serve.url(path))
        assert status == 200 or forbidden, f"{site}{path}: {status} and not disallowed"


@pytest.mark.parametrize("site", SITES)
def test_not_articles_are_not_article_pages(site: str, serve: FixtureServer) -> None:
    for path in expected(site)["not_articles"]:
        status, headers, body = get(serve, path)
        assert status in (200, 301, 302), f"{site}{path}: {status}"
        if status == 200 and headers["Content-Type"].startswith("text/html"):
            assert meta(parse(body), "og:type") != "article", f"{site}{path}"


@pytest.mark.parametrize("site", SITES)
def test_every_served_file_has_its_tokens_replaced(site: str, serve: FixtureServer) -> None:
    for file in site_files(site):
        path = url_path(site, file)
        status, _, body = get(serve, path)
        assert status == 200, f"{site}{path}: {status}"
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        assert not re.search(rb"__(BASE|(RFC822_)?NOW)", body), f"{site}{path}: a token is left"


@pytest.mark.parametrize("site", LINKED_SITES)
def test_links_inside_the_site_resolve(site: str, serve: FixtureServer) -> None:
    """No dangling same-site link: a crawler following them meets only robots rules and 200s."""
    rules = robots(serve)
    targets: set[str] = set()
    for file in html_files(site):
        tree = parse(file.read_bytes().replace(b"__BASE__", serve.base_url.encode()))
        for href in tree.xpath("//a/@href"):
            href = str(href).split("#")[0]
            if href.startswith(serve.base_url):
                href = href.removeprefix(serve.base_url) or "/"
            if href.startswith("/") and not href.startswith("//"):
                targets.add(href)
    for href in sorted(targets):
        if not rules.can_fetch("sokbo", serve.url(href)):
            continue
        final, (status, _, _) = get_following(serve, href)
        assert status == 200, f"{site}: link {href} -> {final} is {status}"


# -- wordpress-listing -----------------------------------------------------------------------


@served("wordpress-listing")
def test_wordpress_listing_has_no_feed(site: str, serve: FixtureServer) -> None:
    for file in html_files(site):
        tree = parse(file.read_bytes())
        assert not tree.xpath("//link[contains(concat(' ', @rel, ' '), ' alternate ')]"), file
    for path in [*NOT_FEEDS, "/comments/feed/", "/page/4/"]:
        assert get(serve, path)[0] == 404, path


@served("wordpress-listing")
def test_wordpress_listing_crawl_by_region_and_pagination(site: str, serve: FixtureServer) -> None:
    """What a listing spider with region `.post-list` and the `a.next` pagination finds."""
    data = expected(site)
    found: list[str] = []
    listings: list[str] = []
    page: str | None = "/"
    duplicates = 0
    while page is not None:
        listings.append(page)
        status, _, body = get(serve, page)
        assert status == 200
        tree = parse(body)
        links = [str(h) for h in tree.xpath("//main//div[@class='post-list']//a/@href")]
        duplicates += len(links) - len(set(links))
        for href in dict.fromkeys(links):
            if href.startswith("https://"):
                assert href.startswith("https://cdn.example.net/")
                continue
            final, (status, _, _) = get_following(serve, href)
            assert status == 200
            found.append(final)
        following = tree.cssselect("nav.pagination a.next.page-numbers")
        page = following[0].get("href") if following else None
    assert listings == ["/", "/page/2/", "/page/3/"]
    assert found == data["articles"]  # newest first, each once
    assert duplicates == 3  # one post linked twice on each listing page
    assert "/old-url/" in serve.paths()
    assert get(serve, "/old-url/")[1]["Location"] == serve.url("/2024/07/subway-fare-hike/")


@served("wordpress-listing")
def test_wordpress_listing_chrome_links_outside_the_region(site: str, serve: FixtureServer) -> None:
    for page in ["/", "/page/2/", "/page/3/"]:
        tree = parse(get(serve, page)[2])
        region = {str(h) for h in tree.xpath("//div[@class='post-list']//a/@href")}
        everywhere = {str(h) for h in tree.xpath("//a/@href")}
        chrome = everywhere - region
        for href in ["/tag/politics/", "/category/world/", "/about/", "/wp-login.php"]:
            assert href in chrome and href not in region
        assert "https://example.org/" in chrome
        assert "/wp-admin/" in chrome
    rules = robots(serve)
    assert not rules.can_fetch("sokbo", serve.url("/wp-admin/"))
    assert all(rules.can_fetch("sokbo", serve.url(p)) for p in expected(site)["articles"])


@served("wordpress-listing")
def test_wordpress_listing_archive_and_pages_are_not_articles(
    site: str, serve: FixtureServer
) -> None:
    for path in ["/tag/politics/", "/category/world/"]:
        tree = parse(get(serve, path)[2])
        assert meta(tree, "og:type") == "website"
        assert len(tree.cssselect("article .entry-summary")) >= 2
        assert not tree.cssselect(".entry-content")
        assert not meta(tree, "article:published_time")
    about = parse(get(serve, "/about/")[2])
    assert meta(about, "og:type") == "website"
    assert not meta(about, "article:published_time")
    status, headers, body = get(serve, "/wp-login.php")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=UTF-8"
    assert meta(parse(body), "og:type") is None


# -- sitemap-index ---------------------------------------------------------------------------


def _urlset(data: bytes) -> dict[str, str]:
    root = lxml.etree.fromstring(data)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return {
        str(url.findtext("sm:loc", namespaces=SITEMAP_NS)): str(
            url.findtext("sm:lastmod", namespaces=SITEMAP_NS)
        )
        for url in root.findall("sm:url", SITEMAP_NS)
    }


@served("sitemap-index")
def test_sitemap_index_from_robots_with_a_gzip_child(site: str, serve: FixtureServer) -> None:
    data = expected(site)
    robots_txt = decode(get(serve, "/robots.txt")[2])
    assert f"Sitemap: {serve.base_url}/sitemap_index.xml" in robots_txt.splitlines()
    status, headers, body = get(serve, "/sitemap_index.xml")
    assert (status, headers["Content-Type"]) == (200, "application/xml")
    index = lxml.etree.fromstring(body)
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    children = [
        str(sitemap.findtext("sm:loc", namespaces=SITEMAP_NS))
        for sitemap in index.findall("sm:sitemap", SITEMAP_NS)
    ]
    assert children == [serve.url("/sitemap-posts.xml"), serve.url("/sitemap-pages.xml.gz")]

    status, headers, posts_xml = get(serve, "/sitemap-posts.xml")
    assert status == 200 and posts_xml.startswith(b"<?xml")
    status, headers, pages_gz = get(serve, "/sitemap-pages.xml.gz")
    assert status == 200
    assert headers["Content-Type"] == "application/x-gzip"
    assert "Content-Encoding" not in headers
    assert pages_gz[:2] == b"\x1f\x8b"
    entries = _urlset(posts_xml)
    pages = _urlset(gzip.decompress(pages_gz))
    assert len(entries) == 6 and len(pages) == 2
    entries.update(pages)

    rules = robots(serve)
    cutoff = serve.now - timedelta(days=2)
    wanted: list[str] = []
    skipped: list[str] = []
    for loc, lastmod in entries.items():
        path = loc.removeprefix(serve.base_url)
        recent = datetime.fromisoformat(lastmod) >= cutoff
        (wanted if recent and rules.can_fetch("sokbo", loc) else skipped).append(path)
    assert sorted(wanted) == sorted(data["articles"])
    assert sorted(skipped) == sorted(data["never_requested"])
    assert not rules.can_fetch("sokbo", serve.url("/drafts/embargoed-earnings.html"))
    draft_lastmod = entries[serve.url("/drafts/embargoed-earnings.html")]
    assert datetime.fromisoformat(draft_lastmod) >= cutoff  # only robots.txt keeps it out


# -- rdf-feed --------------------------------------------------------------------------------


@served("rdf-feed")
def test_rdf_feed_parses_as_rss_1_0(site: str, serve: FixtureServer) -> None:
    status, headers, body = get(serve, "/index.rdf")
    assert (status, headers["Content-Type"]) == (200, "application/rdf+xml")
    root = lxml.etree.fromstring(body)
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    assert root.tag == f"{rdf}RDF"
    assert len(root.findall(f".//{rdf}Seq/{rdf}li")) == 3
    parsed: Any = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss10"
    links = [entry.link for entry in parsed.entries]
    assert links == [serve.url(p) for p in expected(site)["articles"]]
    for entry in parsed.entries:
        assert entry.id == entry.link  # rdf:about
        assert entry.get("updated_parsed") is not None  # dc:date
        assert entry.content[0].value.startswith("<p>")  # content:encoded
        assert entry.tags[0].term  # dc:subject


# -- jsonfeed --------------------------------------------------------------------------------


@served("jsonfeed")
def test_json_feed_1_1(site: str, serve: FixtureServer) -> None:
    status, headers, body = get(serve, "/feed.json")
    assert (status, headers["Content-Type"]) == (200, "application/feed+json")
    feed = json.loads(body)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == serve.url("/feed.json")
    items = feed["items"]
    assert [item["url"] for item in items] == [serve.url(p) for p in expected(site)["articles"]]
    for item in items:
        for key in ("id", "url", "title", "content_html", "summary", "date_published", "tags"):
            assert item[key], key
        published = datetime.fromisoformat(item["date_published"])
        modified = datetime.fromisoformat(item["date_modified"])
        assert published.tzinfo is not None and published <= modified <= serve.now
    external = [item for item in items if "external_url" in item]
    assert len(external) == 1
    assert external[0]["external_url"].startswith("https://example.org/")
    assert external[0]["url"].startswith(serve.base_url)
    tree = parse(get(serve, "/")[2])
    assert tree.xpath("//link[@rel='alternate'][@type='application/feed+json']/@href") == [
        serve.url("/feed.json")
    ]


# -- autodiscovery ---------------------------------------------------------------------------


@served("autodiscovery")
def test_feed_is_reachable_only_by_autodiscovery(site: str, serve: FixtureServer) -> None:
    tree = parse(get(serve, "/")[2])
    alternates = [
        (link.get("type"), link.get("title"), link.get("href"))
        for link in tree.xpath("//head/link[@rel='alternate']")
    ]
    assert alternates == [
        ("application/atom+xml", "바른소리뉴스 » 댓글 피드", "/feeds/comments.xml"),
        ("application/rss+xml", "바른소리뉴스 » 최신 기사", "/feeds/main.xml"),
    ]
    for path in NOT_FEEDS:
        assert get(serve, path)[0] == 404, path
    for path in expected(site)["articles"]:
        assert not parse(get(serve, path)[2]).xpath("//link[@rel='alternate']")

    status, headers, body = get(serve, "/feeds/main.xml")
    assert (status, headers["Content-Type"]) == (200, "application/rss+xml; charset=UTF-8")
    main: Any = feedparser.parse(body)
    assert not main.bozo and main.version == "rss20"
    assert [e.link for e in main.entries] == [serve.url(p) for p in expected(site)["articles"]]
    assert all(e.published_parsed for e in main.entries)

    status, headers, body = get(serve, "/feeds/comments.xml")
    assert headers["Content-Type"] == "application/atom+xml; charset=UTF-8"
    comments: Any = feedparser.parse(body)
    assert not comments.bozo and comments.version == "atom10"
    assert "댓글" in comments.feed.title
    assert all("#comment-" in e.link for e in comments.entries)
    assert "/feeds/comments.xml" in expected(site)["never_requested"]
