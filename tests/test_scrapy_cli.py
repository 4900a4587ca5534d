"""Scrapy by hand: `scrapy list` and `scrapy crawl feed -a source=<id>` outside `sokbo crawl`.

Inside the repository Scrapy finds `scrapy.cfg` by walking up from the working folder.
Anywhere else the settings module is named with SCRAPY_SETTINGS_MODULE=sokbo.crawl.settings, and
the sokbo config is ./sokbo.toml, SOKBO_CONFIG from the environment, or `-s SOKBO_CONFIG=`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sokbo.demo.server import SITE_ROOT, serve
from tests.support.cli import (
    REPO,
    SETTINGS,
    assert_crawl_ok,
    run_scrapy,
    run_sokbo,
    site_files,
    write_demo_config,
)

pytestmark = pytest.mark.e2e

CRAWL = ("crawl", "feed", "-a", "source=demo-tistory")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(SITE_ROOT, "127.0.0.1", 0) as url:
        yield url


@pytest.fixture(scope="module")
def reference(base: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What `sokbo crawl` writes for the same blog and config."""
    run = tmp_path_factory.mktemp("sokbo-crawl")
    result = run_sokbo("--config", str(write_demo_config(run, base)), "crawl", cwd=run)
    assert result.returncode == 0, result.stdout + result.stderr
    files = site_files(run)
    assert sum(name.endswith(".md") for name in files) == 20
    assert sum(name.endswith(".xml") for name in files) == 8
    assert sum(name.endswith("/feed.json") for name in files) == 4
    return files


def test_list_needs_the_settings_module_outside_the_repository(base: str, tmp_path: Path) -> None:
    folder = write_demo_config(tmp_path / "blog", base).parent
    assert REPO not in folder.parents

    without = run_scrapy("list", cwd=folder)
    assert without.returncode != 0
    assert "no active project" in without.stdout + without.stderr

    listed = run_scrapy("list", cwd=folder, env=SETTINGS)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["feed", "listing", "sitemap"]


def test_list_finds_scrapy_cfg_inside_the_repository() -> None:
    listed = run_scrapy("list", cwd=REPO / "examples" / "demo")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["feed", "listing", "sitemap"]


def test_crawl_from_the_config_folder(
    base: str, tmp_path: Path, reference: dict[str, bytes]
) -> None:
    folder = write_demo_config(tmp_path / "blog", base).parent
    result = run_scrapy(*CRAWL, cwd=folder, env=SETTINGS)
    assert_crawl_ok(result)
    assert site_files(folder) == reference


def test_crawl_with_the_config_setting_from_another_folder(
    base: str, tmp_path: Path, reference: dict[str, bytes]
) -> None:
    config = write_demo_config(tmp_path / "blog", base)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # `-s` wins over the environment variable.
    env = SETTINGS | {"SOKBO_CONFIG": str(tmp_path / "missing.toml")}
    result = run_scrapy(*CRAWL, "-s", f"SOKBO_CONFIG={config}", cwd=elsewhere, env=env)
    assert_crawl_ok(result)
    # Paths in the config are relative to its folder, not to the working folder.
    assert site_files(config.parent) == reference
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "config_from", "message"),
    [
        (
            ("crawl", "feed"),
            "cwd",
            "say which source to crawl: scrapy crawl feed -a source=<id> "
            "(feed sources in sokbo.toml: demo-tistory)",
        ),
        (
            ("crawl", "feed", "-a", "source=nope"),
            "cwd",
            "no source 'nope' in the config (sources: demo-tistory)",
        ),
        (
            ("crawl", "feed"),
            "env",
            "say which source to crawl: scrapy crawl feed -a source=<id> "
            "(feed sources in {config}: demo-tistory)",
        ),
        (
            ("crawl", "feed", "-a", "source=demo-tistory"),
            "none",
            "sokbo.toml: not found (copy examples/demo/sokbo.toml to start)",
        ),
    ],
    ids=["no-source", "unknown-source", "no-source-config-from-env", "no-config"],
)
def test_a_mistake_gets_one_clear_line(
    base: str, tmp_path: Path, args: tuple[str, ...], config_from: str, message: str
) -> None:
    config = write_demo_config(tmp_path / "blog", base)
    env = dict(SETTINGS)
    cwd = config.parent
    if config_from != "cwd":
        cwd = tmp_path / "elsewhere"
        cwd.mkdir()
    if config_from == "env":
        env["SOKBO_CONFIG"] = str(config)
    result = run_scrapy(*args, cwd=cwd, env=env)
    assert result.returncode == 2, result.stderr[-3000:]
    expected = "scrapy crawl feed: error: " + message.format(config=config)
    assert expected in result.stderr.splitlines(), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not (config.parent / "sites").exists()
    assert not (config.parent / "data").exists()


def test_a_crawl_extracting_in_workers_writes_the_same(
    base: str, tmp_path: Path, reference: dict[str, bytes]
) -> None:
    """Every page through the extraction worker (none inline): byte for byte what
    `sokbo crawl` writes extracting in its own process (20 pages, under the inline limit)."""
    folder = write_demo_config(tmp_path / "blog", base).parent
    workers = ("-s", "SOKBO_EXTRACT_INLINE=0", "-s", "SOKBO_EXTRACT_WORKERS=1")
    result = run_scrapy(*CRAWL, *workers, cwd=folder, env=SETTINGS)
    assert_crawl_ok(result)
    assert "extracting in 1 worker process" in result.stderr
    assert site_files(folder) == reference
