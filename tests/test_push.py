"""Push (WebSub, sokbo.push): discovery of a feed's hub, the subscription at a real hub on
127.0.0.1 (tests/support/websub_hub.py: intent verified, leases, renewal, unsubscribe), the
callback's answers and its signature check, and, with `sokbo schedule` and its crawls as
real processes, a push ingested at once, a forgery ingested never, and a hub that goes
silent handing the source back to polling."""

from __future__ import annotations

import http.client
import logging
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

import pytest

from sokbo.config import ConfigError, load_config
from sokbo.push.discovery import HubLink, find_hub
from sokbo.push.leases import (
    ACTIVE,
    SUBSCRIBING,
    UNSUBSCRIBING,
    Wanted,
    delivering,
    next_wake,
    steps,
    went_silent,
)
from sokbo.push.runs import PushRuns, RunEnd
from sokbo.push.service import PushService
from sokbo.push.signature import sign, signature_problem
from sokbo.store import Store, Subscription
from tests.support.cli import run_sokbo
from tests.support.configs import VALID, write_config, write_text_config
from tests.support.fixture_server import FixtureServer, serve_fixture
from tests.support.scheduling import Scheduled, run_rows, wait_until
from tests.support.scrapyd_node import free_port
from tests.support.sites import posts
from tests.support.websub_hub import Hub, ping, serve_hub

NOWHERE = "http://127.0.0.1:9"  # never fetched: the source is hourly

# -- discovery (pure) ----------------------------------------------------------------------

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>t</title>
  <link rel="alternate" href="/"/>
  <link rel="self" href="https://blog.example/feed.xml"/>
  <link rel="hub" href="https://hub.example/"/>
  <entry><title>e</title><link rel="hub" href="https://entry-hub.example/"/></entry>
