"""`images = "mirror"`: a site serves the images of its posts itself.

End to end, over real HTTP on 127.0.0.1 (`sokbo crawl` as a process, no mocked
downloader): images of every kind, bounds, robots.txt, a 404 tried again on the next run,
a run that fetches nothing already mirrored, the posts and feeds pointing at the copies;
then the parts on their own: what bytes are mirrored, how posts are rewritten, the feed
entry cache, the retry schedule and the config.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import frontmatter
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from PIL import Image
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from sokbo import stats as stat_keys
from sokbo.config import ConfigError, SiteConfig, load_config
from sokbo.crawl.imagerequests import retry_wait
from sokbo.crawl.pipelines.images import ImagesMirrorPipeline
from sokbo.models import Article, MirroredImage, StoredArticle
from sokbo.outcome import stat_count
from sokbo.publish.feeds.write import write_site_feeds
from sokbo.publish.images import article_image_urls, mirror_img_tags
from sokbo.publish.post import render_post
from sokbo.publish.posts import publish_post
from sokbo.store import Store
from sokbo.web.imagebytes import NotMirrorable, inspect_image
from tests.support.cli import run_sokbo
from tests.support.configs import USER_AGENT
from tests.support.feed_fixtures import T0, add, make_article
from tests.support.fixture_server import FixtureServer, serve_fixture
from tests.support.image_site import (
    HTML_AS_JPEG,
    IMAGES_DIR,
    IMAGES_URL,
    SVG,
    build_image_site,
    image_bytes,
    wide_png,
    write_image_config,
)
from tests.support.scheduling import last_run_stats

ATOM = "{http://www.w3.org/2005/Atom}"
MIRRORED = ["/img/lead.jpg", "/img/lead-copy.jpg", "/img/photo.png", "/img/scene.webp"]
MIRRORED += ["/img/anim.gif"]
REFUSED = {
    "/img/diagram.svg": "an SVG image",
    "/img/fake.jpg": "not an image",
    "/img/huge.jpg": "more than images_max_bytes",
    "/img/wide.png": "more than images_max_pixels",
    "/private/secret.jpg": "forbidden by robots.txt",
}


def sha_name(data: bytes, extension: str) -> str:
    return hashlib.sha256(data).hexdigest() + extension


def crawl(config: Path, folder: Path) -> str:
    result = run_sokbo("--config", str(config), "crawl", "-v", cwd=folder)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def image_gets(server: FixtureServer) -> list[str]:
    return [p for p in server.paths() if p.startswith(("/img/", "/private/"))]


def read_posts(folder: Path) -> dict[str, frontmatter.Post]:
    """The posts by their article's path (/news/1.html)."""
    found = {}
    for path in sorted((folder / "blog/_posts").glob("*.md")):
        post = frontmatter.load(path)
        found["/" + str(post["source_url"]).split("/", 3)[3]] = post
    return found


def img_tags(html: str) -> list[dict[str, str]]:
    root = etree.HTML(f"<div>{html}</div>")
    return [{str(k): str(v) for k, v in img.attrib.items()} for img in root.iter("img")]


