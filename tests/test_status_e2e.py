"""`sokbo status` as a person and a machine run it, after real crawls of a fixture site
whose layout changes between two runs."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from sokbo.config import load_config
from sokbo.models import Article
from sokbo.schedule.jobs import job_id
from sokbo.store import Store
from tests.support import scheduling
from tests.support.cli import run_sokbo
from tests.support.configs import write_config, write_source_config
from tests.support.fixture_server import serve_fixture
from tests.support.sites import SITES

pytestmark = pytest.mark.e2e

# What the fixture site's intact pages give: the body and date from the page, no image.
INTACT = {"body": "generic", "published": "meta:article:published_time", "title": "og:title"}
SOURCE = 'kind = "feed"\nstart_urls = ["{base}/index.rdf"]'
ITEM = re.compile(r'<item rdf:about="__BASE__/archives/2024/07/(\d+)\.html">.*?</item>\n', re.S)


def relaunch_with_a_new_layout(site: Path) -> None:
    """Three new articles in the feed whose pages are an empty shell filled by script: the
    article's text is no longer in the HTML, only in the feed."""
    feed = site / "index.rdf"
    rdf = feed.read_text("utf-8")
    items, links = [], []
    for match in ITEM.finditer(rdf):
        old = match.group(1)
        new = f"{int(old) + 3:06d}"
        items.append(match.group(0).replace(old, new).replace("</title>", " (속보)</title>"))
        links.append(f'      <rdf:li rdf:resource="__BASE__/archives/2024/07/{new}.html" />\n')
        page = (site / f"archives/2024/07/{old}.html").read_text("utf-8").replace(old, new)
        page = re.sub(r"<main>.*</main>", '<main><div id="app"></div></main>', page, flags=re.S)
        page = page.replace('"og:title" content="', '"og:title" content="(속보) ')
        (site / f"archives/2024/07/{new}.html").write_text(page, "utf-8")
    rdf = rdf.replace("    <rdf:Seq>\n", "    <rdf:Seq>\n" + "".join(links), 1)
    rdf = rdf.replace("<item ", "".join(items) + "<item ", 1)
    feed.write_text(rdf, "utf-8")


def fill_a_steady_week(store: Store, now: datetime) -> None:
    """Seven daily runs of the source before today, five intact articles each."""
    for days in range(7, 0, -1):
        started = now - timedelta(days=days, hours=1)
        for number in range(5):
            article = Article(
                url=f"https://old.example/{days}/{number}",
                source_id="src",
                title=f"지난 기사 {days}-{number}",
                excerpt="요약",
                body_html="<p>본문</p>",
                published=started,
                evidence=tuple(sorted(INTACT.items())),
            )
            store.upsert(article, started + timedelta(seconds=10))
        stats = {"finish_reason": "finished", "sokbo/articles/new": 5}
        store.record_run("src", started, started + timedelta(seconds=30), "finished", stats)


def schedule_next_run(jobstore_url: str, source_id: str, when: datetime) -> None:
    """A job in the scheduler's persistent store, as a running scheduler leaves it."""
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=jobstore_url)})
    scheduler.start(paused=True)
    scheduler.add_job(print, "date", run_date=when, id=job_id(source_id))
    scheduler.shutdown(wait=False)


