"""Render a stored article as one site's Jekyll post, in the owner's exact format."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sokbo.config import SiteConfig
from sokbo.models import MirroredImage, StoredArticle
from sokbo.publish.frontmatter_yaml import Folded, SingleQuoted, dump_front_matter
from sokbo.publish.images import NO_IMAGES, lead_img, mirror_img_tags, mirrored_url

# Jekyll runs Liquid over post bodies: an article quoting "{{" or "{%" would be executed
# (or break the build). The entity renders as "{" and Liquid does not see a tag.
_LIQUID_OPEN = re.compile(r"\{(?=[{%])")


def post_date(stored: StoredArticle, site: SiteConfig) -> datetime:
    """The publication time on the site's clock: Jekyll's date, and the file name's."""
    return stored.published.astimezone(ZoneInfo(site.timezone))


def post_filename(stored: StoredArticle, site: SiteConfig) -> str:
    """`YYYY-MM-DD-<slug>.md`, Jekyll's rule for `_posts/`."""
    return f"{post_date(stored, site):%Y-%m-%d}-{stored.slug}.md"


def lead_image(stored: StoredArticle, site: SiteConfig) -> str | None:
    return stored.article.image or site.default_image


def post_categories(stored: StoredArticle, site: SiteConfig) -> list[str]:
    """The site's fixed categories when it has them, else what the source said."""
    return list(site.categories) or list(stored.article.categories)


def render_body(
    stored: StoredArticle, site: SiteConfig, images: Mapping[str, MirroredImage] = NO_IMAGES
) -> str:
    """The HTML under the front matter: lead image, cleaned article, footer line; `images`:
    the copies a mirroring site serves (sokbo.publish.images), by original URL."""
    article = stored.article
    parts = []
    image = lead_image(stored, site)
    if image:
        alt = site.render(site.alt)
        lead = f"<p>{lead_img(image, alt, site, images)}</p>\n\n"
        parts.append(_LIQUID_OPEN.sub("&#123;", lead))
    body = mirror_img_tags(article.body_html.strip(), site, images)
    parts.append(_LIQUID_OPEN.sub("&#123;", body))
    footer = site.render(site.footer).strip()
    # The owner's template: the footer right under the article, then blank lines.
    parts.append(f"\n{footer}\n\n\n" if footer else "\n\n")
    return "".join(parts)


def front_matter(
    stored: StoredArticle, site: SiteConfig, images: Mapping[str, MirroredImage] = NO_IMAGES
) -> dict[str, Any]:
    article = stored.article
    excerpt = article.excerpt.strip()
    heading = site.render(site.feature_heading).strip()
    metadata: dict[str, Any] = {
        "title": article.title,
        "categories": post_categories(stored, site),
        "excerpt": Folded(f"{excerpt}\n"),
        "feature_text": Folded(f"{heading}\n{excerpt}\n" if heading else f"{excerpt}\n"),
    }
    image = lead_image(stored, site)
    if image:
        mirrored = images.get(image)
        metadata["image"] = SingleQuoted(mirrored_url(site, mirrored) if mirrored else image)
    if site.date_in_front_matter:
        metadata["date"] = f"{post_date(stored, site):%Y-%m-%d %H:%M:%S %z}"
    if site.attribution:
        metadata["source_url"] = article.url
    if site.also_reported_by and stored.also_reported_by:
        metadata["also_reported_by"] = list(stored.also_reported_by)
    return metadata


def render_post(
    stored: StoredArticle, site: SiteConfig, images: Mapping[str, MirroredImage] = NO_IMAGES
) -> str:
    """The whole post file: front matter, a blank line, the body; `images` as render_body's."""
    metadata = dump_front_matter(front_matter(stored, site, images))
    return f"{metadata}\n{render_body(stored, site, images)}"


def post_url(stored: StoredArticle, site: SiteConfig) -> str:
    """The post's public URL, following Jekyll's permalink placeholders."""
    date = post_date(stored, site)
    categories = "/".join(dict.fromkeys(c.lower() for c in post_categories(stored, site)))
    values = {
        ":categories": categories,
        ":year": f"{date:%Y}",
        ":month": f"{date:%m}",
        ":day": f"{date:%d}",
        ":title": stored.slug,
        ":slug": stored.slug,
        ":output_ext": ".html",
    }
    path = site.permalink
    # Longest placeholder first, so that `:title` is not read as `:t` + `itle`.
    for key in sorted(values, key=len, reverse=True):
        path = path.replace(key, values[key])
    while "//" in path:
        path = path.replace("//", "/")
    return site.base_url.rstrip("/") + quote(path, safe="/-._~!$&'()*+,;=:@")
