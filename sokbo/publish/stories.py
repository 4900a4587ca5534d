"""Which version of a story a site's post shows (SiteConfig.stories), by a documented rule."""

from __future__ import annotations

from enum import StrEnum

from sokbo.config import SiteConfig
from sokbo.extract.text import html_to_text
from sokbo.models import StoredArticle

# A version replaces the shown one when its body has this much more text: a one-line 속보,
# then the second report, then the full article; not a copy with a blog's intro added.
FULLER_TEXT = 1.25


class Placed(StrEnum):
    """What publishing an article did on one site."""

    POST = "post"  # its own post: a new story, an edit of the shown version, or stories = all
    VERSION = "version"  # a fuller version: the story's post re-rendered in place with it
    COVERED = "covered"  # a version the story's post already covers: no post of its own


def fuller(candidate: StoredArticle, shown: StoredArticle, site: SiteConfig) -> bool:
    """Whether ``candidate`` should replace the version a story's post shows.

    1. A source earlier in the site's ``prefer_sources`` wins over a later or unlisted one.
    2. Else a body with at least FULLER_TEXT times the shown one's text wins.
    3. Else, with neither body that much longer, more images (lead and body) win.
    On a tie the shown version stays, so a post does not flip between two equal copies.
    """
    rank_new, rank_shown = _rank(candidate, site), _rank(shown, site)
    if rank_new != rank_shown:
        return rank_new < rank_shown
    text_new, text_shown = _text_length(candidate), _text_length(shown)
    if text_new >= FULLER_TEXT * text_shown:
        return True
    if text_shown >= FULLER_TEXT * text_new:
        return False
    return _images(candidate) > _images(shown)


def _rank(stored: StoredArticle, site: SiteConfig) -> int:
    preferred = site.prefer_sources
    source = stored.article.source_id
    return preferred.index(source) if source in preferred else len(preferred)


def _text_length(stored: StoredArticle) -> int:
    return len(html_to_text(stored.article.body_html))


def _images(stored: StoredArticle) -> int:
    return stored.article.body_html.count("<img") + (1 if stored.article.image else 0)