def test_status_flags_a_source_whose_layout_changed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "rdf-feed", site)
    run = tmp_path / "run"
    with serve_fixture(site) as server:
        path = write_source_config(run, server.base_url, SOURCE)
        # A second source that has never run. The relaunched layout serves the same
        # stories again: every version gets its post, so the table has no STORIES column.
        text = path.read_text("utf-8").replace(
            'brand = "out"\n', 'brand = "out"\nstories = "all"\n'
        )
        text += (
            '\n[[source]]\nid = "quiet"\nkind = "feed"\nstart_urls = ["http://127.0.0.1:9/rss"]\n'
        )
        path.write_text(text, "utf-8")
        config = load_config(path)
        store = Store(config.store.url)
        try:
            fill_a_steady_week(store, datetime.now(UTC))
        finally:
            store.close()

        first = run_sokbo("--config", str(path), "crawl", "src", cwd=run)
        assert first.returncode == 0, first.stdout + first.stderr
        relaunch_with_a_new_layout(site)
        second = run_sokbo("--config", str(path), "crawl", "src", cwd=run)
        assert second.returncode == 0, second.stdout + second.stderr
        assert (
            "articles         3 new" in first.stdout and "articles         3 new" in second.stdout
        )

    # A next run in the job store, as a scheduler leaves it when it stops: with no
    # scheduler running it says nothing, and is not shown.
    next_run = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1, seconds=30)
    schedule_next_run(config.jobstore_url, "src", next_run)

    table = run_sokbo("--config", str(path), "status", cwd=run)
    assert table.returncode == 0, table.stdout + table.stderr
    reason = "body found in 50% of the 6 articles of the last 24 h (usually 100%)"
    lines = table.stdout.splitlines()
    header, src, quiet = lines[:3]
    assert header.split() == [
        "SOURCE",
        "LAST",
        "RUN",
        "TOOK",
        "RESULT",
        "NEW",
        "UPD",
        "DROP",
        "24H",
        "BODY",
        "DATE",
        "IMAGE",
        "NEXT",
        "RUN",
        "SCHEDULE",
        "LATENCY",
    ]
    # The last run: its three articles new, nothing dropped; six new today, half with a body.
    parts = src.split()
    assert parts[:2] == ["!", "src"] and parts[3] in ("now", "ago"), src
    assert re.fullmatch(r"\d+\.\ds", parts[4]), src
    assert " ".join(parts[5:-1]) == "ok 3 0 0 6 50% 100% 0% - every 15m", src
    # Publication to post, median/p90 (the fixture's pages are dated days back).
    assert re.fullmatch(r"\w+/\w+", parts[-1]), src
    assert " ".join(quiet.split()) == "quiet never - - - - - 0 - - - - every 15m -", quiet
    assert lines[3:] == [
        "",
        "scheduler: not running: no source runs until `sokbo schedule` starts",
        "",
        "alerts:",
        f"  ! src: {reason}",
    ]
    assert f"WARNING sokbo.ops.health: source 'src': {reason}" in table.stderr.splitlines()

    machine = run_sokbo("--config", str(path), "status", "--json", cwd=run)
    assert machine.returncode == 0, machine.stdout + machine.stderr
    data = json.loads(machine.stdout)
    by_id = {row["source"]: row for row in data["sources"]}
    assert list(by_id) == ["src", "quiet"]
    src_row = by_id["src"]
    assert src_row["alerts"] == [reason]
    assert src_row["next_run"] is None and data["scheduler"]["running"] is False
    assert src_row["new_last_24h"] == 6
    assert src_row["health"] == {"articles": 6, "body": 0.5, "date": 1.0, "image": 0.0}
    last = src_row["last_run"]
    assert (last["result"], last["reason"], last["new"], last["updated"], last["dropped"]) == (
        "ok",
        "finished",
        3,
        0,
        0,
    )
    assert 0 < last["duration_seconds"] < 120
    assert last["started"].endswith("Z") and last["finished"].endswith("Z")
    assert by_id["quiet"]["last_run"] is None and by_id["quiet"]["alerts"] == []
    assert f"WARNING sokbo.ops.health: source 'src': {reason}" in machine.stderr.splitlines()


def test_the_scheduler_log_and_status_give_the_same_crawl_time(tmp_path: Path) -> None:
    """The log's `run ended in X s (crawl Y s, ...)`: X is the whole run, the process's
    start-up included; Y is the figure `sokbo status` shows as TOOK."""
    with serve_fixture(SITES / "rdf-feed") as site:
        source = f'kind = "feed"\nstart_urls = ["{site.base_url}/index.rdf"]\n'
        config = write_config(tmp_path, {"src": source + 'schedule = "every 1s"\njitter = "0s"'})
        with scheduling.Scheduled(config) as scheduler:
            scheduler.wait_for(r"src: run ended in ")
            assert scheduler.stop() == 0
            log = scheduler.log()
    ends = re.findall(r"src: run ended in ([\d.]+) s \(crawl ([\d.]+) s, exit 0\)", log)
    assert ends, log
    run, crawl = ends[-1]  # the last run: the one `sokbo status` shows
    assert float(run) > float(crawl) > 0

    table = run_sokbo("--config", str(config), "status", cwd=tmp_path)
    assert table.returncode == 0, table.stdout + table.stderr
    row = next(line.split() for line in table.stdout.splitlines() if line.split()[:1] == ["src"])
    assert row[3] == f"{crawl}s", table.stdout  # TOOK, below a minute
    machine = run_sokbo("--config", str(config), "status", "--json", cwd=tmp_path)
    (data,) = json.loads(machine.stdout)["sources"]
    assert f"{data['last_run']['duration_seconds']:.1f}" == crawl
