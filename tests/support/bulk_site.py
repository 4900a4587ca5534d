"""A generated news site of many articles behind one RSS feed, for the fault tests.

The fixture sites under tests/sites/ hold a handful of pages each; a kill at a random
moment, a disk that fills half-way or a store that goes away mid-run needs a crawl long
enough to be interrupted in its middle. `write_bulk_site(root, count)` writes such a site
for tests.fixture_server: `/rss.xml` lists every article, `/news/<n>.html` is article n.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from tests.support.fixture_server import FixtureServer

FEED_PATH = "/rss.xml"

_PAGE = """<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8">
<title>{title} | 속보 통신</title>
<meta property="og:title" content="{title}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{published}">
</head><body>
<header><nav><a href="/">속보 통신</a></nav></header>
<article>
<h1>{title}</h1>
<p class="byline">김기자 기자</p>
<div class="article-body">
<p>{number}번째 소식입니다. 서울 도심에서 오늘 오전 중요한 발표가 있었다.</p>
<p>관계자는 "상황을 계속 지켜보고 있다"고 말했다. 추가 발표는 오후에 나올 예정이다.</p>
<p>Officials said more details would follow later in the day, item {number}.</p>
</div>
</article>
<footer>© 속보 통신</footer>
</body></html>
"""


def article_path(number: int) -> str:
    return f"/news/{number}.html"


def article_title(number: int) -> str:
    return f"속보 {number}호: 도심 발표 소식"


# Article n was published this many minutes less n before the server's "now": a higher
# number is newer, and an article keeps its date when the site grows.
_OLDEST = 10_000


def _published(number: int) -> str:
    return f"__NOW-{_OLDEST - number}m__"


def newest(count: int, limit: int) -> list[int]:
    """The numbers of the `limit` newest of `count` articles, newest first."""
    return list(range(count - 1, max(count - 1 - limit, -1), -1))


def write_bulk_site(root: Path, count: int) -> Path:
    """Write `count` articles and their feed (newest first) under `root`; returns `root`.
    Writing it again with a larger count adds newer articles and leaves the rest as they
    were, as a news site grows."""
    assert count <= _OLDEST
    (root / "news").mkdir(parents=True, exist_ok=True)
    items = []
    for number in newest(count, count):
        title = article_title(number)
        page = _PAGE.format(title=title, number=number, published=_published(number))
        (root / "news" / f"{number}.html").write_text(page, encoding="utf-8")
        items.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>__BASE__{article_path(number)}</link>"
            f"<guid>__BASE__{article_path(number)}</guid>"
            f"<pubDate>__RFC822_NOW-{_OLDEST - number}m__</pubDate>"
            f"<description>{number}번째 소식입니다.</description></item>"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>속보 통신</title><link>__BASE__/</link><description>bulk</description>"
        + "".join(items)
        + "</channel></rss>\n"
    )
    (root / "rss.xml").write_text(feed, encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    return root


def article_paths(count: int) -> set[str]:
    return {article_path(number) for number in range(count)}


def fetched_articles(server: FixtureServer) -> list[str]:
    """The article pages the server answered with a body, in order (repeats kept)."""
    return [
        record.path
        for record in server.log
        if record.method == "GET" and record.path.startswith("/news/") and record.status == 200
    ]