</feed>"""

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
  <title>t</title><link>https://blog.example/</link>
  <atom:link rel="hub" href="/hub"/>
  <atom:link rel="self" type="application/rss+xml" href="https://blog.example/rss"/>
  <item><title>i</title><link>https://blog.example/1</link></item>
</channel></rss>"""

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "t",
  "feed_url": "https://blog.example/feed.json",
  "hubs": [{"type": "rssCloud", "url": "https://cloud.example/"},
           {"type": "WebSub", "url": "https://hub.example/websub"}], "items": []}"""

NO_HUB = b'<feed xmlns="http://www.w3.org/2005/Atom"><link rel="self" href="https://b/f"/></feed>'


@pytest.mark.parametrize(
    ("body", "headers", "found"),
    [
        (ATOM, [], HubLink("https://hub.example/", "https://blog.example/feed.xml")),
        (RSS, [], HubLink("https://blog.example/hub", "https://blog.example/rss")),
        (JSON_FEED, [], HubLink("https://hub.example/websub", "https://blog.example/feed.json")),
        # The Link headers come first (WebSub 4), several links to a header.
        (
            ATOM,
            ['<https://other-hub.example/>; rel="hub", </topic>; rel=self'],
            HubLink("https://other-hub.example/", "https://blog.example/topic"),
        ),
        # A hub in the headers, the topic in the document.
        (
            ATOM,
            ['<https://h.example/>; rel="hub"'],
            HubLink("https://h.example/", "https://blog.example/feed.xml"),
        ),
        # No rel=self anywhere: the URL fetched is the topic.
        (
            b"<rss><channel><atom:link xmlns:atom='http://www.w3.org/2005/Atom' rel='hub' "
            b"href='https://hub.example/'/></channel></rss>",
            [],
            HubLink("https://hub.example/", "https://blog.example/rss.xml"),
        ),
        (NO_HUB, [], None),
        (NO_HUB, ['<https://blog.example/x>; rel="alternate"'], None),
        # A hub that is not http(s) is none; a broken document names none.
        (ATOM.replace(b"https://hub.example/", b"javascript:alert(1)"), [], None),
        (b"<feed><link rel='hub' href='", [], None),
        (b"{not json", [], None),
    ],
    ids=[
        "atom",
        "rss atom:link, relative",
        "json feed hubs",
        "link headers first",
        "hub in headers, self in document",
        "no self: the feed url",
        "no hub",
        "a header without a hub",
        "not http",
        "broken xml",
        "broken json",
    ],
)
def test_a_feed_names_its_hub_and_topic(
    body: bytes, headers: list[str], found: HubLink | None
) -> None:
    assert find_hub(body, headers, "https://blog.example/rss.xml") == found


# -- signatures (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_every_recognised_signature_method_is_checked(method: str) -> None:
    body = "<feed>속보</feed>".encode()
    good = sign(body, "s3cret", method)
    assert signature_problem(good, body, "s3cret") is None
    assert signature_problem(good.upper().replace(method.upper(), method), body, "s3cret") is None
    assert signature_problem(good, body + b" ", "s3cret") == f"a wrong {method} X-Hub-Signature"
    assert signature_problem(good, body, "another") == f"a wrong {method} X-Hub-Signature"


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "no X-Hub-Signature"),
        ("", "no X-Hub-Signature"),
        ("md5=abc", "an X-Hub-Signature by an unknown method ('md5')"),
        ("sha256", "an X-Hub-Signature by an unknown method ('sha256')"),
        ("sha256=자바", "a wrong sha256 X-Hub-Signature"),
    ],
)
def test_a_missing_or_strange_signature_is_a_problem(header: str | None, problem: str) -> None:
    assert signature_problem(header, b"body", "s3cret") == problem


# -- config ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "enabled = true",
            "sokbo.toml: push: callback_url: required with enabled = true (the public URL at "
            "which the hubs reach port 8971, e.g. 'https://push.example.com/websub')",
        ),
        (
            'enabled = true\ncallback_url = "push.example.com/websub"',
            "sokbo.toml: push: callback_url: not an http(s) URL: 'push.example.com/websub'",
        ),
        (
            'callback_url = "https://push.example.com/websub?x=1"',
            "sokbo.toml: push: callback_url: a base URL without a query or fragment",
        ),
        ("port = 70000", "sokbo.toml: push: port: Input should be less than or equal to 65535"),
        ('lease = "ten days"', "sokbo.toml: push: lease: not a duration: 'ten days'"),
        ('safety_interval = "0s"', "sokbo.toml: push: safety_interval: must be at least 1s"),
        ("enable = true", "sokbo.toml: push: enable: unknown key (did you mean 'enabled'?)"),
    ],
    ids=["no callback", "callback not a URL", "callback query", "port", "lease", "safety", "typo"],
)
def test_a_bad_push_table_is_one_clear_line(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_text_config(tmp_path, f"{VALID}\n[push]\n{table}\n"))
    text = str(caught.value).replace(str(tmp_path) + "/", "")
    assert len(text.splitlines()) == 1
    assert text.startswith(message)


def test_push_is_off_by_default_and_its_defaults(tmp_path: Path) -> None:
    push = load_config(write_text_config(tmp_path, VALID)).push
    assert not push.enabled
    assert (push.host, push.port, push.callback_url) == ("127.0.0.1", 8971, None)
    assert (push.lease, push.safety_interval) == (timedelta(days=10), timedelta(minutes=30))


T0 = datetime(2025, 1, 1, tzinfo=UTC)
LONG = timedelta(hours=1)

# -- what each subscription needs (pure) ------------------------------------------------------


def held(
    state: str, *, source: str = "a", expires: timedelta | None = None, **more: object
) -> Subscription:
    values: dict[str, object] = {
        "id": 1,
        "token": "t",
        "source_id": source,
        "topic": "https://b/f",
        "hub": "https://h/",
        "secret": "s",
        "state": state,
        "due": T0 + timedelta(days=1),
        "attempts": 0,
        "requested": None,
        "verified": None,
        "lease_seconds": None,
        "expires": None if expires is None else T0 + expires,
        "last_notified": None,
        "silent_since": None,
        "error": None,
        "created": T0 - timedelta(days=1),
    }
    return Subscription(**(values | more))  # type: ignore[arg-type]


WANTED = Wanted("a", "https://b/f", "https://h/")


@pytest.mark.parametrize(
    ("subscription", "wanted", "step"),
    [
        (None, {WANTED}, ("create", "its feed names the hub")),
        (held(ACTIVE, expires=timedelta(days=9)), {WANTED}, None),
        (
            held(ACTIVE, expires=timedelta(days=9), due=T0),
            {WANTED},
            ("subscribe", "renewing its lease"),
        ),
        (held(ACTIVE, expires=timedelta(0)), {WANTED}, ("subscribe", "its lease has ended")),
        (held(SUBSCRIBING, due=T0, attempts=2), {WANTED}, ("subscribe", "asking again")),
        (
            held(ACTIVE, expires=timedelta(days=9)),
            set(),
            ("unsubscribe", "its feed no longer names this hub"),
        ),
        (
            held(ACTIVE, source="gone", expires=timedelta(days=9)),
            set(),
            ("unsubscribe", "its source is no longer in the config"),
        ),
        (held(SUBSCRIBING), set(), ("forget", "its feed no longer names this hub")),
        (held(UNSUBSCRIBING, expires=timedelta(0)), set(), ("forget", "its lease has ended")),
        (
            held(UNSUBSCRIBING, expires=timedelta(days=1), due=T0),
            {WANTED},
            ("subscribe", "its feed names the hub again"),
        ),
    ],
    ids=[
        "new",
        "held",
        "renew",
        "lapsed",
        "retry",
        "hub lost",
        "source gone",
        "never held",
        "lease over",
        "wanted again",
    ],
)
def test_what_a_subscription_needs_now(
    subscription: Subscription | None, wanted: set[Wanted], step: tuple[str, str] | None
) -> None:
    found = steps([subscription] if subscription else [], wanted, {"a"}, T0)
    assert [(s.action, s.why) for s in found] == ([step] if step else [])


def test_the_next_look_is_the_earliest_request_due_or_lease_ending() -> None:
    lapsed = held(SUBSCRIBING, expires=-timedelta(days=1), due=T0 + timedelta(seconds=30))
    assert next_wake([lapsed], T0) == T0 + timedelta(seconds=30)  # not the lease long gone
    active = held(ACTIVE, expires=timedelta(seconds=10), due=T0 + timedelta(seconds=8))
    assert next_wake([lapsed, active], T0) == T0 + timedelta(seconds=8)
    assert next_wake([], T0) is None


def test_a_hub_is_silent_only_when_polls_find_what_it_never_announced() -> None:
    sub = held(ACTIVE, expires=timedelta(days=9), last_notified=T0 - timedelta(minutes=46))
    assert went_silent(sub, T0, timedelta(minutes=15), found_new=True)
    assert not went_silent(sub, T0, timedelta(minutes=15), found_new=False)
    assert not went_silent(sub, T0, timedelta(minutes=16), found_new=True)
    assert delivering(sub, T0) and not delivering(replace(sub, silent_since=T0), T0)


# -- which run a push waits for (pure) -----------------------------------------------------


def test_a_push_with_no_run_going_runs_now_and_that_run_serves_it() -> None:
    runs = PushRuns()
    assert runs.pushed("a", T0, LONG)
    runs.submitted("a", T0)
    assert runs.ended("a", T0) == RunEnd(by_push=True, again=False)
    runs.submitted("a", T0 + LONG)  # the next poll
    assert runs.ended("a", T0 + LONG) == RunEnd(by_push=False, again=False)


def test_a_push_during_a_run_runs_the_source_again_after_it() -> None:
    runs = PushRuns()
    runs.submitted("a", T0)
    assert not runs.pushed("a", T0 + timedelta(seconds=1), LONG)
    assert runs.pushed("b", T0, LONG)  # another source: now
    assert runs.ended("a", T0) == RunEnd(by_push=False, again=True)
    runs.submitted("a", T0 + timedelta(seconds=5))
    assert runs.ended("a", T0 + timedelta(seconds=5)) == RunEnd(by_push=True, again=False)


def test_an_end_told_before_its_submission_leaves_nothing_running() -> None:
    runs = PushRuns()
    assert runs.ended("a", T0) == RunEnd(by_push=False, again=False)
    runs.submitted("a", T0)  # told late: that run is over
    assert runs.pushed("a", T0, LONG)


def test_a_run_whose_end_was_never_told_stops_holding_pushes_back() -> None:
    runs = PushRuns()
    runs.submitted("a", T0)
    assert not runs.pushed("a", T0 + LONG, LONG)
    assert runs.pushed("a", T0 + LONG + timedelta(seconds=1), LONG)


# -- the store -------------------------------------------------------------------------------


def test_the_store_keeps_hubs_and_subscriptions(store: Store) -> None:
    now = datetime.now(UTC)
    store.record_push_hub("live", "https://b/feed", "https://hub/", "https://b/self", now)
    store.record_push_hub("live", "https://b/feed", "https://hub/", "https://b/self", now)
    assert [(h.source_id, h.hub, h.topic) for h in store.push_hubs()] == [
        ("live", "https://hub/", "https://b/self")
    ]
    store.record_push_hub("live", "https://b/feed", None, None, now)  # the feed lost its hub
    assert store.push_hubs() == []

    sub = store.add_subscription(
        "live", "https://b/self", "https://hub/", "tok", "sec", SUBSCRIBING, now
    )
    assert (sub.state, sub.attempts, sub.due, sub.verified) == (SUBSCRIBING, 0, now, None)
    assert store.subscription("tok") == sub
    # A request's outcome does not undo a verification that came while it was on its way.
    store.update_subscription(sub.id, {"state": ACTIVE, "verified": now})
    assert not store.update_subscription(sub.id, {"attempts": 5}, unverified_since=now)
    assert store.update_subscription(
        sub.id, {"attempts": 5}, unverified_since=now + timedelta(seconds=1)
    )
    assert store.subscriptions("live")[0].attempts == 5
    store.delete_subscription(sub.id)
    assert store.subscriptions() == []


# -- the subscriber at a real hub, in this process ---------------------------------------------

FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>속보 시험</title>
  <id>__BASE__/</id>
  <link rel="alternate" href="__BASE__/"/>
  <link rel="self" href="__BASE__/feed.xml"/>
  <link rel="hub" href="{hub}"/>
  <updated>{updated}</updated>
{entries}
</feed>
"""

