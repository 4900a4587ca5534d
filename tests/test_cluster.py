"""The scheduler hands runs to crawl nodes ([cluster]): real Scrapyd instances on
127.0.0.1, PostgreSQL as the store, sokbo's own job function (run_source)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sokbo.config import load_config
from sokbo.demo.server import SITE_ROOT, serve
from sokbo.exitcodes import EXIT_LOCKED
from sokbo.lock import source_lock
from sokbo.schedule import remote
from sokbo.schedule.crawls import Crawls
from sokbo.schedule.remote import ready_nodes, reattach
from sokbo.schedule.runner import run_source
from sokbo.schedule.scheduler import Scheduler
from sokbo.store import Store
from tests.support.cli import run_sokbo, site_files, write_demo_config
from tests.support.configs import write_config
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import store_runs
from tests.support.scrapyd_node import (
    free_port,
    kill_node,
    node_pid,
    restart_node,
    scrapyd_node,
    wait_finished,
    zygote_of,
)
from tests.support.sites import SITES

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(SITE_ROOT, "127.0.0.1", 0) as url:
        yield url


@pytest.fixture
def runner_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="sokbo.schedule.runner")
    return caplog


@contextmanager
def two_feeds() -> Iterator[dict[str, str]]:
    """Two feed sources, "one" and "two", whose servers answer after 1 s."""
    with (
        serve_fixture(SITES / "jsonfeed", delay=1) as one,
        serve_fixture(SITES / "rdf-feed", delay=1) as two,
    ):
        yield {
            "one": f'kind = "feed"\nstart_urls = ["{one.base_url}/feed.json"]',
            "two": f'kind = "feed"\nstart_urls = ["{two.base_url}/index.rdf"]',
        }


def with_cluster(config: Path, store: str, nodes: list[str], extra: str = "") -> None:
    text = config.read_text("utf-8").replace('url = "sqlite:///data/sokbo.db"', f'url = "{store}"')
    if "[store]" not in text:
        text = f'[store]\nurl = "{store}"\n' + text
    listed = ", ".join(f'"{node}"' for node in nodes)
    config.write_text(f"{text}\n[cluster]\nscrapyd = [{listed}]\n{extra}", "utf-8")


def test_a_run_goes_to_a_node_and_the_scheduler_publishes_it(
    base: str, tmp_path: Path, postgres_db: str, runner_log: pytest.LogCaptureFixture
) -> None:
    """Two nodes, one of them full: the run goes to the one with a free slot; the node
    writes no file; the run's row names the node and job; the scheduler's process writes
    the posts and feeds, the same bytes as a local crawl's."""
    local = write_demo_config(tmp_path / "local", base)
    assert run_sokbo("--config", str(local), "crawl", cwd=local.parent).returncode == 0
    down = f"http://127.0.0.1:{free_port()}"  # a node that is not running
    with scrapyd_node(tmp_path / "node-1", {"SOKBO_STORE": postgres_db}) as node:
        central = write_demo_config(tmp_path / "central", base)
        with_cluster(central, postgres_db, [down, node.url])
        result = run_source(load_config(central), central, "demo-tistory", Crawls())
        status = run_sokbo("--config", str(central), "status", cwd=central.parent)
        assert node.jobs()[f"demo-tistory-{store_runs(postgres_db)[-1]['id']}"].state == "finished"
    assert result is not None and result.exit_status == 0, result
    assert result.counts["new"] == 5
    (row,) = store_runs(postgres_db)
    assert (row["reason"], row["node"], row["job"]) == (
        "finished",
        node.url,
        f"demo-tistory-{row['id']}",
    )
    assert not (tmp_path / "node-1" / "sites").exists()
    assert site_files(central.parent) == site_files(local.parent)
    assert f"crawl node down: scrapyd {down}: daemonstatus.json" in runner_log.text
    assert f"demo-tistory: run started on {node.url}" in runner_log.text
    header, line = status.stdout.splitlines()[:2]
    assert header.rstrip().endswith("NODE") and line.rstrip().endswith(urlsplit(node.url).netloc)
    assert f"node {node.url}: 0 running, 0 pending, 2 slots" in status.stdout
    assert f"node {down}: down: scrapyd {down}: daemonstatus.json: " in status.stdout


