"""The project's item pipelines, in the order of ITEM_PIPELINES.

They live in the installed package, `sokbo/crawl/pipelines/`; ITEM_PIPELINES in
`sokbo/crawl/settings.py` names them there. This package names them for the project's
top level.
"""

from sokbo.crawl.pipelines.extract import ExtractPipeline
from sokbo.crawl.pipelines.feeds import FeedsPipeline
from sokbo.crawl.pipelines.publish import PublishPipeline
from sokbo.crawl.pipelines.store import StorePipeline

__all__ = ["ExtractPipeline", "FeedsPipeline", "PublishPipeline", "StorePipeline"]
