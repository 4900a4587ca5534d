"""WebSub subscriber (https://www.w3.org/TR/websub/): the hubs the sources' feeds (and
listings' start pages) name, the subscriptions `sokbo schedule` holds there, and the
callback the hubs notify.

Modules: `discovery` (pure: a feed's or page's hubs and topic), `signature` (pure:
X-Hub-Signature), `leases` (pure: which hubs are wanted, what each subscription needs
next), `addresses` (which hub may be asked: no non-public address for a public source),
`subscribe` (the requests to a hub), `callback` (the endpoint), `runs` (which runs a push
waits for), `service` (the threads `sokbo schedule` runs). The crawl imports `discovery`
only, so a crawl loads no server.
"""
