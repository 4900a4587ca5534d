"""`sokbo serve` (sokbo.serve): every page over a real store, escaping, headers, tokens."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from sokbo.config import load_config
from sokbo.schedule import jobs
from sokbo.serve import views
from sokbo.serve.app import CSP, create_app
from sokbo.store import Store
from tests.support.cli import run_sokbo, write_demo_config
from tests.support.serve_fixture import HOSTILE_TITLE, fill, write_config

PAGES = ("/", "/source/alpha", "/source/beta", "/source/gamma", "/site/blog", "/?sort=-new")


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def client(config_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(load_config(config_path), config_path, jobs)) as opened:
        yield opened


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_served_hardened(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in response.text.replace("&lt;script", "")


def test_sources_table_shows_the_figures(client: TestClient) -> None:
    text = client.get("/").text
    alpha = text.split('data-source="alpha"')[1].split("</tr>")[0]
    assert '<td class="n new">2</td>' in alpha
    assert '<td class="n updated">1</td>' in alpha
    assert '<td class="n dropped">4</td>' in alpha
    assert '<td class="n day">6</td>' in alpha
    assert ">2h30m/5h</td>" in alpha  # posted 0-5 hours after publication
    assert "answered 500" in alpha
    gamma = text.split('data-source="gamma"')[1].split("</tr>")[0]
    assert "never" in gamma
    assert '<meta http-equiv="refresh" content="30">' in text
    assert "not running" in text


def test_sort_links_order_the_rows(client: TestClient) -> None:
    text = client.get("/?sort=-source").text
    assert text.index('data-source="gamma"') < text.index('data-source="alpha"')


def test_source_page_runs_articles_charts_escaped(client: TestClient) -> None:
    text = client.get("/source/alpha").text
    assert text.count("<svg") == 2
    assert "answered 500" in text
    assert "json-ld" not in text and "og:published" in text
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in text
    assert "<script>" not in text


def test_site_page_sandboxes_post_bodies(client: TestClient) -> None:
    text = client.get("/site/blog").text
    assert '<iframe class="post" sandbox srcdoc=' in text
    assert "allow-scripts" not in text
    # The stored body reaches the page only escaped, inside the sandboxed srcdoc.
    assert "<script>alert(1)" not in text and "onerror=alert(2)>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Content-Security-Policy" in text  # the srcdoc's own policy, escaped inside
    assert "rss.xml" in text and "valid" in text and "atom.xml" in text


def test_unknown_names_are_404(client: TestClient) -> None:
    assert client.get("/source/nope").status_code == 404
    assert client.get("/site/nope").status_code == 404


def test_only_reads(client: TestClient) -> None:
    assert client.post("/").status_code == 405
    assert client.head("/").status_code == 200


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"store": True, "scheduler": False, "alerts": []}


def test_without_a_store(tmp_path: Path) -> None:
    path = write_config(tmp_path, store=False)
    with TestClient(create_app(load_config(path), path, jobs)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["store"] is False
        assert "No runs yet" in client.get("/").text
        assert "does not exist" in client.get("/source/alpha").text
    assert not (tmp_path / "sokbo.db").exists()


def test_token_rules(config_path: Path) -> None:
    app = create_app(load_config(config_path), config_path, jobs, token="s3cret")
    with TestClient(app) as client:
        refused = client.get("/")
        assert refused.status_code == 401 and refused.headers["x-content-type-options"]
        assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/?token=wrong").status_code == 401
        assert client.get("/?token=s3cret").status_code == 200
        assert client.get("/source/alpha").status_code == 200  # the cookie now


def test_non_loopback_without_token_is_refused(config_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sokbo", "--config", str(config_path), "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "sokbo serve: refusing to bind 0.0.0.0 without a token (give --token or set "
        "SOKBO_SERVE_TOKEN)"
    ]


def _preview_client(config: Path) -> TestClient:
    return TestClient(create_app(load_config(config), config, jobs))


@pytest.mark.e2e
def test_preview_page_shows_what_a_crawl_writes_and_writes_nothing(
    tmp_path: Path, demo_base: str
) -> None:
    crawled = write_demo_config(tmp_path / "crawl", demo_base)
    assert run_sokbo("--config", str(crawled), "crawl", cwd=crawled.parent).returncode == 0
    config = write_demo_config(tmp_path / "preview", demo_base)
    with _preview_client(config) as client:
        text = client.get("/preview", params={"url": demo_base + "/2"}).text
    assert f"{demo_base}/2 with source" in text
    assert "<code>json-ld:BlogPosting.datePublished</code>" in text
    written = sorted((crawled.parent / "sites").glob("*/_posts/*.md"))
    shown = [path for path in written if escape(path.read_text("utf-8")) in text]
    assert len(shown) == 4  # the post of page 2 on each of the four demo sites
    assert text.count('<iframe class="post" sandbox srcdoc=') == 4
    assert sorted(path.name for path in config.parent.iterdir()) == ["sokbo.toml"]


@pytest.mark.e2e
def test_preview_page_says_why_in_a_line(tmp_path: Path, demo_site: Path, demo_base: str) -> None:
    (demo_site / "9.html").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(600))
    config = write_demo_config(tmp_path / "run", demo_base)
    cases = {
        demo_base + "/nope": "answered 404 Not Found",
        demo_base + "/9": "not a web page (JPEG image served as text/html)",
        "ftp://example.com/x": "not an http(s) URL",
    }
    with _preview_client(config) as client:
        for url, why in cases.items():
            text = client.get("/preview", params={"url": url}).text
            line = text.split('<p class="alert" id="preview-error">')[1].split("</p>")[0]
            assert line.startswith(f"{escape(url)}: {why}"), line
        unknown = client.get("/preview", params={"url": demo_base + "/1", "source": "nope"})
        assert "no source &#39;nope&#39; in the config" in unknown.text
        assert "<iframe" not in unknown.text
    assert sorted(path.name for path in config.parent.iterdir()) == ["sokbo.toml"]


def test_views_read_sqlite_and_postgresql_alike(db_url: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    fill(db_url, now)
    config = load_config(write_config(tmp_path, store=False))
    store = Store(db_url, create=False)
    try:
        alpha = views.source_page(store, "alpha", now)
        blog = views.site_page(store, config.site[0])
        seen = store.article_sightings("alpha", now - timedelta(days=14))
    finally:
        store.close()
    assert len(alpha.runs) == 14 and alpha.runs[0]["result"].endswith("answered 500")
    assert [row["title"] for row in alpha.articles[:2]] == [HOSTILE_TITLE, "Story 1"]
    assert len(alpha.articles) == 20  # the newest 20 of 45
    assert len(seen) == 6 + 13 * 3
    # A bar per hour with articles: the newest two (now, an hour ago) share the last one.
    assert alpha.per_hour.count("<rect") == 6 + 13 * 3 - 1
    assert [post["title"] for post in blog.posts][:2] == [HOSTILE_TITLE, "Story 1"]
    assert len(blog.posts) == 6


def test_a_store_that_fails_under_a_page_is_one_line_and_503(
    config_path: Path, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The store's disk goes bad while sokbo serve runs: each page says so in one line."""
    assert client.get("/").status_code == 200
    database = config_path.parent / "sokbo.db"
    database.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 4096)  # no longer a database
    for path in ("/", "/source/alpha", "/site/blog"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "the store cannot be read: " in response.text
        assert response.headers["content-security-policy"] == CSP
    assert client.get("/healthz").status_code == 503
    assert "serve: /source/alpha: the store cannot be read: " in caplog.text


def test_the_sources_page_shows_push_once_a_source_has_a_hub(
    config_path: Path, client: TestClient
) -> None:
    assert '<td class="push"' not in client.get("/").text  # no subscription: no column
    store = Store(f"sqlite:///{config_path.parent / 'sokbo.db'}")
    try:
        now = datetime.now(UTC)
        topic, hub = "https://alpha.example/rss", "https://hub.example/"
        sub = store.add_subscription("alpha", topic, hub, "t", "s", "active", now)
        store.update_subscription(sub.id, {"last_notified": now - timedelta(minutes=4)})
    finally:
        store.close()
    text = client.get("/").text
    assert "<th>push</th>" in text
    assert '<td class="push" title="how its WebSub hub delivers">live 4m</td>' in text
    assert text.count('<td class="push"') == 3  # a cell in every row, "-" for the others