def test_a_run_on_a_node_past_its_timeout_is_stopped_and_recorded(
    tmp_path: Path, postgres_db: str, runner_log: pytest.LogCaptureFixture
) -> None:
    """The node's job outlives the source's timeout: the scheduler cancels it (SIGINT,
    Scrapy's clean stop), and the row says why."""
    with serve_fixture(SITES / "jsonfeed", delay=5) as server:
        source = f'kind = "feed"\nstart_urls = ["{server.base_url}/feed.json"]\ntimeout = "3s"'
        with scrapyd_node(tmp_path / "node", {"SOKBO_STORE": postgres_db}) as node:
            path = write_config(tmp_path, {"slow": source}, schedule='kill_grace = "2s"')
            with_cluster(path, postgres_db, [node.url])
            result = run_source(load_config(path), path, "slow", Crawls())
    assert result is not None and result.exit_status != 0
    (row,) = store_runs(postgres_db)
    assert row["errors"].startswith("timed out after 3s"), row
    assert "slow: timed out after 3s; stopping job slow-" in runner_log.text


def test_a_run_whose_source_is_crawled_elsewhere_is_skipped(
    base: str, tmp_path: Path, postgres_db: str
) -> None:
    central = write_demo_config(tmp_path / "central", base)
    with scrapyd_node(tmp_path / "node", {"SOKBO_STORE": postgres_db}) as node:
        with_cluster(central, postgres_db, [node.url])
        config = load_config(central)
        elsewhere = source_lock(config, "demo-tistory")
        assert elsewhere.try_acquire()
        try:
            result = run_source(config, central, "demo-tistory", Crawls())
        finally:
            elsewhere.release()
    assert result is not None and result.skipped and result.exit_status == EXIT_LOCKED
    assert store_runs(postgres_db) == []
    assert not (central.parent / "sites").exists()


def test_no_node_with_a_free_slot_starts_nothing(
    base: str, tmp_path: Path, postgres_db: str, runner_log: pytest.LogCaptureFixture
) -> None:
    central = write_demo_config(tmp_path / "central", base)
    with_cluster(central, postgres_db, [f"http://127.0.0.1:{free_port()}"])
    result = run_source(load_config(central), central, "demo-tistory", Crawls())
    assert result is not None and result.skipped
    assert store_runs(postgres_db) == []
    assert "demo-tistory: not started: no crawl node has a free slot" in runner_log.text


def test_a_restarted_scheduler_follows_the_job_to_its_end(
    tmp_path: Path, postgres_db: str, runner_log: pytest.LogCaptureFixture
) -> None:
    """The scheduler stops while its job runs on a node: the job goes on, and the next
    scheduler follows it to its end, records it and publishes its posts, without
    starting it again."""
    with serve_fixture(SITES / "jsonfeed", delay=3) as server:
        source = f'kind = "feed"\nstart_urls = ["{server.base_url}/feed.json"]'
        with scrapyd_node(tmp_path / "node", {"SOKBO_STORE": postgres_db}) as node:
            path = write_config(tmp_path, {"slow": source})
            with_cluster(path, postgres_db, [node.url])
            config = load_config(path)
            first = Crawls()
            results: list[object] = []
            thread = threading.Thread(
                target=lambda: results.append(run_source(config, path, "slow", first))
            )
            thread.start()
            deadline = time.monotonic() + 30
            while not any(row["job"] for row in store_runs(postgres_db)):
                assert time.monotonic() < deadline, "the run was never handed to the node"
                time.sleep(0.1)
            first.stop_taking()  # the scheduler stops
            thread.join(30)
            assert results == [None]
            (row,) = store_runs(postgres_db)
            assert row["reason"] == "running"
            assert node.jobs()[row["job"]].state in {"pending", "running"}

            second = Crawls()
            followers = reattach(config, second)
            assert len(followers) == 1
            followers[0].join(120)
            assert second.wait_idle(0)
            assert len(node.jobs()) == 1  # followed, not started again
    (row,) = store_runs(postgres_db)
    assert (row["reason"], row["exit_status"]) == ("finished", 0), row
    posts = sorted((tmp_path / "sites" / "out" / "_posts").glob("*.md"))
    assert posts and len(posts) == row["stats"]["sokbo/articles/new"]
    assert (tmp_path / "sites" / "out" / "feeds" / "rss.xml").is_file()
    assert f"slow: following job {row['job']} on {node.url}" in runner_log.text


