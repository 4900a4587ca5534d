"""Push beyond one feed and one hub (sokbo.push): hubs declared by HTML pages (WebSub 4:
`<link rel="hub">` in the head), a topic's other hubs used when the first fails, and the
rule that keeps a hub a feed names off the network sokbo runs in (no non-public address
for a public source, checked when the request is sent and connected to as checked); with
`sokbo schedule` as a process, a push for a listing source's page writes its new post."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from sokbo.config import load_config
from sokbo.push.addresses import HubRefused, checked_addresses, non_public
from sokbo.push.discovery import HubLink, find_hub
from sokbo.push.leases import (
    ACTIVE,
    DENIED,
    FALLBACK_AFTER,
    FALLBACK_WAIT,
    SUBSCRIBING,
    Wanted,
    choose_hubs,
    named_hubs,
    steps,
)
from sokbo.push.service import PushService
from sokbo.push.subscribe import hub_request
from sokbo.store import PushHub, Store, Subscription
from tests.support.cli import run_sokbo
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import Scheduled, wait_until
from tests.support.scrapyd_node import free_port
from tests.support.websub_hub import Hub, ping, serve_hub
from tests.test_push import PAGE, STORIES, Site, hourly, post_titles, write_push_config
from tests.test_push import hub as hub
from tests.test_push import site as site

PAGE_URL = "https://blog.example/news/"

# -- discovery from HTML pages (pure) --------------------------------------------------------


def html(head: str, body: str = "<p>본문</p>") -> bytes:
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body>"
    return (page + "</html>").encode()


# A JPEG (SOI, JFIF header, a comment segment, a little scan data, EOI) whose comment holds
# what would be a hub link in a page.
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xfe\x00\x3b<head><link rel='hub' href='http://169.254.169.254/'></head>"
    + bytes(range(256)) * 4
    + b"\xff\xd9"
)


@pytest.mark.parametrize(
    ("body", "headers", "found"),
    [
        (
            html('<link rel="hub" href="https://hub.example/"><link rel="self" href="/news/">'),
            [],
            HubLink("https://hub.example/", "https://blog.example/news/"),
        ),
        # rel is a set of tokens, matched whatever their case, with any other tokens.
        (
            html('<LINK REL="Alternate HUB" href="https://hub.example/"><link rel=SELF href=/t>'),
            [],
            HubLink("https://hub.example/", "https://blog.example/t"),
        ),
        # Relative hrefs resolve against the page (or its <base href>); no self: the page.
        (html('<link rel="hub" href="../hub">'), [], HubLink("https://blog.example/hub", PAGE_URL)),
        (
            html('<base href="https://cdn.example/a/"><link rel="hub" href="hub">'),
            [],
            HubLink("https://cdn.example/a/hub", PAGE_URL),
        ),
        # Only the head declares: links in the body, in a <noscript>, or not http(s), do not.
        (html("", '<link rel="hub" href="https://body-hub.example/">'), [], None),
        (html('<noscript><link rel="hub" href="https://ns.example/"></noscript>'), [], None),
        (html('<link rel="hub" href="javascript:alert(1)">'), [], None),
        (html('<link rel="hub">'), [], None),
        # Several hubs: in order, each once, at most three.
        (
            html(
                "".join(f'<link rel="hub" href="https://h{n}.example/">' for n in (1, 2, 1, 3, 4))
            ),
            [],
            HubLink(
                "https://h1.example/", PAGE_URL, ("https://h2.example/", "https://h3.example/")
            ),
        ),
        # The Link headers come first: their hubs only; the topic from wherever it is.
        (
            html('<link rel="hub" href="https://doc-hub.example/"><link rel="self" href="/s">'),
            ['<https://header-hub.example/>; rel="hub"'],
            HubLink("https://header-hub.example/", "https://blog.example/s"),
        ),
        (
            html('<link rel="hub" href="https://doc-hub.example/">'),
            ['<https://a.example/>; rel="hub", <https://b.example/>; rel="hub"'],
            HubLink("https://a.example/", PAGE_URL, ("https://b.example/",)),
        ),
        # An XHTML page with an XML declaration is read as the page it is.
        (
            b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            b'<head><link rel="hub" href="https://hub.example/"/></head><body/></html>',
            [],
            HubLink("https://hub.example/", PAGE_URL),
        ),
        # A page in another encoding (EUC-KR, declared in its <meta>).
        (
            "<html><head><meta charset='euc-kr'><title>속보</title>"
            "<link rel='hub' href='https://hub.example/'></head><body>기사</body></html>".encode(
                "euc-kr"
            ),
            [],
            HubLink("https://hub.example/", PAGE_URL),
        ),
    ],
    ids=[
        "head links",
        "rel tokens",
        "relative",
        "base href",
        "body link",
        "noscript",
        "not http",
        "no href",
        "three hubs",
        "link header first",
        "header hubs",
        "xhtml",
        "euc-kr",
    ],
)
def test_a_page_declares_its_hub_in_its_head(
    body: bytes, headers: list[str], found: HubLink | None
) -> None:
    assert find_hub(body, headers, PAGE_URL) == found


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \r\n",
        b"\x00" * 64,
        bytes(range(256)) * 16,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj",
        JPEG,
        b"<" * 10000 + b"<head>" * 5000,
        b"<html>" + b"<div>" * 5000 + b"<link rel=hub href=/h>",
    ],
    ids=["empty", "blank", "nul", "binary", "pdf", "jpeg", "brackets", "deep"],
)
def test_bytes_that_are_no_page_name_no_hub_and_never_raise(body: bytes) -> None:
    assert find_hub(body, [], PAGE_URL) is None


def test_a_jpeg_names_only_what_its_link_headers_name() -> None:
    found = find_hub(JPEG, ['<https://hub.example/>; rel="hub"'], PAGE_URL)
    assert found == HubLink("https://hub.example/", PAGE_URL)


# -- which hubs are asked (pure) ---------------------------------------------------------------

T0 = datetime(2025, 1, 1, tzinfo=UTC)
HUBS = ("https://a.example/", "https://b.example/", "https://c.example/")
TOPIC = "https://blog.example/feed.xml"
FOUND = PushHub("src", TOPIC, HUBS[0], TOPIC, HUBS[1:])


def held(hub: str, state: str, **more: Any) -> Subscription:
    values: dict[str, Any] = {
        "id": HUBS.index(hub) + 1,
        "token": f"t{hub}",
        "source_id": "src",
        "topic": TOPIC,
        "hub": hub,
        "secret": "s",
        "state": state,
        "due": T0 + timedelta(days=1),
        "attempts": 0,
        "requested": None,
        "verified": None,
        "lease_seconds": None,
        "expires": None,
        "last_notified": None,
        "silent_since": None,
        "error": None,
        "created": T0 - timedelta(minutes=1),
    }
    if state == ACTIVE:
        values |= {"verified": T0 - timedelta(days=1), "expires": T0 + timedelta(days=9)}
    return Subscription(**(values | more))


def wanted(*hubs: str) -> list[Wanted]:
    return [Wanted("src", TOPIC, hub) for hub in hubs]


@pytest.mark.parametrize(
    ("subscriptions", "chosen"),
    [
        ([], HUBS[:1]),
        ([held(HUBS[0], ACTIVE)], HUBS[:1]),
        # Being made: its first requests, not yet answered.
        ([held(HUBS[0], SUBSCRIBING, attempts=FALLBACK_AFTER - 1)], HUBS[:1]),
        # Failing: requests unverified, a denial, silence, no lease for a while.
        ([held(HUBS[0], SUBSCRIBING, attempts=FALLBACK_AFTER)], HUBS[:2]),
        ([held(HUBS[0], DENIED)], HUBS[:2]),
        ([held(HUBS[0], ACTIVE, silent_since=T0)], HUBS[:2]),
        ([held(HUBS[0], ACTIVE, expires=T0 - FALLBACK_WAIT)], HUBS[:2]),
        (
            [held(HUBS[0], SUBSCRIBING, created=T0 - FALLBACK_WAIT, attempts=0)],
            HUBS[:2],
        ),
        # Renewals unverified while the lease still holds: the next hub is made ready.
        ([held(HUBS[0], ACTIVE, attempts=FALLBACK_AFTER)], HUBS[:2]),
        # The second serves while the first fails: both wanted (the first to come back).
        ([held(HUBS[0], DENIED), held(HUBS[1], ACTIVE)], HUBS[:2]),
        ([held(HUBS[0], DENIED), held(HUBS[1], DENIED)], HUBS),
        ([held(HUBS[0], DENIED), held(HUBS[1], DENIED), held(HUBS[2], DENIED)], HUBS),
    ],
    ids=[
        "none held",
        "first serves",
        "first being made",
        "first unverified",
        "first denied",
        "first silent",
        "first lapsed",
        "first without a lease for long",
        "renewals unverified",
        "second serves",
        "two fail",
        "all fail",
    ],
)
def test_the_next_hub_is_asked_only_while_those_before_it_fail(
    subscriptions: list[Subscription], chosen: tuple[str, ...]
) -> None:
    assert list(choose_hubs([FOUND], subscriptions, T0)) == wanted(*chosen)


def test_a_fallback_says_why_and_is_left_once_the_first_hub_serves_again() -> None:
    failing = [held(HUBS[0], SUBSCRIBING, attempts=4)]
    chosen = choose_hubs([FOUND], failing, T0)
    found = steps(failing, chosen, {"src"}, T0, named_hubs([FOUND]))
    assert [(s.action, s.wanted.hub, s.why) for s in found] == [
        (
            "create",
            HUBS[1],
            f"its feed names the hub, and the hub before it, {HUBS[0]}, did not verify 4 requests",
        ),
    ]
    # The first verifies again: the second, held, is unsubscribed, saying why.
    serving = [held(HUBS[0], ACTIVE), held(HUBS[1], ACTIVE)]
    chosen = choose_hubs([FOUND], serving, T0)
    assert list(chosen) == wanted(HUBS[0])
    found = steps(serving, chosen, {"src"}, T0, named_hubs([FOUND]))
    assert [(s.action, s.wanted.hub, s.why) for s in found] == [
        ("unsubscribe", HUBS[1], "a hub its feed names before this one serves it again"),
    ]
    # A hub the feed no longer names at all is said so.
    found = steps(serving, chosen, {"src"}, T0, named_hubs([PushHub("src", TOPIC, HUBS[0], TOPIC)]))
    assert [(s.action, s.why) for s in found] == [
        ("unsubscribe", "its feed no longer names this hub"),
    ]


# -- the store -----------------------------------------------------------------------------------


def test_the_store_keeps_every_hub_a_document_names(store: Store) -> None:
    now = datetime.now(UTC)
    store.record_push_hub("s", "https://b/", HUBS[0], TOPIC, now, HUBS[1:])
    assert store.push_hubs() == [PushHub("s", "https://b/", HUBS[0], TOPIC, HUBS[1:])]
    assert store.push_hubs()[0].hubs == HUBS
    later = now + timedelta(hours=1)
    store.record_push_hub("s", "https://b/", HUBS[0], TOPIC, later, HUBS[1:])  # unchanged
    store.record_push_hub("s", "https://b/", HUBS[0], TOPIC, later)  # it names one now
    assert store.push_hubs() == [PushHub("s", "https://b/", HUBS[0], TOPIC)]
    store.record_push_hub("s", "https://b/", None, None, later)
    assert store.push_hubs() == []


def test_a_store_made_before_more_hubs_gains_the_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # push_hubs as an older sokbo made it
        conn.exec_driver_sql(
            "CREATE TABLE push_hubs (source_id VARCHAR(64) NOT NULL, feed_url TEXT NOT NULL, "
            "hub TEXT NOT NULL, topic TEXT NOT NULL, seen DATETIME NOT NULL, "
            "PRIMARY KEY (source_id, feed_url))"
        )
        conn.exec_driver_sql(
            "INSERT INTO push_hubs VALUES ('s', 'https://b/', 'https://h/', 'https://b/', "
            "'2025-01-01 00:00:00')"
        )
    engine.dispose()
    store = Store(url)
    try:
        assert store.push_hubs() == [PushHub("s", "https://b/", "https://h/", "https://b/")]
        store.record_push_hub("s", "https://b/", "https://h/", "https://b/", T0, HUBS[:1])
        assert store.push_hubs()[0].hubs == ("https://h/", HUBS[0])
    finally:
        store.close()


# -- the address rule ------------------------------------------------------------------------------

NAMES: dict[str, list[str]] = {
    "hub.example": ["93.184.215.14"],
    "blog.example": ["93.184.215.15", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "sneaky.example": ["93.184.215.16", "10.0.0.7"],  # one public, one private address
    "intranet.lan": ["192.168.1.20"],
    "localhost": ["::1", "127.0.0.1"],
}


def lookup(host: str, port: int) -> list[str]:
    """A resolver without DNS: IP literals as they are, the names above, else none."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        if host in NAMES:
            return NAMES[host]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
    return [host]