@pytest.mark.e2e
def test_a_mirroring_site_serves_its_images_itself(tmp_path: Path) -> None:
    site = build_image_site(tmp_path / "source")
    with serve_fixture(site.root) as server:
        config = write_image_config(tmp_path / "run", server.base_url)
        run = config.parent
        output = crawl(config, run)
        first = image_gets(server)

        # Each image asked for once (lead-copy.jpg too: its URL is another), through the
        # engine: the crawl's User-Agent, the article as Referer, robots.txt obeyed.
        fetched = [*MIRRORED, *(path for path in REFUSED if not path.startswith("/private/"))]
        assert sorted(first) == sorted([*fetched, "/img/later.jpg"])
        for record in server.log:
            if record.path.startswith("/img/"):
                assert record.headers["User-Agent"] == USER_AGENT
                assert record.headers["Referer"].startswith(server.base_url + "/news/")

        # One file per content, named by it, the bytes as served (never re-encoded).
        folder = run / IMAGES_DIR
        expected = {
            sha_name(site.files[path], ext): site.files[path]
            for path, ext in zip(MIRRORED, [".jpg", ".jpg", ".png", ".webp", ".gif"], strict=True)
        }
        assert len(expected) == 4  # lead.jpg and lead-copy.jpg are one file
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == expected

        # The posts show the copies, with their sizes; what was refused keeps its URL.
        posts = read_posts(run)
        lead = f"{IMAGES_URL}/{sha_name(site.files['/img/lead.jpg'], '.jpg')}"
        assert posts["/news/1.html"]["image"] == lead
        assert posts["/news/2.html"]["image"] == lead
        tags = {tag["alt"]: tag for tag in img_tags(posts["/news/1.html"].content)}
        assert tags["out 속보"] == {"src": lead, "alt": "out 속보", "width": "160", "height": "90"}
        by_src = {tag["src"]: tag for tag in img_tags(posts["/news/1.html"].content)}
        for path, ext in (("/img/photo.png", ".png"), ("/img/scene.webp", ".webp")):
            copy = by_src[f"{IMAGES_URL}/{sha_name(site.files[path], ext)}"]
            assert (copy["width"], copy["height"]) == ("120", "80")
        for path in [*REFUSED, "/img/later.jpg"]:
            assert server.url(path) in by_src, path
            assert "width" not in by_src[server.url(path)]

        # The feeds' enclosures are the copy, with its type and length.
        length = str(len(site.files["/img/lead.jpg"]))
        rss = etree.parse(run / "blog/feeds/rss.xml")
        for item in rss.iter("item"):
            enclosure = item.find("enclosure")
            assert enclosure is not None
            assert enclosure.attrib == {
                "url": "https://out.example" + lead,
                "length": length,
                "type": "image/jpeg",
            }
            assert "https://out.example" + IMAGES_URL in (
                item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
            )
        atom = etree.parse(run / "blog/feeds/atom.xml")
        enclosures = [
            link.attrib for link in atom.iter(f"{ATOM}link") if link.get("rel") == "enclosure"
        ]
        assert enclosures and all(e["href"] == "https://out.example" + lead for e in enclosures)
        items = json.loads((run / "blog/feeds/feed.json").read_text("utf-8"))["items"]
        assert {item["image"] for item in items} == {"https://out.example" + lead}

        # Counted, and said with the reason.
        stats = last_run_stats(run)
        assert stat_count(stats, stat_keys.IMAGES_MIRRORED) == len(MIRRORED)
        for kind in [*REFUSED.values(), "HTTP 404"]:
            assert stat_count(stats, stat_keys.image_failed(kind)) == 1, kind
        assert "log_count/ERROR" not in stats
        assert "an SVG image (a document that can run scripts)" in output
        assert "not an image (an HTML page)" in output
        assert "images           5 mirrored" in output

        # The next run: nothing mirrored is fetched again, the 404 is tried again (and
        # now served), and the post that shows it is published again with the copy.
        site.serve_later("/img/later.jpg")
        server.clear()
        crawl(config, run)
        assert image_gets(server) == ["/img/later.jpg"]
        later = f"{IMAGES_URL}/{sha_name(site.missing['/img/later.jpg'], '.jpg')}"
        by_src = {tag["src"]: tag for tag in img_tags(read_posts(run)["/news/1.html"].content)}
        assert (by_src[later]["width"], by_src[later]["height"]) == ("64", "48")
        stats = last_run_stats(run)
        assert stat_count(stats, stat_keys.IMAGES_POSTS_UPDATED) == 1
        assert stat_count(stats, stat_keys.POSTS_WRITTEN) == 1
        rss_text = (run / "blog/feeds/rss.xml").read_text("utf-8")
        assert later.rsplit("/", 1)[1] in rss_text  # the entry was built again

        # And the one after fetches no image at all: the refused wait a day.
        server.clear()
        crawl(config, run)
        assert image_gets(server) == []
        assert stat_count(last_run_stats(run), stat_keys.POSTS_WRITTEN) == 0


