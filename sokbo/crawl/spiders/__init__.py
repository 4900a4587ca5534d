"""sokbo's spiders, one per source kind (`feed`, `sitemap`, `listing`): Scrapy's
SPIDER_MODULES."""
