"""The store's per-run queries on a source with many posts, with the posts indexes and
without them (a store made before they existed), in the same run.

    .venv/bin/python bench/store_queries.py [--posts 3000]

A SQLite store gets `--posts` articles of one source, each posted on one site (every
tenth shown through the next article's post, as stories do). Then, on that store with
its indexes and then with ix_posts_shows and ix_posts_article dropped (as a store made
before them): `pending_posts` (before each crawl's first request) and `post_delays` (the
health check after each scheduled run), each the best of three.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sokbo.models import Article
from sokbo.store import Store

T0 = datetime(2026, 1, 5, tzinfo=UTC)
INDEXES = ("ix_posts_shows", "ix_posts_article")


def fill(path: Path, count: int) -> None:
    store = Store(f"sqlite:///{path}")
    try:
        stored = [
            store.upsert(
                Article(
                    url=f"https://wire.example/{n}",
                    source_id="wire",
                    title=f"속보 {n}",
                    excerpt=f"기사 {n}",
                    body_html=f"<p>기사 {n}</p>",
                    published=T0 + timedelta(minutes=n),
                ),
                T0 + timedelta(minutes=n, seconds=30),
            )
            for n in range(count)
        ]
        for n, article in enumerate(stored):
            shows = stored[n + 1].id if n % 10 == 0 and n + 1 < count else None
            when = T0 + timedelta(minutes=n, seconds=40)
            store.record_post("blog", article, f"_posts/{n}.md", (), True, when, shows=shows)
    finally:
        store.close()


def best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(path: Path, *, drop: bool = False) -> tuple[float, float]:
    """The two queries' times; `drop`: without the posts indexes (opening the store makes
    them, as it does for a store an older sokbo made: they are dropped again here)."""
    store = Store(f"sqlite:///{path}")
    try:
        if drop:
            with store.engine.begin() as conn:
                for name in INDEXES:
                    conn.exec_driver_sql(f"DROP INDEX {name}")
        pending = best(lambda: store.pending_posts("blog", "wire"))
        delays = best(lambda: store.post_delays("wire", T0))
    finally:
        store.close()
    return pending, delays


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        indexed = Path(folder) / "indexed.db"
        fill(indexed, args.posts)
        now_pending, now_delays = measure(indexed)
        old_pending, old_delays = measure(indexed, drop=True)
    print(f"{args.posts} posts of one source, SQLite, best of 3 (seconds)")
    print(f"{'query':<14} {'no indexes':>11} {'indexes':>9} {'x faster':>9}")
    for name, old, new in (
        ("pending_posts", old_pending, now_pending),
        ("post_delays", old_delays, now_delays),
    ):
        print(f"{name:<14} {old:>11.3f} {new:>9.3f} {old / new:>9.1f}")


if __name__ == "__main__":
    main()
