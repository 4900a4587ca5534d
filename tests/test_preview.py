"""`sokbo preview URL`: one page fetched (robots.txt obeyed) and shown as the post each
site would get, byte for byte what a crawl writes, with nothing stored or written."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from sokbo.exitcodes import EXIT_FAILED, EXIT_OK
from tests.support.cli import run_sokbo, write_demo_config
from tests.support.configs import VALID, write_text_config
from tests.support.fixture_server import serve_fixture
from tests.support.sites import SITES

pytestmark = pytest.mark.e2e

DEMO_SITES = ("opensis", "onioninfo", "newsdao", "adskorea")
DEMO_PAGES = ("/1", "/2", "/3", "/4", "/5")


def files_under(folder: Path) -> dict[str, int]:
    """Every file under `folder` with its modification time: what a run left behind."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def preview(config: Path, *args: str) -> tuple[int, str, str]:
    result = run_sokbo("--config", str(config), "preview", *args, cwd=config.parent)
    return result.returncode, result.stdout, result.stderr


def test_preview_shows_what_a_crawl_writes_and_writes_nothing(
    tmp_path: Path, demo_base: str
) -> None:
    crawled = write_demo_config(tmp_path / "crawl", demo_base)
    assert run_sokbo("--config", str(crawled), "crawl", cwd=crawled.parent).returncode == EXIT_OK
    config = write_demo_config(tmp_path / "preview", demo_base)
    before = files_under(config.parent)
    seen = 0
    for page in DEMO_PAGES:
        status, stdout, stderr = preview(config, demo_base + page, "--json")
        assert status == EXIT_OK, stderr
        assert (
            stderr.strip()
            == f"sokbo preview: {demo_base}{page} with source 'demo-tistory' (tistory)"
        )
        shown = json.loads(stdout)
        assert shown["source"] == "demo-tistory"
        assert shown["final_url"] == demo_base + page
        assert [post["site"] for post in shown["posts"]] == list(DEMO_SITES)
        evidence = shown["article"]["evidence"]
        assert evidence["title"] and evidence["published"].startswith("json-ld:")
        assert shown["article"]["published"].endswith("+09:00")
        for post in shown["posts"]:
            written = crawled.parent / "sites" / post["site"] / "_posts" / post["file"]
            assert post["text"].encode("utf-8") == written.read_bytes(), post["file"]
            seen += 1
    assert seen == len(DEMO_PAGES) * len(DEMO_SITES)
    # No store, no state folder, no posts or feeds: the config is all there is.
    assert files_under(config.parent) == before == {"sokbo.toml": before["sokbo.toml"]}


def test_preview_as_text_for_one_site(tmp_path: Path, demo_base: str) -> None:
    config = write_demo_config(tmp_path / "preview", demo_base)
    status, stdout, stderr = preview(config, demo_base + "/1", "--site", "newsdao")
    assert status == EXIT_OK, stderr
    header, rest = stdout.split("\n", 1)
    assert header.startswith(f"== site newsdao: {config.parent / 'sites/newsdao/_posts'}/2024-")
    assert header.endswith(".md")
    assert "== site " not in rest  # only the site asked for
    post, evidence = rest.split("-- where each field came from:\n")
    assert post.startswith("---\ntitle: ")
    assert "  title: preset:" in evidence
    assert "  published: json-ld:BlogPosting.datePublished" in evidence
    assert sorted(p.name for p in config.parent.iterdir()) == ["sokbo.toml"]


def test_preview_without_a_source_uses_a_generic_one(tmp_path: Path, demo_base: str) -> None:
    folder = tmp_path / "preview"
    folder.mkdir()
    config = write_text_config(folder, VALID)  # its one source is on www.yna.co.kr
    status, stdout, stderr = preview(config, demo_base + "/2")
    assert status == EXIT_OK, stderr
    assert "with a generic source (generic)" in stderr
    assert stdout.startswith("== site newsdao: ")  # the generic source feeds every site
    assert sorted(p.name for p in folder.iterdir()) == ["sokbo.toml"]


@pytest.mark.parametrize(
    ("site", "path", "reason"),
    [
        ("unfetched-pages", "/members/exclusive.html", "not fetched: forbidden by robots.txt"),
        ("unfetched-pages", "/news/deleted.html", "answered 404 Not Found"),
        ("not-web-pages", "/news/photo.html", "not a web page (JPEG image served as text/html)"),
        ("wordpress-pages", "/about/", "not an article (an about page by its URL)"),
        (
            "unfetched-pages",
            "/news/moved.html",
            "redirected to https://elsewhere.example/news/moved.html, outside allowed_domains "
            "(127.0.0.1)",
        ),
    ],
)
def test_preview_refuses_in_one_line(tmp_path: Path, site: str, path: str, reason: str) -> None:
    config = write_text_config(tmp_path, VALID)
    with serve_fixture(SITES / site) as server:
        status, stdout, stderr = preview(config, server.url(path))
        requested = server.paths()
    assert status == EXIT_FAILED
    assert stdout == ""
    assert stderr.splitlines()[-1] == f"sokbo preview: {server.url(path)}: {reason}"
    assert len(stderr.splitlines()) == 2  # the source used, then why
    assert requested == ["/robots.txt"] + ([] if "robots" in reason else [path])  # once
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sokbo.toml"]


def test_preview_says_why_a_download_failed(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/news/1.html"
    config = write_text_config(tmp_path, VALID)
    status, stdout, stderr = preview(config, url)
    assert (status, stdout) == (EXIT_FAILED, "")
    assert stderr.splitlines() == [
        f"sokbo preview: {url} with a generic source (generic)",
        f"sokbo preview: {url}: not fetched: connection refused (3 tries)",
    ]


def test_preview_refuses_a_bad_url_and_an_unknown_site(tmp_path: Path) -> None:
    config = write_text_config(tmp_path, VALID)
    status, _, stderr = preview(config, "ftp://example.org/x")
    assert (status, stderr) == (2, "sokbo preview: not an http(s) URL: ftp://example.org/x\n")
    status, _, stderr = preview(config, "https://www.yna.co.kr/view/1", "--site", "nope")
    assert (status, stderr) == (2, "sokbo preview: no site 'nope' in the config\n")


def test_preview_follows_a_redirect_on_the_site(tmp_path: Path) -> None:
    config = write_text_config(tmp_path, VALID)
    with serve_fixture(SITES / "wordpress-listing") as server:
        status, stdout, stderr = preview(config, server.url("/old-url/"), "--json")
        requested = server.paths()
    assert status == EXIT_OK, stderr
    shown = json.loads(stdout)
    assert shown["url"] == server.url("/old-url/")
    assert shown["final_url"] == server.url("/2024/07/subway-fare-hike/")
    assert shown["source"] == "preview"
    assert requested == ["/robots.txt", "/old-url/", "/2024/07/subway-fare-hike/"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sokbo.toml"]
