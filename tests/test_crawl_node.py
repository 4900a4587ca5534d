"""A crawl node: a Scrapy job that reads its config from the store by id (`-a
config_id=N`, sokbo.crawl.node), stores what it crawls and writes no file; the central
node then publishes the posts and feeds (`sokbo publish --pending`), the same bytes a
local `sokbo crawl` writes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sokbo.config import ConfigError, load_config
from sokbo.crawl.node import node_config
from sokbo.demo.server import SITE_ROOT, serve
from sokbo.exitcodes import EXIT_LOCKED
from sokbo.lock import source_lock
from sokbo.store import Store
from tests.support.cli import (
    SETTINGS,
    assert_crawl_ok,
    run_scrapy,
    run_sokbo,
    site_files,
    write_demo_config,
)
from tests.support.configs import write_config
from tests.support.feed_fixtures import make_article
from tests.support.scrapyd_node import job_log, scrapyd_node, wait_finished

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def node_job(config_id: int | str) -> tuple[str, ...]:
    """The command Scrapyd runs on a node for the demo source, as `scrapy` arguments."""
    return ("crawl", "feed", "-a", "source=demo-tistory", "-a", f"config_id={config_id}")


def save_config(path: Path) -> int:
    """What the central node does before it hands a job to a node."""
    store = Store.open(load_config(path).store)
    try:
        return store.save_config(path.read_text("utf-8"), str(path.parent), NOW)
    finally:
        store.close()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(SITE_ROOT, "127.0.0.1", 0) as url:
        yield url


@pytest.mark.e2e
def test_a_node_job_stores_and_the_central_node_publishes_the_same(
    base: str, tmp_path: Path
) -> None:
    local = write_demo_config(tmp_path / "local", base)
    result = run_sokbo("--config", str(local), "crawl", cwd=local.parent)
    assert result.returncode == 0, result.stderr
    expected = site_files(local.parent)

    central = write_demo_config(tmp_path / "central", base)
    config_id = save_config(central)
    node = tmp_path / "node"  # shares nothing with the central folder but the store
    node.mkdir()
    store_url = load_config(central).store.url
    env = {**SETTINGS, "SOKBO_STORE": store_url}
    crawled = run_scrapy(*node_job(config_id), cwd=node, env=env)
    assert_crawl_ok(crawled)
    assert not (central.parent / "sites").exists(), "a crawl node wrote the sites' files"
    assert [p.name for p in node.iterdir()] == ["sokbo-state"]
    store = Store(store_url)
    try:
        assert len(list(store.articles_for_sources(["demo-tistory"]))) == 5
    finally:
        store.close()

    published = run_sokbo("--config", str(central), "publish", "--pending", cwd=central.parent)
    assert published.returncode == 0, published.stderr
    assert "posts: 20 written, 0 unchanged" in published.stdout
    assert site_files(central.parent) == expected


@pytest.mark.e2e
def test_a_scrapyd_job_on_a_node_then_the_central_publish(base: str, tmp_path: Path) -> None:
    """A real Scrapyd runs the job (project `sokbo`, no egg: the node's scrapyd.conf names
    the settings module); the config reaches it as an id, the store's URL from the node's
    environment; the posts and feeds come out as a local crawl's."""
    local = write_demo_config(tmp_path / "local", base)
    assert run_sokbo("--config", str(local), "crawl", cwd=local.parent).returncode == 0
    central = write_demo_config(tmp_path / "central", base)
    config_id = save_config(central)
    store_url = load_config(central).store.url
    node_folder = tmp_path / "node"
    with scrapyd_node(node_folder, {"SOKBO_STORE": store_url}) as node:
        job_id = node.schedule("feed", {"source": "demo-tistory", "config_id": str(config_id)})
        wait_finished(node, job_id)
    log = job_log(node_folder, job_id)
    assert "'finish_reason': 'finished'" in log, log[-3000:]
    assert "log_count/ERROR" not in log, log[-3000:]
    assert not (central.parent / "sites").exists()

    published = run_sokbo("--config", str(central), "publish", "--pending", cwd=central.parent)
    assert published.returncode == 0, published.stderr
    assert site_files(central.parent) == site_files(local.parent)


