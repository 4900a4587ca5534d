"""Config validation: every kind of mistake gives its own message, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sokbo.config import ConfigError, load_config, parse_interval
from tests.support.cli import run_sokbo
from tests.support.configs import VALID, write_text_config


def test_valid_config_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    config = load_config(write_text_config(tmp_path, VALID))
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
    (
        "cron minute out of range",
        VALID.replace('"*/10 * * * *"', '"61 * * * *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression "
        "(minute: 61 is out of range 0-59)",
    ),
    (
        "cron hour out of range",
        VALID.replace('"*/10 * * * *"', '"0 7-24 * * *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression (hour: 24 is out of range 0-23)",
    ),
    (
        "cron day of month out of range",
        VALID.replace('"*/10 * * * *"', '"0 7 0 * *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression "
        "(day of month: 0 is out of range 1-31)",
    ),
    (
        "cron month out of range",
        VALID.replace('"*/10 * * * *"', '"0 7 1 13 *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression "
        "(month: 13 is out of range 1-12)",
    ),
    (
        "cron month not a month",
        VALID.replace('"*/10 * * * *"', '"0 7 1 june *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression "
        "(month: 'june' is not a month (1-12 or jan-dec))",
    ),
    (
        "cron step of zero",
        VALID.replace('"*/10 * * * *"', '"*/0 * * * *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression "
        "(minute: step '*/0' must be at least 1)",
    ),
    (
        "cron range backwards",
        VALID.replace('"*/10 * * * *"', '"0 18-9 * * *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression "
        "(hour: range '18-9' runs backwards)",
    ),
    (
        "cron word that is not cron's",
        VALID.replace('"*/10 * * * *"', '"0 0 last * *"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression "
        "(day of month: 'last' is not a number (1-31))",
    ),
    (
        "cron day of week out of range",
        VALID.replace('"*/10 * * * *"', '"0 9 * * 8"'),
        "sokbo.toml: source 'yna': schedule: not a cron expression (day of week: 8 is not 0-7)",
    ),
    (
        "interval in words",
        VALID.replace('"*/10 * * * *"', '"every 15 minutes"'),
        "sokbo.toml: source 'yna': schedule: 'every 15 minutes' is not an interval: write the "
        "interval as 'every 15m' (units s, m, h, d)",
    ),
    (
        "interval in words without every",
        VALID.replace('"*/10 * * * *"', '"1 hour 30 minutes"'),
        "sokbo.toml: source 'yna': schedule: '1 hour 30 minutes' is not an interval: write the "
        "interval as 'every 1h30m' (units s, m, h, d)",
    ),
    (
        "interval in unknown units",
        VALID.replace('"*/10 * * * *"', '"every 2 weeks"'),
        "sokbo.toml: source 'yna': schedule: 'every 2 weeks' is not an interval: write the "
        "interval as e.g. 'every 15m' (units s, m, h, d)",
    ),
    (
        "unknown key close to a known one",
        VALID.replace("start_urls", "start_url"),
        "sokbo.toml: source 'yna': start_url: unknown key (did you mean 'start_urls'?)",
    ),
    (
        "unknown top-level key",
        VALID.replace("[[source]]", "[[sources]]"),
        "sokbo.toml: sources: unknown key (did you mean 'source'?)",
    ),
    (
        "unknown key in [crawl]",
        VALID.replace("[[source]]", "[crawl]\ndelya = 2\n\n[[source]]"),
        "sokbo.toml: crawl: delya: unknown key (did you mean 'delay'?)",
    ),
    (
        "unknown key in [schedule]",
        VALID.replace("[[source]]", "[schedule]\nmax_paralel = 2\n\n[[source]]"),
        "sokbo.toml: schedule: max_paralel: unknown key (did you mean 'max_parallel'?)",
    ),
    (
        "unknown key in [store]",
        VALID.replace("url =", "ulr ="),
        "sokbo.toml: store: ulr: unknown key (did you mean 'url'?)",
    ),
    (
        "unknown key in a site",
        VALID.replace("posts_dir", "post_dir"),
        "sokbo.toml: site 'newsdao': post_dir: unknown key (did you mean 'posts_dir'?)",
    ),
    (
        "unknown key in selectors",
        VALID.replace('kind = "feed"', 'kind = "feed"\nselectors.bdy = ["main"]'),
        "sokbo.toml: source 'yna': selectors.bdy: unknown key (did you mean 'body'?)",
    ),
    (
        "unknown key in links",
        VALID.replace('kind = "feed"', "kind = \"listing\"\nlinks.artcle = ['/news/']"),
        "sokbo.toml: source 'yna': links.artcle: unknown key (did you mean 'article'?)",
    ),
    (
        "unknown key in feeds",
        VALID.replace('brand = "newsdao"', 'brand = "newsdao"\nfeeds.limt = 10'),
        "sokbo.toml: site 'newsdao': feeds.limt: unknown key (did you mean 'limit'?)",
    ),
    (
        "store URL that is no URL",
        VALID.replace("sqlite:///data/sokbo.db", "data/sokbo.db"),
        "sokbo.toml: store: url: not a database URL (dialect+driver://user:password@host/"
        "database, e.g. 'sqlite:///data/sokbo.db' or 'postgresql+psycopg://sokbo@localhost/sokbo')",
    ),
    (
        "store URL with a bad port",
        VALID.replace("sqlite:///data/sokbo.db", "postgresql://sokbo@db:fivefour/sokbo"),
        "sokbo.toml: store: url: not a database URL",
    ),
    (
        "store URL of an unknown database",
        VALID.replace("sqlite:///data/sokbo.db", "postgres://sokbo@db.example/sokbo"),
        "sokbo.toml: store: url: unknown database 'postgres' (did you mean 'postgresql'?)",
    ),
    (
        "store URL of an unknown driver",
        VALID.replace("sqlite:///data/sokbo.db", "postgresql+psycopg4://sokbo@db.example/sokbo"),
        "sokbo.toml: store: url: postgresql has no driver 'psycopg4'",
    ),
    (
        "store URL of an asyncio driver",
        VALID.replace("sqlite:///data/sokbo.db", "postgresql+asyncpg://sokbo@db.example/sokbo"),
        "sokbo.toml: store: url: postgresql+asyncpg is an asyncio driver, which sokbo cannot "
        "use: name a blocking one or none (e.g. postgresql://...)",
    ),
    (
        "job store URL of an unknown database",
        VALID.replace("[[source]]", '[schedule]\njobstore = "sqlit:///jobs.db"\n\n[[source]]'),
        "sokbo.toml: schedule: jobstore: unknown database 'sqlit' (did you mean 'sqlite'?)",
    ),
    ("no sources", VALID[: VALID.index("[[source]]")], "sokbo.toml: source: required but missing"),
]


@pytest.mark.parametrize(
    ("text", "message"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_mistake_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_text_config(tmp_path, text))
    assert str(caught.value).replace(str(tmp_path) + "/", "").startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID.replace("start_urls", "start_url"),
            "source 'yna': start_url: unknown key (did you mean 'start_urls'?)",
        ),
        (
            VALID.replace("posts_dir", "post_dir"),
            "site 'newsdao': post_dir: unknown key (did you mean 'posts_dir'?)",
        ),
        (
            VALID.replace('brand = "newsdao"', 'brand = "newsdao"\nzzz = 1'),
            "site 'newsdao': zzz: unknown key",
        ),
    ],
    ids=["misspelt required key", "misspelt path key", "nothing close"],
)
def test_an_unknown_key_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    # A misspelt required key is one mistake: not also "start_urls: required but missing".
    with pytest.raises(ConfigError) as caught:
        load_config(write_text_config(tmp_path, text))
    assert str(caught.value) == f"{tmp_path / 'sokbo.toml'}: {message}"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["check", "crawl", "feeds"])
def test_cli_exits_2_and_writes_nothing(tmp_path: Path, command: str) -> None:
    path = write_text_config(tmp_path, VALID.replace('"*/10 * * * *"', '"every 5 parsecs"'))
    result = subprocess.run(
        [sys.executable, "-m", "sokbo", "--config", str(path), command],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "source 'yna': schedule: 'every 5 parsecs' is not an interval" in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sokbo.toml"]


EVERY_COMMAND = [
    "check",
    "crawl",
    "schedule",
    "feeds",
    "publish",
    "status",
    "demo",
    "serve",
    "preview http://127.0.0.1:9/",
]


@pytest.mark.e2e
@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_a_config_path_that_is_a_folder_exits_2(tmp_path: Path, command: str) -> None:
    (tmp_path / "sokbo.toml").mkdir()
    result = run_sokbo(*command.split(), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == "sokbo.toml: is a folder, not a config file\n"
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sokbo.toml"]


@pytest.mark.e2e
def test_a_config_path_under_a_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    result = run_sokbo("--config", "plain/sokbo.toml", "check", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("plain/sokbo.toml: not found")


@pytest.mark.e2e
def test_cli_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    path = write_text_config(tmp_path, VALID)
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


def test_a_step_over_month_names_is_kept() -> None:
    # APScheduler alone reads `jan-jun/2` as every month from January to June.
    from datetime import UTC, datetime

    from sokbo.cron import cron_trigger

    trigger = cron_trigger("0 0 1 jan-jun/2 *", "UTC")
    fires, previous, now = [], None, datetime(2024, 1, 2, tzinfo=UTC)
    for _ in range(4):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire.strftime("%Y-%m"))
        previous, now = fire, fire.replace(hour=1)
    assert fires == ["2024-03", "2024-05", "2025-01", "2025-03"]


def test_every_preset_the_config_accepts_exists() -> None:
    import typing

    from sokbo.config import SourceConfig
    from sokbo.extract.presets import PRESETS

    accepted = set(typing.get_args(SourceConfig.model_fields["preset"].annotation))
    assert accepted == set(PRESETS)
