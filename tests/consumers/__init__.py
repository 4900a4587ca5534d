"""Real consumers of sokbo's output: Jekyll builds the posts, newsboat and feedparser read
the feeds, and the feed lint (tests.support.feedlint) checks them, over the demo crawl and a
generated stress store."""