ENTRY = """  <entry>
    <title>{title}</title>
    <id>__BASE__/news/{number}.html</id>
    <link rel="alternate" href="__BASE__/news/{number}.html"/>
    <published>{published}</published>
    <updated>{published}</updated>
    <summary>{title}: 요약.</summary>
  </entry>
"""

PAGE = """<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>{title} | 속보 시험</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{published}">
<link rel="canonical" href="__BASE__/news/{number}.html">
</head>
<body>
<header><a href="/">속보 시험</a></header>
<main>
<article>
<h1>{title}</h1>
<p class="meta"><time datetime="{published}">{published}</time></p>
<div class="entry-content">
{body}
</div>
</article>
</main>
<footer>&copy; 속보 시험</footer>
</body>
</html>
"""


# Each article its own story (similar bodies would be one story, shown in one post).
STORIES = [
    "기상청은 내일 새벽부터 중부 지방에 많은 눈이 내리겠다고 예보했다. 출근길 교통 혼잡이 "
    "예상되니 대중교통을 이용해 달라고 당부했다. 제설 차량 이백 대가 주요 도로에 배치된다.",
    "한국은행이 기준금리를 연 삼 퍼센트로 동결했다. 물가 상승세가 둔화했지만 가계 부채가 "
    "여전히 늘고 있다는 판단이다. 시장은 다음 분기 인하 가능성에 주목하고 있다.",
    "국립중앙박물관이 고려 청자 특별전을 연다. 해외에 흩어져 있던 유물 사십 점이 처음으로 "
    "한자리에 모인다. 관람은 무료이며 온라인 예약이 필요하다.",
    "프로야구 개막전이 만원 관중 속에 열렸다. 홈팀은 연장 접전 끝에 끝내기 안타로 이겼다. "
    "구단은 올해 관중 백만 명 돌파를 목표로 내세웠다.",
]