PUBLIC_TOPIC = "https://blog.example/feed.xml"
LOOPBACK_TOPIC = "http://127.0.0.1:8000/feed.xml"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
        ("::ffff:93.184.215.14", None),
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.0.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("100.64.0.1", "not a globally routable address"),
        ("0.0.0.0", "the unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("240.0.0.1", "a private address"),
        ("::1", "a loopback address"),
        ("::", "the unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fd00::1", "a private address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("64:ff9b::a00:1", "a private address"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "a loopback address"),  # 6to4 of 127.0.0.1
        ("::7f00:1", "a reserved address"),  # IPv4-compatible 127.0.0.1
    ],
)
def test_what_a_non_public_address_is(address: str, kind: str | None) -> None:
    assert non_public(address) == kind


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
        ("http://0.0.0.0:80/", "0.0.0.0 is the unspecified address"),
        ("http://localhost/", "localhost is ::1, a loopback address"),
        # Every address must pass, not just the first.
        ("https://sneaky.example/", "sneaky.example is 10.0.0.7, a private address"),
    ],
)
def test_a_hub_on_a_non_public_address_is_refused_for_a_public_topic(url: str, said: str) -> None:
    with pytest.raises(HubRefused) as refused:
        checked_addresses(url, PUBLIC_TOPIC, [PUBLIC_TOPIC], lookup)
    assert str(refused.value) == (
        f"{said} (such a hub is used only for a source and topic on non-public hosts)"
    )


