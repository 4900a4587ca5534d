"""The `sokbo` subcommands, one module each, with the signature `run(config, path, args)
-> exit status`. `sokbo/cli.py` imports only the one it runs, so `sokbo status` does not
load Scrapy and `sokbo crawl` does not load the status views."""
