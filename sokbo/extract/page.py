"""A fetched page to a clean article in one call: what the crawl's extract stage runs, in
the crawl's own process or in a worker process (everything it takes and returns pickles,
and it reads nothing but its arguments)."""

from __future__ import annotations

import dataclasses
from datetime import tzinfo

from sokbo.extract.article import ExtractError, parse_article
from sokbo.extract.clean import clean_html
from sokbo.extract.presets import Preset
from sokbo.models import Article, Page

EMPTY_BODY = "empty body after cleaning"


def clean_article(page: Page, preset: Preset, timezone: tzinfo, language: str | None) -> Article:
    """`parse_article`, then the body through the allow-list sanitiser; ExtractError
    (its message the reason) for a page that holds no article or only markup."""
    article = parse_article(page, preset, timezone, language)
    body = clean_html(article.body_html, article.url)
    if not body:
        raise ExtractError(EMPTY_BODY)
    return dataclasses.replace(article, body_html=body)