HEADLINES = ["중부 지방 폭설 예보", "기준금리 연 3% 동결", "고려 청자 특별전", "프로야구 개막"]


@dataclass
class Site:
    """A live feed site the tests publish to: its folder, served, and the hub it names."""

    root: Path
    hub: str
    numbers: list[int]
    server: FixtureServer | None = None
    # Article n was published n minutes after this, whenever the feed is written.
    born: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @property
    def topic(self) -> str:
        assert self.server is not None
        return self.server.url("/feed.xml")

    def title(self, number: int) -> str:
        return f"{HEADLINES[(number - 1) % len(HEADLINES)]} ({number}호)"

    def publish(self, number: int) -> None:
        """A new article on the site and in its feed (the hub is not told)."""
        self.numbers.append(number)
        self.write()

    def write(self) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        entries, pages = [], self.root / "news"
        pages.mkdir(parents=True, exist_ok=True)
        for number in sorted(self.numbers, reverse=True):
            published = (self.born + timedelta(minutes=number - 60)).isoformat()
            fields = {"number": number, "title": self.title(number), "published": published}
            entries.append(ENTRY.format(**fields))
            story = STORIES[(number - 1) % len(STORIES)]
            body = "\n".join(f"<p>{sentence.strip()}.</p>" for sentence in story.split(".")[:-1])
            page = pages / f"{number}.html"
            if not page.exists():
                page.write_text(PAGE.format(body=body, **fields), encoding="utf-8")
        feed = FEED.format(hub=self.hub, updated=now.isoformat(), entries="".join(entries))
        (self.root / "feed.xml").write_text(feed, encoding="utf-8")


