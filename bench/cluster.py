"""Crawl nodes: the time to poll every source once, on 1, 2 and 4 Scrapyd nodes.

    python bench/cluster.py [--sources 24] [--articles 5] [--latency 0.15] [--slots 2]
                            [--nodes 1 2 4]

Needs the local PostgreSQL server (127.0.0.1:5432, user postgres), as the tests do; each
round gets a database of its own, dropped after. The nodes are readied first, as `sokbo
schedule` readies them at its start (sokbo.schedule.remote.ready_nodes).

`--sources` feed sources are served by one local server that answers every request
after `--latency` seconds (a distant site). Each source is crawled with sokbo's default
politeness (1 s between requests to a site, autothrottle on), so a crawl waits far more
than it computes, as real polls do. For each node count, that many Scrapyd instances run
on this machine (each with `--slots` jobs at once), and sokbo's own job function
(`run_source`, as `sokbo schedule` calls it) hands every source's run to them, as many at
once as there are slots in all. The time is from the first job handed out to the last
run recorded and published; the speed-up is against the first node count measured in
the same run. A crawl's own time is its spider's, from open to close, as its run
records. The publisher's lag is, per article, from the article being stored to its
post being written (the feeds are written with the posts of the same run).

The nodes share this machine's cores with each other and with the central node: with many
nodes, the crawl processes' start-up (about 1 s of CPU each) competes for the same two
cores, which a real cluster would not.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, select

from sokbo.config import load_config
from sokbo.schedule.crawls import Crawls
from sokbo.schedule.remote import ready_nodes
from sokbo.schedule.runner import run_source
from sokbo.scrapyd import Scrapyd, ScrapydError
from sokbo.store import articles, posts, runs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl import TEMPLATES, _free_port, article_page, site_table

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Sources:
    """`count` feeds of `articles` pages each, answered after `latency` seconds."""

    def __init__(self, count: int, articles: int, latency: float) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        templates = [(path.stem, path.read_text(encoding="utf-8")) for path in TEMPLATES]
        self.files: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nAllow: /\n"}
        for source in range(count):
            items = []
            for k in range(articles):
                number = source * articles + k
                page = article_page(templates[number % len(templates)], number, self.base)
                self.files[f"/entry/{number}.html"] = page.encode("utf-8")
                date = format_datetime(EPOCH + timedelta(minutes=number))
                link = f"{self.base}/entry/{number}.html"
                items.append(
                    f"<item><title>속보 {number}호: 도심 발표 소식</title><link>{link}</link>"
                    f"<guid>{link}</guid><pubDate>{date}</pubDate></item>"
                )
            self.files[f"/s{source}/rss"] = (
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>source {source}</title><link>{self.base}/s{source}/</link>"
                f"<description>bench</description>{''.join(items)}</channel></rss>"
            ).encode()
        # A process of its own: the sites are not in the central node's process.
        self.process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(self.port, self.files, latency), daemon=True
        )
        self.process.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the sources' server did not start") from None
                time.sleep(0.05)

    def close(self) -> None:
        self.process.terminate()
        self.process.join()


def _serve(port: int, files: dict[str, bytes], pause: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(pause)
            body = files.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            kind = "application/rss+xml" if self.path.endswith("/rss") else "text/html"
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


class Node:
    """A Scrapyd in a folder of its own, running sokbo as its `sokbo` project."""

    def __init__(self, folder: Path, slots: int, store: str) -> None:
        folder.mkdir(parents=True)
        port = _free_port()
        example = (ROOT / "examples" / "node" / "scrapy.cfg").read_text(encoding="utf-8")
        lines = []
        for line in example.splitlines():
            key = line.split("=", 1)[0].strip()
            own = {
                "bind_address": "127.0.0.1",
                "http_port": str(port),
                "max_proc": str(slots),
                "poll_interval": "0.2",
            }
            lines.append(f"{key} = {own[key]}" if key in own else line)
        (folder / "scrapy.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY", "SOKBO"))}
        env |= {"SOKBO_STORE": store, "SOKBO_STATE_DIR": str(folder / "state")}
        self.log = (folder / "scrapyd.log").open("wb")
        scrapyd = Path(sys.executable).with_name("scrapyd")
        self.process = subprocess.Popen(
            [str(scrapyd)], cwd=folder, env=env, stdout=self.log, stderr=self.log
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                Scrapyd(self.url).load()
                return
            except ScrapydError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"scrapyd did not start; see {folder}/scrapyd.log") from None
                time.sleep(0.1)

    def jobs_cpu(self) -> float:
        """CPU seconds of the jobs this Scrapyd has run: its children's (the runners, and
        the crawls when they run in them), and its zygote's (its own, the imports, and its
        children's, the crawls it forked)."""
        total = _cpu(self.process.pid, children_only=True)
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                words = cmdline.read_bytes().split(b"\0")
            except OSError:
                continue
            if b"sokbo.crawl.zygote" in words and str(self.process.pid).encode() in words:
                total += _cpu(int(cmdline.parent.name), children_only=False)
        return total

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()
        self.log.close()


