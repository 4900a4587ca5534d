"""Small real file systems for the fault tests: a tmpfs that fills up, one that is
read-only. Mounting needs root (as in CI); elsewhere the tests that need it are skipped
with the reason."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@contextmanager
def tmpfs(folder: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` (`"200k"`) mounted on `folder` for the length of the block."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0755" + (",ro" if read_only else "")
    try:
        _mount("-t", "tmpfs", "-o", options, "tmpfs", str(folder))
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {getattr(exc, 'stderr', exc)}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def remount(folder: Path, options: str) -> None:
    """Change a mounted tmpfs's options (`"size=4m"`, `"ro"`, `"rw"`)."""
    _mount("-o", f"remount,{options}", str(folder))
