"""Re-running is safe: an unchanged blog writes nothing; one edited page re-renders its posts."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_sokbo


def snapshot(run: Path) -> dict[Path, tuple[int, bytes]]:
    files = sorted((run / "sites").rglob("*"))
    return {
        p.relative_to(run): (p.stat().st_mtime_ns, p.read_bytes()) for p in files if p.is_file()
    }


def test_second_crawl_writes_nothing_and_an_edit_rerenders_in_place(
    demo_config: Path, demo_site: Path
) -> None:
    run = demo_config.parent
    first = run_sokbo("--config", str(demo_config), "crawl", cwd=run)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "5 new, 0 updated, 0 unchanged" in first.stdout
    before = snapshot(run)
    assert len(before) == 4 * 5 + 4 * 2  # posts and feeds of four sites

    second = run_sokbo("--config", str(demo_config), "crawl", cwd=run)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 new, 0 updated, 5 unchanged" in second.stdout
    assert "posts            0 written, 20 unchanged" in second.stdout
    assert "feeds            0 written, 8 unchanged" in second.stdout
    assert "nothing new: every post is unchanged" in second.stdout
    assert snapshot(run) == before

    # Edit one sentence of one article (page 3, newsdao's reference post 002).
    page = demo_site / "3.html"
    old = "클릭해서 최신 정보를 확인하세요!"
    html = page.read_text(encoding="utf-8")
    assert old in html
    page.write_text(html.replace(old, "지금 바로 확인하세요!"), encoding="utf-8")

    third = run_sokbo("--config", str(demo_config), "crawl", cwd=run)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "0 new, 1 updated, 4 unchanged" in third.stdout
    after = snapshot(run)
    assert set(after) == set(before), "a file was added, renamed or removed"
    changed = sorted(str(p) for p in after if after[p] != before[p])
    posts = [p for p in changed if "/_posts/" in p]
    assert len(posts) == 4, changed
    assert all("러-외무-한미-핵자산-우려-만남-예정" in p for p in posts), posts
    assert all(after[Path(p)][1].count("지금 바로 확인하세요!".encode()) == 2 for p in posts)
    assert sum("/feeds/" in p for p in changed) == 8  # each site's RSS and Atom carry it