@pytest.fixture
def hub() -> Iterator[Hub]:
    with serve_hub() as running:
        yield running


@pytest.fixture
def site(tmp_path: Path, hub: Hub) -> Iterator[Site]:
    live = Site(tmp_path / "site", hub.url, [1])
    live.write()
    with serve_fixture(live.root) as server:
        live.server = server
        yield live


def push_table(port: int, safety: str = "30m") -> str:
    return (
        f'\n[push]\nenabled = true\nport = {port}\ncallback_url = "http://127.0.0.1:{port}/websub"\n'
        f'safety_interval = "{safety}"\n'
    )


def write_push_config(
    folder: Path, sources: dict[str, str], port: int, safety: str = "30m"
) -> Path:
    path = write_config(folder, sources, schedule='stop_grace = "20s"')
    path.write_text(path.read_text("utf-8") + push_table(port, safety), "utf-8")
    return path


def hourly(url: str) -> str:
    return f'kind = "feed"\nstart_urls = ["{url}"]\nschedule = "every 1h"\njitter = "0s"'


@dataclass
class InProcess:
    service: PushService
    store: Store
    pushed: list[str]
    port: int

    def callback(self) -> str:
        (sub,) = self.store.subscriptions()
        return f"http://127.0.0.1:{self.port}/websub/{sub.token}"


@pytest.fixture
def subscriber(tmp_path: Path, site: Site) -> Iterator[InProcess]:
    """A PushService in this process (the scheduler's hook only records the sources it
    would run), its source's feed naming the site's hub as a crawl would have recorded."""
    port = free_port()
    config = load_config(write_push_config(tmp_path / "run", {"live": hourly(site.topic)}, port))
    store = Store.open(config.store)
    store.record_push_hub("live", site.topic, site.hub, site.topic, datetime.now(UTC))
    pushed: list[str] = []
    service = PushService(config, pushed.append)
    assert service.start()
    try:
        yield InProcess(service, store, pushed, port)
    finally:
        service.stop()
        store.close()


def test_subscribing_verifies_intent_and_stores_the_lease(
    subscriber: InProcess, site: Site, hub: Hub
) -> None:
    (held,) = wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
    wait_until(lambda: subscriber.store.subscriptions()[0].state == ACTIVE, 5, "active")
    sub = subscriber.store.subscriptions()[0]
    assert held.callback == subscriber.callback()
    assert held.secret == sub.secret and len(sub.secret) >= 32
    assert sub.lease_seconds == 10 * 86400 and sub.verified is not None
    assert sub.expires == sub.verified + timedelta(days=10)
    assert sub.due == sub.verified + timedelta(days=8)  # renewed at 80 % of the lease
    (request,) = [r for r in hub.requests if r.get("hub.mode") == "subscribe"]
    assert request["hub.lease_seconds"] == str(10 * 86400)
    assert request["hub.topic"] == site.topic


