"""WebSub subscriber (https://www.w3.org/TR/websub/): the hubs the sources' feeds name, the
subscriptions `sokbo schedule` holds there, and the callback the hubs notify.

Modules: `discovery` (pure: a feed's hub and topic), `signature` (pure: X-Hub-Signature),
`leases` (pure: what each subscription needs next), `subscribe` (the requests to a hub),
`callback` (the endpoint), `runs` (which runs a push waits for), `service` (the threads
`sokbo schedule` runs). The crawl imports `discovery` only, so a crawl loads no server.
"""
