"""The cost of placing a new article in its story with many articles already stored: the
real store (SQLite, or PostgreSQL with --postgres), the real signatures and band keys.

Run by bench/stories.py (`--stored N`); alone:

    .venv/bin/python bench/story_cost.py --stored 100000 --new 1000

The stored articles are made-up prose (Korean and English words drawn at random, so that
no two tell the same story by chance) with what makes the check costly in real stores
planted among them: families of versions of one story (copies with a blog's first and
last lines, a lede-only breaking version), and templated notices (weather, market close)
that share their text but for the numbers, hundreds of each, whose band keys collide.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from sokbo.models import Article
from sokbo.store import Store, articles
from sokbo.store.schema import article_stories, story_bands
from sokbo.stories import Signature, band_keys, signature_of

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_SYLLABLES = [chr(0xAC00 + i) for i in range(0, 11172, 29)]  # 386 Hangul syllables
_LETTERS = "etaoinshrdlcumwfgypbvk"
_TEMPLATES = [
    "기상청에 따르면 {0}일 서울의 낮 최고기온은 {1}도, 최저기온은 {2}도로 예상된다. "
    "강수확률은 오전 {3}%, 오후 {4}%이며 미세먼지 농도는 보통 수준을 보이겠다.",
    "코스피가 전 거래일보다 {0}.{1}포인트({2}.{3}%) 오른 {4},{5}.{6}에 장을 마감했다. "
    "외국인은 {1}억원을 순매수했고 기관은 {2}억원을 순매도했다.",
    "The Nikkei 225 closed at {4},{5}.{6}, up {0}.{1} points or {2}.{3} percent, while the "
    "yen traded at {1}.{2} per dollar. Volume on the main board was {3} million shares.",
    "A magnitude {0}.{1} earthquake struck {2} kilometres {3} of the city at a depth of "
    "{4} kilometres, the weather agency said. No damage was immediately reported.",
]


@dataclass(frozen=True)
class Made:
    title: str
    text: str
    published: datetime
    story: int  # the story it was made for (planted versions share one)


def _words(rng: random.Random, count: int, korean: bool) -> str:
    if korean:
        return " ".join("".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(count))
    return " ".join("".join(rng.choices(_LETTERS, k=rng.randint(2, 9))) for _ in range(count))


def make_articles(count: int, seed: int = 7) -> Iterator[Made]:
    """``count`` articles: about 80 % stories of their own, 15 % versions of planted
    stories (two to four versions each), 5 % templated notices."""
    rng = random.Random(seed)
    made = 0
    while made < count:
        story = made
        korean = rng.random() < 0.5
        when = T0 + timedelta(minutes=made)
        roll = rng.random()
        if roll < 0.05:  # a templated notice: the numbers differ, the text does not
            template = _TEMPLATES[rng.randrange(len(_TEMPLATES))]
            text = template.format(*(rng.randint(1, 99) for _ in range(7)))
            yield Made(text[:30], text, when, story)
            made += 1
        elif roll < 0.10:  # a story told two to four times
            title = _words(rng, 6, korean)
            body = _words(rng, rng.randint(80, 400), korean)
            lede = body[: rng.randint(60, 140)]
            versions = [
                body,
                f"{_words(rng, 8, korean)} {body} {_words(rng, 10, korean)}",
                lede,
                body[: len(body) // 2],
            ]
            for text in versions[: rng.randint(2, 4)]:
                if made < count:
                    yield Made(title, text, when, story)
                    made += 1
        else:
            text = _words(rng, rng.randint(40, 600), korean)
            yield Made(_words(rng, 6, korean), text, when, story)
            made += 1


def load(store: Store, stored: list[Made], batch: int = 5000) -> None:
    """Put the articles, their stories, signatures and band keys in the store directly
    (the store's own inserts, row by row, would take an hour at 100,000)."""
    for start in range(0, len(stored), batch):
        chunk = list(enumerate(stored[start : start + batch], start=start + 1))
        signatures = {
            key: signature_of(made.title, made.text, made.published) for key, made in chunk
        }
        with store.engine.begin() as conn:
            conn.execute(
                insert(articles),
                [
                    {
                        "id": key,
                        "url": f"https://bench.example/{key}",
                        "source_id": "bench",
                        "slug": f"a{key}",
                        "title": made.title,
                        "excerpt": "",
                        "body_html": "",
                        "categories": [],
                        "published": made.published,
                        "content_hash": "",
                        "first_seen": made.published,
                        "changed": made.published,
                        "checked": made.published,
                    }
                    for key, made in chunk
                ],
            )
            conn.execute(
                insert(article_stories),
                [
                    {
                        "article_id": key,
                        "story_id": made.story + 1,
                        "signature": signatures[key].to_bytes(),
                    }
                    for key, made in chunk
                ],
            )
            conn.execute(
                insert(story_bands),
                [
                    {"key": band, "article_id": key}
                    for key, _made in chunk
                    for band in set(band_keys(signatures[key]))
                ],
            )


@dataclass(frozen=True)
class Cost:
    stored: int
    signature_ms: list[float]  # signature_of
    lookup_ms: list[float]  # Store.find_story: the candidates read and compared
    with_ms: list[float]  # Store.upsert with the signature: stored and placed in its story
    without_ms: list[float]  # Store.upsert without: stored only (other new articles)
    joined: int  # new articles placed in an existing story

    def lines(self) -> list[str]:
        extra = statistics.fmean(self.with_ms) - statistics.fmean(self.without_ms)
        check = statistics.fmean(self.signature_ms) + statistics.fmean(self.lookup_ms)
        return [
            f"with {self.stored:,} articles stored ({len(self.with_ms)} new articles placed, "
            f"{self.joined} of them in a stored story; {len(self.without_ms)} stored without):",
            _row("signature_of", self.signature_ms),
            _row("find_story", self.lookup_ms),
            _row("upsert, placed", self.with_ms),
            _row("upsert alone", self.without_ms),
            f"  the check per new article (signature_of + find_story): {check:.2f} ms "
            "(goal: under 5 ms)",
            f"  placing it in the article's own transaction (the lookup again, its "
            f"signature and band keys written) adds {extra:.2f} ms to the upsert",
        ]


def _row(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (
        f"  {name:<15} mean {statistics.fmean(values):6.2f} ms   "
        f"median {statistics.median(values):6.2f} ms   p99 {p99:6.2f} ms"
    )


def measure(url: str, stored_count: int, new_count: int) -> Cost:
    """Load ``stored_count`` articles, then store ``new_count`` more one by one with
    Store.upsert, every other one with its signature (placed in its story, as a crawl
    does) and the rest without, timing each."""
    every = list(make_articles(stored_count + new_count))
    rng = random.Random(11)
    rng.shuffle(every)
    stored, new = every[:stored_count], every[stored_count:]
    store = Store(url)
    try:
        started = time.perf_counter()
        load(store, stored)
        print(f"  loaded {stored_count:,} articles in {time.perf_counter() - started:.0f} s")
        signature_ms, lookup_ms, with_ms, without_ms, joined = [], [], [], [], 0
        for number, made in enumerate(new):
            item = Article(
                url=f"https://bench.example/new/{number}",
                source_id="bench",
                title=made.title,
                excerpt="",
                body_html=f"<p>{made.text}</p>",
                published=made.published,
            )
            now = made.published + timedelta(minutes=1)
            began = time.perf_counter()
            if number % 2:
                store.upsert(item, now)
                without_ms.append((time.perf_counter() - began) * 1000)
                continue
            signature: Signature = signature_of(made.title, made.text, made.published)
            signed = time.perf_counter()
            store.find_story(signature)
            looked = time.perf_counter()
            placed = store.upsert(item, now, signature)
            with_ms.append((time.perf_counter() - looked) * 1000)
            signature_ms.append((signed - began) * 1000)
            lookup_ms.append((looked - signed) * 1000)
            joined += placed.story != placed.id
        return Cost(stored_count, signature_ms, lookup_ms, with_ms, without_ms, joined)
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.postgres or f"sqlite:///{folder}/bench.db"
        print("\n".join(measure(url, args.stored, args.new).lines()))


if __name__ == "__main__":
    main()
