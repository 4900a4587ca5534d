"""Feed building at scale: one article's incremental rebuild against the ways around it.

    python bench/feeds.py [--articles N] [--repeat N] [--passes N]

Fills a SQLite store in a temporary folder with N articles (100,000 by default) from three
sources, one per destination site, in 20 categories (Korean and English titles, bodies of
about 2 KB), inserted in bulk as the store's own tables. Then, in this run:

(a) adds one article the way a crawl does (store upsert, its post written, the category
    index updated, its feeds queued) and rebuilds only the feeds that contain it: the
    site's RSS, Atom and JSON Feed and those of the article's categories (each of
    --repeat new articles, newer than every other, so each reaches every feed it is in),
    serialising the new entry and reusing the others' from the store, as a running
    system does;
(b) rebuilds every feed of every site from the store (``sokbo feeds``), which runs first
    and starts with no entry serialised;
(c) builds the same site feed the way jekyll-feed effectively does: the site's posts
    are written as Jekyll files (render_post, not timed), then every post file's front
    matter is read with python-frontmatter, the posts are sorted by date and the newest
    make one Atom feed (--passes times).

(a) and (c) report the best pass, as bench/extraction.py does (the medians show the
spread): on a shared machine the least disturbed pass is the best estimate of each.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import frontmatter

# Run as a script, this file's folder comes first on sys.path, and there "feeds" would be
# this file instead of the package it measures.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from sokbo.config import FeedSettings, SiteConfig  # noqa: E402
from sokbo.models import Article  # noqa: E402
from sokbo.publish.feeds.build import build_atom  # noqa: E402
from sokbo.publish.feeds.model import FeedEntry  # noqa: E402
from sokbo.publish.feeds.write import (  # noqa: E402
    category_slug,
    feed_meta,
    write_queued_feeds,
    write_site_feeds,
)
from sokbo.publish.post import post_filename, render_post  # noqa: E402
from sokbo.publish.posts import publish_post  # noqa: E402
from sokbo.slug import slugify  # noqa: E402
from sokbo.store import (  # noqa: E402
    Store,
    article_values,
    articles,
    post_categories,
    posts,
)

CATEGORIES = [
    "정치", "경제", "사회", "국제", "북한", "IT/과학", "스포츠", "연예", "문화", "생활",
    "Breaking", "World", "Business", "Tech", "Science", "Health", "Sports", "Opinion",
    "날씨", "Markets",
]  # fmt: skip
SUBJECTS = [
    "정부", "국회", "한국은행", "서울시", "Samsung", "The central bank", "외교부", "경찰",
    "NASA", "The EU", "대법원", "기상청", "Hyundai", "교육부", "The UN",
]  # fmt: skip
EVENTS = [
    "긴급 기자회견 개최", "새 정책 발표", "금리 동결 결정", "대규모 투자 계획 공개",
    "announces new measures", "warns of delays", "reports record growth", "수사 착수",
    "특별 대책 마련", "opens inquiry", "합의안 타결", "경보 발령",
]  # fmt: skip
SENTENCES = [
    "관계자는 이번 조치가 시장의 불확실성을 줄이는 데 도움이 될 것이라고 말했다.",
    "전문가들은 향후 몇 주가 중요한 고비가 될 것으로 내다봤다.",
    "Officials said the decision followed weeks of consultation with industry groups.",
    "이번 발표는 지난달 회의에서 논의된 내용을 구체화한 것이다.",
    "Analysts expect further announcements before the end of the quarter.",
    "시민들은 대체로 환영하는 분위기지만 일부에서는 우려의 목소리도 나온다.",
    "The ministry said more details would be published on its website.",
    "현장에서는 추가 피해를 막기 위한 작업이 이어지고 있다.",
]
SITES = 3
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def make_site(root: Path, number: int) -> SiteConfig:
    return SiteConfig(
        id=f"site{number}",
        title=f"속보 {number}",
        base_url=f"https://site{number}.example.kr",
        posts_dir=root / f"site{number}" / "_posts",
        feeds_dir=root / f"site{number}" / "feeds",
        brand=f"brand{number}",
        footer=f'실시간 뉴스 속보는, <a href="https://site{number}.example.kr">site{number}</a>',
        sources=[f"source{number}"],
        categories=[],  # each post keeps its article's categories
        feeds=FeedSettings(per_category=True, limit=50),
    )


def make_body(rng: random.Random) -> str:
    """About 2 KB of paragraphs."""
    paragraphs = []
    size = 0
    while size < 2000:
        text = " ".join(rng.choice(SENTENCES) for _ in range(3))
        paragraphs.append(f"<p>{text}</p>")
        size += len(text.encode("utf-8"))
    return "\n".join(paragraphs)


def make_article(rng: random.Random, number: int, published: datetime) -> Article:
    source = number % SITES
    title = f"[속보] {rng.choice(SUBJECTS)} {rng.choice(EVENTS)} ({number})"
    body = make_body(rng)
    return Article(
        url=f"https://source{source}.example.com/news/{number}",
        source_id=f"source{source}",
        title=title,
        excerpt=body[3:200],
        body_html=body,
        published=published,
        image=f"https://source{source}.example.com/img/{number}.jpg",
        categories=tuple(rng.sample(CATEGORIES, rng.choice((1, 1, 2)))),
        language="ko",
        authors=(rng.choice(("김기자", "이특파원", "Jane Doe", "")),) if number % 4 else (),
        tags=(rng.choice(SUBJECTS),),
    )


def fill(store: Store, sites: list[SiteConfig], count: int, rng: random.Random) -> None:
    """Insert ``count`` articles, their posts and category rows in bulk (executemany)."""
    chunk = 5000
    for start in range(0, count, chunk):
        article_rows: list[dict[str, Any]] = []
        post_rows: list[dict[str, Any]] = []
        category_rows: list[dict[str, Any]] = []
        for number in range(start, min(start + chunk, count)):
            published = T0 + timedelta(minutes=5 * number, seconds=rng.randrange(60))
            article = make_article(rng, number, published)
            article_id = number + 1
            seen = published + timedelta(minutes=10)
            site = sites[number % SITES]
            article_rows.append(
                article_values(article)
                | {
                    "id": article_id,
                    "slug": f"{slugify(article.title, article.url)}-{number}",
                    # A cheap stand-in: the bench never compares hashes.
                    "content_hash": hashlib.sha256(article.body_html.encode()).hexdigest(),
                    "first_seen": seen,
                    "changed": seen,
                    "checked": seen,
                }
            )
            post_rows.append(
                {"site_id": site.id, "article_id": article_id, "path": "", "rendered": seen}
            )
            category_rows += [
                {
                    "site_id": site.id,
                    "slug": category_slug(name),
                    "article_id": article_id,
                    "published": published,
                }
                for name in dict.fromkeys(article.categories)
            ]
        with store.engine.begin() as conn:
            conn.execute(articles.insert(), article_rows)
            conn.execute(posts.insert(), post_rows)
            conn.execute(post_categories.insert(), category_rows)


def add_one(store: Store, site: SiteConfig, article: Article, now: datetime) -> int:
    """What the pipeline does for one new article of ``site``; the feed files written."""
    publish_post(store, site, store.upsert(article, now), now)  # which queues its feeds
    return sum(written for _path, written in write_queued_feeds(store, site))


def jekyll_feed_way(posts_dir: Path, site: SiteConfig) -> bytes:
    """Read every post file's front matter, sort by date, build one Atom feed of the newest."""
    posts: list[tuple[str, Path, Any]] = []
    for path in posts_dir.iterdir():
        post = frontmatter.load(path)
        posts.append((path.name[:10], path, post))  # Jekyll's date: the file name's
    posts.sort(key=lambda item: (item[0], item[1].name), reverse=True)
    entries = []
    for day, path, post in posts[: site.feeds.limit]:
        date = datetime.fromisoformat(day).replace(tzinfo=UTC)
        url = f"{site.base_url}/{path.stem}.html"
        entries.append(
            FeedEntry(
                title=str(post["title"]),
                link=url,
                guid=url,
                published=date,
                updated=date,
                summary=str(post.get("excerpt", "")),
                content_html=post.content,
                categories=tuple(post.get("categories") or ()),
            )
        )
    return build_atom(feed_meta(site), entries)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def new_articles(rng: random.Random, first: int, count: int) -> Iterator[Article]:
    for number in range(first, first + count):
        # Source 0 feeds site 0; newer than everything in the store.
        yield make_article(rng, number * SITES, T0 + timedelta(days=3650, minutes=number))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles in the store")
    parser.add_argument("--repeat", type=int, default=7, help="articles added for (a)")
    parser.add_argument("--passes", type=int, default=2, help="timed passes of (c)")
    args = parser.parse_args(argv)
    rng = random.Random(20240501)

    with tempfile.TemporaryDirectory(prefix="sokbo-bench-feeds-") as folder:
        root = Path(folder)
        sites = [make_site(root, number) for number in range(SITES)]
        store = Store(f"sqlite:///{root / 'sokbo.db'}")
        try:
            seconds, _ = timed(lambda: fill(store, sites, args.articles, rng))
            print(
                f"store: {args.articles:,} articles, {SITES} sites, {len(CATEGORIES)} "
                f"categories, filled in {seconds:.1f} s"
            )

            full, files = timed(lambda: sum(len(write_site_feeds(store, s)) for s in sites))

            now = datetime.now(UTC)
            first = args.articles // SITES + 1
            runs = [
                timed(functools.partial(add_one, store, sites[0], article, now))
                for article in new_articles(rng, first, args.repeat)
            ]
            adds = [seconds for seconds, _ in runs]
            incremental = min(adds)

            site = sites[0]
            posts_dir = root / "jekyll" / "_posts"
            posts_dir.mkdir(parents=True)
            for stored in store.articles_for_sources(site.sources):
                path = posts_dir / post_filename(stored, site)
                path.write_text(render_post(stored, site), encoding="utf-8")
            count = sum(1 for _ in posts_dir.iterdir())
            passes = [
                timed(lambda: jekyll_feed_way(posts_dir, site))[0] for _ in range(args.passes)
            ]
            jekyll = min(passes)
        finally:
            store.close()

    # Best of several passes on both sides, as bench/extraction.py does: the least
    # disturbed run of a fixed workload (the medians are shown for the spread).
    print(
        f"(a) add one + rebuild: {incremental:8.3f} s  best of {args.repeat} "
        f"(median {statistics.median(adds):.3f} s); {runs[-1][1]} feed files written each"
    )
    print(f"(b) full rebuild:      {full:8.3f} s  one pass; {files} feed files written")
    print(
        f"(c) jekyll-feed's way: {jekyll:8.3f} s  best of {args.passes} "
        f"(median {statistics.median(passes):.3f} s); {count:,} post files read, one feed"
    )
    print(f"(c)/(a) = {jekyll / incremental:,.0f}x    (b)/(a) = {full / incremental:,.0f}x")
    goal = incremental < 0.2 and jekyll / incremental >= 100
    print(f"goal (a) < 0.2 s and (c)/(a) >= 100x: {'met' if goal else 'NOT met'}")
    return 0 if goal else 1


if __name__ == "__main__":
    sys.exit(main())
