"""A fixture blog whose articles show images of every kind, made with Pillow at test time,
and the config of a site that mirrors them (`images = "mirror"`)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from PIL import Image

from tests.support.configs import USER_AGENT

IMAGES_URL = "/assets/mirror"  # where the site serves its copies (images_url)
IMAGES_DIR = "blog/assets/mirror"  # relative to the config's folder (images_dir)
MAX_BYTES = 200_000  # images_max_bytes in the config: HUGE is over it


def image_bytes(kind: str, size: tuple[int, int] = (120, 80), seed: int = 1) -> bytes:
    """An image of `kind` (a Pillow format); each seed gives other pixels, so other bytes."""
    rng = random.Random(seed)
    color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    buffer = BytesIO()
    if kind == "GIF":  # animated: two frames, kept as they are (no re-encoding)
        frames = [Image.new("P", size, index) for index in (seed % 200, seed % 200 + 30)]
        frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=200)
    else:
        Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


def noise_jpeg(side: int) -> bytes:
    """A JPEG of random pixels: large for its size in pixels (over MAX_BYTES at 500)."""
    rng = random.Random(side)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def wide_png() -> bytes:
    """6000×6000 pixels (more than the default images_max_pixels) in a few kilobytes."""
    buffer = BytesIO()
    Image.new("1", (6000, 6000)).save(buffer, "PNG")
    return buffer.getvalue()


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>\n'
)
HTML_AS_JPEG = b"<!DOCTYPE html>\n<html><body><h1>Image not available</h1></body></html>\n"


@dataclass(frozen=True)
class ImageSite:
    """The fixture blog's folder and what its articles show."""

    root: Path
    files: dict[str, bytes]  # URL path -> bytes served
    missing: dict[str, bytes]  # URL path -> bytes served once a test puts the file in place

    def serve_later(self, path: str) -> None:
        """Put a missing image in place: the server answers it from now on."""
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.missing[path])


# Two unrelated stories, so that no site takes one for a version of the other.
_STORIES = {
    1: (
        "서울 도심에서 큰 음악 축제가 열렸다. 시민 수천 명이 광장에 모여 공연을 지켜봤다.",
        "주최 측은 내년에도 같은 축제를 열 계획이라고 밝혔다. 교통 통제는 저녁까지 이어졌다.",
        "무대 위 연주자들이 관객의 환호 속에 앙코르 곡을 이어 갔다.",
    ),
    2: (
        "부산 앞바다에 태풍이 접근하면서 항구의 어선 수백 척이 대피했다.",
        "기상청은 내일 새벽까지 강한 비바람이 이어질 것이라고 예보했다.",
        "해경은 방파제 접근을 막고 순찰을 강화했다고 전했다.",
    ),
}


def _page(number: int, title: str, lead: str, images: list[str]) -> str:
    first, second, caption = _STORIES[number]
    figures = "\n".join(
        f'<figure><img src="__BASE__{path}" alt="그림 {index}"><figcaption>{caption} ({index})'
        f"</figcaption></figure>\n<p>{caption} 사진 {index}번째.</p>"
        for index, path in enumerate(images, 1)
    )
    return f"""<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8">
<title>{title}</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="og:image" content="__BASE__{lead}">
<meta property="article:published_time" content="__NOW-{number}h__">
</head><body>
<article>
<h1>{title}</h1>
<div class="entry-content">
<p>{first}</p>
<p>{second}</p>
{figures}
</div>
</article>
</body></html>
"""


def _feed(titles: dict[int, str]) -> str:
    items = "".join(
        f"""<item><title>{title}</title><link>__BASE__/news/{number}.html</link>
<guid>__BASE__/news/{number}.html</guid><pubDate>__RFC822_NOW-{number}h__</pubDate></item>
"""
        for number, title in titles.items()
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>사진 뉴스</title><link>__BASE__/</link>
<description>사진 뉴스</description>
{items}</channel></rss>
"""


def build_image_site(root: Path, *, every_kind: bool = True) -> ImageSite:
    """The blog: two articles (feed.xml); the second shows the first's lead image again
    under another URL, and one of its body images under the same URL.

    With `every_kind`, the first also shows what must not be mirrored: an SVG, an HTML
    page served as image/jpeg, a JPEG over MAX_BYTES, a PNG over the pixel bound, an
    image robots.txt forbids, and one that answers 404 until `serve_later`.
    """
    lead = image_bytes("JPEG", (160, 90), seed=1)
    files = {
        "/img/lead.jpg": lead,
        "/img/lead-copy.jpg": lead,
        "/img/photo.png": image_bytes("PNG", seed=2),
        "/img/scene.webp": image_bytes("WEBP", seed=3),
        "/img/anim.gif": image_bytes("GIF", seed=4),
    }
    missing: dict[str, bytes] = {}
    first = ["/img/photo.png", "/img/scene.webp", "/img/anim.gif"]
    if every_kind:
        files |= {
            "/img/diagram.svg": SVG,
            "/img/fake.jpg": HTML_AS_JPEG,
            "/img/huge.jpg": noise_jpeg(500),
            "/img/wide.png": wide_png(),
            "/private/secret.jpg": image_bytes("JPEG", seed=5),
        }
        missing["/img/later.jpg"] = image_bytes("JPEG", (64, 48), seed=6)
        first += [
            "/img/diagram.svg",
            "/img/fake.jpg",
            "/img/huge.jpg",
            "/img/wide.png",
            "/private/secret.jpg",
            "/img/later.jpg",
        ]
    titles = {1: "도심 음악 축제 사진 속보", 2: "부산 태풍 대피 사진 속보"}
    pages = {
        "/news/1.html": _page(1, titles[1], "/img/lead.jpg", first),
        "/news/2.html": _page(2, titles[2], "/img/lead-copy.jpg", ["/img/photo.png"]),
    }
    root.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_bytes(data)
    for path, text in pages.items():
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text(text, encoding="utf-8")
    (root / "feed.xml").write_text(_feed(titles), encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    return ImageSite(root, files, missing)


def write_image_config(
    folder: Path, base: str, images: str = "mirror", site_lines: str = ""
) -> Path:
    """A config: the blog's feed as source "photos", feeding site "out", which mirrors
    its images into IMAGES_DIR (or hotlinks them, `images = "hotlink"`); `site_lines`:
    more keys of the site."""
    folder.mkdir(parents=True, exist_ok=True)
    mirror = (
        f'images = "mirror"\nimages_dir = "{IMAGES_DIR}"\nimages_url = "{IMAGES_URL}"\n'
        f"images_max_bytes = {MAX_BYTES}\n"
        if images == "mirror"
        else ""
    )
    path = folder / "sokbo.toml"
    path.write_text(
        f"""[crawl]
delay = 0.0
user_agent = "{USER_AGENT}"

[[source]]
id = "photos"
kind = "feed"
start_urls = ["{base}/feed.xml"]

[[site]]
id = "out"
title = "out"
base_url = "https://out.example"
posts_dir = "blog/_posts"
feeds_dir = "blog/feeds"
brand = "out"
sources = ["photos"]
{mirror}{site_lines}""",
        encoding="utf-8",
    )
    return path
