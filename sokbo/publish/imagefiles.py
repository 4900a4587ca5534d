"""The mirrored image files in a site's images_dir: each written once, named by the SHA-256
of its bytes, atomically; and `sokbo prune`'s removal of those no post shows any more.

Only files named as sokbo names them (`<64 hex digits>.jpg|png|webp|gif`) are ever
removed, so images_dir may be a folder the blog keeps its own images in too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sokbo.config import SiteConfig
from sokbo.files import write_if_changed
from sokbo.store import Store

__all__ = ["PRUNE_GRACE", "Pruned", "image_name", "prune_images", "write_image"]

_NAME = re.compile(r"^[0-9a-f]{64}\.(?:jpg|png|webp|gif)$")

# A file (or record) younger than this is left alone by prune: a crawl may have just
# written it and not recorded it yet, or recorded it for a post it is about to publish.
PRUNE_GRACE = timedelta(hours=1)


def image_name(data: bytes, extension: str) -> str:
    """`<sha256 of the bytes><extension>`: one file per content, whatever its URLs."""
    return hashlib.sha256(data).hexdigest() + extension


def write_image(folder: Path, name: str, data: bytes) -> bool:
    """Write the image into `folder` unless it is there already; True when written.

    A file already there is touched instead, so that prune, which leaves young files
    alone, cannot remove it while the crawl that found it again records it.
    """
    path = folder / name
    written = write_if_changed(path, data)
    if not written:
        os.utime(path)
    return written


@dataclass(frozen=True)
class Pruned:
    """What prune removed from one site (or would, on a dry run)."""

    files: list[Path]
    size: int  # bytes of those files
    forgotten: int  # image records dropped with them


def prune_images(store: Store, site: SiteConfig, now: datetime, dry_run: bool) -> Pruned:
    """Remove the mirrored files in the site's images_dir that none of its posts shows,
    and forget the records of the images no post shows; a site that hotlinks shows none.

    Files and records younger than PRUNE_GRACE stay (see there).
    """
    if site.images_dir is None:
        return Pruned([], 0, 0)
    shown = store.shown_image_urls(site.id) if site.images == "mirror" else set()
    kept = store.site_mirrored_images(site.id)
    keep = {image.file for url, image in kept.items() if url in shown}
    settled = now - PRUNE_GRACE
    stale = [
        path
        for path in _mirrored_files(site.images_dir)
        if path.name not in keep and path.stat().st_mtime < settled.timestamp()
    ]
    size = sum(path.stat().st_size for path in stale)
    forgotten = {url for url in store.image_urls(site.id, settled) if url not in shown}
    if not dry_run:
        store.forget_images(site.id, forgotten, settled)
        for path in stale:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return Pruned(stale, size, len(forgotten))


def _mirrored_files(folder: Path) -> list[Path]:
    """The files in `folder` named as sokbo names mirrored images, sorted."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if _NAME.match(path.name) and path.is_file())
