"""A site whose folder is full, read-only or not a folder costs only that site, says so
in one line, and the next run after the fix publishes everything it missed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.support.bulk_site import article_paths, write_bulk_site
from tests.support.cli import run_sokbo
from tests.support.faults import (
    feed_titles,
    posts_by_source,
    posts_parse,
    temporary_files,
    write_fault_config,
)
from tests.support.fixture_server import serve_fixture
from tests.support.mounts import remount, tmpfs

pytestmark = pytest.mark.e2e


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*"))}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_a_full_disk_on_one_site_loses_nothing(tmp_path: Path) -> None:
    run = tmp_path / "run"
    root = write_bulk_site(tmp_path / "site", 30)
    with serve_fixture(root) as server, tmpfs(run / "sites/alpha/_posts", "160k") as full:
        config = write_fault_config(run, server.base_url)
        first = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert first.returncode == 0, first.stdout + first.stderr
        before = snapshot(full)
        assert len(before) == 30

        write_bulk_site(root, 120)  # 90 more articles: more than the tmpfs holds
        server.reload()
        second = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert second.returncode == 1, second.stdout + second.stderr
        lines = error_lines(second.stderr)
        assert lines == [
            f"ERROR: site 'alpha': cannot write posts: no space left on device ({full})"
        ], second.stderr
        assert "not written (the next run writes them)" in second.stdout, second.stdout
        assert "nothing new" not in second.stdout
        # What was there is untouched; the other site got everything; no temporary file.
        assert {name: data for name, data in snapshot(full).items() if name in before} == before
        assert 30 < len(snapshot(full)) < 120
        assert posts_by_source(run, "beta") == Counter(dict.fromkeys(article_paths(120), 1))
        assert temporary_files(run) == []

        # `sokbo publish` on the full disk: one line too, and the other site is written.
        publish = run_sokbo("--config", str(config), "publish", cwd=run)
        assert publish.returncode == 1, publish.stdout + publish.stderr
        assert error_lines(publish.stderr) == [
            f"site 'alpha': cannot write posts: no space left on device ({full})"
        ], publish.stderr
        assert temporary_files(run) == []

        remount(full, "size=4m")  # space is freed
        third = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert third.returncode == 0, third.stdout + third.stderr
        assert "caught up" in third.stdout, third.stdout
        for site in ("alpha", "beta"):  # checked before the tmpfs goes
            assert posts_by_source(run, site) == Counter(dict.fromkeys(article_paths(120), 1))
            assert posts_parse(run, site)
            assert all(len(titles) == 20 for titles in feed_titles(run, site).values())


def test_a_posts_dir_that_is_a_file_costs_only_its_site(tmp_path: Path) -> None:
    run = tmp_path / "run"
    root = write_bulk_site(tmp_path / "site", 12)
    with serve_fixture(root) as server:
        config = write_fault_config(run, server.base_url)
        blocker = run / "sites/alpha/_posts"
        blocker.parent.mkdir(parents=True)
        blocker.write_text("not a folder\n")

        broken = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert broken.returncode == 1
        assert error_lines(broken.stderr) == [
            f"ERROR: site 'alpha': cannot write posts: {blocker} is not a folder"
        ], broken.stderr
        assert "Page(" not in broken.stderr and "<!DOCTYPE" not in broken.stderr
        assert len(posts_by_source(run, "beta")) == 12

        blocker.unlink()  # the user fixes the folder
        fixed = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr

    assert posts_by_source(run, "alpha") == Counter(dict.fromkeys(article_paths(12), 1))


def test_a_read_only_feeds_folder_is_built_by_the_next_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    root = write_bulk_site(tmp_path / "site", 12)
    with serve_fixture(root) as server, tmpfs(run / "sites/beta/feeds", "1m") as feeds:
        config = write_fault_config(run, server.base_url)
        remount(feeds, "ro")
        broken = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert broken.returncode == 1
        assert error_lines(broken.stderr) == [
            f"ERROR: site 'beta': cannot write feeds: read-only file system ({feeds})"
        ], broken.stderr
        assert len(posts_by_source(run, "beta")) == 12  # the posts were written

        remount(feeds, "rw")
        fixed = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        titles = feed_titles(run, "beta")

    assert all(len(entries) == 12 for entries in titles.values()), titles
