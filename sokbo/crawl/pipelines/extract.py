"""Pipeline stage 1: a fetched page becomes an Article (see sokbo.extract)."""

from __future__ import annotations

from sokbo.crawl.pipelines.common import SokboPipeline
from sokbo.extract.article import ExtractError, parse_article
from sokbo.extract.presets import PRESETS
from sokbo.models import Article, Page


class ExtractPipeline(SokboPipeline):
    def process_item(self, item: Page) -> Article:
        source = self.spider.source
        preset = PRESETS[source.preset].with_overrides(source.selectors)
        try:
            return parse_article(item, preset, self.spider.timezone, source.language)
        except ExtractError as exc:
            self.drop(str(exc), item)
