"""The feed stage: RSS 2.0, Atom and JSON Feed of each destination site and its categories.

The code lives in the installed package, `sokbo/publish/feeds/`; `sokbo feeds` rebuilds
every site's feeds from the store. This package names the two entry points for the
project's top level.
"""

from sokbo.publish.feeds.write import write_queued_feeds, write_site_feeds

__all__ = ["write_queued_feeds", "write_site_feeds"]
