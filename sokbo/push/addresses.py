"""Which hub sokbo may send a request to. A hub's URL comes from a feed or a page, which
anyone can write: without a check, a hostile feed naming `http://169.254.169.254/` or
`http://127.0.0.1:6379/` as its hub would make sokbo POST into the network it runs in
(server-side request forgery).

The rule: a hub is asked only over http(s), and only when every address its host resolves
to is public. A hub on a non-public address (loopback, private, link-local, shared,
reserved, multicast, unspecified; IPv4-mapped and NAT64 IPv6 judged by their IPv4) is
asked only for a topic whose host is itself non-public and a source whose configured URLs
all are: an operator who crawls a LAN or localhost site may use a hub there. The topic
alone would not do: it is the feed's rel=self URL, as much the feed's say as the hub.

The check runs when a request is sent (a name's addresses change), and the request then
goes to the very addresses checked: a name that resolves again to something else between
the check and the connection (DNS rebinding) cannot take it elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses to connect to; raises OSError (or UnicodeError) for none.
Resolver = Callable[[str, int], Sequence[str]]

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are IPv4
_DEFAULT_PORTS = {"http": 80, "https": 443}


class HubRefused(Exception):
    """The hub must not be asked; the message says why, in a few words."""


def resolve(host: str, port: int) -> list[str]:
    """The addresses a TCP connection to `host` may use, as the system resolves them."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def non_public(address: str) -> str | None:
    """What non-public address `address` is (`a loopback address`, `a private address`,
    ...); None for a public one."""
    try:
        ip: IPAddress = ipaddress.ip_address(address)
    except ValueError:
        return "not an IP address"
    return _kind(ip)


def _kind(ip: IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        # Packets to these go to the IPv4 address inside, which is judged instead (a
        # NAT64 prefix is "reserved" to Python) or as well (6to4).
        translated = ip.ipv4_mapped or _nat64(ip)
        if translated is not None:
            return _kind(translated)
        if ip.sixtofour is not None and (kind := _kind(ip.sixtofour)) is not None:
            return kind
    for kind, test in (
        ("the unspecified address", ip.is_unspecified),
        ("a loopback address", ip.is_loopback),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("a private address", ip.is_private),
        ("a reserved address", ip.is_reserved),
    ):
        if test:
            return kind
    return None if ip.is_global else "not a globally routable address"  # 100.64.0.0/10


def _nat64(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None


def checked_addresses(
    url: str, topic: str, origins: Sequence[str] = (), lookup: Resolver = resolve
) -> tuple[str, ...]:
    """The addresses a request to the hub at `url` for `topic` may be sent to (all of
    them checked); HubRefused when none may. `origins`: the source's configured URLs."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in _DEFAULT_PORTS or not host:
        raise HubRefused("not an http(s) URL")
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise HubRefused("its port is not a number") from None
    addresses = _addresses(host, port, lookup)
    if not addresses:
        raise HubRefused(f"its host {host} does not resolve")
    refused = [(address, kind) for address in addresses if (kind := non_public(address))]
    if refused and not _local(topic, origins, lookup):
        address, kind = refused[0]
        said = f"{address} is {kind}" if address == host else f"{host} is {address}, {kind}"
        raise HubRefused(
            f"{said} (such a hub is used only for a source and topic on non-public hosts)"
        )
    return tuple(addresses)


def _addresses(host: str, port: int, lookup: Resolver) -> list[str]:
    try:
        return list(lookup(host, port))
    except (OSError, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise HubRefused(f"its host {host} does not resolve ({why})") from None


def _local(topic: str, origins: Sequence[str], lookup: Resolver) -> bool:
    """Whether the topic and every URL the source was configured with are on hosts whose
    addresses are all non-public (a host that does not resolve is not taken for one)."""
    for url in (topic, *origins):
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)
            addresses = list(lookup(host, port)) if host else []
        except (OSError, UnicodeError, ValueError):
            return False
        if not addresses or any(non_public(address) is None for address in addresses):
            return False
    return True
