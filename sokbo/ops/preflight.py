"""What the environment lacks for a config: database drivers, folders that cannot be written.

Every check only looks (stat, access, import): nothing is created, so `sokbo check` can
run before anything else. Each problem is one line, `file: entry: field: reason`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

from sokbo.config import Config

# What to install for each SQLAlchemy driver, by the dialect's driver name.
_DRIVER_PACKAGES = {
    "psycopg": "'sokbo[postgres]'",
    "psycopg2": "psycopg2-binary",
    "pg8000": "pg8000",
    "mysqldb": "mysqlclient",
    "pymysql": "PyMySQL",
    "mysqlconnector": "mysql-connector-python",
    "mariadbconnector": "mariadb",
    "oracledb": "oracledb",
    "cx_oracle": "cx_Oracle",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
}


def problems(config: Config, path: str | Path) -> list[str]:
    """Everything the environment lacks for `config` (read from `path`), one line each:
    the store's and job store's drivers and SQLite files, and every folder sokbo writes
    in (a writable folder, or one that can be created)."""
    found = store_problems(config, path, jobstore=True)
    folders: list[tuple[str, Path]] = [("crawl: state_dir", config.crawl.state_dir)]
    if not config.log_file.parent.is_relative_to(config.crawl.state_dir):
        folders.append(("schedule: log_file", config.log_file.parent))
    for site in config.site:
        folders.append((f"site '{site.id}': posts_dir", site.posts_dir))
        folders.append((f"site '{site.id}': feeds_dir", site.feeds_dir))
        if site.images == "mirror" and site.images_dir is not None:
            folders.append((f"site '{site.id}': images_dir", site.images_dir))
    for where, folder in folders:
        problem = folder_problem(folder)
        if problem:
            found.append(f"{path}: {where}: {problem}")
    return found


def store_problems(config: Config, path: str | Path, jobstore: bool = False) -> list[str]:
    """What keeps the store (and with `jobstore`, the scheduler's job store) from being
    opened: a driver not installed, a SQLite file that cannot be made or written."""
    urls = [("store: url", config.store.url)]
    if jobstore and config.schedule.jobstore and config.schedule.jobstore != config.store.url:
        urls.append(("schedule: jobstore", config.schedule.jobstore))
    return [
        f"{path}: {where}: {problem}" for where, url in urls for problem in database_problems(url)
    ]


def database_problems(url: str) -> list[str]:
    """Why the database at `url` (a valid SQLAlchemy URL) cannot be opened, as far as can
    be told without connecting: its driver, and for SQLite its file and folder."""
    problem = driver_problem(url)
    if problem:
        return [problem]
    database = sqlite_file(url)
    if database is None:
        return []
    return [problem for problem in (file_problem(database),) if problem]


def driver_problem(url: str) -> str | None:
    """None when the DBAPI module of `url`'s driver imports, else why not and what to install."""

    parsed = make_url(url)
    dialect = parsed.get_dialect()
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        backend = parsed.get_backend_name()
        package = _DRIVER_PACKAGES.get(dialect.driver)
        install = f"pip install {package}" if package else f"no module named {exc.name!r}"
        if isinstance(exc, ModuleNotFoundError):
            return f"no database driver for {backend!r} is installed ({install})"
        return f"the database driver for {backend!r} cannot be loaded: {exc} ({install})"
    return None


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for any other database, in memory, or a `file:` URI."""

    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if parsed.query.get("uri") or database.startswith("file:"):
        return None  # SQLite reads the URI itself
    return Path(database)


def file_problem(file: Path) -> str | None:
    """None when `file` can be written, or created (with its folders); else why not."""
    try:
        mode = file.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return _creation_problem(file)
    except OSError as exc:
        return f"cannot reach {file} ({_reason(exc)})"
    if stat.S_ISDIR(mode):
        return f"{file} is a folder"
    # SQLite writes the file and, beside it, its journal.
    return _write_problem(file, f"cannot write {file}") or folder_problem(file.parent)


def folder_problem(folder: Path) -> str | None:
    """None when `folder` is a writable folder, or can be created as one (its nearest
    existing ancestor is a writable folder); else why not."""
    try:
        mode = folder.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return _creation_problem(folder)
    except OSError as exc:
        return f"cannot reach {folder} ({_reason(exc)})"
    if not stat.S_ISDIR(mode):
        return f"{folder} is not a folder"
    return _write_problem(folder, f"cannot write in {folder}")


def _creation_problem(path: Path) -> str | None:
    """Why `path`, which does not exist, cannot be created with its missing folders."""
    for existing in (path, *path.parents):
        try:
            mode = existing.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            if existing.is_symlink():
                link = f"{existing} is a broken symbolic link"
                return link if existing == path else f"cannot create {path}: {link}"
            continue
        except OSError as exc:
            return f"cannot reach {existing} ({_reason(exc)})"
        if existing == path:  # made meanwhile
            return None
        if not stat.S_ISDIR(mode):
            return f"cannot create {path}: {existing} is not a folder"
        return _write_problem(existing, f"cannot write in {existing}")
    return None  # not reached: the root exists


def _write_problem(path: Path, cannot: str) -> str | None:
    # Root writes whatever the permission bits say, but not on a read-only mount: ask
    # about the mount first, so that root gets the true reason too.
    try:
        read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        return f"{cannot} (read-only file system)"
    access = os.W_OK | os.X_OK if path.is_dir() else os.W_OK
    if not os.access(path, access):
        return f"{cannot} (permission denied)"
    return None


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