def test_a_config_text_is_saved_once(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/sokbo.db")
    try:
        first = store.save_config("[store]\n", "/srv/a", NOW)
        assert store.save_config("[store]\n", "/srv/a", NOW) == first
        other = store.save_config("[store]\n", "/srv/b", NOW)  # its paths resolve elsewhere
        assert other != first
        saved = store.saved_config(other)
        assert saved is not None and (saved.text, saved.base) == ("[store]\n", "/srv/b")
        assert store.saved_config(other + 1) is None
    finally:
        store.close()


def test_a_node_reads_the_saved_config_with_its_own_store_and_state(
    base: str, tmp_path: Path
) -> None:
    central = write_demo_config(tmp_path / "central", base)
    config_id = save_config(central)
    node_url = f"sqlite:///{tmp_path}/central/data/sokbo.db"  # as the node reaches it
    config = node_config(str(config_id), node_url, str(tmp_path / "node-state"))
    expected = load_config(central)
    assert config.store.url == node_url
    assert config.crawl.state_dir == tmp_path / "node-state"
    assert config.source == expected.source and config.site == expected.site


@pytest.mark.parametrize(
    ("config_id", "url", "message"),
    [
        ("x", "sqlite:///{db}", "config_id must be a number, not 'x'"),
        ("1", "", "config 1 is read from the store: set SOKBO_STORE"),
        ("1", "mysql://db/sokbo", "SOKBO_STORE: "),
        ("1", "sqlite:///{missing}", "config 1: the store "),
        ("7", "sqlite:///{db}", "config 7 is not in the store (the central node saves it)"),
    ],
)
def test_a_node_that_cannot_have_its_config_says_why_in_a_line(
    base: str, tmp_path: Path, config_id: str, url: str, message: str
) -> None:
    central = write_demo_config(tmp_path / "central", base)
    save_config(central)
    db = load_config(central).store.url.removeprefix("sqlite:///")
    url = url.format(db=db, missing=tmp_path / "none.db")
    with pytest.raises(ConfigError) as caught:
        node_config(config_id, url, str(tmp_path / "state"))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.e2e
def test_a_node_job_without_its_store_is_refused_in_a_line(tmp_path: Path) -> None:
    crawled = run_scrapy(*node_job(1), cwd=tmp_path, env=SETTINGS)
    assert crawled.returncode == 2
    assert crawled.stderr.strip().splitlines()[-1] == (
        "scrapy crawl feed: error: config 1 is read from the store: set SOKBO_STORE (the "
        "environment, or -s SOKBO_STORE=...) to the store's URL as this node reaches it"
    )


@pytest.mark.e2e
@pytest.mark.postgres
def test_a_node_job_for_a_source_crawled_elsewhere_ends_at_once(
    base: str, tmp_path: Path, postgres_db: str
) -> None:
    """On PostgreSQL the source's lock is the database's, so two nodes never crawl one
    source at once: a job that finds it held ends with one line and status 3, and the
    next job, once it is free, crawls."""
    central = write_demo_config(tmp_path / "central", base)
    text = central.read_text("utf-8").replace(
        'url = "sqlite:///data/sokbo.db"', f'url = "{postgres_db}"'
    )
    central.write_text(text, "utf-8")
    config_id = save_config(central)
    job = node_job(config_id)
    env = {**SETTINGS, "SOKBO_STORE": postgres_db}
    elsewhere = source_lock(load_config(central), "demo-tistory")  # another node's crawl
    assert elsewhere.try_acquire()
    try:
        refused = run_scrapy(*job, cwd=tmp_path, env=env)
    finally:
        elsewhere.release()
    assert refused.returncode == EXIT_LOCKED
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith("source 'demo-tistory' is being crawled already (pid ")
    )
    crawled = run_scrapy(*job, cwd=tmp_path, env=env)
    assert_crawl_ok(crawled)
    store = Store(postgres_db)
    try:
        assert len(list(store.articles_for_sources(["demo-tistory"]))) == 5
    finally:
        store.close()


def _stored_queue(folder: Path, count: int) -> Path:
    """A config whose store holds `count` articles that no site shows yet, as crawl nodes
    leave them."""
    path = write_config(folder, {"wire": 'kind = "feed"\nstart_urls = ["http://127.0.0.1:9/"]'})
    store = Store.open(load_config(path).store)
    try:
        for number in range(count):
            store.upsert(make_article(number), NOW)
    finally:
        store.close()
    return path


@pytest.mark.e2e
def test_a_publisher_killed_mid_queue_finishes_it_without_a_post_twice(tmp_path: Path) -> None:
    """SIGKILL `sokbo publish --pending` while it works through 300 posts: the next one
    finishes the queue, removes what the killed write left, and the sites end exactly as
    one uninterrupted publish leaves them."""
    whole = _stored_queue(tmp_path / "whole", 300)
    assert (
        run_sokbo("--config", str(whole), "publish", "--pending", cwd=whole.parent).returncode == 0
    )
    cut = _stored_queue(tmp_path / "cut", 300)
    posts = cut.parent / "sites" / "out" / "_posts"
    command = [sys.executable, "-m", "sokbo", "--config", str(cut), "publish", "--pending"]
    publisher = subprocess.Popen(command, cwd=cut.parent, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(posts.glob("*.md"))) < 50:  # well into the queue
        assert time.monotonic() < deadline and publisher.poll() is None
        time.sleep(0.01)
    publisher.kill()
    publisher.wait()
    assert len(list(posts.glob("*.md"))) < 300, "the publisher finished before the kill"
    again = run_sokbo("--config", str(cut), "publish", "--pending", cwd=cut.parent)
    assert again.returncode == 0, again.stderr
    written = int(again.stdout.split("posts: ")[1].split(" written")[0])
    assert 0 < written < 300  # only what the killed one had not done (or cut short)
    assert not list((cut.parent / "sites").rglob("*.tmp"))
    assert site_files(cut.parent) == site_files(whole.parent)


@pytest.mark.e2e
def test_a_publisher_that_cannot_write_a_site_says_so_and_the_next_run_heals(
    tmp_path: Path,
) -> None:
    """The posts folder is not a folder (a full or read-only disk fails the same way): one
    line, exit 1, the posts stay waiting in the store; once the folder is fixed, the next
    publish writes every one of them."""
    path = _stored_queue(tmp_path / "central", 10)
    posts = path.parent / "sites" / "out" / "_posts"
    posts.parent.mkdir(parents=True)
    posts.write_text("not a folder", "utf-8")
    refused = run_sokbo("--config", str(path), "publish", "--pending", cwd=path.parent)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"site 'out': cannot write posts: {posts} is not a folder"
    ]
    posts.unlink()
    healed = run_sokbo("--config", str(path), "publish", "--pending", cwd=path.parent)
    assert healed.returncode == 0, healed.stderr
    assert "posts: 10 written, 0 unchanged" in healed.stdout
    assert len(list(posts.glob("*.md"))) == 10
