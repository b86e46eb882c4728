"""Canonical URLs and content hashes: the two keys that make an article seen twice stored once.

We do not use `courlan.normalize_url` here although it is installed: its tracker filter is a
substring search that also drops query keys which identify content (`gallery`, `cid`, `global`,
`source`...), which would merge distinct articles. The rules below are explicit and tested.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

__all__ = ["canonicalize_url", "content_hash", "normalize_text"]

# Query keys that only say how a reader arrived (compared case-insensitively).
TRACKING_KEYS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "igsh",
        "wbraid",
        "gbraid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "cmp",
        "ocid",
        "icid",
        "smid",
        "smtyp",
        "sr_share",
        "soc_src",
        "soc_trk",
        "xtor",
        "ito",
        "taid",
        "partner",
        "rss",
        "feature",
        "s_cid",
        "s_kwcid",
        "__twitter_impression",
        "amp",
        "outputtype",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "ns_", "pk_", "mtm_", "itm_", "hsa_", "int_")
DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_CACHE_RE = re.compile(r"^/(?:amp|c)/(?:s/)?(?P<rest>[^/]+\.[^/]+/.*)$")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/:@!$'()*+,;-._~"


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in TRACKING_KEYS or k.startswith(TRACKING_PREFIXES)


def _unwrap_amp_cache(host: str, path: str) -> tuple[str, str] | None:
    """`google.com/amp/s/example.com/x` and `example-com.cdn.ampproject.org/c/s/example.com/x` → origin."""
    if host.endswith("cdn.ampproject.org") or (
        host.startswith(("google.", "www.google.")) and path.startswith("/amp/")
    ):
        m = _AMP_CACHE_RE.match(path)
        if m:
            target = urlsplit("https://" + m.group("rest"))
            return target.hostname or host, target.path
    return None


def _clean_path(path: str) -> str:
    segments = [s for s in path.split("/") if s.lower() != "amp"]
    path = "/".join(segments)
    if path.endswith(".amp"):
        path = path[: -len(".amp")]
    elif path.endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    path = quote(unquote(path), safe=_PATH_SAFE)
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    return path or "/"


def canonicalize_url(url: str) -> str:
    """One spelling per article URL: https, lower-case host without `www.`/`amp.`, no default port,
    no fragment, no tracking or AMP parameters, AMP path variants folded, sorted query, no trailing slash.

    Non-web URLs (file://, urn:...) only lose their fragment. Raises ValueError for an empty URL.
    """
    url = url.strip()
    if not url:
        raise ValueError("an article needs a URL to be stored")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep the URL as it is, minus the fragment
        return urlunsplit(("https", parts.netloc.lower(), parts.path, parts.query, ""))
    path = parts.path
    unwrapped = _unwrap_amp_cache(host, path)
    if unwrapped:
        host, path = unwrapped
        port = None
    for prefix in ("www.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme), 443) else f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k))
    return urlunsplit(
        ("https", netloc, _clean_path(path), urlencode(query, quote_via=quote, safe=_QUERY_SAFE), "")
    )


def normalize_text(text: str) -> str:
    """Unicode-compatible, case-folded, whitespace-collapsed text: what the content hash is taken over."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str, *, normalized: bool = False) -> str:
    """sha256 (hex) of the normalised text, so the same story copied by two outlets has one hash.

    Pass `normalized=True` when `text` already went through `normalize_text`.
    """
    return hashlib.sha256((text if normalized else normalize_text(text)).encode("utf-8")).hexdigest()
