"""Pipeline stage 2: the article body through the allow-list sanitiser (sokbo.extract.clean)."""

from __future__ import annotations

import dataclasses

from sokbo.crawl.pipelines.common import SokboPipeline
from sokbo.extract.clean import clean_html
from sokbo.models import Article


class CleanPipeline(SokboPipeline):
    def process_item(self, item: Article) -> Article:
        body = clean_html(item.body_html, item.url)
        if not body:
            self.drop("empty body after cleaning", item)
        return dataclasses.replace(item, body_html=body)
