"""The commands under test, each in its own process (Scrapy's reactor cannot restart in
one), and the demo config pointed at a served copy of the demo blog."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "examples/demo/sokbo.toml"
DEMO_ADDRESS = "http://127.0.0.1:8941"
SCRAPY = Path(sys.executable).with_name("scrapy")
SETTINGS = {"SCRAPY_SETTINGS_MODULE": "sokbo.crawl.settings"}
# What a crawl node reads from its environment (sokbo.crawl.node).
NODE_VARIABLES = ("SOKBO_STORE", "SOKBO_STATE_DIR")


def write_demo_config(folder: Path, base: str) -> Path:
    """The demo config, pointed at `base`, in its own folder (posts, feeds, store beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sokbo.toml"
    path.write_text(DEMO_CONFIG.read_text(encoding="utf-8").replace(DEMO_ADDRESS, base), "utf-8")
    return path


def site_files(folder: Path) -> dict[str, bytes]:
    """Every post and feed file under a run's sites/, by relative path."""
    sites = folder / "sites"
    return {str(p.relative_to(sites)): p.read_bytes() for p in sorted(sites.rglob("*.*"))}


def run_sokbo(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m sokbo ARGS` in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "sokbo", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def run_scrapy(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The venv's `scrapy`, with none of the variables under test inherited from this process."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT", "SOKBO_CONFIG", *NODE_VARIABLES}
    }
    return subprocess.run(
        [str(SCRAPY), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean | (env or {}),
        timeout=300,
    )


def assert_crawl_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr[-3000:]
    # Scrapy dumps its stats at the end of the log (stderr).
    assert "'finish_reason': 'finished'" in result.stderr, result.stderr[-3000:]
    assert "log_count/ERROR" not in result.stderr, result.stderr[-3000:]
