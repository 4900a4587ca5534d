"""Jekyll (Debian's `jekyll`) builds a site whose images sokbo mirrored: every image of
every post is served by the site itself, from the file sokbo wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from sokbo.config import load_config
from tests.consumers.tools import JekyllBuild, assert_built, jekyll_build, need, read_page
from tests.support.cli import run_sokbo
from tests.support.fixture_server import serve_fixture
from tests.support.image_site import IMAGES_URL, build_image_site, write_image_config

pytestmark = [pytest.mark.consumers, pytest.mark.e2e]


def build_blog(blog: Path, config: Path, workdir: Path) -> JekyllBuild:
    """The bundled minimal site with the crawl's posts and its images folder (the blog's
    assets/mirror/, as images_dir and images_url say), built offline with --safe."""
    site = load_config(config).site[0]
    posts = sorted((blog / "_posts").glob("*.md"))
    return jekyll_build(posts, site, workdir, {"assets": blog / "assets"})


def test_every_image_of_a_mirrored_site_is_its_own(tmp_path: Path) -> None:
    need("jekyll")
    site = build_image_site(tmp_path / "source", every_kind=False)
    with serve_fixture(site.root) as server:
        config = write_image_config(tmp_path / "run", server.base_url)
        crawl = run_sokbo("--config", str(config), "crawl", cwd=config.parent)
        assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    build = build_blog(config.parent / "blog", config, tmp_path / "build")
    assert_built(build)

    pages = build.pages()
    assert len(pages) == 2, build.output
    seen = 0
    for path in pages:
        for img in read_page(path).content.iter("img"):
            src = img.get("src", "")
            # The site's own path, never the source's host; the file is in the build.
            assert src.startswith(IMAGES_URL + "/"), (path, src)
            built = build.destination / src.lstrip("/")
            assert built.is_file(), built
            assert built.read_bytes() in site.files.values()
            assert img.get("width") and img.get("height"), (path, src)
            seen += 1
    assert seen == 6  # two leads, three body images of the first post, one of the second
