"""`sokbo prune`: only the mirrored files no post shows are removed (and forgotten), never a
file of the blog's own, a file a crawl may be recording, or anything on a dry run."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sokbo.config import load_config
from sokbo.models import Article, MirroredImage
from sokbo.publish.posts import publish_post
from sokbo.store import Store
from tests.support.cli import run_sokbo
from tests.support.image_site import IMAGES_DIR, image_bytes, write_image_config

HOURS_AGO = datetime.now(UTC) - timedelta(hours=3)


def _old(path: Path) -> Path:
    stamp = time.time() - 3 * 3600
    os.utime(path, (stamp, stamp))
    return path


def _copy(folder: Path, seed: int) -> tuple[Path, MirroredImage]:
    data = image_bytes("PNG", seed=seed)
    name = hashlib.sha256(data).hexdigest() + ".png"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return _old(folder / name), MirroredImage(name, 120, 80, "image/png", len(data))


def test_prune_removes_only_what_no_post_shows(tmp_path: Path) -> None:
    config_path = write_image_config(tmp_path, "http://127.0.0.1:9")
    config = load_config(config_path)
    site = config.site[0]
    folder = tmp_path / IMAGES_DIR
    shown, shown_copy = _copy(folder, 1)
    unshown, unshown_copy = _copy(folder, 2)
    orphan, _ = _copy(folder, 3)  # a copy whose record is gone (a killed crawl)
    young, _ = _copy(folder, 4)
    os.utime(young)  # just written: a crawl may be about to record it
    own = folder / "logo.png"
    own.write_bytes(b"the blog's own")
    _old(own)

    store = Store.open(config.store)
    try:
        urls = {n: f"https://cdn.example/{n}.png" for n in (1, 2)}
        articles = {
            n: store.upsert(
                Article(
                    f"https://wire.example/{n}",
                    "photos",
                    f"제목 {n}",
                    "요약",
                    f'<p><img src="{urls[n]}"></p>',
                    HOURS_AGO,
                ),
                HOURS_AGO,
            )
            for n in (1, 2)
        }
        store.link_article_images(articles[1].id, [urls[1]])
        store.link_article_images(articles[2].id, [urls[2]])
        store.record_mirrored(site.id, urls[1], shown_copy, HOURS_AGO)
        store.record_mirrored(site.id, urls[2], unshown_copy, HOURS_AGO)
        publish_post(store, site, articles[1], HOURS_AGO)  # only article 1 has a post
    finally:
        store.close()

    dry = run_sokbo("--config", str(config_path), "prune", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert f"would remove  {unshown}" in dry.stdout
    assert f"would remove  {orphan}" in dry.stdout
    assert "site 'out': would remove 2 image files" in dry.stdout
    assert {p.name for p in folder.iterdir()} == {
        shown.name,
        unshown.name,
        orphan.name,
        young.name,
        "logo.png",
    }

    pruned = run_sokbo("--config", str(config_path), "prune", cwd=tmp_path)
    assert pruned.returncode == 0, pruned.stderr
    assert f"removed  {unshown}" in pruned.stdout
    assert {p.name for p in folder.iterdir()} == {shown.name, young.name, "logo.png"}
    store = Store.open(config.store)
    try:
        assert set(store.site_mirrored_images(site.id)) == {urls[1]}
    finally:
        store.close()

    again = run_sokbo("--config", str(config_path), "prune", cwd=tmp_path)
    assert "site 'out': removed 0 image files" in again.stdout
