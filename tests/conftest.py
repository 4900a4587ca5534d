"""Shared fixtures: the demo blog on a real 127.0.0.1 server, configs, the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sokbo.demo.server import SITE_ROOT, serve

REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / "examples/demo/sokbo.toml"
DEMO_ADDRESS = "http://127.0.0.1:8941"


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


def write_demo_config(folder: Path, base: str) -> Path:
    """The demo config, pointed at `base`, in its own folder (posts, feeds, store beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sokbo.toml"
    path.write_text(DEMO_CONFIG.read_text(encoding="utf-8").replace(DEMO_ADDRESS, base), "utf-8")
    return path


@pytest.fixture
def demo_config(tmp_path: Path, demo_base: str) -> Path:
    return write_demo_config(tmp_path / "run", demo_base)


def run_sokbo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (Scrapy's reactor cannot restart in one)."""
    return subprocess.run(
        [sys.executable, "-m", "sokbo", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite expected outputs under tests/golden/ (never the stored inputs)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