def test_a_node_that_dies_mid_run_costs_nothing(
    tmp_path: Path,
    postgres_db: str,
    runner_log: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A node dies (Scrapyd and its job, SIGKILL) in the middle of a run: the run is
    recorded as lost, the source's next run goes to the other node and completes, and
    the sites end with exactly the posts and feeds a local crawl writes."""
    monkeypatch.setattr(remote, "NODE_LOST_SECONDS", 2.0)
    with serve_fixture(SITES / "jsonfeed", delay=2) as server:
        source = f'kind = "feed"\nstart_urls = ["{server.base_url}/feed.json"]'
        local = write_config(tmp_path / "local", {"src": source})
        assert run_sokbo("--config", str(local), "crawl", cwd=local.parent).returncode == 0
        env = {"SOKBO_STORE": postgres_db}
        with (
            scrapyd_node(tmp_path / "node-a", env) as node_a,
            scrapyd_node(tmp_path / "node-b", env) as node_b,
        ):
            path = write_config(tmp_path / "central", {"src": source})
            with_cluster(path, postgres_db, [node_a.url, node_b.url])
            config = load_config(path)
            results: list[object] = []
            first = threading.Thread(
                target=lambda: results.append(run_source(config, path, "src", Crawls()))
            )
            first.start()
            deadline = time.monotonic() + 30
            while not any(row["job"] for row in store_runs(postgres_db)):
                assert time.monotonic() < deadline, "the run was never handed to a node"
                time.sleep(0.1)
            time.sleep(5)  # the job has fetched the feed and is fetching articles
            kill_node(node_a)
            first.join(60)
            second = run_source(config, path, "src", Crawls())
    lost, done = store_runs(postgres_db)
    assert lost["node"] == node_a.url and lost["errors"].startswith("node lost: "), lost
    assert (done["node"], done["reason"], done["exit_status"]) == (node_b.url, "finished", 0)
    assert second is not None and second.exit_status == 0
    assert site_files(path.parent) == site_files(local.parent)


def test_runs_due_together_go_to_different_nodes(tmp_path: Path, postgres_db: str) -> None:
    """Two runs due at the same moment, one slot per node: each goes to a node with a free
    slot, none waits in a node's queue. (That runs handed out at the very same instant see
    each other's slots taken is shown by bench/cluster.py: 1.38x with 2 nodes before,
    1.67x after.)"""
    with two_feeds() as sources:
        env = {"SOKBO_STORE": postgres_db}
        with (
            scrapyd_node(tmp_path / "node-a", env, max_proc=1) as node_a,
            scrapyd_node(tmp_path / "node-b", env, max_proc=1) as node_b,
        ):
            path = write_config(tmp_path, sources)
            with_cluster(path, postgres_db, [node_a.url, node_b.url], "slots = 1\n")
            config = load_config(path)
            with ThreadPoolExecutor(2) as pool:
                results = list(
                    pool.map(lambda s: run_source(config, path, s, Crawls()), ["one", "two"])
                )
    assert all(r is not None and r.exit_status == 0 for r in results), results
    assert {row["node"] for row in store_runs(postgres_db)} == {node_a.url, node_b.url}


def test_a_run_handed_out_but_never_started_is_recorded_lost(
    tmp_path: Path, postgres_db: str, runner_log: pytest.LogCaptureFixture
) -> None:
    """The scheduler was killed after recording a run's node and job and before the node
    had the job (the row it leaves is made here): the next scheduler does not close the row
    as abandoned but follows the job, which the node does not know, records the run as
    lost, and the source's next run completes."""
    with serve_fixture(SITES / "jsonfeed") as server:
        source = f'kind = "feed"\nstart_urls = ["{server.base_url}/feed.json"]'
        local = write_config(tmp_path / "local", {"src": source})
        assert run_sokbo("--config", str(local), "crawl", cwd=local.parent).returncode == 0
        with scrapyd_node(tmp_path / "node", {"SOKBO_STORE": postgres_db}) as node:
            path = write_config(tmp_path / "central", {"src": source})
            with_cluster(path, postgres_db, [node.url])
            config = load_config(path)
            store = Store.open(config.store)
            try:
                run = store.open_run("src", datetime.now(UTC))
                store.assign_job(run, node.url, f"src-{run.id}")
            finally:
                store.close()
            Scheduler(config, path).store.close()  # its start closes abandoned rows
            (before,) = store_runs(postgres_db)
            assert before["reason"] == "running", "closed as abandoned, not followed"
            followers = reattach(config, Crawls())
            assert len(followers) == 1
            followers[0].join(60)
            second = run_source(config, path, "src", Crawls())
    lost, done = store_runs(postgres_db)
    assert lost["errors"].startswith("node lost: it does not know the job"), lost
    assert (done["reason"], done["exit_status"]) == ("finished", 0)
    assert second is not None and second.exit_status == 0
    assert site_files(path.parent) == site_files(local.parent)