def test_a_public_hub_is_asked_at_the_addresses_checked() -> None:
    assert checked_addresses("https://hub.example/", PUBLIC_TOPIC, (), lookup) == ("93.184.215.14",)
    assert checked_addresses("https://hub.example/", LOOPBACK_TOPIC, (), lookup) == (
        "93.184.215.14",
    )


def test_a_non_public_hub_serves_a_source_and_topic_on_non_public_hosts() -> None:
    for url, topic in [
        ("http://127.0.0.1:6379/", LOOPBACK_TOPIC),
        ("http://[::1]:8080/", "http://localhost:8000/feed"),
        ("http://192.168.1.20/hub", "http://intranet.lan/feed"),
        ("http://10.0.0.1/hub", "http://intranet.lan/feed"),  # another private network
    ]:
        assert checked_addresses(url, topic, [topic], lookup)
    # The topic is the document's say (its rel=self): a public source with a feed whose
    # self link is on 127.0.0.1 still gets no loopback hub.
    with pytest.raises(HubRefused):
        checked_addresses("http://127.0.0.1:6379/", LOOPBACK_TOPIC, [PUBLIC_TOPIC], lookup)
    # A topic whose host does not resolve is not taken for a non-public one.
    with pytest.raises(HubRefused):
        checked_addresses("http://127.0.0.1:6379/", "http://gone.invalid/feed", (), lookup)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "https://gone.invalid/",
            "its host gone.invalid does not resolve (Name or service not known)",
        ),
        ("ftp://hub.example/", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("gopher://127.0.0.1:6379/_INFO", "not an http(s) URL"),
        ("http://hub.example:port/", "its port is not a number"),
    ],
)
def test_a_hub_that_cannot_be_checked_is_refused(url: str, said: str) -> None:
    with pytest.raises(HubRefused) as refused:
        checked_addresses(url, LOOPBACK_TOPIC, [LOOPBACK_TOPIC], lookup)
    assert str(refused.value) == said


