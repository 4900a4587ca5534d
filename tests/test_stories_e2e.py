"""Three sources carrying one story, crawled by `sokbo crawl` over real HTTP: one post on a
site whose stories are `update`, three on a site whose stories are `all`."""

from __future__ import annotations

import json
from pathlib import Path

import frontmatter
import pytest

from tests.support.cli import run_sokbo
from tests.support.configs import write_config
from tests.support.fixture_server import serve_fixture

pytestmark = pytest.mark.e2e

LEDE = "서울 강남구 역삼동의 한 상가 건물에서 4일 오전 화재가 발생해 3명이 숨지고 12명이 다쳤다."
FULL = [
    LEDE,
    "소방당국은 오전 9시 12분께 신고를 받고 출동해 대응 2단계를 발령했다.",
    "불은 지하 1층 음식점 주방에서 시작된 것으로 추정된다.",
    "경찰과 소방당국은 정확한 화재 원인과 피해 규모를 조사하고 있다.",
    "건물 안에 있던 시민 40여 명은 스스로 대피하거나 구조됐다.",
]
# source -> [(slug, title, paragraphs, hours ago)]
SOURCES = {
    "wire": [
        ("fire", "[속보] 강남 상가 화재…3명 사망", [LEDE], 3),
        (
            "rates",
            "한은, 기준금리 연 3.25% 동결",
            [
                "한국은행 금융통화위원회가 기준금리를 연 3.25%로 동결했다.",
                "가계부채 증가세와 환율 변동성을 더 지켜볼 필요가 있다는 판단이다.",
            ],
            2,
        ),
    ],
    "blog": [("fire", "강남 상가 화재로 3명 사망", [LEDE, "출처: 연합뉴스"], 2)],
    "paper": [("fire", "강남 상가 화재 3명 사망·12명 부상", FULL, 1)],
}


def write_sources(root: Path) -> None:
    """Each source a feed and its article pages, under /<source>/."""
    for source, items in SOURCES.items():
        folder = root / source
        folder.mkdir(parents=True)
        entries = []
        for slug, title, paragraphs, hours in items:
            when = f"__NOW-{hours}h__"
            url = f"__BASE__/{source}/{slug}.html"
            body = "".join(f"<p>{line}</p>" for line in paragraphs)
            (folder / f"{slug}.html").write_text(
                f"""<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">
<title>{title}</title>
<meta property="og:type" content="article"><meta property="og:title" content="{title}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{when}">
<link rel="canonical" href="{url}"></head><body>
<article><h1>{title}</h1><time datetime="{when}">{when}</time>
<div class="entry-content">{body}</div></article></body></html>""",
                encoding="utf-8",
            )
            entries.append(
                f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
                f"<pubDate>__RFC822_NOW-{hours}h__</pubDate></item>"
            )
        (folder / "rss.xml").write_text(
            f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>{source}</title><link>__BASE__/{source}/</link><description>{source}</description>
{"".join(entries)}</channel></rss>""",
            encoding="utf-8",
        )


def crawl(folder: Path, base: str, stories: str) -> tuple[dict[str, frontmatter.Post], str]:
    sources = {
        name: f'kind = "feed"\nstart_urls = ["{base}/{name}/rss.xml"]\npreset = "generic"'
        for name in SOURCES
    }
    path = write_config(folder, sources)
    path.write_text(path.read_text() + f'stories = "{stories}"\n', encoding="utf-8")
    result = run_sokbo("--config", str(path), "crawl", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    posts = folder / "sites/out/_posts"
    return {p.name: frontmatter.load(p) for p in sorted(posts.iterdir())}, result.stdout


def test_one_story_from_three_sources_is_one_post(tmp_path: Path) -> None:
    write_sources(tmp_path / "www")
    with serve_fixture(tmp_path / "www") as server:
        every, _ = crawl(tmp_path / "all", server.base_url, "all")
        one, summary = crawl(tmp_path / "update", server.base_url, "update")

    assert len(every) == 4  # before: each version of the fire a post of its own
    assert len(one) == 2  # after: the fire once, at its fullest, and the rate decision
    titles = sorted(str(post["title"]) for post in one.values())
    assert titles == ["강남 상가 화재 3명 사망·12명 부상", "한은, 기준금리 연 3.25% 동결"]
    fire = next(post for post in one.values() if "화재" in str(post["title"]))
    assert "대응 2단계" in fire.content
    # Which version came first depends on the crawls' order; every version is accounted for.
    line = next(line for line in summary.splitlines() if line.startswith("  stories"))
    new, shown, covered = (int(word) for word in line.split() if word.isdigit())
    assert (new, shown + covered) == (2, 2), line

    feed = json.loads((tmp_path / "update/sites/out/feeds/feed.json").read_text())
    assert len(feed["items"]) == 2

    config = str(tmp_path / "update/sokbo.toml")
    status = run_sokbo("--config", config, "status", "--json", cwd=tmp_path / "update")
    assert status.returncode == 0, status.stderr
    rows = {row["source"]: row for row in json.loads(status.stdout)["sources"]}
    counted = [rows[name]["last_run"]["stories"] for name in SOURCES]
    assert sum(c["new"] for c in counted) == 2
    assert sum(c["versions"] + c["duplicates"] for c in counted) == 2
