"""Publishing: a stored article rendered as a Jekyll post (front matter, body, footer),
written atomically and recorded (`posts`), and the sites' feeds built from the store
(`feeds/`). No Scrapy here."""
