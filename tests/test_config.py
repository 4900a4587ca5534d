"""Config validation: every kind of mistake gives its own message, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sokbo.config import ConfigError, load_config, parse_interval

VALID = """
[store]
url = "sqlite:///data/sokbo.db"

[[source]]
id = "yna"
kind = "feed"
start_urls = ["https://www.yna.co.kr/rss/news.xml"]
schedule = "*/10 * * * *"

[[site]]
id = "newsdao"
title = "newsdao"
base_url = "https://newsdao.kr"
posts_dir = "sites/newsdao/_posts"
feeds_dir = "sites/newsdao/feeds"
brand = "newsdao"
sources = ["yna"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sokbo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.site[0].posts_dir == tmp_path / "sites/newsdao/_posts"
    assert config.store.url == f"sqlite:///{tmp_path}/data/sokbo.db"
    assert config.source[0].domains == ["www.yna.co.kr"]
    assert config.sites_for("yna")[0].id == "newsdao"


@pytest.mark.parametrize("path", sorted(Path(__file__).parents[1].glob("examples/*/sokbo.toml")))
def test_every_example_config_is_valid(path: Path) -> None:
    config = load_config(path)
    assert config.source and config.site


def test_the_demo_config_is_valid() -> None:
    config = load_config(Path(__file__).parents[1] / "examples/demo/sokbo.toml")
    assert [site.id for site in config.site] == ["opensis", "onioninfo", "newsdao", "adskorea"]


MISTAKES = [
    (
        "bad cron",
        VALID.replace('"*/10 * * * *"', '"*/10 * * *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression",
    ),
    (
        "unknown key in a source",
        VALID.replace('kind = "feed"', 'kind = "feed"\nschedul = "5m"'),
        "sokbo.toml: source 'yna': schedul: unknown key",
    ),
    (
        "unknown top-level table",
        VALID + "\n[crawler]\ndelay = 1\n",
        "sokbo.toml: crawler: unknown key",
    ),
    (
        "missing field, entry named by index",
        VALID.replace('id = "newsdao"\n', ""),
        "sokbo.toml: site #1: id: required but missing",
    ),
    (
        "unknown kind",
        VALID.replace('kind = "feed"', 'kind = "rss"'),
        "sokbo.toml: source 'yna': kind: Input should be 'feed'",
    ),
    (
        "not an http URL",
        VALID.replace("https://www.yna.co.kr/rss/news.xml", "ftp://yna.co.kr/rss"),
        "sokbo.toml: source 'yna': start_urls.0: not an http(s) URL: 'ftp://yna.co.kr/rss'",
    ),
    (
        "unknown time zone",
        VALID.replace('schedule = "*/10 * * * *"', 'timezone = "Asia/Busan"'),
        "sokbo.toml: source 'yna': timezone: unknown time zone 'Asia/Busan'",
    ),
    (
        "site names an unknown source",
        VALID.replace('sources = ["yna"]', 'sources = ["yonhap"]'),
        "sokbo.toml: site 'newsdao': sources: no source with id 'yonhap'",
    ),
    (
        "duplicate ids",
        VALID + VALID[VALID.index("[[source]]") : VALID.index("[[site]]")],
        "sokbo.toml: source 'yna': id: used twice",
    ),
    (
        "bad template placeholder",
        VALID.replace('brand = "newsdao"', 'brand = "newsdao"\nalt = "{site} 속보"'),
        "sokbo.toml: site 'newsdao': alt: bad template (only {brand} is known)",
    ),
    (
        "bad CSS selector",
        VALID.replace(
            'schedule = "*/10 * * * *"', 'schedule = "*/10 * * * *"\nselectors.body = ["div["]'
        ),
        "sokbo.toml: source 'yna': selectors.body.0: bad CSS selector 'div['",
    ),
    (
        "unknown encoding",
        VALID.replace('schedule = "*/10 * * * *"', 'encoding = "euc-kp"'),
        "sokbo.toml: source 'yna': encoding: unknown encoding 'euc-kp'",
    ),
    (
        "bad duration",
        VALID.replace('schedule = "*/10 * * * *"', 'max_age = "two days"'),
        "sokbo.toml: source 'yna': max_age: not a duration: 'two days'",
    ),
    (
        "link rules on a feed source",
        VALID.replace('schedule = "*/10 * * * *"', 'links.allow = ["/news/"]'),
        "sokbo.toml: source 'yna': links: only for kind = 'listing'",
    ),
    (
        "bad regular expression",
        VALID.replace('kind = "feed"', "kind = \"listing\"\nlinks.article = ['/news/(\\d+']"),
        "sokbo.toml: source 'yna': links.article.0: bad regular expression '/news/(\\\\d+'",
    ),
    ("TOML syntax", VALID.replace("[store]", "[store"), "sokbo.toml: not valid TOML:"),
    ("no sources", VALID[: VALID.index("[[source]]")], "sokbo.toml: source: required but missing"),
]


@pytest.mark.parametrize(
    ("text", "message"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_mistake_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(message)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize("command", ["check", "crawl", "feeds"])
def test_cli_exits_2_and_writes_nothing(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, VALID.replace('"*/10 * * * *"', '"every 5 parsecs"'))
    result = subprocess.run(
        [sys.executable, "-m", "sokbo", "--config", str(path), command],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "source 'yna': schedule: not a cron expression" in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sokbo.toml"]


def test_cli_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    result = subprocess.run(
        [sys.executable, "-m", "sokbo", "crawl", "--config", str(path), "nosuch"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no source 'nosuch' in the config (sources: yna)" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sokbo.toml"]


def test_intervals() -> None:
    assert parse_interval("every 15m") is not None
    interval = parse_interval("1h30m")
    assert interval is not None and interval.total_seconds() == 5400
    assert parse_interval("*/5 * * * *") is None


def test_every_preset_the_config_accepts_exists() -> None:
    import typing

    from sokbo.config import SourceConfig
    from sokbo.extract.presets import PRESETS

    accepted = set(typing.get_args(SourceConfig.model_fields["preset"].annotation))
    assert accepted == set(PRESETS)
