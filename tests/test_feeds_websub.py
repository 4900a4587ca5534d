"""WebSub: feeds name the hub, and a build that changed a feed tells the hub, over real HTTP
on 127.0.0.1, retrying a little; a hub that fails is logged and never fails the build."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import feedparser
import pytest

from sokbo.publish.feeds import websub
from sokbo.publish.feeds.websub import publish_to_hub
from sokbo.publish.feeds.write import write_site_feeds
from tests.support.feed_fixtures import T0, add, make_article, make_site, open_store

FEED = "https://news.example.kr/feeds/rss.xml"


@dataclass
class Request:
    method: str
    path: str
    content_type: str
    user_agent: str
    form: dict[str, list[str]]


@dataclass
class Hub:
    """A stand-in hub: records every request, answers each from ``answers`` in turn (then
    ``then``), after ``delays`` seconds where one is given."""

    answers: list[int] = field(default_factory=list)
    then: int = 204
    delays: list[float] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def next_answer(self) -> tuple[int, float]:
        status = self.answers.pop(0) if self.answers else self.then
        delay = self.delays.pop(0) if self.delays else 0.0
        return status, delay


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hub.requests.append(
                Request(
                    self.command,
                    self.path,
                    self.headers.get("Content-Type", ""),
                    self.headers.get("User-Agent", ""),
                    parse_qs(body.decode("ascii"), strict_parsing=True),
                )
            )
            status, delay = hub.next_answer()
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # keep the test output quiet
            pass

    return Handler


HubFactory = Callable[..., Hub]


@pytest.fixture
def serve_hub() -> Iterator[HubFactory]:
    """Call with a Hub's fields; the hub is served on 127.0.0.1 until the test ends."""
    servers: list[ThreadingHTTPServer] = []

    def start(**fields: Any) -> Hub:
        hub = Hub(**fields)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        hub.url = f"http://127.0.0.1:{server.server_address[1]}/hub"
        return hub

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_defaults_are_bounded() -> None:
    assert websub.TIMEOUT == 10
    assert tuple(websub.BACKOFF) == (0.5, 1.0)  # three attempts in all


def test_publish_is_a_form_post_naming_the_feed(serve_hub: HubFactory) -> None:
    hub = serve_hub()

    assert publish_to_hub(hub.url, [FEED]) is True
    [request] = hub.requests
    assert (request.method, request.path) == ("POST", "/hub")
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form == {"hub.mode": ["publish"], "hub.url": [FEED]}
    assert request.user_agent.startswith("sokbo/")


def test_one_request_per_feed(serve_hub: HubFactory) -> None:
    hub = serve_hub()
    feeds = [FEED, "https://news.example.kr/feeds/categories/%EC%A0%95%EC%B9%98/atom.xml"]

    assert publish_to_hub(hub.url, feeds) is True
    assert [r.form["hub.url"] for r in hub.requests] == [[feed] for feed in feeds]


def test_server_errors_are_retried_with_backoff(
    serve_hub: HubFactory, caplog: pytest.LogCaptureFixture
) -> None:
    hub = serve_hub(answers=[500, 500], then=204)
    slept: list[float] = []

    assert publish_to_hub(hub.url, [FEED], sleep=slept.append) is True
    assert len(hub.requests) == 3
    assert slept == [0.5, 1.0]
    assert "WebSub" not in caplog.text


def test_the_real_backoff_waits(serve_hub: HubFactory) -> None:
    hub = serve_hub(answers=[503, 500], then=202)

    started = time.monotonic()
    assert publish_to_hub(hub.url, [FEED]) is True
    assert 1.5 <= time.monotonic() - started < 5
    assert len(hub.requests) == 3


def test_a_hub_that_keeps_failing_is_logged_not_raised(
    serve_hub: HubFactory, caplog: pytest.LogCaptureFixture
) -> None:
    hub = serve_hub(then=500)
    slept: list[float] = []

    with caplog.at_level(logging.WARNING, logger="sokbo.publish.feeds.websub"):
        delivered = publish_to_hub(hub.url, [FEED, FEED + "?2", FEED + "?3"], sleep=slept.append)
    assert delivered is False
    # Three attempts for the first feed; a hub that is down is not asked about the others.
    assert len(hub.requests) == 3 and slept == [0.5, 1.0]
    assert f"was not told that {FEED} changed (HTTP 500, after 3 attempts)" in caplog.text
    assert "2 more changed feed(s) not announced" in caplog.text