def test_a_signed_push_runs_its_source_and_a_forged_one_does_not(
    subscriber: InProcess, site: Site, hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sokbo.push")
    wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
    site.publish(2)
    assert hub.publish(site.topic) == 1
    assert subscriber.pushed == ["live"]
    body = (site.root / "feed.xml").read_bytes()
    callback = subscriber.callback()
    wrong = sign(body, "not the secret")
    for forged in (wrong, None, "md5=" + wrong.split("=")[1]):
        # Acknowledged (a forger learns nothing), never acted on.
        assert hub.deliver(callback, body, "application/atom+xml", forged) == 202
    assert subscriber.pushed == ["live"]
    ignored = [r.message for r in caplog.records if "ignored" in r.message]
    assert len(ignored) == 3
    assert re.match(
        r"push: live: a notification from 127\.0\.0\.1 with a wrong sha256 "
        r"X-Hub-Signature \(\d+ bytes\); ignored",
        ignored[0],
    )
    assert "with no X-Hub-Signature" in ignored[1]
    assert subscriber.store.subscriptions()[0].last_notified is not None


def get(url: str, query: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with urlopen(url + ("?" + urlencode(query) if query else ""), timeout=10) as response:
            return response.status, response.read().decode()
    except HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_callback_agrees_only_to_what_sokbo_asked(
    subscriber: InProcess, site: Site, hub: Hub
) -> None:
    wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
    callback = subscriber.callback()
    base = f"http://127.0.0.1:{subscriber.port}/websub/"
    subscribe = {
        "hub.mode": "subscribe",
        "hub.topic": site.topic,
        "hub.challenge": "c1",
        "hub.lease_seconds": "600",
    }
    # Re-verifying the subscription it holds: echoed, and the new lease kept.
    assert get(callback, subscribe) == (200, "c1")
    assert subscriber.store.subscriptions()[0].lease_seconds == 600
    # Someone else's attempt to unsubscribe it, another topic, another callback: 404.
    assert get(callback, {**subscribe, "hub.mode": "unsubscribe"})[0] == 404
    assert get(callback, {**subscribe, "hub.topic": site.topic + "?x"})[0] == 404
    assert get(base + "not-a-token", subscribe)[0] == 404
    assert get(callback, {**subscribe, "hub.challenge": ""})[0] == 404
    assert get(callback, {**subscribe, "hub.lease_seconds": "forever"})[0] == 404
    assert get(callback)[0] == 404
    # Content for no subscription: 410 (the hub may drop it); too large: 413.
    post = Request(base + "not-a-token", data=b"<feed/>", method="POST")
    with pytest.raises(HTTPError) as gone:
        urlopen(post, timeout=10)
    assert gone.value.code == 410
    # A body larger than 10 MB is refused as soon as its length is known.
    connection = http.client.HTTPConnection("127.0.0.1", subscriber.port, timeout=10)
    connection.putrequest("POST", urlsplit(callback).path)
    connection.putheader("Content-Length", str(10 * 1024 * 1024 + 1))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    assert subscriber.pushed == []


def test_a_denied_subscription_is_asked_again_later(
    subscriber: InProcess, site: Site, hub: Hub
) -> None:
    wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
    assert hub.deny(site.topic, subscriber.callback(), "over quota") == 200
    sub = subscriber.store.subscriptions()[0]
    assert (sub.state, sub.error) == ("denied", "denied: over quota")
    assert sub.due - datetime.now(UTC) > timedelta(hours=23)


def test_a_short_lease_is_renewed_before_it_ends(tmp_path: Path, site: Site) -> None:
    with serve_hub(max_lease=3) as short:
        port = free_port()
        folder = tmp_path / "short"
        config = load_config(write_push_config(folder, {"live": hourly(site.topic)}, port))
        store = Store.open(config.store)
        store.record_push_hub("live", site.topic, short.url, site.topic, datetime.now(UTC))
        service = PushService(config, lambda source_id: None)
        assert service.start()
        try:
            wait_until(lambda: short.active(site.topic), 10, "a verified subscription")
            first = store.subscriptions()[0]
            assert first.lease_seconds == 3
            # Three leases' worth: renewed at 80 % each time, never lapsing at the hub.
            deadline = time.monotonic() + 9
            while time.monotonic() < deadline:
                assert short.active(site.topic), "the lease ended before its renewal"
                time.sleep(0.2)
            assert len(short.verified()) >= 4
            renewed = store.subscriptions()[0]
            assert renewed.state == ACTIVE and renewed.token == first.token
            assert renewed.expires is not None and first.expires is not None
            assert renewed.expires > first.expires + timedelta(seconds=5)
        finally:
            service.stop()
            store.close()


def test_an_expired_lease_is_subscribed_again(
    tmp_path: Path, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sokbo.push")
    with serve_hub(max_lease=2) as short:
        port = free_port()
        config = load_config(write_push_config(tmp_path / "x", {"live": hourly(site.topic)}, port))
        store = Store.open(config.store)
        store.record_push_hub("live", site.topic, short.url, site.topic, datetime.now(UTC))
        service = PushService(config, lambda source_id: None)
        assert service.start()
        wait_until(lambda: short.active(site.topic), 10, "a verified subscription")
        service.stop()  # the scheduler is down while the lease ends
        wait_until(lambda: not short.active(site.topic), 10, "the lease to end at the hub")
        time.sleep(0.5)
        service = PushService(config, lambda source_id: None)
        assert service.start()
        try:
            wait_until(lambda: short.active(site.topic), 10, "the subscription made again")
            assert "(its lease has ended)" in caplog.text
            assert store.subscriptions()[0].state == ACTIVE
        finally:
            service.stop()
            store.close()


def test_a_feed_that_loses_its_hub_is_unsubscribed(
    subscriber: InProcess, site: Site, hub: Hub
) -> None:
    wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
    subscriber.store.record_push_hub("live", site.topic, None, None, datetime.now(UTC))
    subscriber.service.wake()  # as the scheduler does after every run
    wait_until(lambda: not hub.active(site.topic), 10, "the hub to drop the subscription")
    wait_until(lambda: not subscriber.store.subscriptions(), 5, "the subscription forgotten")
    (unsubscribe,) = hub.verified("unsubscribe")
    assert unsubscribe.callback.startswith(f"http://127.0.0.1:{subscriber.port}/websub/")


def test_a_source_removed_from_the_config_is_unsubscribed(
    subscriber: InProcess, site: Site, hub: Hub, tmp_path: Path
) -> None:
    wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
    config = subscriber.service.config
    other = config.source[0].model_copy(update={"id": "other"})
    subscriber.service.update_config(config.model_copy(update={"source": [other], "site": []}))
    wait_until(lambda: not hub.active(site.topic), 10, "the hub to drop the subscription")
    wait_until(lambda: not subscriber.store.subscriptions(), 5, "the subscription forgotten")


def test_an_unsubscribe_the_hub_never_confirmed_is_forgotten_after_five_tries(
    subscriber: InProcess, site: Site, hub: Hub
) -> None:
    wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
    sub = subscriber.store.subscriptions()[0]
    subscriber.store.update_subscription(sub.id, {"state": UNSUBSCRIBING, "attempts": 5})
    subscriber.store.record_push_hub("live", site.topic, None, None, datetime.now(UTC))
    subscriber.service.wake()
    wait_until(lambda: not subscriber.store.subscriptions(), 5, "the subscription forgotten")


def test_the_endpoint_that_cannot_listen_turns_push_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with serve_fixture(tmp_path) as taken:
        port = int(taken.base_url.rsplit(":", 1)[1])
        config = load_config(write_push_config(tmp_path / "run", {"a": hourly(NOWHERE)}, port))
        service = PushService(config, lambda source_id: None)
        assert not service.start()
    assert re.search(
        rf"push: cannot listen on 127\.0\.0\.1:{port} \(.*\); push is off, every source is "
        "polled",
        caplog.text,
    )


# -- end to end: `sokbo schedule` and its crawls as processes ---------------------------------


def post_titles(folder: Path) -> set[str]:
    return {str(post["title"]) for post in posts(folder).values()}


@pytest.mark.e2e
def test_a_push_is_ingested_at_once_a_forgery_never_and_a_removed_source_leaves(
    tmp_path: Path, site: Site, hub: Hub
) -> None:
    folder, port = tmp_path / "run", free_port()
    config = write_push_config(folder, {"live": hourly(site.topic)}, port)
    # The first crawl reads the feed and records the hub it names.
    crawl = run_sokbo("--config", str(config), "crawl", "live", cwd=folder)
    assert crawl.returncode == 0, crawl.stderr
    assert post_titles(folder) == {site.title(1)}
    with Scheduled(config) as scheduler:
        scheduler.wait_for(r"push: live: subscribed to \S+/feed\.xml at http://127\.0\.0\.1")
        (held,) = wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
        assert held.callback.startswith(f"http://127.0.0.1:{port}/websub/")

        # A new article, announced by the publisher to the hub (hub.mode=publish).
        site.publish(2)
        pinged = time.monotonic()
        assert ping(hub.url, site.topic) == 202
        wait_until(lambda: site.title(2) in post_titles(folder), 20, "the pushed article's post")
        took = time.monotonic() - pinged
        assert took < 10, f"{took:.1f} s from the push to the post"
        scheduler.wait_for(r"push: live: new content from http://127\.0\.0\.1:\d+/ \(\d+ bytes\)")
        scheduler.wait_for(r"live: run ended")
        runs = len(run_rows(folder, "live"))

        # A forged notification (wrong secret) and an unsigned one: ignored, nothing runs.
        site.publish(3)
        body = (site.root / "feed.xml").read_bytes()
        assert hub.deliver(held.callback, body, "application/atom+xml", sign(body, "guess")) == 202
        assert hub.deliver(held.callback, body, "application/atom+xml", None) == 202
        scheduler.wait_for(
            r"push: live: a notification from 127\.0\.0\.1 with a wrong sha256 "
            r"X-Hub-Signature \(\d+ bytes\); ignored"
        )
        scheduler.wait_for(r"with no X-Hub-Signature .*; ignored")
        time.sleep(4)
        assert len(run_rows(folder, "live")) == runs
        assert site.title(3) not in post_titles(folder)

        # The source leaves the config (SIGHUP): unsubscribed, verified by the hub.
        write_push_config(folder, {"other": hourly(NOWHERE)}, port)
        scheduler.process.send_signal(signal.SIGHUP)
        scheduler.wait_for(r"push: live: unsubscribing from \S+ at \S+ \(its source is no longer")
        scheduler.wait_for(r"push: live: unsubscribed from ")
        wait_until(lambda: not hub.active(site.topic), 10, "the hub to drop the subscription")
        assert scheduler.stop() == 0
        log = scheduler.log()
    assert "Traceback" not in log
    assert re.search(r"push: callback http://127\.0\.0\.1:\d+/websub served on", log)


@pytest.mark.e2e
def test_a_hub_that_goes_silent_hands_the_source_back_to_polling(
    tmp_path: Path, site: Site, hub: Hub
) -> None:
    folder, port = tmp_path / "run", free_port()
    source = f'kind = "feed"\nstart_urls = ["{site.topic}"]\nschedule = "every 2s"\njitter = "0s"'
    config = write_push_config(folder, {"live": source}, port, safety="8s")
    with Scheduled(config) as scheduler:
        # The first poll finds the hub; once subscribed, the source is polled every 8 s.
        scheduler.wait_for(r"push: live: subscribed to ", timeout=30)
        scheduler.wait_for(r"live: its hub delivers; polling every 8s as a safety net", 30)
        slow_since = datetime.now(UTC)

        hub.silent = True  # takes pings, delivers nothing
        site.publish(2)
        scheduler.wait_for(
            r"push: live: the hub \S+ sent nothing for \S+ while polls found new articles; "
            r"polling every 2s again",
            timeout=40,
        )
        slow = [r["started"] for r in run_rows(folder, "live") if r["started"] > slow_since]
        assert len(slow) <= 2, "polled at its normal pace while the hub delivered"
        assert site.title(2) in post_titles(folder)

        # Polling has taken over: the next article arrives at the normal pace.
        site.publish(3)
        published = time.monotonic()
        wait_until(lambda: site.title(3) in post_titles(folder), 20, "the next article's post")
        assert time.monotonic() - published < 12
        assert scheduler.stop() == 0
        log = scheduler.log()
    assert "Traceback" not in log


@pytest.mark.e2e
def test_a_callback_that_cannot_listen_leaves_the_scheduler_polling(
    tmp_path: Path, site: Site
) -> None:
    folder = tmp_path / "run"
    source = f'kind = "feed"\nstart_urls = ["{site.topic}"]\nschedule = "every 1s"\njitter = "0s"'
    with serve_fixture(tmp_path / "site") as taken:
        port = int(taken.base_url.rsplit(":", 1)[1])
        config = write_push_config(folder, {"live": source}, port)
        with Scheduled(config) as scheduler:
            scheduler.wait_for(rf"push: cannot listen on 127\.0\.0\.1:{port} \(.+\); push is off")
            scheduler.wait_for(r"live: run ended in .* exit 0", timeout=30)
            assert scheduler.stop() == 0
            log = scheduler.log()
    assert site.title(1) in post_titles(folder)
    assert "push: live: subscribing" not in log
    assert "Traceback" not in log