def test_a_job_pending_when_scrapyd_restarts_runs_after_it(
    tmp_path: Path, postgres_db: str, runner_log: pytest.LogCaptureFixture
) -> None:
    """Scrapyd restarts with one job running and one waiting in its queue: the waiting job
    runs once Scrapyd is back and is recorded as usual; the running one, which the new
    Scrapyd does not know, goes on and completes its own row; nothing is fetched or
    written twice."""
    with two_feeds() as sources:
        local = write_config(tmp_path / "local", sources)
        assert run_sokbo("--config", str(local), "crawl", cwd=local.parent).returncode == 0
        env = {"SOKBO_STORE": postgres_db}
        with scrapyd_node(tmp_path / "node", env, max_proc=1) as node:
            path = write_config(tmp_path / "central", sources)
            # Two slots said, one run at once on the node: the second job waits in its queue.
            with_cluster(path, postgres_db, [node.url], "slots = 2\n")
            config = load_config(path)
            with ThreadPoolExecutor(2) as pool:
                first = pool.submit(run_source, config, path, "one", Crawls())
                deadline = time.monotonic() + 30
                while not any(job.state == "running" for job in node.jobs().values()):
                    assert time.monotonic() < deadline, "the first job never ran"
                    time.sleep(0.1)
                second = pool.submit(run_source, config, path, "two", Crawls())
                while not any(job.state == "pending" for job in node.jobs().values()):
                    assert time.monotonic() < deadline, "the second job never waited"
                    time.sleep(0.1)
                restart_node(node)
                results = {"one": first.result(120), "two": second.result(120)}
            rows = {row["source_id"]: row for row in store_runs(postgres_db)}
            assert (rows["two"]["reason"], rows["two"]["exit_status"]) == ("finished", 0)
            assert wait_finished(node, rows["two"]["job"]).state == "finished"
            # The first crawl outlived its Scrapyd: it ends on its own and completes its row.
            deadline = time.monotonic() + 60
            while store_runs(postgres_db)[0]["reason"] == "running":
                assert time.monotonic() < deadline, "the first crawl never completed its row"
                time.sleep(0.2)
            again = run_source(config, path, "one", Crawls())  # publishes what waits
    assert results["two"] is not None and results["two"].exit_status == 0
    assert again is not None and again.exit_status == 0
    assert site_files(path.parent) == site_files(local.parent)
    new = sum(row["stats"].get("sokbo/articles/new", 0) for row in store_runs(postgres_db))
    assert new == len(list((local.parent / "sites" / "out" / "_posts").glob("*.md")))


def test_a_scheduler_start_readies_every_node_at_once(
    tmp_path: Path, postgres_db: str, runner_log: pytest.LogCaptureFixture
) -> None:
    """At its start the scheduler asks each node for sokbo's spiders: a line per node, and
    a node that answers has its jobs' warm process running before its first job."""
    down = f"http://127.0.0.1:{free_port()}"
    env = {"SOKBO_STORE": postgres_db}
    with (
        scrapyd_node(tmp_path / "node-a", env) as node_a,
        scrapyd_node(tmp_path / "node-b", env) as node_b,
    ):
        path = write_config(tmp_path, {"src": 'kind = "feed"\nstart_urls = ["http://x.invalid/"]'})
        with_cluster(path, postgres_db, [node_a.url, down, node_b.url])
        assert zygote_of(node_pid(node_a)) is None
        ready_nodes(load_config(path).cluster)
        assert zygote_of(node_pid(node_a)) is not None
        assert zygote_of(node_pid(node_b)) is not None
    assert f"crawl node {node_a.url}: ready" in runner_log.text
    assert f"crawl node {node_b.url}: ready" in runner_log.text
    assert f"crawl node down: scrapyd {down}: listspiders.json: " in runner_log.text