def _cpu(pid: int, children_only: bool) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = fields[13:15] if children_only else fields[11:15]
    return sum(int(tick) for tick in ticks) / os.sysconf("SC_CLK_TCK")


def _database() -> str:
    name = f"sokbo_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL at 127.0.0.1:5432 is needed: {exc}") from None
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def _drop(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _config(folder: Path, store: str, base: str, count: int, nodes: list[str], slots: int) -> Path:
    listed = ", ".join(f'"{url}"' for url in nodes)
    sources = "".join(
        f'\n[[source]]\nid = "s{i}"\nkind = "feed"\nstart_urls = ["{base}/s{i}/rss"]\n'
        'preset = "tistory"\n'
        for i in range(count)
    )
    path = folder / "sokbo.toml"
    path.write_text(
        f"""[store]
url = "{store}"

[crawl]
state_dir = "{folder}/state"

[cluster]
scrapyd = [{listed}]
slots = {slots}
{sources}{site_table(folder, [f"s{i}" for i in range(count)])}""",
        encoding="utf-8",
    )
    return path


def poll_once(
    folder: Path, sources: Sources, count: int, nodes: int, slots: int
) -> dict[str, float]:
    """Every source's run handed to `nodes` nodes; wall seconds and the publisher's lag."""
    store = _database()
    running = [Node(folder / f"node-{n}", slots, store) for n in range(nodes)]
    try:
        path = _config(folder, store, sources.base, count, [n.url for n in running], slots)
        config = load_config(path)

        def run(source_id: str) -> None:
            while True:  # a moment with every slot taken: hand it out again
                result = run_source(config, path, source_id, Crawls())
                if result is not None and not result.skipped:
                    if result.exit_status != 0:
                        raise SystemExit(f"{source_id}: run failed: {result.errors}")
                    return
                time.sleep(0.2)

        ready_nodes(config.cluster)  # as `sokbo schedule` does at its start
        started, central = time.monotonic(), os.times()
        with ThreadPoolExecutor(nodes * slots) as pool:
            list(pool.map(run, [f"s{i}" for i in range(count)]))
        seconds = time.monotonic() - started
        central_cpu = sum(os.times()[:2]) - sum(central[:2])
        job_cpu = sum(node.jobs_cpu() for node in running) / count
        engine = create_engine(store)
        with engine.connect() as conn:
            query = select(articles.c.first_seen, posts.c.rendered).join(
                posts, posts.c.article_id == articles.c.id
            )
            lags = [(rendered - seen).total_seconds() for seen, rendered in conn.execute(query)]
            spans = select(runs.c.started, runs.c.finished)
            crawls = [(end - start).total_seconds() for start, end in conn.execute(spans)]
        engine.dispose()
        written = len(list((folder / "site" / "_posts").glob("*.md")))
        if written != len(sources.files) - 1 - count:
            raise SystemExit(f"{written} posts written, not every article's: not a valid run")
        return {
            "seconds": seconds,
            "crawl_mean": statistics.mean(crawls),
            "lag_median": statistics.median(lags),
            "lag_max": max(lags),
            "job_cpu": job_cpu,
            "central_cpu": central_cpu / count,
        }
    finally:
        for node in running:
            node.close()
        _drop(store)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=24)
    parser.add_argument("--articles", type=int, default=5, help="per source")
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per answer")
    parser.add_argument("--slots", type=int, default=2, help="jobs at once per node")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sokbo-bench-cluster-"))
    sources = Sources(args.sources, args.articles, args.latency)
    try:
        rows = []
        for nodes in args.nodes:
            measured = poll_once(work / f"n{nodes}", sources, args.sources, nodes, args.slots)
            rows.append((nodes, measured))
            print(f"  {nodes} node(s): {measured['seconds']:.1f} s", file=sys.stderr, flush=True)
    finally:
        sources.close()
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    first = rows[0][1]["seconds"]
    print(
        f"{args.sources} sources of {args.articles} articles, {args.latency * 1000:.0f} ms a "
        f"request, 1 s politeness delay, {args.slots} slots per node, all on this machine "
        f"({os.cpu_count()} cores)"
    )
    print(
        "| nodes | seconds to poll every source | speed-up | a crawl's own time, mean "
        "| publisher lag median / max | CPU per run: crawl job / central |"
    )
    print("|---|---|---|---|---|---|")
    for nodes, measured in rows:
        print(
            f"| {nodes} | {measured['seconds']:.1f} | {first / measured['seconds']:.2f}x "
            f"| {measured['crawl_mean']:.1f} s "
            f"| {measured['lag_median']:.2f} s / {measured['lag_max']:.2f} s "
            f"| {measured['job_cpu']:.2f} s / {measured['central_cpu']:.2f} s |"
        )


if __name__ == "__main__":
    main()
