"""The live source of bench/latency.py: a Tistory-like blog served on 127.0.0.1 by a thread,
publishing on a bursty timeline, with every request it receives logged.

- The timeline (`burst_timeline`): a quiet spell of 60-150 s, then a burst of 3-6 articles
  10-45 s apart, again and again, from a seed: the bursty source of issue 16 (as
  bench/polling.py's `tistory`). One call gives the history (the 14 days before the run)
  and the run's articles, so they are one process.
- The site (`LiveSource`): `/robots.txt`; `/rss`, an RSS 2.0 feed of the newest 20 articles
  published so far, as Tistory writes it (full HTML in `<description>`, an ETag answered
  with 304 when it is sent back), naming a WebSub hub (`<atom:link rel="hub">`) when
  given one; `/<number>`, the article's page, in a current Tistory skin. An article is
  public from the moment the timeline places it: the feed is made for each request from
  the clock.
- The request log (`LiveSource.requests`): when each request arrived, its kind (robots,
  feed, page, other), who sent it (sokbo's crawls by their User-Agent, the hub by
  urllib's), the answer, and for a feed the newest article it listed.
- `ping_hub`: as a publisher does with WebSub, tell the hub (`hub.mode=publish`) the moment
  each article is published.
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import random
import threading
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

FEED_PATH = "/rss"
FEED_ITEMS = 20
BLOG = "속보 실험실"
AUTHOR = "속보지기"
KST = timezone(timedelta(hours=9))
ROBOTS = (
    b"User-agent: *\nDisallow: /guestbook\nDisallow: /m/guestbook\nDisallow: /manage\n"
    b"Disallow: /search\nAllow: /\n"
)

QUIET = (60.0, 150.0)  # seconds of silence before a burst
BURST = (3, 6)  # articles in a burst
GAP = (10.0, 45.0)  # seconds between a burst's articles


def burst_timeline(seed: int, start: float, end: float) -> list[float]:
    """The moments (seconds, any origin) of the source's articles in [start, end): from
    `start`, a quiet spell, then a burst, again and again. The same seed and start give
    the same moments; a later `end` only adds to them."""
    rng = random.Random(f"latency-tistory:{seed}")
    out: list[float] = []
    moment = start
    while True:
        moment += rng.uniform(*QUIET)
        for n in range(rng.randint(*BURST)):
            if n:
                moment += rng.uniform(*GAP)
            if moment >= end:
                return out
            out.append(moment)


# -- what the articles say -------------------------------------------------------------

PLACES = (
    "서울시",
    "부산시",
    "인천시",
    "대구시",
    "광주시",
    "대전시",
    "울산시",
    "세종시",
    "수원시",
    "제주도",
    "강원도",
    "경기도",
    "충청북도",
    "전라남도",
    "경상북도",
    "국토교통부",
    "기획재정부",
    "보건복지부",
    "교육부",
    "환경부",
    "산업통상자원부",
    "행정안전부",
)
TOPICS = (
    "광역버스 노선 개편",
    "전세 사기 피해 지원",
    "폭염 대응 쉼터 확대",
    "하천 정비 사업",
    "청년 월세 지원",
    "공공 와이파이 확충",
    "어린이 보호구역 단속",
    "지역 축제 일정",
    "반도체 공장 증설",
    "전기차 충전소 보급",
    "미세먼지 저감 대책",
    "응급실 운영 개선",
    "소상공인 대출 만기 연장",
    "학교 급식 단가 인상",
    "지하철 연장 착공",
    "산불 예방 조치",
    "태풍 피해 복구",
    "공항 혼잡 완화",
    "의료 인력 확충",
    "농산물 가격 안정",
)
VERBS = (
    "발표했다",
    "밝혔다",
    "결정했다",
    "추진한다고 전했다",
    "검토에 들어갔다",
    "시행하기로 했다",
    "공개했다",
    "확정했다",
)
DETAILS = (
    "관계자는 {n}명의 시민이 혜택을 받을 것으로 내다봤다",
    "예산은 모두 {n}억 원 규모로 편성됐다",
    "사업 기간은 {m}개월로 잡혔으며 다음 달 첫 설명회가 열린다",
    "현장 점검은 {m}차례에 걸쳐 진행될 예정이다",
    "지난해보다 {p} 퍼센트 늘어난 수치다",
    "주민 의견 수렴을 위한 공청회가 {m}일 열린다",
    "시행 첫 주에만 {n}건의 문의가 접수된 것으로 집계됐다",
    "전문가들은 효과를 보려면 최소 {m}년은 지켜봐야 한다고 말했다",
    "야당은 재원 마련 방안이 부족하다며 {m}가지 보완책을 요구했다",
    "담당 부서는 누리집에 세부 일정과 신청 방법을 안내했다",
)


@dataclass(frozen=True)
class Post:
    """One article of the source: its number (its URL's path), title, excerpt and body."""

    number: int
    title: str
    excerpt: str
    body: str  # the editor's HTML, as in the page and the feed's description


@lru_cache(maxsize=4096)
def make_post(seed: int, number: int) -> Post:
    """Article `number` of the source of `seed`: always the same words, its own title."""
    rng = random.Random(f"latency-post:{seed}:{number}")
    place, topic = rng.choice(PLACES), rng.choice(TOPICS)
    title = f"{place}, {topic} {rng.choice(VERBS).split()[0]} ({number}호)"
    sentences = []
    for _ in range(rng.randint(6, 10)):
        detail = rng.choice(DETAILS).format(
            n=rng.randint(100, 99_000), m=rng.randint(2, 12), p=rng.randint(3, 60)
        )
        sentences.append(
            f"{rng.choice(PLACES)}는 {rng.choice(TOPICS)}을 {rng.choice(VERBS)}. {detail}."
        )
    excerpt = f"{place}가 {topic}을 {rng.choice(VERBS)}. {sentences[0]}"
    paragraphs = [
        f'<p data-ke-size="size16">{" ".join(sentences[i : i + 2])}</p>'
        for i in range(0, len(sentences), 2)
    ]
    body = (
        f'<h2 data-ke-size="size26">{html.escape(topic)} 주요 내용</h2>\n'
        + "\n".join(paragraphs)
        + '\n<p data-ke-size="size16">&nbsp;</p>'
    )
    return Post(number, title, excerpt, body)


def image_url(number: int) -> str:
    """Article `number`'s lead image (og:image; hotlinked, never fetched)."""
    return f"https://tistory1.daumcdn.net/tistory/7301524/attach/img{number:08d}.jpg"


def _kst(moment: float) -> datetime:
    return datetime.fromtimestamp(int(moment), UTC).astimezone(KST)


# -- the site --------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One request the site received."""

    at: float  # time.time() when its request line was read
    kind: str  # robots, feed, page, other
    path: str
    agent: str  # sokbo, hub, other
    status: int
    number: int  # feed: the newest article listed (0: none); page: its article


class LiveSource:
    """The blog: articles 1..len(times), public from times[n - 1] (time.time() seconds)."""

    def __init__(self, seed: int, hub: str | None = None) -> None:
        self.seed = seed
        self.hub = hub
        self.base = ""
        self.times: list[float] = []  # sorted: article n is public from times[n - 1]
        self.requests: list[Hit] = []
        self.lock = threading.Lock()

    @property
    def feed_url(self) -> str:
        return self.base + FEED_PATH

    def url(self, number: int) -> str:
        return f"{self.base}/{number}"

    def place(self, times: Sequence[float]) -> None:
        """The moments the articles are published, oldest first (the history's and the
        run's together); numbers follow them."""
        if any(b < a for a, b in pairwise(times)):
            raise ValueError("the articles' times are not in order")
        with self.lock:
            self.times = list(times)

    def public(self, now: float) -> int:
        """How many articles are public at `now` (the newest's number)."""
        return bisect_right(self.times, now)

    # -- documents ---------------------------------------------------------------------

    def feed(self, newest: int) -> bytes:
        items = []
        for number in range(newest, max(newest - FEED_ITEMS, 0), -1):
            post = make_post(self.seed, number)
            link = self.url(number)
            date = email.utils.format_datetime(_kst(self.times[number - 1]))
            items.append(
                f"<item>\n<title>{html.escape(post.title)}</title>\n<link>{link}</link>\n"
                f"<description>{html.escape(self._content(post))}</description>\n"
                f"<category>뉴스</category>\n<author>{AUTHOR}</author>\n"
                f'<guid isPermaLink="true">{link}</guid>\n'
                f"<comments>{link}#entry{number}comment</comments>\n"
                f"<pubDate>{date}</pubDate>\n</item>\n"
            )
        stamp = self.times[newest - 1] if newest else time.time()
        hub = (
            f'<atom:link rel="hub" href="{html.escape(self.hub)}"/>\n'
            f'<atom:link rel="self" type="application/rss+xml" href="{self.feed_url}"/>\n'
            if self.hub
            else ""
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
            f"<title>{BLOG}</title>\n<link>{self.base}/</link>\n"
            "<description>전국 소식을 가장 빠르게 정리합니다.</description>\n"
            f"<language>ko</language>\n<pubDate>{email.utils.format_datetime(_kst(stamp))}"
            "</pubDate>\n<generator>TISTORY</generator>\n<ttl>100</ttl>\n"
            f"<managingEditor>{AUTHOR}</managingEditor>\n{hub}"
            + "".join(items)
            + "</channel>\n</rss>\n"
        ).encode()

    def _content(self, post: Post) -> str:
        return f'<div class="tt_article_useless_p_margin contents_style">{post.body}</div>'

    def page(self, number: int) -> bytes:
        post = make_post(self.seed, number)
        link = self.url(number)
        published = _kst(self.times[number - 1])
        title, excerpt = html.escape(post.title), html.escape(post.excerpt)
        image = image_url(number)
        return (
            '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{title} :: {BLOG}</title>\n"
            f'<meta name="description" content="{excerpt}">\n'
            f'<meta property="og:type" content="article">\n'
            f'<meta property="og:url" content="{link}">\n'
            f'<meta property="og:site_name" content="{BLOG}">\n'
            f'<meta property="og:title" content="{title}">\n'
            f'<meta property="og:description" content="{excerpt}">\n'
            f'<meta property="og:image" content="{image}">\n'
            f'<meta property="article:author" content="{AUTHOR}">\n'
            f'<meta property="article:published_time" content="{published.isoformat()}">\n'
            f'<link rel="canonical" href="{link}">\n'
            f'<link rel="alternate" type="application/rss+xml" title="{BLOG}" '
            f'href="{self.feed_url}">\n</head>\n'
            '<body id="tt-body-page" class="layout-aside-right">\n<div id="wrap">\n'
            f'<header id="header"><h1><a href="{self.base}/" class="link_logo">{BLOG}</a></h1>'
            '</header>\n<main id="main">\n'
            f'<div class="area_title"><strong class="tit_category">뉴스</strong><h1>{title}</h1>'
            f'<span class="txt_detail my_post">{AUTHOR} · {published:%Y. %m. %d. %H:%M}</span>'
            "</div>\n"
            f'<div class="area_view">{self._content(post)}\n'
            '<div class="revenue_unit_wrap"><div class="revenue_unit_item adsense">'
            '<ins class="adsbygoogle" data-ad-client="ca-pub-0000000000000000"></ins>'
            "</div></div>\n"
            "<div class=\"another_category\"><h4>'뉴스' 카테고리의 다른 글</h4><ul>"
            + "".join(
                f'<li><a href="/{n}">이전 글 {n}</a></li>'
                for n in range(number - 1, number - 4, -1)
                if n > 0
            )
            + "</ul></div>\n"
            '<div class="container_postbtn"><button class="btn_post">공감</button></div>\n'
            "</div>\n</main>\n"
            f"<footer>&copy; {BLOG}</footer>\n</div>\n</body>\n</html>\n"
        ).encode()

    def answer(self, path: str, now: float) -> tuple[str, int, str, bytes, int]:
        """(kind, status, content type, body, number) for a GET of `path` at `now`."""
        newest = self.public(now)
        if path == "/robots.txt":
            return "robots", 200, "text/plain", ROBOTS, 0
        if path == FEED_PATH:
            return "feed", 200, "application/rss+xml; charset=utf-8", self.feed(newest), newest
        number = path[1:]
        if number.isdigit() and 0 < int(number) <= newest:
            return "page", 200, "text/html; charset=utf-8", self.page(int(number)), int(number)
        return "other", 404, "text/plain", b"not found\n", 0


def _agent(header: str | None) -> str:
    if not header:
        return "other"
    if header.startswith("Python-urllib"):
        return "hub"
    return "sokbo" if "sokbo" in header else "other"


def _handler(source: LiveSource) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arrived = time.time()
            path = self.path.split("?", 1)[0]
            kind, status, content_type, body, number = source.answer(path, arrived)
            etag = f'"{hashlib.sha1(body).hexdigest()[:20]}"'
            if kind == "feed" and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            with source.lock:
                source.requests.append(
                    Hit(arrived, kind, path, _agent(self.headers.get("User-Agent")), status, number)
                )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if kind == "feed":
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Log nothing to stderr."""

    return Handler


@contextmanager
def serve(source: LiveSource) -> Iterator[LiveSource]:
    """The source on a free 127.0.0.1 port for the length of a `with` block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(source))
    server.daemon_threads = True
    source.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="live-source"
    )
    thread.daemon = True
    thread.start()
    try:
        yield source
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def ping_hub(source: LiveSource, hub: str, first: int, stop: threading.Event) -> list[float]:
    """From article `first` on, tell the hub about each article the moment it is published
    (`hub.mode=publish`, `hub.url` the feed), until `stop` is set; the moments each ping
    was answered are appended to the list returned at once (filled by a thread)."""
    pinged: list[float] = []

    def run() -> None:
        for number in range(first, len(source.times) + 1):
            if stop.wait(max(0.0, source.times[number - 1] - time.time())):
                return
            form = urlencode({"hub.mode": "publish", "hub.url": source.feed_url}).encode()
            request = UrlRequest(
                hub, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            try:
                with urlopen(request, timeout=10) as answer:
                    answer.read()
            except (OSError, URLError):
                continue  # said by the article that never arrives
            pinged.append(time.time())

    threading.Thread(target=run, name="publisher", daemon=True).start()
    return pinged
