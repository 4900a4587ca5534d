"""Images a site serves itself (`images = "mirror"`): which images an article shows, and
its HTML pointing at the site's copies, each `<img>` with its width and height.

The images stage (sokbo.crawl.pipelines.images) asks for `article_image_urls`; rendering
(sokbo.publish.post) rewrites only the `<img>` tags whose `src` has a copy, so an image
that could not be mirrored keeps its original URL and every other byte stays as it was.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from sokbo.config import SiteConfig
from sokbo.models import Article, MirroredImage
from sokbo.store import Store

__all__ = [
    "NO_IMAGES",
    "article_image_urls",
    "lead_img",
    "mirror_img_tags",
    "mirrored_url",
    "post_images",
]

# What a hotlinking site (or an article with nothing mirrored) renders with.
NO_IMAGES: Mapping[str, MirroredImage] = MappingProxyType({})

# An <img> start tag as the cleaner writes it (nh3: double-quoted, entity-escaped values),
# read leniently: a quoted value may hold ">".
_IMG = re.compile(r"""<img\b((?:[^>"']|"[^"]*"|'[^']*')*?)(\s*/?)>""", re.IGNORECASE)
_ATTRIBUTE = re.compile(
    r"""\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""", re.IGNORECASE
)


def article_image_urls(article: Article) -> list[str]:
    """The article's lead image, then each body `<img src>` in order, each once; only
    http(s) URLs (a `data:` image has nothing to fetch)."""
    found = [article.image] if article.image else []
    for tag in _IMG.finditer(article.body_html):
        src = _attributes(tag.group(1)).get("src")
        if src:
            found.append(src.strip())
    return [url for url in dict.fromkeys(found) if urlsplit(url).scheme in ("http", "https")]


def mirrored_url(site: SiteConfig, image: MirroredImage) -> str:
    """Where the site serves its copy: `images_url` + the file's name."""
    return f"{(site.images_url or '').rstrip('/')}/{image.file}"


def lead_img(src: str, alt: str, site: SiteConfig, images: Mapping[str, MirroredImage]) -> str:
    """The lead image's tag, `<img src alt />`, pointing at the site's copy (with its
    width and height) when there is one."""
    image = images.get(src)
    if image is None:
        return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}" />'
    url = html.escape(mirrored_url(site, image))
    size = f'width="{image.width}" height="{image.height}"'
    return f'<img src="{url}" alt="{html.escape(alt)}" {size} />'


def mirror_img_tags(body: str, site: SiteConfig, images: Mapping[str, MirroredImage]) -> str:
    """`body` with every `<img>` whose `src` has a copy pointing at it.

    Such a tag gets the copy's width and height, unless the source gave both (the size the
    author meant it shown at); one given alone gets the other from the image's proportions.
    Every other tag, and everything between, is left byte for byte.
    """
    if not images:
        return body

    def rewrite(tag: re.Match[str]) -> str:
        attributes = _attributes(tag.group(1))
        image = images.get((attributes.get("src") or "").strip())
        if image is None:
            return tag.group(0)
        attributes["src"] = mirrored_url(site, image)
        attributes.update(_size(attributes.get("width"), attributes.get("height"), image))
        written = "".join(f' {name}="{html.escape(value)}"' for name, value in attributes.items())
        return f"<img{written}{tag.group(2)}>"

    return _IMG.sub(rewrite, body)


def post_images(store: Store, site: SiteConfig, article_id: int) -> Mapping[str, MirroredImage]:
    """The images of the article whose content a post shows that `site` serves itself, by
    original URL; none for a site that hotlinks."""
    if site.images != "mirror":
        return NO_IMAGES
    return store.article_mirrored_images(site.id, [article_id]).get(article_id, NO_IMAGES)


def _attributes(text: str) -> dict[str, str]:
    """A start tag's attributes in order, names lowercased and values unescaped; of a
    repeated one, the first (as a browser reads it)."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name, *values = match.groups()
        value = next((v for v in values if v is not None), "")
        found.setdefault(name.lower(), html.unescape(value))
    return found


def _size(width: str | None, height: str | None, image: MirroredImage) -> dict[str, str]:
    """The width and height an `<img>` of `image` is written with (see mirror_img_tags)."""
    given_width, given_height = _pixels(width), _pixels(height)
    if given_width and not given_height:
        given_height = max(1, round(given_width * image.height / image.width))
    elif given_height and not given_width:
        given_width = max(1, round(given_height * image.width / image.height))
    elif not (given_width and given_height):
        given_width, given_height = image.width, image.height
    return {"width": str(given_width), "height": str(given_height)}


def _pixels(value: str | None) -> int | None:
    """An HTML dimension attribute's number of pixels; None when it names none."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else None