# -- the requests, over real HTTP on 127.0.0.1 -----------------------------------------------------


@dataclass
class Answering:
    """A server that answers every POST with `status` and `headers`, and records them."""

    url: str
    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (path, Host, body)


@contextmanager
def answering(status: int = 202, headers: Mapping[str, str] | None = None) -> Iterator[Answering]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            state.seen.append((self.path, self.headers.get("Host", ""), body))
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Answering(f"http://127.0.0.1:{server.server_address[1]}/", status, dict(headers or {}))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def ask(
    hub: str, topic: str = LOOPBACK_TOPIC, origins: Sequence[str] = (LOOPBACK_TOPIC,)
) -> str | None:
    return hub_request(
        hub,
        "subscribe",
        topic,
        "https://push.example/websub/t",
        secret="s",
        lease_seconds=600,
        user_agent="sokbo-test",
        timeout=5,
        origins=origins,
        lookup=lookup,
    )


def test_a_refused_hub_is_never_sent_anything() -> None:
    with answering() as hub:
        problem = ask(hub.url, PUBLIC_TOPIC, [PUBLIC_TOPIC])
        assert hub.seen == []
    assert problem == (
        "not sent: 127.0.0.1 is a loopback address (such a hub is used only for a source and "
        "topic on non-public hosts)"
    )


