"""Re-running is safe: an unchanged blog costs one conditional request and writes nothing;
an edited article (the feed carries its new text) re-renders exactly its posts, in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sokbo import stats as stat_keys
from sokbo.outcome import stat_count
from tests.support.cli import run_sokbo
from tests.support.scheduling import last_run_stats

pytestmark = pytest.mark.e2e


def snapshot(run: Path) -> dict[Path, tuple[int, bytes]]:
    files = sorted((run / "sites").rglob("*"))
    return {
        p.relative_to(run): (p.stat().st_mtime_ns, p.read_bytes()) for p in files if p.is_file()
    }


def pages_fetched(stats: dict[str, Any]) -> list[int]:
    """Article pages that arrived, by why they were asked for: new, changed, re-checked."""
    return [stat_count(stats, stat_keys.fetched(why)) for why in ("new", "changed", "recheck")]


def test_second_crawl_writes_nothing_and_an_edit_rerenders_in_place(
    demo_config: Path, demo_site: Path
) -> None:
    run = demo_config.parent
    first = run_sokbo("--config", str(demo_config), "crawl", cwd=run)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "5 new, 0 updated, 0 unchanged" in first.stdout
    before = snapshot(run)
    assert len(before) == 4 * 5 + 4 * 3  # posts and feeds (RSS, Atom, JSON) of four sites

    second = run_sokbo("--config", str(demo_config), "crawl", cwd=run)
    assert second.returncode == 0, second.stdout + second.stderr
    # The feed alone (robots.txt is kept from the first run), which answers 304: no page
    # is fetched again.
    stats = last_run_stats(run)
    assert stat_count(stats, "downloader/request_count") == 1, stats
    assert stat_count(stats, "downloader/response_status_count/304") == 1, stats
    assert pages_fetched(stats) == [0, 0, 0], stats
    assert stat_count(stats, stat_keys.POSTS_WRITTEN) == 0, stats
    assert stat_count(stats, stat_keys.POSTS_UNCHANGED) == 0, stats
    assert "nothing new: every post is unchanged" in second.stdout
    assert snapshot(run) == before

    # Edit one sentence of one article (page 3, newsdao's reference post 002) and, as
    # Tistory does, the full text its feed entry carries.
    old, new = "북한과의 대화와 협력의 필요성을", "북한과의 대화와 협력이 시급하다는 점을"
    for name in ("3.html", "rss.xml"):
        page = demo_site / name
        html = page.read_text(encoding="utf-8")
        assert html.count(old) == 1, name
        page.write_text(html.replace(old, new), encoding="utf-8")

    third = run_sokbo("--config", str(demo_config), "crawl", cwd=run)
    assert third.returncode == 0, third.stdout + third.stderr
    assert pages_fetched(last_run_stats(run)) == [0, 1, 0], third.stdout
    assert "unchanged since the last fetch" in third.stdout
    assert "0 new, 1 updated, 0 unchanged" in third.stdout
    after = snapshot(run)
    assert set(after) == set(before), "a file was added, renamed or removed"
    changed = sorted(str(p) for p in after if after[p] != before[p])
    posts = [p for p in changed if "/_posts/" in p]
    assert len(posts) == 4, changed
    assert all("러-외무-한미-핵자산-우려-만남-예정" in p for p in posts), posts
    assert all(after[Path(p)][1].count(new.encode()) == 1 for p in posts)
    assert sum("/feeds/" in p for p in changed) == 12  # each site's RSS, Atom and JSON carry it
