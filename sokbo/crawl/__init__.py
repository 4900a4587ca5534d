"""The Scrapy side: settings, middlewares, extensions, the spiders of the three source
kinds and the item pipelines that extract, clean, store and publish each page."""