@pytest.mark.e2e
def test_a_hotlinking_site_fetches_no_image(tmp_path: Path) -> None:
    site = build_image_site(tmp_path / "source")
    with serve_fixture(site.root) as server:
        config = write_image_config(tmp_path / "run", server.base_url, images="hotlink")
        crawl(config, config.parent)
        assert image_gets(server) == []
    post = read_posts(config.parent)["/news/1.html"]
    assert post["image"] == server.url("/img/lead.jpg")
    assert all(tag["src"].startswith(server.base_url) for tag in img_tags(post.content))
    assert not (config.parent / IMAGES_DIR).exists()


@pytest.mark.e2e
def test_image_requests_keep_the_crawls_delay(tmp_path: Path) -> None:
    """Images are fetched through the crawl's own download slot: with `delay = 0.5`
    (Scrapy randomises it between 0.5 and 1.5 times), no request to the site, image or
    page, follows another within a quarter of a second."""
    site = build_image_site(tmp_path / "source", every_kind=False)
    with serve_fixture(site.root) as server:
        config = write_image_config(tmp_path / "run", server.base_url)
        config.write_text(config.read_text().replace("delay = 0.0", "delay = 0.5"))
        crawl(config, config.parent)
        times = [record.received for record in server.log]
        assert image_gets(server)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.25, gaps


@pytest.mark.e2e
def test_only_the_first_images_of_an_article_are_mirrored(tmp_path: Path) -> None:
    site = build_image_site(tmp_path / "source", every_kind=False)
    with serve_fixture(site.root) as server:
        config = write_image_config(
            tmp_path / "run", server.base_url, site_lines="images_per_article = 2\n"
        )
        crawl(config, config.parent)
        # The lead image, then the body's first: the rest keep their URLs.
        assert sorted(image_gets(server)) == [
            "/img/lead-copy.jpg",
            "/img/lead.jpg",
            "/img/photo.png",
        ]
    post = read_posts(config.parent)["/news/1.html"]
    sources = [tag["src"] for tag in img_tags(post.content)]
    assert [src.startswith(IMAGES_URL) for src in sources] == [True, True, False, False]


def test_crawl_nodes_mirror_nothing() -> None:
    """A crawl node writes no files (SOKBO_PUBLISH off): the stage is not enabled."""
    with pytest.raises(NotConfigured):
        ImagesMirrorPipeline.from_crawler(get_crawler(settings_dict={"SOKBO_PUBLISH": False}))


# --- what bytes are mirrored ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_the_four_formats_are_mirrored(kind: str, content_type: str) -> None:
    facts = inspect_image(image_bytes(kind), max_pixels=10_000)
    assert (facts.content_type, facts.width, facts.height) == (content_type, 120, 80)


def _refusal(data: bytes, max_pixels: int = 1_000_000) -> str:
    with pytest.raises(NotMirrorable) as refused:
        inspect_image(data, max_pixels)
    return refused.value.kind


