"""Local files and folders: `path:` sources and `briefbot brief --input` read the same formats.

.txt and .md (either may start with `---` front matter: outlet, url, published, title, labels), .html,
.xml/.rss/.atom/.rdf (a feed: many articles), .json (JSON Feed, or one article or a list of them),
.jsonl (one article per line). A file's URL is its `file://` URI unless its metadata gives one; items
inside a feed file keep their own link. `_FileContext.outlet` says who published a file. Problems with one file are warnings,
never a crash of the whole read.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import charset_normalizer
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.core.protocols import FetchedArticle, FetchOutcome, SourceState
from bot.ingest.errors import FeedError, IngestError
from bot.ingest.extract import clean_line, clean_text, extract_page, html_to_text, resolve_date
from bot.ingest.items import FeedItem, item_url, title_or_excerpt
from bot.ingest.jsonfeed import is_json_feed, load_json, parse_json_feed

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1000**2
TEXT_EXT = frozenset({".txt", ".text"})
MARKDOWN_EXT = frozenset({".md", ".markdown"})
HTML_EXT = frozenset({".html", ".htm", ".xhtml"})
FEED_EXT = frozenset({".xml", ".rss", ".atom", ".rdf"})
JSON_EXT = frozenset({".json"})
JSONL_EXT = frozenset({".jsonl", ".ndjson"})
KNOWN_EXT = TEXT_EXT | MARKDOWN_EXT | HTML_EXT | FEED_EXT | JSON_EXT | JSONL_EXT
FORMATS = ".txt, .md, .html, .xml/.rss/.atom, .json, .jsonl"

_CHROME_LINE = re.compile(
    r"^(skip to (main )?content|menu|search|home|advertisement|sponsored|loading\W*|subscribe\b.*|"
    r"sign (in|up)|log ?in|live( updates?)?\b.*|breaking( news)?|share( this)?( article)?|"
    r"\d+ min(ute)? read\b.*)$",
    re.IGNORECASE,
)
_NOT_ARTICLE = re.compile(r"^(readme|license|licence|copying|changelog|notice)(\.[a-z]+)?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])['\"”’)]*\s")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class InputError(IngestError):
    """An `--input` path that cannot be read at all (missing, or holding no article)."""


@dataclass
class FileDefaults:
    """What the source config supplies when a file's own metadata does not.

    `outlet` is the source's `outlet:` (it names every file of the folder that does not name its
    own); `fallback_outlet` (the source's name) is used only when nothing else names one.
    """

    outlet: str | None = None
    fallback_outlet: str | None = None
    labels: list[str] = field(default_factory=list)
    source_name: str = ""
    max_items: int = 1000


@dataclass
class FileRead:
    articles: list[FetchedArticle] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: int = 0
    skipped: int = 0


class _Skip(Exception):
    """This one file is skipped; the message is the warning."""


# -- public API ------------------------------------------------------------------------------------


def read_inputs(paths: Sequence[Path], defaults: FileDefaults | None = None) -> list[FetchedArticle]:
    """Articles from files and folders given on the command line; warnings are logged.

    Raises `InputError` for a path that does not exist or when nothing readable was found.
    """
    paths = [Path(p).expanduser() for p in paths]
    for p in paths:
        if not p.exists():
            raise InputError(f"no such file or folder: {p}")
    result = FileRead()
    for p in paths:
        one = read_path(p, defaults)
        result.articles.extend(one.articles)
        result.warnings.extend(one.warnings)
        result.files += one.files
    for w in result.warnings:
        log.warning("%s", w)
    if not result.articles:
        where = ", ".join(str(p) for p in paths)
        raise InputError(f"no articles found in {where} (readable: {FORMATS})")
    return result.articles


def read_path(path: Path, defaults: FileDefaults | None = None) -> FileRead:
    """Every article under `path` (a file, or a folder read recursively in sorted order)."""
    defaults = defaults or FileDefaults()
    result = FileRead()
    root = _real(path)
    for file in iter_files(path, result.warnings):
        result.files += 1
        try:
            result.articles.extend(read_file(file, defaults, root))
        except _Skip as exc:
            result.skipped += 1
            result.warnings.append(f"{file}: {exc}")
    return result


def iter_files(path: Path, warnings: list[str]) -> Iterator[Path]:
    """The readable article files under `path` (itself, if a file), in sorted order.

    A folder is walked without following links to folders; a file that is a link is read only
    when it resolves inside the folder. Nothing under /proc or /sys and nothing that is not a
    regular file (a device, FIFO or socket) is ever listed; each refusal is a warning.
    """
    root = _real(path)
    refused = _forbidden(root)
    if refused:
        warnings.append(f"{path}: not read: {refused}")
        return
    if not os.path.isdir(root):
        why = _not_regular(root)
        if why:
            warnings.append(f"{path}: not read: {why}")
        else:
            yield path
        return
    found: list[Path] = []

    def unreadable(exc: OSError) -> None:
        warnings.append(f"{exc.filename or path}: cannot list folder ({exc.strerror})")

    for folder, subfolders, names in os.walk(path, onerror=unreadable, followlinks=False):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        found.extend(Path(folder, n) for n in names if not n.startswith("."))
    for p in sorted(found):
        if _NOT_ARTICLE.match(p.name):  # a folder's README or LICENSE is not news
            continue
        if not os.path.exists(p):  # a dangling link
            continue
        if p.suffix.lower() not in KNOWN_EXT:
            warnings.append(f"{p}: skipped, unknown file type (readable: {FORMATS})")
            continue
        why = _forbidden(_real(p)) or _outside(_real(p), root) or _not_regular(_real(p))
        if why:
            warnings.append(f"{p}: skipped: {why}")
            continue
        yield p


def fingerprint(path: Path) -> str:
    """Changes whenever a file under `path` is added, removed, resized or touched."""
    h = hashlib.sha1()
    for p in iter_files(path, []):
        try:
            st = p.stat()
        except OSError:
            continue
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return f'"files-{h.hexdigest()[:24]}"'


# -- what may be read ----------------------------------------------------------------------------------

_PSEUDO_FILESYSTEMS = ("/proc", "/sys")


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(path)


def _forbidden(real: str) -> str | None:
    for top in _PSEUDO_FILESYSTEMS:
        if real == top or real.startswith(top + "/"):
            return f"{real} is under {top} (process and kernel state, not articles)"
    return None


def _outside(real: str, root: str) -> str | None:
    if real == root or real.startswith(root.rstrip("/") + "/"):
        return None
    return "a link that leads outside the folder"


def _not_regular(real: str) -> str | None:
    try:
        mode = os.stat(real).st_mode
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    return None if stat.S_ISREG(mode) else f"not a regular file ({_kind_of(mode)})"


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a plain file"


def read_capped(file: Path, limit: int, root: str | None = None) -> tuple[bytes, os.stat_result]:
    """At most `limit` bytes of a regular file, counted as read (a /proc file's size says 0).

    Opens without following a final link and without blocking (a FIFO swapped in is refused, not
    waited on), then checks what was really opened: a regular file, not under /proc or /sys,
    inside `root` when given. Raises `_Skip` with the reason.
    """
    real = _real(file)
    why = _forbidden(real) or (_outside(real, root) if root else None)
    if why:
        raise _Skip(why)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(real, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _Skip(f"cannot read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Skip(f"not a regular file ({_kind_of(st.st_mode)})")
        opened = _opened_path(fd)
        if opened is not None:
            why = _forbidden(opened) or (_outside(opened, root) if root else None)
            if why:
                raise _Skip(why)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise _Skip(f"larger than {format_limit(limit)}, skipped")
        return b"".join(chunks), st
    except OSError as exc:
        raise _Skip(f"cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _opened_path(fd: int) -> str | None:
    """Where an open descriptor really points (Linux), to catch a link swapped in after the checks."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def format_limit(limit: int) -> str:
    return f"{limit / 1000**2:g} MB" if limit >= 1000**2 else f"{limit:,} bytes"


# -- one file ----------------------------------------------------------------------------------------


def read_file(file: Path, defaults: FileDefaults, root: str | None = None) -> list[FetchedArticle]:
    """The articles of one file; `root` is the folder it must stay inside (links included)."""
    ext = file.suffix.lower()
    if ext not in KNOWN_EXT:
        raise _Skip(f"unknown file type (readable: {FORMATS})")
    data, st = read_capped(file, MAX_FILE_BYTES, root)
    ctx = _FileContext(file, defaults, datetime.fromtimestamp(st.st_mtime, UTC))
    try:
        if ext in TEXT_EXT:
            return [ctx.text_article(decode_text(data))]
        if ext in MARKDOWN_EXT:
            return [ctx.markdown_article(decode_text(data))]
        if ext in HTML_EXT:
            return [ctx.html_article(data)]
        if ext in FEED_EXT:
            return ctx.feed_articles(data)
        if ext in JSON_EXT:
            return ctx.json_articles(data)
        return ctx.jsonl_articles(data)
    except FeedError as exc:
        raise _Skip(str(exc)) from None


@dataclass
class _FileContext:
    file: Path
    defaults: FileDefaults
    mtime: datetime

    @property
    def uri(self) -> str:
        return self.file.resolve().as_uri()

    def outlet(self, meta: object = None, url: str | None = None, inferred: str | None = None) -> str:
        """Who published the file, from the most to the least explicit statement of it.

        The file's own `outlet:` (front matter, a JSON field), else the source's `outlet:`, else
        what the content says (an HTML page's site name, a feed's title), else the web host of
        its URL, else the source's name, else the file name. A file given with `--input` and no
        metadata is its own outlet: five unlabelled articles are five sources, not one.
        """
        for candidate in (meta, self.defaults.outlet, inferred):
            named = clean_line(str(candidate or ""))
            if named:
                return named
        host = urlsplit(url).hostname if url and url.startswith(("http://", "https://")) else None
        if host:
            return host.removeprefix("www.")
        return self.defaults.fallback_outlet or self.file.stem

    def labels(self, extra: object = None) -> list[str]:
        more: list[str] = []
        if isinstance(extra, str):
            more = [s.strip() for s in extra.split(",")]
        elif isinstance(extra, list):
            more = [str(s).strip() for s in extra]
        return list(dict.fromkeys([*self.defaults.labels, *(m for m in more if m)]))

    def article(
        self,
        *,
        title: str,
        text: str,
        url: str | None = None,
        outlet: object = None,
        published: object = None,
        labels: object = None,
        guid: str | None = None,
        inferred_outlet: str | None = None,
    ) -> FetchedArticle:
        text = clean_text(text)
        if not text:
            raise _Skip("no text")
        # the file's own statement (front matter, page metadata), a date it prints, else its mtime
        when, dated_by = resolve_date(published, "page", text, self.mtime, "file")
        return FetchedArticle(
            url=url or self.uri,
            title=clean_line(title) or guess_title(text) or self.file.stem,
            text=text,
            outlet=self.outlet(outlet, url, inferred_outlet),
            published=when,
            guid=guid,
            labels=self.labels(labels),
            source_name=self.defaults.source_name,
            dated_by=dated_by,
        )

    def text_article(self, text: str) -> FetchedArticle:
        meta, body = split_front_matter(text)  # plain text may start with the same `---` block as Markdown
        return self._with_front_matter(meta, str(meta.get("title") or ""), body)

    def markdown_article(self, text: str) -> FetchedArticle:
        meta, body = split_front_matter(text)
        title = str(meta.get("title") or "")
        if not title:
            m = re.search(r"^#\s+(.+?)\s*#*\s*$", body, re.MULTILINE)
            title = m.group(1) if m else ""
        return self._with_front_matter(meta, title, markdown_to_text(body))

    def _with_front_matter(self, meta: dict[str, Any], title: str, text: str) -> FetchedArticle:
        return self.article(
            title=title,
            text=text,
            url=_str(meta.get("url")),
            outlet=meta.get("outlet"),
            published=meta.get("published") or meta.get("date"),
            labels=meta.get("labels"),
        )

    def html_article(self, data: bytes) -> FetchedArticle:
        page = extract_page(data, self.uri)
        if page is None:
            raise _Skip("no article text found in the HTML")
        return self.article(
            title=page.title, text=page.text, inferred_outlet=page.sitename, published=page.published
        )

    def feed_articles(self, data: bytes) -> list[FetchedArticle]:
        from bot.ingest.feeds import parse_feed  # feedparser: 0.05 s to import, only feed files need it

        feed = parse_feed(data, url=self.uri, max_items=self.defaults.max_items)
        return self._items(feed.items, feed.title)

    def json_articles(self, data: bytes) -> list[FetchedArticle]:
        doc = load_json(data)
        if is_json_feed(doc):
            feed = parse_json_feed(doc, max_items=self.defaults.max_items)
            return self._items(feed.items, feed.title)
        if isinstance(doc, dict) and isinstance(doc.get("articles") or doc.get("items"), list):
            doc = doc.get("articles") or doc.get("items")
        records = doc if isinstance(doc, list) else [doc]
        out = [self._record(r, f"item {i + 1}") for i, r in enumerate(records[: self.defaults.max_items])]
        articles = [a for a in out if a is not None]
        if not articles:
            raise _Skip("no articles in the JSON (expected a JSON Feed, an article object or a list of them)")
        return articles

    def jsonl_articles(self, data: bytes) -> list[FetchedArticle]:
        articles: list[FetchedArticle] = []
        for n, line in enumerate(decode_text(data).splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                log.warning("%s:%d: not JSON (%s); line skipped", self.file, n, exc.msg)
                continue
            article = self._record(record, f"line {n}")
            if article is not None:
                articles.append(article)
            if len(articles) >= self.defaults.max_items:
                break
        if not articles:
            raise _Skip("no articles in the JSON Lines file")
        return articles

    def _record(self, record: Any, where: str) -> FetchedArticle | None:
        if not isinstance(record, dict):
            log.warning("%s: %s is not an object; skipped", self.file, where)
            return None
        raw = record.get("text") or record.get("content") or record.get("body") or record.get("summary") or ""
        raw = str(raw)
        text = html_to_text(raw) if re.search(r"<[a-zA-Z/!]", raw) else clean_text(raw)
        if not text:
            log.warning("%s: %s has no text; skipped", self.file, where)
            return None
        title = clean_line(str(record.get("title") or ""))
        url = _str(record.get("url") or record.get("link"))
        if not url:
            url = item_url(FeedItem(title, None, _str(record.get("id")), None, text), self.uri)
        return self.article(
            title=title,
            text=text,
            url=url,
            outlet=record.get("outlet") or record.get("source"),
            published=record.get("published") or record.get("date"),
            labels=record.get("labels"),
            guid=_str(record.get("id")),
        )

    def _items(self, items: list[FeedItem], feed_title: str) -> list[FetchedArticle]:
        out = []
        for it in items:
            if not it.text and not it.title:
                continue
            out.append(
                self.article(
                    title=title_or_excerpt(it.title, it.text),
                    text=it.text or it.title,
                    url=item_url(it, self.uri),
                    inferred_outlet=feed_title,
                    published=it.published,
                    guid=it.guid,
                )
            )
        return out


# -- helpers -----------------------------------------------------------------------------------------


def _str(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else the best guess of charset_normalizer, else lossy UTF-8."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Mostly-ASCII text with a few accented letters is Western European: Windows-1252, which
    # charset detectors often confuse with other single-byte charsets on short texts.
    sample = data[:200_000]
    if sum(b > 127 for b in sample) <= 0.12 * len(sample):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(sample).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, "replace")
    return data.decode("utf-8", "replace")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    m = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not m:
        return {}, text
    try:
        meta = YAML(typ="safe").load(m.group(1))
    except YAMLError as exc:
        raise _Skip(f"front matter is not valid YAML ({' '.join(str(exc).split())[:150]})") from None
    if not isinstance(meta, dict):
        return {}, text[m.end() :]
    return {str(k).lower(): v for k, v in meta.items()}, text[m.end() :]


def markdown_to_text(md: str) -> str:
    """Enough Markdown removed to read as prose: headings, links, images, emphasis, code marks."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", "", md)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^#{1,6}\s+(.+?)\s*#*\s*$", r"\1", text, flags=re.MULTILINE)
    text = re.sub(r"^>\s?", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    text = re.sub(r"^\s*([-*_])(\s*\1){2,}\s*$", "", text, flags=re.MULTILINE)
    return text


def guess_title(text: str) -> str:
    """A headline-like line near the top (short, no final period) before the body starts, else the
    opening sentence, shortened. Page chrome such as "Skip to content" is passed over."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    meaningful = [ln for ln in lines[:12] if not _CHROME_LINE.match(ln) and len(ln) >= 8]
    for ln in meaningful:
        words = len(ln.split())
        if len(ln) > 200 or (words >= 20 and ln.endswith((".", "!", "?", '"', "”"))):
            break  # a body paragraph: the headline, if any, came before it
        if len(ln) <= 150 and len(ln.split()) >= 3 and not ln.endswith((".", ",", ":", ";", "…")):
            return ln
    if not meaningful:
        return ""
    first = meaningful[0]
    sentence = _SENTENCE_END.split(first, 1)[0].strip()
    if len(sentence) <= 120:
        return sentence.rstrip(".")
    cut = sentence[:100].rsplit(" ", 1)[0]
    return cut.rstrip(",;:–— ") + "…"


# -- the `path:` source --------------------------------------------------------------------------------


class FileSource:
    """A configured local file or folder; unchanged files give `not_modified`."""

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        outlet: str | None = None,
        labels: list[str] | None = None,
        interval: timedelta = timedelta(minutes=15),
        max_items: int = 1000,
    ) -> None:
        self.name = name
        self.path = path
        self.url = path.resolve().as_uri() if path.exists() else str(path)
        self.interval = interval
        self.defaults = FileDefaults(
            outlet=outlet,
            fallback_outlet=name,
            labels=list(labels or []),
            source_name=name,
            max_items=max_items,
        )

    def __repr__(self) -> str:
        return f"FileSource({self.name!r}, {str(self.path)!r})"

    async def fetch(self, state: SourceState) -> FetchOutcome:
        outcome = FetchOutcome(self.name, "failed", started_at=datetime.now(UTC))
        started = time.perf_counter()
        try:
            if not self.path.exists():
                outcome.error = f"path not found: {self.path}"
                return outcome
            stamp = await asyncio.to_thread(fingerprint, self.path)
            if state.etag == stamp:
                outcome.status, outcome.etag = "not_modified", stamp
                return outcome
            read = await asyncio.to_thread(read_path, self.path, self.defaults)
            for w in read.warnings:
                log.warning("source %s: %s", self.name, w)
            outcome.articles, outcome.warnings = read.articles, read.warnings
            outcome.items_seen, outcome.items_skipped = len(read.articles) + read.skipped, read.skipped
            outcome.status, outcome.etag = "ok", stamp
            if not read.articles and read.files:
                outcome.status = "failed"
                outcome.error = f"no readable article in {self.path} ({read.skipped} file(s) skipped)"
            return outcome
        finally:
            outcome.duration_s = time.perf_counter() - started
