"""Decode a response body ourselves so the byte cap applies to what we keep, not what travels.

httpx would decompress a gzip bomb in full before we could count it; here every decoder yields
output in bounded pieces (`zlib` `max_length`, brotli `output_buffer_limit`) and the reader stops
as soon as the decoded size passes the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import brotli

from bot.ingest.errors import BodyTooLarge, FetchError

CHUNK = 64 * 1024


def format_size(n: int) -> str:
    """10_000_000 -> '10 MB' (decimal units, as the config's sizes)."""
    for unit, size in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        return iter(())


class _Zlib:
    """gzip or zlib (auto-detected by wbits=47); raw deflate when a server sends that instead."""

    def __init__(self, allow_raw: bool) -> None:
        self._wbits = zlib.MAX_WBITS | 32
        self._d = zlib.decompressobj(self._wbits)
        self._allow_raw = allow_raw
        self._started = False
        self._head = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and self._allow_raw:
            self._head += data
        try:
            yield from self._run(data)
        except zlib.error as exc:
            if self._started or not self._allow_raw:
                raise FetchError(f"body is not valid compressed data ({exc})") from None
            # "deflate" is often sent without the zlib header: retry as raw deflate.
            self._allow_raw = False
            self._wbits = -zlib.MAX_WBITS
            self._d = zlib.decompressobj(self._wbits)
            head, self._head = self._head, b""
            try:
                yield from self._run(head)
            except zlib.error as exc2:
                raise FetchError(f"body is not valid compressed data ({exc2})") from None

    def _run(self, data: bytes) -> Iterator[bytes]:
        buf = data
        while True:
            out = self._d.decompress(buf, CHUNK)
            if out:
                self._started = True
                self._head = b""
                yield out
            buf = self._d.unconsumed_tail
            if self._d.eof:
                rest = self._d.unused_data
                if rest.strip(b"\0"):  # another gzip member follows
                    self._d = zlib.decompressobj(self._wbits)
                    buf = rest
                    continue
                return
            if not buf and len(out) < CHUNK:
                return

    def flush(self) -> Iterator[bytes]:
        try:
            out = self._d.flush()
        except zlib.error as exc:
            raise FetchError(f"body is not valid compressed data ({exc})") from None
        if out:
            yield out


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._d.process(data, output_buffer_limit=CHUNK)
            if out:
                yield out
            while not self._d.can_accept_more_data():
                out = self._d.process(b"", output_buffer_limit=CHUNK)
                if not out:
                    break
                yield out
        except brotli.error as exc:
            raise FetchError(f"body is not valid brotli data ({exc})") from None

    def flush(self) -> Iterator[bytes]:
        return iter(())


def _decoder(name: str) -> _Identity | _Zlib | _Brotli:
    if name in ("", "identity"):
        return _Identity()
    if name in ("gzip", "x-gzip"):
        return _Zlib(allow_raw=False)
    if name == "deflate":
        return _Zlib(allow_raw=True)
    if name == "br":
        return _Brotli()
    raise FetchError(f"unsupported Content-Encoding {name!r}")


class CappedBody:
    """Accumulate a (possibly compressed) body; raise `BodyTooLarge` past `cap` decoded bytes."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        names = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
        # Encodings are listed in the order applied, so they are undone in reverse.
        self._decoders = [_decoder(n) for n in reversed(names)]
        self._cap = cap
        self._parts: list[bytes] = []
        self._size = 0
        self._raw = 0

    @property
    def size(self) -> int:
        return self._size

    def feed(self, raw: bytes) -> None:
        self._raw += len(raw)
        if self._raw > self._cap:
            raise self._too_large()
        for piece in self._pipe(raw, 0):
            self._keep(piece)

    def finish(self) -> bytes:
        for i, dec in enumerate(self._decoders):
            for piece in dec.flush():
                for out in self._pipe(piece, i + 1):
                    self._keep(out)
        return b"".join(self._parts)

    def _pipe(self, data: bytes, i: int) -> Iterator[bytes]:
        if i == len(self._decoders):
            yield data
            return
        for piece in self._decoders[i].feed(data):
            yield from self._pipe(piece, i + 1)

    def _keep(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self._cap:
            raise self._too_large()
        self._parts.append(piece)

    def _too_large(self) -> BodyTooLarge:
        self._parts.clear()
        return BodyTooLarge(f"body over {format_size(self._cap)} cap (http.max_bytes)")
