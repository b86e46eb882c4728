"""Link safety (issue #7): which addresses a URL found in a feed or page may reach.

A configured source URL is trusted (an admin may point briefbot at 127.0.0.1); any other URL
(an item link, a redirect target) may only reach public addresses. The check runs on IP
literals before any connection, and on the resolved address at connect time (see
`transport.py`), so DNS rebinding cannot slip a private address past it.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field

import httpx

from bot.ingest.errors import LinkRefused

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
ALLOWED_SCHEMES = ("http", "https")


def address_problem(ip: str | IPAddress) -> str | None:
    """Why an address must not be reached from an untrusted link, or None if it is public."""
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr in METADATA_ADDRESSES:
        return "cloud metadata address"
    if addr.is_loopback:
        return "loopback address"
    if addr.is_link_local:
        return "link-local address"
    if addr.is_multicast:
        return "multicast address"
    if addr.is_unspecified:
        return "unspecified address"
    if addr.is_reserved:
        return "reserved address"
    if addr.is_private:
        return "private address"
    if not addr.is_global:
        return "non-public address"
    return None


def host_key(url: httpx.URL) -> str:
    """The host as a key: lower-case, an IPv6 address in brackets (so no port can be read into it)."""
    host = url.host.lower()
    return f"[{host}]" if ":" in host else host


def origin_key(url: httpx.URL) -> str:
    """`host:port` with the scheme's default port filled in, for matching and per-host limits;
    `[fd00::5]:8080` for IPv6, which a bare `fd00::5:8080` would make ambiguous."""
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{host_key(url)}:{port}"


@dataclass(frozen=True)
class LinkPolicy:
    """Hosts (`host`, `host:port`, `[v6]` or `[v6]:port`) that may resolve to any address; all
    others must be public."""

    allow_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_source(cls, url: str) -> LinkPolicy:
        """The policy of one configured source: its own origin is trusted, nothing else."""
        return cls(allow_hosts=frozenset({origin_key(httpx.URL(url))}))

    def trusts(self, url: httpx.URL) -> bool:
        return host_key(url) in self.allow_hosts or origin_key(url) in self.allow_hosts

    def check_url(self, url: httpx.URL) -> None:
        """Refuse a URL before any connection: wrong scheme, or an IP literal that is not public.

        Host names are checked after resolution, at connect time, by the transport.
        """
        if url.scheme not in ALLOWED_SCHEMES:
            raise refuse(str(url), f"scheme {url.scheme!r} is not http or https")
        if not url.host:
            raise refuse(str(url), "no host")
        if self.trusts(url):
            return
        try:
            addr = ipaddress.ip_address(url.host)
        except ValueError:
            return
        problem = address_problem(addr)
        if problem:
            raise refuse(str(url), f"{addr} is a {problem}")


def refuse(url: str, reason: str) -> LinkRefused:
    """Log and build the refusal; the log line says which URL and why."""
    log.warning("refused link %s: %s", url, reason)
    return LinkRefused(f"refused link {url}: {reason}")