def test_a_refusal_is_not_retried(serve_hub: HubFactory, caplog: pytest.LogCaptureFixture) -> None:
    hub = serve_hub(answers=[404], then=204)

    assert publish_to_hub(hub.url, [FEED, FEED + "?2"], sleep=lambda _: None) is False
    assert [r.form["hub.url"] for r in hub.requests] == [[FEED], [FEED + "?2"]]
    assert "HTTP 404, after 1 attempt)" in caplog.text


def test_a_slow_hub_times_out_and_is_tried_again(serve_hub: HubFactory) -> None:
    hub = serve_hub(delays=[2.0], then=204)

    assert publish_to_hub(hub.url, [FEED], timeout=0.3, sleep=lambda _: None) is True
    assert len(hub.requests) == 2


def test_an_unreachable_hub_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="sokbo.publish.feeds.websub"):
        assert publish_to_hub(f"http://127.0.0.1:{port}/", [FEED], sleep=lambda _: None) is False
    assert "after 3 attempts" in caplog.text


def test_a_malformed_hub_url_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    assert publish_to_hub("hub.example.net/no-scheme", [FEED], sleep=lambda _: None) is False
    assert "was not told" in caplog.text


# --- through the feed writer ---------------------------------------------------------------


def _feed_urls(paths: list[Path], feeds_dir: Path) -> list[str]:
    return [
        "https://news.example.kr/feeds/" + quote(path.relative_to(feeds_dir).as_posix())
        for path in paths
    ]


def test_a_build_that_changed_feeds_pings_each_and_names_the_hub(
    tmp_path: Path, serve_hub: HubFactory
) -> None:
    hub = serve_hub()
    site = make_site(tmp_path, per_category=True, hub=hub.url)
    store = open_store(tmp_path)
    try:
        add(store, site, make_article(1, "정치"), T0)

        results = write_site_feeds(store, site)
        written = [path for path, wrote in results if wrote]
        assert len(written) == 6  # the site's and 정치's rss.xml, atom.xml, feed.json
        assert [r.form["hub.url"][0] for r in hub.requests] == _feed_urls(written, site.feeds_dir)
        assert "https://news.example.kr/feeds/categories/%EC%A0%95%EC%B9%98/rss.xml" in [
            r.form["hub.url"][0] for r in hub.requests
        ]
        for path in written:
            data = path.read_bytes()
            if path.suffix == ".json":
                assert json.loads(data)["hubs"] == [{"type": "WebSub", "url": hub.url}]
            else:
                links = feedparser.parse(data).feed.links
                assert [link.href for link in links if link.rel == "hub"] == [hub.url]

        # Nothing changed: nothing written, nobody told.
        hub.requests.clear()
        assert not any(wrote for _path, wrote in write_site_feeds(store, site))
        assert hub.requests == []
    finally:
        store.close()


def test_a_failing_hub_does_not_fail_the_build(
    tmp_path: Path, serve_hub: HubFactory, caplog: pytest.LogCaptureFixture
) -> None:
    hub = serve_hub(then=500)
    site = make_site(tmp_path, hub=hub.url)
    store = open_store(tmp_path)
    try:
        add(store, site, make_article(1), T0)
        with caplog.at_level(logging.WARNING, logger="sokbo.publish.feeds.websub"):
            results = write_site_feeds(store, site)
    finally:
        store.close()

    assert [wrote for _path, wrote in results] == [True, True, True]
    assert all(path.is_file() for path, _wrote in results)
    assert len(hub.requests) == 3  # the first feed, three times; then the hub is left alone
    assert "WebSub hub" in caplog.text and "HTTP 500" in caplog.text


def test_no_hub_no_requests_and_no_hub_links(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    store = open_store(tmp_path)
    try:
        add(store, site, make_article(1), T0)
        results = write_site_feeds(store, site)
    finally:
        store.close()

    for path, _wrote in results:
        assert b"hub" not in path.read_bytes()
