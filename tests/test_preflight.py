"""The environment a config needs: drivers, folders and permissions, named before anything runs."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from sokbo.config import ConfigError, load_config
from sokbo.ops.preflight import driver_problem, problems
from tests.support.cli import run_sokbo
from tests.support.configs import VALID, write_text_config

STORE_COMMANDS = ["crawl", "schedule", "feeds", "publish", "status", "demo"]


def tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """`sokbo check` on `text`, which must create nothing and exit 2."""
    write_text_config(tmp_path, text)
    before = tree(tmp_path)
    result = run_sokbo("check", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert tree(tmp_path) == before
    return result


@pytest.mark.e2e
def test_a_good_config_passes_and_nothing_is_created(tmp_path: Path) -> None:
    path = write_text_config(tmp_path, VALID)
    assert problems(load_config(path), path) == []
    result = run_sokbo("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sokbo.toml: valid\n")
    assert result.stderr == ""
    assert tree(tmp_path) == ["sokbo.toml"]


@pytest.mark.e2e
def test_folders_under_a_file_or_that_are_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "posts").write_text("a file where the posts go")
    text = (
        VALID.replace("sqlite:///data/sokbo.db", "sqlite:///plain/sokbo.db")
        .replace("sites/newsdao/_posts", "sites/posts")
        .replace("sites/newsdao/feeds", "plain/feeds/x")
        .replace("[[source]]", '[crawl]\nstate_dir = "plain/state"\n\n[[source]]')
    )
    result = check(tmp_path, text)
    assert result.stderr.splitlines() == [
        f"sokbo.toml: store: url: cannot create {tmp_path}/plain/sokbo.db: "
        f"{tmp_path}/plain is not a folder",
        f"sokbo.toml: crawl: state_dir: cannot create {tmp_path}/plain/state: "
        f"{tmp_path}/plain is not a folder",
        f"sokbo.toml: site 'newsdao': posts_dir: {tmp_path}/sites/posts is not a folder",
        f"sokbo.toml: site 'newsdao': feeds_dir: cannot create {tmp_path}/plain/feeds/x: "
        f"{tmp_path}/plain is not a folder",
    ]


@pytest.mark.e2e
def test_a_store_path_that_is_a_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "data" / "sokbo.db").mkdir(parents=True)
    result = check(tmp_path, VALID)
    assert result.stderr == f"sokbo.toml: store: url: {tmp_path}/data/sokbo.db is a folder\n"


def _can(prefix: Sequence[str]) -> bool:
    try:
        return subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False


def without_permission_override() -> list[str]:
    """A command prefix under which permission bits stop this process's children: none for
    an ordinary user; for root, setpriv dropping CAP_DAC_OVERRIDE (skip when it cannot)."""
    if os.geteuid() != 0:
        return []
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    if shutil.which("setpriv") is None or not _can(prefix):
        pytest.skip("running as root, which permission bits do not stop, and setpriv cannot drop")
    return prefix


def run_prefixed(prefix: Sequence[str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "sokbo", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.e2e
def test_a_folder_without_write_permission_is_named(tmp_path: Path) -> None:
    prefix = without_permission_override()
    locked = tmp_path / "locked"
    locked.mkdir()
    write_text_config(tmp_path, VALID.replace("sites/newsdao/_posts", "locked/_posts"))
    locked.chmod(0o555)
    try:
        result = run_prefixed(prefix, "check", cwd=tmp_path)
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        f"sokbo.toml: site 'newsdao': posts_dir: cannot write in {locked} (permission denied)\n"
    )
    assert tree(locked) == []


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["check", "status"])
def test_an_unreadable_config_exits_2(tmp_path: Path, command: str) -> None:
    prefix = without_permission_override()
    write_text_config(tmp_path, VALID).chmod(0o200)
    result = run_prefixed(prefix, command, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == "sokbo.toml: cannot read (permission denied)\n"
    assert tree(tmp_path) == ["sokbo.toml"]


@pytest.mark.e2e
def test_a_read_only_file_system_is_named(tmp_path: Path) -> None:
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    write_text_config(
        tmp_path,
        VALID.replace("sqlite:///data/sokbo.db", "sqlite:///frozen/sokbo.db").replace(
            "sites/newsdao/feeds", "frozen/feeds"
        ),
    )
    # A private mount namespace (root's own, or a user namespace's) with a read-only bind
    # of one folder: the only read-only file system a test can make for itself.
    folder = shlex.quote(str(frozen))
    script = f'mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && exec "$@"'
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]
    read_only = [*unshare, "sh", "-c", script, "sh"]
    if shutil.which("unshare") is None or not _can(read_only):
        pytest.skip("no private mount namespace here (unshare -m) for a read-only bind")
    result = run_prefixed(read_only, "check", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"sokbo.toml: store: url: cannot write in {frozen} (read-only file system)",
        f"sokbo.toml: site 'newsdao': feeds_dir: cannot write in {frozen} (read-only file system)",
    ]


PSYCOPG2 = VALID.replace("sqlite:///data/sokbo.db", "postgresql+psycopg2://sokbo@db.example/sokbo")
NO_PSYCOPG2 = (
    "sokbo.toml: store: url: no database driver for 'postgresql' is installed "
    "(pip install psycopg2-binary)"
)


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["check", *STORE_COMMANDS])
def test_a_store_driver_not_installed_exits_2_for_every_command(
    tmp_path: Path, command: str
) -> None:
    if driver_problem("postgresql+psycopg2://") is None:
        pytest.skip("psycopg2 is installed here")
    write_text_config(tmp_path, PSYCOPG2)
    result = run_sokbo(command, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == NO_PSYCOPG2 + "\n"
    assert result.stdout == ""
    assert tree(tmp_path) == ["sokbo.toml"]


def test_a_store_on_a_database_the_store_does_not_run_on_is_refused(tmp_path: Path) -> None:
    """MySQL is a database SQLAlchemy knows, but the store's upserts are written for SQLite
    and PostgreSQL: refused when the config is read, not at the first write."""
    path = write_text_config(
        tmp_path, VALID.replace("sqlite:///data/sokbo.db", "mysql://sokbo@db.example/sokbo")
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).splitlines() == [
        f"{path}: store: url: sokbo's store runs on SQLite or PostgreSQL, not mysql (the "
        "scheduler's job store, [schedule] jobstore, may be any database SQLAlchemy knows)"
    ]


def test_a_missing_driver_names_what_to_install() -> None:
    for module, url, package in [
        ("psycopg2", "postgresql+psycopg2://sokbo@db.example/sokbo", "psycopg2-binary"),
        ("pymysql", "mysql+pymysql://sokbo@db.example/sokbo", "PyMySQL"),
    ]:
        try:
            __import__(module)
        except ImportError:
            backend = url.split("+")[0]
            assert driver_problem(url) == (
                f"no database driver for '{backend}' is installed (pip install {package})"
            )
    assert driver_problem("sqlite:///x.db") is None


@pytest.mark.e2e
def test_a_job_store_driver_not_installed_is_named_by_check(tmp_path: Path) -> None:
    text = VALID.replace(
        "[[source]]", '[schedule]\njobstore = "mysql://sokbo@db.example/jobs"\n\n[[source]]'
    )
    if driver_problem("mysql://") is None:
        pytest.skip("mysqlclient is installed here")
    result = check(tmp_path, text)
    assert result.stderr == (
        "sokbo.toml: schedule: jobstore: no database driver for 'mysql' is installed "
        "(pip install mysqlclient)\n"
    )


UNPUBLISHED = VALID.replace(
    "[[site]]",
    '[[source]]\nid = "spare"\nkind = "feed"\nstart_urls = ["http://127.0.0.1:9/rss"]\n\n[[site]]',
)
SPARE_WARNING = (
    "sokbo.toml: source 'spare': no site lists it in sources; its articles are stored but "
    "published nowhere"
)


@pytest.mark.e2e
def test_check_warns_of_a_source_no_site_publishes(tmp_path: Path) -> None:
    write_text_config(tmp_path, UNPUBLISHED)
    result = run_sokbo("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == SPARE_WARNING + "\n"
    assert "  spare: feed (generic) http://127.0.0.1:9/rss" in result.stdout
    assert tree(tmp_path) == ["sokbo.toml"]


@pytest.mark.e2e
def test_crawl_warns_of_the_unpublished_sources_it_crawls(tmp_path: Path) -> None:
    # Nothing listens on port 9: each crawl fails fast, after the warnings.
    write_text_config(
        tmp_path,
        UNPUBLISHED.replace("https://www.yna.co.kr/rss/news.xml", "http://127.0.0.1:9/yna"),
    )
    spare = run_sokbo("crawl", "spare", cwd=tmp_path)
    assert spare.stderr.startswith(SPARE_WARNING + "\n"), spare.stderr
    assert spare.returncode != 2, "a warning is not an error"
    published = run_sokbo("crawl", "yna", cwd=tmp_path)
    assert "no site lists it" not in published.stderr
