"""Atomic file writes that skip unchanged files, the clean-up of writes a kill cut short,
and a plain reading of why a write failed."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

# `.<name>.<pid>.<random>.tmp`: the writer's pid tells a later run whether the file is
# still being written (its process is alive) or was left by a writer that died.
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp$")


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` unless it already holds exactly that; True when written.

    The bytes go to a temporary file in the same folder, are flushed to disk and renamed
    over the target, and the rename is flushed too, so that neither a reader nor a crash
    (nor a power cut after the store has recorded the write) ever sees half a file.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_folder(path.parent)
    return True


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files that writers killed mid-write left in `folder` and its
    subfolders; a file whose writer is still running is left alone. The paths removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            match = _TEMPORARY.match(name)
            if match is None or pid_alive(int(match.group(1))):
                continue
            path = Path(parent) / name
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
                logger.info("removed %s, left by a write that was cut short", path)
    return removed


def pid_alive(pid: int) -> bool:
    """Whether a process of this machine with this pid runs (another user's included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def describe_write_error(exc: OSError, folder: Path) -> str:
    """Why writing in `folder` failed, in a few words: `/x/_posts is not a folder`,
    `no space left on device (/x/_posts)`."""
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        blocker = _first_non_folder(Path(exc.filename) if exc.filename else folder)
        if blocker is not None:
            return f"{blocker} is not a folder"
    where = f" ({folder})"
    reasons = {
        errno.ENOSPC: "no space left on device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EIO: "input/output error",
        errno.ENAMETOOLONG: "file name too long",
    }
    reason = reasons.get(exc.errno or 0) or exc.strerror or str(exc)
    return reason + where


def _first_non_folder(path: Path) -> Path | None:
    """The first of `path` and its ancestors that exists and is not a folder."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None
