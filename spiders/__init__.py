"""The project's spiders, for `scrapy` run beside `scrapy.cfg`.

sokbo's spiders live in the installed package, `sokbo/crawl/spiders/` (so a Scrapyd node
that installs only `sokbo` has them); Scrapy finds them through SPIDER_MODULES in
`sokbo/crawl/settings.py`. This package names them for the project's top level.
"""

from sokbo.crawl.spiders.feed import FeedSpider
from sokbo.crawl.spiders.listing import ListingSpider
from sokbo.crawl.spiders.sitemap import SitemapSpider

__all__ = ["FeedSpider", "ListingSpider", "SitemapSpider"]
