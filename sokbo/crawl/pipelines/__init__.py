"""The item pipelines, in the order of ITEM_PIPELINES: extract, clean, store, publish,
feeds. Store and publish work runs in worker threads, off the reactor."""
