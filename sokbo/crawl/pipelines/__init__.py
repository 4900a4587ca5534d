"""The item pipelines, in the order of ITEM_PIPELINES: extract (and clean), store,
images (of the sites that mirror them), publish, feeds. Extraction runs in worker
processes in a large crawl; store, images and publish work runs in worker threads, off
the reactor."""