def test_the_request_goes_to_the_address_checked_under_the_hub_s_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name's addresses are looked up once, by the check, and connected to as checked
    (no second lookup a hostile DNS could answer differently)."""
    monkeypatch.setitem(NAMES, "pinned.test", ["127.0.0.1"])  # unknown to the real DNS
    with answering() as hub:
        port = hub.url.rsplit(":", 1)[1].rstrip("/")
        assert ask(f"http://pinned.test:{port}/hub?x=1") is None
        ((path, host, body),) = hub.seen
    assert (path, host) == ("/hub?x=1", f"pinned.test:{port}")
    assert "hub.mode=subscribe" in body and "hub.lease_seconds=600" in body


def test_a_redirect_is_checked_like_the_hub_and_only_307_or_308_is_followed() -> None:
    with answering(307, {"Location": "https://gone.invalid/hub"}) as hub:
        assert ask(hub.url) == (
            "not sent on to https://gone.invalid/hub: its host gone.invalid does not resolve "
            "(Name or service not known)"
        )
        assert len(hub.seen) == 1
    with answering(202) as target, answering(308, {"Location": target.url + "moved"}) as hub:
        assert ask(hub.url) is None
        assert [path for path, _, _ in target.seen] == ["/moved"]
    # 301-303 would turn the POST into a GET: the hub's answer, not followed.
    with answering(202) as target, answering(302, {"Location": target.url}) as hub:
        assert ask(hub.url) == "answered 302 Found"
        assert target.seen == []


def test_a_hub_that_cannot_be_reached_is_said_in_a_line() -> None:
    port = free_port()  # nothing listens there
    problem = ask(f"http://127.0.0.1:{port}/")
    assert problem is not None and "Connection refused" in problem
    with answering() as hub:  # TLS spoken to a plain HTTP server, over the checked address
        problem = ask(hub.url.replace("http://", "https://"))
        assert problem is not None and problem.startswith("[SSL")
        assert hub.seen == []


# -- the subscriber: the next hub when the first fails, a refused hub backed off -------------------


@contextmanager
def service(
    folder: Path, source: str, hubs: Sequence[str], topic: str, lease: str = "10d"
) -> Iterator[Store]:
    """A PushService in this process for source "live" (its TOML lines), its document
    naming `hubs` for `topic`, as a crawl would have recorded them."""
    port = free_port()
    path = write_push_config(folder, {"live": source}, port)
    path.write_text(path.read_text("utf-8") + f'lease = "{lease}"\n', "utf-8")
    config = load_config(path)
    store = Store.open(config.store)
    store.record_push_hub("live", topic, hubs[0], topic, datetime.now(UTC), hubs[1:])
    running = PushService(config, lambda source_id: None)
    assert running.start()
    try:
        yield store
    finally:
        running.stop()
        store.close()


def test_the_next_hub_is_subscribed_to_while_the_first_fails_and_left_after(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sokbo.push")
    with serve_hub() as first, serve_hub() as second:
        monkeypatch.setattr(first, "handle", lambda form: (503, "over capacity\n"))
        # A lease of 5 s: requests are retried every second (a fifth of the lease).
        with service(
            tmp_path / "run", hourly(site.topic), [first.url, second.url], site.topic, "5s"
        ) as store:
            wait_until(lambda: second.active(site.topic), 20, "the second hub's subscription")
            assert not first.active(site.topic)
            assert re.search(
                rf"push: live: subscribing to \S+ at {second.url} \(its feed names the hub, and "
                rf"the hub before it, {first.url}, did not verify [{FALLBACK_AFTER}-9] requests\)",
                caplog.text,
            )
            monkeypatch.undo()  # the first hub takes requests again
            wait_until(lambda: first.active(site.topic), 20, "the first hub's subscription")
            wait_until(lambda: not second.active(site.topic), 20, "the second hub to be left")
            wait_until(lambda: [s.hub for s in store.subscriptions()] == [first.url], 10, "one")
            assert "(a hub its feed names before this one serves it again)" in caplog.text
            assert second.verified("unsubscribe")


def test_a_hub_on_a_non_public_address_for_a_public_source_is_backed_off_in_a_warning(
    tmp_path: Path, hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sokbo.push")
    public = "http://93.184.215.14/feed.xml"  # never fetched: no crawl runs here
    with service(tmp_path / "run", hourly(public), [hub.url], public) as store:
        wait_until(lambda: store.subscriptions() and store.subscriptions()[0].attempts, 10, "a try")
        time.sleep(1)
        (sub,) = store.subscriptions()
    assert hub.requests == []
    assert sub.attempts == 1 and sub.due - datetime.now(UTC) > timedelta(seconds=25)
    (line,) = [r for r in caplog.records if r.name == "sokbo.push" and r.levelno == logging.WARNING]
    assert line.getMessage() == (
        f"push: live: the hub {hub.url} did not take the subscribe request for {public}: not "
        "sent: 127.0.0.1 is a loopback address (such a hub is used only for a source and topic "
        "on non-public hosts); again in 30s"
    )


# -- end to end: a listing source's page names the hub -------------------------------------------

LISTING = """<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>속보 시험 목록</title>
<link rel="hub" href="{hub}">
<link rel="self" href="__BASE__/">
</head>
<body>
<h1>속보 시험</h1>
<ul class="news">
{items}
</ul>
</body>
</html>
"""


@dataclass
class ListingSite:
    root: Path
    hub: str
    numbers: list[int]
    born: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def title(self, number: int) -> str:
        return f"목록 기사 {number}호"

    def publish(self, number: int) -> None:
        self.numbers.append(number)
        self.write()

    def write(self) -> None:
        news = self.root / "news"
        news.mkdir(parents=True, exist_ok=True)
        items = []
        for number in sorted(self.numbers, reverse=True):
            published = (self.born + timedelta(minutes=number - 60)).isoformat()
            story = STORIES[(number - 1) % len(STORIES)]
            body = "\n".join(f"<p>{sentence.strip()}.</p>" for sentence in story.split(".")[:-1])
            fields = {"number": number, "title": self.title(number), "published": published}
            (news / f"{number}.html").write_text(PAGE.format(body=body, **fields), "utf-8")
            items.append(f'<li><a href="/news/{number}.html">{self.title(number)}</a></li>')
        page = LISTING.format(hub=self.hub, items="\n".join(items))
        (self.root / "index.html").write_text(page, "utf-8")


@pytest.mark.e2e
def test_a_push_for_a_listing_page_writes_its_new_post(tmp_path: Path, hub: Hub) -> None:
    listing = ListingSite(tmp_path / "site", hub.url, [1])
    listing.write()
    with serve_fixture(listing.root) as server:
        topic = server.url("/")
        folder, port = tmp_path / "run", free_port()
        source = (
            f'kind = "listing"\nstart_urls = ["{topic}"]\nschedule = "every 1h"\njitter = "0s"\n'
            '[source.links]\narticle = ["/news/\\\\d+\\\\.html$"]'
        )
        config = write_push_config(folder, {"live": source}, port)
        # The first crawl reads the start page and records the hub it declares.
        crawl = run_sokbo("--config", str(config), "crawl", "live", cwd=folder)
        assert crawl.returncode == 0, crawl.stderr
        assert post_titles(folder) == {listing.title(1)}
        with Scheduled(config) as scheduler:
            scheduler.wait_for(rf"push: live: subscribed to {topic} at {hub.url}")
            # Said as it answers the hub; the hub holds the subscription once it reads that.
            wait_until(lambda: hub.active(topic), 10, "a verified subscription")
            listing.publish(2)
            assert ping(hub.url, topic) == 202
            wait_until(lambda: listing.title(2) in post_titles(folder), 30, "the pushed post")
            scheduler.wait_for(
                r"push: live: new content from http://127\.0\.0\.1:\d+/ \(\d+ bytes\)"
            )
            (delivery,) = hub.deliveries
            assert delivery.status == 202 and delivery.topic == topic
            assert scheduler.stop() == 0
            log = scheduler.log()
    assert "Traceback" not in log
