"""How long `sokbo serve`'s sources page takes for 500 sources with 14 days of runs, against
its peer in the same run: `sokbo status --json`'s own work (the same overview from the same
store, as JSON text), so the ratio is what the page adds; and one source's page."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from sokbo import stats as stat_keys
from sokbo.config import load_config
from sokbo.ops.status import collect_status, to_json
from sokbo.schedule import jobs
from sokbo.serve.app import create_app
from sokbo.store import Store, articles, runs

SOURCES = 500
DAYS = 14
RUNS_PER_DAY = 24
ARTICLES_PER_DAY = 10
EVIDENCE = {"body": "generic", "image": "og:image", "published": "og:published"}


def fill(url: str, now: datetime) -> None:
    store = Store(url)
    run_rows, article_rows = [], []
    for number in range(SOURCES):
        source = f"s{number:03}"
        for hour in range(DAYS * RUNS_PER_DAY):
            started = now - timedelta(hours=hour)
            run_rows.append(
                {
                    "source_id": source,
                    "started": started,
                    "finished": started + timedelta(seconds=4),
                    "reason": "finished",
                    "stats": {stat_keys.stored("new"): 1},
                    "exit_status": 0,
                }
            )
        for index in range(DAYS * ARTICLES_PER_DAY):
            seen = now - timedelta(hours=index * 24 / ARTICLES_PER_DAY)
            article_rows.append(
                {
                    "url": f"https://{source}.example/{index}",
                    "source_id": source,
                    "slug": f"{source}-{index}",
                    "title": "t",
                    "excerpt": "e",
                    "body_html": "<p>b</p>",
                    "categories": [],
                    "evidence": EVIDENCE,
                    "published": seen,
                    "content_hash": "0" * 64,
                    "first_seen": seen,
                    "changed": seen,
                    "checked": seen,
                }
            )
    with store.engine.begin() as conn:
        conn.execute(runs.insert(), run_rows)
        conn.execute(articles.insert(), article_rows)
    store.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        sources = "".join(
            f'[[source]]\nid = "s{n:03}"\nkind = "feed"\nstart_urls = ["https://s{n:03}.example/"]\n'
            for n in range(SOURCES)
        )
        config = base / "sokbo.toml"
        config.write_text(
            f'[store]\nurl = "sqlite:///{base / "sokbo.db"}"\n[crawl]\nstate_dir = "{base}"\n'
            + sources,
            encoding="utf-8",
        )
        fill(f"sqlite:///{base / 'sokbo.db'}", datetime.now(UTC))
        loaded = load_config(config)
        client = TestClient(create_app(loaded, config, jobs))

        def page(path: str) -> int:
            response = client.get(path)
            assert response.status_code == 200
            return len(response.text)

        def status() -> int:
            store = Store(loaded.store.url, create=False)
            try:
                return len(to_json(collect_status(loaded, store, jobs, datetime.now(UTC))))
            finally:
                store.close()

        print(f"{SOURCES} sources x {DAYS} days of hourly runs, {ARTICLES_PER_DAY} articles a day")
        best_page, size = timed(lambda: page("/"))
        best_status, _ = timed(status)
        best_source, _ = timed(lambda: page("/source/s250"))
        print(f"  sources page          {best_page:6.2f} s  ({size} bytes)")
        print(f"  sokbo status --json   {best_status:6.2f} s  (the same overview, no page)")
        print(f"  ratio page / status   {best_page / best_status:6.2f}x")
        print(f"  one source's page     {best_source:6.2f} s")
    return 0


def timed(work: Callable[[], int], repeat: int = 3) -> tuple[float, int]:
    """The best of `repeat` runs of `work` in seconds, and what it returned."""
    timings, result = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - started)
    return min(timings), result


if __name__ == "__main__":
    sys.exit(main())