def test_what_is_refused_and_why() -> None:
    assert _refusal(SVG) == "an SVG image"
    assert _refusal(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>") == "an SVG image"
    assert _refusal(HTML_AS_JPEG) == "not an image"
    assert _refusal(b"%PDF-1.7\n...") == "not an image"
    assert _refusal(image_bytes("JPEG")[:300]) == "damaged"
    assert _refusal(image_bytes("BMP")) == "another image format"
    assert _refusal(wide_png(), max_pixels=25_000_000) == "more than images_max_pixels"
    assert _refusal(b"") == "empty"


def test_a_turned_photo_has_the_size_a_browser_shows() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # turned a quarter: shown 80 wide, 120 high
    buffer = BytesIO()
    Image.new("RGB", (120, 80)).save(buffer, "JPEG", exif=exif)
    facts = inspect_image(buffer.getvalue(), max_pixels=10_000)
    assert (facts.width, facts.height) == (80, 120)


# --- posts ----------------------------------------------------------------------------------


def mirror_site(folder: Path, **changes: Any) -> SiteConfig:
    values: dict[str, Any] = {
        "id": "m",
        "title": "m",
        "base_url": "https://m.example",
        "posts_dir": folder / "_posts",
        "feeds_dir": folder / "feeds",
        "brand": "m",
        "sources": ["wire"],
        "images": "mirror",
        "images_dir": folder / "img",
        "images_url": "https://m.example/img/",
    }
    return SiteConfig.model_validate(values | changes)


COPY = MirroredImage("a" * 64 + ".png", 400, 300, "image/png", 1234)


def test_img_tags_are_rewritten_and_nothing_else(tmp_path: Path) -> None:
    site = mirror_site(tmp_path)
    src = "https://cdn.example/a.png?x=1&y=2"
    body = (
        '<p>앞 <img src="https://cdn.example/a.png?x=1&amp;y=2" alt="가 &amp; 나"></p>\n'
        '<img alt="b" src="https://cdn.example/b.png" width="10">\n'
        '<p><img width="200" src="https://cdn.example/a.png?x=1&amp;y=2"></p>\n'
        '<img src="https://cdn.example/a.png?x=1&amp;y=2" width="50" height="70" title="t">'
    )
    rewritten = mirror_img_tags(body, site, {src: COPY})
    local = "https://m.example/img/" + COPY.file
    assert rewritten == (
        f'<p>앞 <img src="{local}" alt="가 &amp; 나" width="400" height="300"></p>\n'
        '<img alt="b" src="https://cdn.example/b.png" width="10">\n'
        f'<p><img width="200" src="{local}" height="150"></p>\n'
        f'<img src="{local}" width="50" height="70" title="t">'
    )
    assert mirror_img_tags(body, site, {}) is body


_TEXT = st.text(st.characters(exclude_characters="<>", exclude_categories=["Cs"]))


@given(before=_TEXT, after=_TEXT, src=st.text(min_size=1).map(str.strip).filter(bool))
def test_only_the_tag_of_a_copied_image_changes(before: str, after: str, src: str) -> None:
    """Whatever the text around it and its URL's characters, the tag of a copied image
    points at the copy, and not one other character moves."""
    site = mirror_site(Path("/unused"))
    tag = f'<img src="{html.escape(src)}" alt="x">'
    body = f"{before}{tag}{after}"
    assert mirror_img_tags(body, site, {src + "#other": COPY}) == body
    local = html.escape(f"https://m.example/img/{COPY.file}")
    expected = f'{before}<img src="{local}" alt="x" width="400" height="300">{after}'
    assert mirror_img_tags(body, site, {src: COPY}) == expected


def test_a_post_shows_the_copies_and_a_hotlinking_post_is_unchanged(tmp_path: Path) -> None:
    article = Article(
        "https://wire.example/1",
        "wire",
        "제목",
        "요약",
        '<p>본문</p><p><img src="https://cdn.example/b.png" alt="b"></p>',
        T0,
        image="https://cdn.example/lead.png",
    )
    stored = StoredArticle(1, article, "slug", T0, "new")
    site = mirror_site(tmp_path)
    hotlink = site.model_copy(update={"images": "hotlink"})
    copies = {"https://cdn.example/lead.png": COPY}
    assert article_image_urls(article) == [
        "https://cdn.example/lead.png",
        "https://cdn.example/b.png",
    ]
    assert render_post(stored, hotlink) == render_post(stored, site)  # nothing mirrored yet
    post = frontmatter.loads(render_post(stored, site, copies))
    assert post["image"] == "https://m.example/img/" + COPY.file
    lead, body = img_tags(post.content)
    assert lead == {"src": post["image"], "alt": "m 속보", "width": "400", "height": "300"}
    assert body == {"src": "https://cdn.example/b.png", "alt": "b"}


# --- the store: late copies re-render the post and rebuild its feed entry -------------------


def test_an_image_mirrored_later_renews_the_post_and_its_feed_entry(
    store: Store, tmp_path: Path
) -> None:
    site = mirror_site(tmp_path, id="demo", feeds={"formats": ["rss"]})
    article = make_article(1)
    assert article.image is not None
    stored, _slugs = add(store, site, article, T0)
    store.link_article_images(stored.id, article_image_urls(article))
    write_site_feeds(store, site)
    rss = (site.feeds_dir / "rss.xml").read_text("utf-8")
    assert article.image in rss
    assert store.pending_posts(site.id, "wire") == []

    marked = store.record_mirrored(site.id, article.image, COPY, T0 + timedelta(hours=1))
    assert marked == 1
    assert [p.id for p in store.pending_posts(site.id, "wire")] == [stored.id]
    publish_post(store, site, stored, T0 + timedelta(hours=1))
    assert store.pending_posts(site.id, "wire") == []
    post = frontmatter.load(next(site.posts_dir.glob("*.md")))
    assert post["image"] == "https://m.example/img/" + COPY.file
    write_site_feeds(store, site)
    rss = (site.feeds_dir / "rss.xml").read_text("utf-8")
    assert f'url="https://m.example/img/{COPY.file}" length="1234" type="image/png"' in rss


def test_failed_images_wait_longer_after_each_try() -> None:
    waits = [retry_wait(attempts, refused=False) for attempts in range(1, 8)]
    hours = [wait / timedelta(hours=1) for wait in waits]
    assert hours == [0, 1, 2, 4, 8, 16, 24]
    assert retry_wait(1, refused=True) == timedelta(days=1)
    assert retry_wait(10_000, refused=False) == timedelta(days=1)


def test_failures_are_due_by_their_wait(store: Store, tmp_path: Path) -> None:
    site = mirror_site(tmp_path, id="demo")
    stored, _slugs = add(store, site, make_article(1), T0)
    url = "https://wire.example.com/img/1.jpg"
    store.link_article_images(stored.id, [url])
    wait = lambda attempts: retry_wait(attempts, refused=False)  # noqa: E731
    assert store.record_image_failure(site.id, url, "answered 404", T0, wait) == 1
    assert store.articles_with_images_due([site.id], "wire", T0, 10) == [stored.id]
    assert store.record_image_failure(site.id, url, "answered 404", T0, wait) == 2
    assert store.articles_with_images_due([site.id], "wire", T0, 10) == []
    later = T0 + timedelta(hours=1)
    assert store.articles_with_images_due([site.id], "wire", later, 10) == [stored.id]
    store.record_mirrored(site.id, url, COPY, later)
    assert store.articles_with_images_due([site.id], "wire", later, 10) == []


# --- config ---------------------------------------------------------------------------------


def _site_toml(tmp_path: Path, lines: str) -> Path:
    path = tmp_path / "sokbo.toml"
    path.write_text(
        """[[source]]
id = "wire"
kind = "feed"
start_urls = ["https://wire.example/rss"]

[[site]]
id = "m"
title = "m"
base_url = "https://m.example"
posts_dir = "blog/_posts"
feeds_dir = "blog/feeds"
brand = "m"
sources = ["wire"]
"""
        + lines,
        encoding="utf-8",
    )
    return path


def test_config_mirror_needs_a_folder_and_a_url(tmp_path: Path) -> None:
    config = load_config(
        _site_toml(tmp_path, 'images = "mirror"\nimages_dir = "blog/img"\nimages_url = "/img/"\n')
    )
    site = config.site[0]
    assert site.images_dir == tmp_path / "blog/img"  # relative to the config, as posts_dir
    assert (site.images_max_bytes, site.images_per_article) == (5 * 1024 * 1024, 20)
    assert load_config(_site_toml(tmp_path, "")).site[0].images == "hotlink"
    with pytest.raises(ConfigError) as missing:
        load_config(_site_toml(tmp_path, 'images = "mirror"\nimages_dir = "blog/img"\n'))
    assert str(missing.value) == (
        f"{tmp_path / 'sokbo.toml'}: site 'm': images_url: required with images = 'mirror'"
    )
    with pytest.raises(ConfigError) as bad:
        load_config(_site_toml(tmp_path, 'images_url = "img/"\n'))
    assert "images_url: an absolute http(s) URL or a path starting with '/'" in str(bad.value)
