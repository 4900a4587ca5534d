"""The `sokbo` command's other verbs: feeds, check and the help texts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sokbo.demo.server import SITE_ROOT, serve
from tests.support.cli import run_sokbo, write_demo_config

pytestmark = pytest.mark.e2e

SITES = ("opensis", "onioninfo", "newsdao", "adskorea")  # in the config's order


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(SITE_ROOT, "127.0.0.1", 0) as url:
        yield url


@pytest.fixture(scope="module")
def crawled(base: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the demo config, crawled once: its store, posts and feeds."""
    run = tmp_path_factory.mktemp("cli")
    config = write_demo_config(run, base)
    result = run_sokbo("--config", str(config), "crawl", cwd=run)
    assert result.returncode == 0, result.stdout + result.stderr
    return run


def feed_lines(run: Path, wrote: set[tuple[str, str]]) -> list[str]:
    """`sokbo feeds` output: each site's rss.xml, atom.xml, feed.json, in the config's order."""
    lines = []
    for site in SITES:
        for name in ("rss.xml", "atom.xml", "feed.json"):
            file = (run / "sites" / site / "feeds" / name).resolve()
            lines.append(f"{'wrote' if (site, name) in wrote else 'unchanged'}  {file}")
    return lines


def test_feeds_rewrites_exactly_the_missing_file(crawled: Path) -> None:
    feeds = {path: path.read_bytes() for path in sorted(crawled.glob("sites/*/feeds/*.*"))}
    assert len(feeds) == 12
    missing = crawled / "sites" / "newsdao" / "feeds" / "atom.xml"
    missing.unlink()
    before = {path: path.stat().st_mtime_ns for path in feeds if path != missing}

    result = run_sokbo("--config", str(crawled / "sokbo.toml"), "feeds", cwd=crawled)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == feed_lines(crawled, {("newsdao", "atom.xml")})
    assert result.stderr == ""
    assert {path: path.read_bytes() for path in feeds} == feeds
    assert {path: path.stat().st_mtime_ns for path in before} == before

    # Run again from the config's folder (the default ./sokbo.toml): nothing to write.
    again = run_sokbo("feeds", cwd=crawled)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines() == feed_lines(crawled, set())


def test_check_prints_the_sources_and_sites(crawled: Path, base: str) -> None:
    result = run_sokbo("check", cwd=crawled)
    assert result.returncode == 0, result.stdout + result.stderr
    sites = crawled.resolve() / "sites"
    expected = [
        "sokbo.toml: valid",
        f"store: sqlite:///{crawled.resolve() / 'data' / 'sokbo.db'}",
        "sources:",
        f"  demo-tistory: feed (tistory) {base}/rss  schedule '*/10 * * * *'"
        f"  feeds {', '.join(SITES)}",
        "sites:",
        *(
            f"  {site}: https://{site}.kr  posts {sites / site / '_posts'}"
            f"  feeds {sites / site / 'feeds'}  (rss, atom, json, 50 entries)"
            for site in SITES
        ),
    ]
    assert result.stdout.splitlines() == expected

    named = run_sokbo("--config", str(crawled / "sokbo.toml"), "check", cwd=crawled.parent)
    assert named.returncode == 0, named.stdout + named.stderr
    assert named.stdout.splitlines() == [f"{crawled / 'sokbo.toml'}: valid", *expected[1:]]


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("crawl", "--help"),
        ("feeds", "--help"),
        ("check", "--help"),
        ("schedule", "--help"),
    ],
    ids=["sokbo", "crawl", "feeds", "check", "schedule"],
)
def test_help(args: tuple[str, ...], tmp_path: Path) -> None:
    # No config is needed to ask for help.
    result = run_sokbo(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: sokbo")
    assert "--config PATH" in result.stdout
    assert result.stderr == ""


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_sokbo("--help", cwd=tmp_path)
    for command in ("crawl", "schedule", "feeds", "check", "demo"):
        assert f"    {command} " in result.stdout, result.stdout
    crawl = run_sokbo("crawl", "--help", cwd=tmp_path)
    usage = " ".join(crawl.stdout.split("\n\n")[0].split())
    assert (
        usage
        == "usage: sokbo crawl [-h] [--config PATH] [-v] [--cache] [--wait [SECONDS]] [SOURCE ...]"
    )


def test_publish_rerenders_from_the_store_after_a_template_change(demo_config: Path) -> None:
    run = demo_config.parent
    assert run_sokbo("--config", str(demo_config), "crawl", cwd=run).returncode == 0
    posts = {p: p.read_bytes() for p in sorted(run.glob("sites/*/_posts/*.md"))}
    assert len(posts) == 20
    text = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(text.replace("유용한 생활 정보가", "더 유용한 생활 정보가"), "utf-8")
    gone = next(p for p in posts if "/newsdao/" in str(p))
    gone.unlink()

    result = run_sokbo("--config", str(demo_config), "publish", cwd=run)
    assert result.returncode == 0, result.stdout + result.stderr
    assert gone.read_bytes() == posts[gone], "the missing post was not recreated as it was"
    changed = [p for p in posts if p.read_bytes() != posts[p]]
    assert changed == [p for p in posts if "/opensis/" in str(p)]
    rewritten = [line for line in result.stdout.splitlines() if line.startswith("wrote  ")]
    assert len([line for line in rewritten if line.endswith(".md")]) == 6
    assert all(
        "/opensis/" in line or line.endswith(gone.name) for line in rewritten if ".md" in line
    )
    assert "posts: 6 written, 14 unchanged" in result.stdout
    opensis = [p for p in posts if "/opensis/" in str(p)]
    assert all("더 유용한 생활 정보가".encode() in p.read_bytes() for p in opensis)


def test_a_reader_that_goes_away_is_no_traceback(tmp_path: Path) -> None:
    """`sokbo check | head -1` with more output than a pipe holds."""
    sources = "".join(
        f'[[source]]\nid = "s{n}"\nkind = "feed"\nstart_urls = ["https://s{n}.example/rss"]\n'
        for n in range(3000)
    )
    names = ", ".join(f'"s{n}"' for n in range(3000))
    site = (
        '[[site]]\nid = "out"\ntitle = "out"\nbase_url = "https://out.example"\n'
        f'posts_dir = "p"\nfeeds_dir = "f"\nbrand = "out"\nsources = [{names}]\n'
    )
    config = tmp_path / "sokbo.toml"
    config.write_text(sources + site, encoding="utf-8")
    check = subprocess.Popen(
        [sys.executable, "-m", "sokbo", "--config", str(config), "check"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert check.stdout is not None and check.stderr is not None
    assert check.stdout.readline().endswith(": valid\n")
    check.stdout.close()
    errors = check.stderr.read()
    assert check.wait(timeout=60) == 1
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors[-2000:]
