"""Whether a URL from the config can be fetched, decided the way the fetcher (httpx) parses it.

`config check` and the loader call this after `${ENV}` substitution, so a value holding `#`, a
newline or a stray `[` is caught before `run`. Reasons never quote the URL or a piece of it: a
password in the userinfo would otherwise be printed (httpx's own message for
`http://u:Hunter2Secret#x@host/` is "Invalid port: 'Hunter2Secret'").
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

__all__ = ["literal_credentials", "url_problem"]

SCHEMES = ("http", "https")
_HOST = re.compile(rb"[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def url_problem(url: str, *, link: bool = False) -> str | None:
    """Why this URL cannot be fetched (one phrase, nothing of the URL in it), or None.

    A configured URL may not hold '#' (it cuts a password or key short, silently). A `link` found
    in a feed or a redirect may, and a scheme other than http(s) is left to the link policy, which
    refuses it with its own reason.
    """
    if _CONTROL.search(url):
        return "it contains a control character (a newline or tab from the environment?)"
    if "#" in url and not link:
        return (
            "it contains '#', which starts a fragment that is never sent; if it is part of a "
            "password or key, write it as %23"
        )
    try:
        urlsplit(url)
    except ValueError:  # urllib: "Invalid IPv6 URL"
        return "a '[' that opens an IPv6 address is not closed with ']'"
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return _reason(str(exc))
    except (UnicodeError, ValueError):
        return "the host name is not valid"
    if parsed.scheme not in SCHEMES:
        return None if link else "it must start with http:// or https://"
    if not parsed.raw_host:
        return "it has no host"
    if not _HOST.fullmatch(parsed.raw_host):
        return "the host name is not valid (a space or '%' in it?)"
    if parsed.port is not None and not 0 < parsed.port <= 65535:
        return f"port {parsed.port} is out of range (1 to 65535)"
    return None


def literal_credentials(template: str, *, user_alone_is_secret: bool = True) -> str | None:
    """What credential a URL as written in the file (before `${ENV}` substitution) spells out in its
    userinfo, or None: "password" (`user:pw@`), or "user" (`token@`, how some feeds take a key),
    unless `user_alone_is_secret` is off (a database user without a password is no secret)."""
    try:
        netloc = urlsplit(template).netloc
    except ValueError:
        netloc = template.split("://", 1)[-1].split("/", 1)[0]
    userinfo, at, _host = netloc.rpartition("@")
    if not at or not userinfo:
        return None
    user, colon, password = userinfo.partition(":")
    if colon and password:
        return None if "${" in password else "password"
    if user_alone_is_secret and "${" not in user:
        return "user"
    return None


def _reason(message: str) -> str:
    """httpx's complaint without the part of the URL it quotes."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "", message)
    text = re.sub(r"\s*,?\s*at position \d+\.?", "", text)
    text = " ".join(text.replace(" :", "").split()).rstrip(":,. ")
    return (text[:1].lower() + text[1:]) if text else "it cannot be parsed"
