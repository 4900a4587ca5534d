"""What the tests share: fixture servers and generated sites, config writers, the run
helpers (the CLI and `scrapy` in their own processes), fault injection, and the oracles
that judge output (the feed lint, HTML comparison)."""
