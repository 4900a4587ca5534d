"""The item pipelines, in the order of ITEM_PIPELINES: extract (and clean), store,
publish, feeds. Extraction runs in worker processes in a large crawl; store and publish
work runs in worker threads, off the reactor."""
