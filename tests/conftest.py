"""Shared fixtures: the demo blog on a real 127.0.0.1 server, configs, the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sokbo.demo.server import SITE_ROOT, serve
from tests.support.cli import write_demo_config
from tests.support.pg import postgres_db  # noqa: F401  (a fixture any test may ask for by name)

# A store on SQLite and on PostgreSQL (`store`, or `db_url` to open stores yourself).
from tests.support.stores import db_url, store  # noqa: F401


@pytest.fixture
def demo_site(tmp_path: Path) -> Path:
    """A private copy of the demo blog's files, so a test may edit a page."""
    root = tmp_path / "demo-site"
    shutil.copytree(SITE_ROOT, root)
    return root


@pytest.fixture
def demo_base(demo_site: Path) -> Iterator[str]:
    """The demo blog served over real HTTP on a free 127.0.0.1 port."""
    with serve(demo_site, "127.0.0.1", 0) as base:
        yield base


@pytest.fixture
def demo_config(tmp_path: Path, demo_base: str) -> Path:
    return write_demo_config(tmp_path / "run", demo_base)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite expected outputs under tests/golden/ (never the stored inputs)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
