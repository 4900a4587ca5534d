"""The demo blog server: routes, headers, `__BASE__` rewriting and a feed that parses."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message

import feedparser
import pytest

from sokbo.demo.server import SITE_ROOT, serve


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(SITE_ROOT) as url:
        yield url


def test_base_url_names_the_bound_port(base: str) -> None:
    host, _, port = base.removeprefix("http://").partition(":")
    assert host == "127.0.0.1"
    assert int(port) > 0


def test_post_page(base: str) -> None:
    status, headers, body = fetch(f"{base}/1")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    assert headers["Last-Modified"].endswith("GMT")
    text = body.decode("utf-8")
    assert "__BASE__" not in text
    assert f'<link rel="canonical" href="{base}/1">' in text
    assert '<div class="tt_article_useless_p_margin contents_style">' in text


@pytest.mark.parametrize("path", ["/", "/2", "/3", "/4", "/5", "/category/News"])
def test_other_pages(base: str, path: str) -> None:
    status, headers, body = fetch(base + path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"__BASE__" not in body
    assert f'href="{base}/rss"'.encode() in body


def test_robots(base: str) -> None:
    status, headers, body = fetch(f"{base}/robots.txt")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    lines = body.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin" in lines


@pytest.mark.parametrize(
    "path", ["/6", "/0", "/admin", "/1.html", "/rss.xml", "/atom.xml", "/tag/x", "/../x"]
)
def test_missing_path_is_404(base: str, path: str) -> None:
    status, headers, _ = fetch(base + path)
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_not_modified(base: str) -> None:
    _, headers, _ = fetch(f"{base}/2")
    status, _, body = fetch(f"{base}/2", {"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304
    assert body == b""


def test_feed(base: str) -> None:
    status, headers, body = fetch(f"{base}/rss")
    assert status == 200
    assert headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert b"__BASE__" not in body
    feed = feedparser.parse(body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.generator == "TISTORY"
    assert feed.feed.link == f"{base}/"
    links = [entry.link for entry in feed.entries]
    assert links == [f"{base}/{n}" for n in (2, 3, 4, 1, 5)]
    for entry in feed.entries:
        assert entry.id == entry.link
        assert entry.published_parsed is not None
        assert entry.tags[0].term == "News"
        assert "<h2" in entry.summary or "<p" in entry.summary


def test_atom_feed(base: str) -> None:
    status, headers, body = fetch(f"{base}/atom")
    assert status == 200
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    assert b"__BASE__" not in body
    feed = feedparser.parse(body)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id and feed.feed.updated_parsed is not None
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": f"{base}/atom", "alternate": f"{base}/"}
    rss = feedparser.parse(fetch(f"{base}/rss")[2])
    assert [entry.link for entry in feed.entries] == [entry.link for entry in rss.entries]
    for entry, twin in zip(feed.entries, rss.entries, strict=True):
        assert entry.title == twin.title
        assert entry.published_parsed == twin.published_parsed
        assert entry.updated_parsed >= entry.published_parsed
        assert entry.author == "속보지기"
        assert [tag.term for tag in entry.tags] == ["News"]
        assert entry.summary and "<" not in entry.summary
        assert entry.content[0].type == "text/html"
        # The same article container HTML the RSS carries in <description>.
        assert entry.content[0].value == twin.summary
        assert entry.content[0].value.startswith(
            '<div class="tt_article_useless_p_margin contents_style">'
        )


def test_port_taken_raises_with_address() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match=f"127.0.0.1:{port}"), serve(SITE_ROOT, port=port):
            pass


def test_shutdown_frees_the_port() -> None:
    with serve(SITE_ROOT) as url:
        port = int(url.rsplit(":", 1)[1])
        assert fetch(f"{url}/rss")[0] == 200
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
