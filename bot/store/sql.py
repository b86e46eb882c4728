"""`SqlStore`: the `Store` protocol over SQLAlchemy 2 (SQLite by default, PostgreSQL by URL).

Deduplication: an article is keyed twice, by canonical URL and by content hash, both UNIQUE.
A fetched article matching either is a duplicate; if it came from another outlet that outlet and
its URL are remembered in `article_aliases`, so a syndicated story keeps every outlet that ran it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Engine, and_, delete, func, insert, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.core.protocols import (
    FetchedArticle,
    FetchOutcome,
    SourceState,
    SourceStatus,
    StoredArticle,
    StoreResult,
)
from bot.store.engine import READ_ONLY, display_url, sqlite_path
from bot.store.errors import StoreError
from bot.store.models import Article, ArticleAlias, EmbeddingRow, FetchLog, SourceRow, utcnow
from bot.store.stories import StoryRepository
from bot.store.urls import canonicalize_url, content_hash, normalize_text

__all__ = ["MIN_HASH_CHARS", "SqlStore"]

log = logging.getLogger(__name__)

# Texts shorter than this (normalised) are too generic to merge on ("Read more.", a paywall line):
# their hash also covers the URL, so they only collide with the same URL.
MIN_HASH_CHARS = 120
MAX_URL_KEY = 1900  # a longer canonical URL is cut and suffixed with its digest (index size limits)
CHUNK = 500  # ids / keys per IN (...) clause
RECORD_ATTEMPTS = 3  # a concurrent writer may insert the same article first: re-read and retry
VECTOR_DTYPE = np.dtype("<f4")
_SYNC_SOURCES_LOCK = 0x62726266  # "brbf": the advisory lock key of sync_sources on PostgreSQL

T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=UTC)


def _fit_key(canonical: str) -> str:
    if len(canonical) <= MAX_URL_KEY:
        return canonical
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{canonical[: MAX_URL_KEY - 72]}#sha256={digest}"


@dataclass(frozen=True)
class _Keys:
    canonical_url: str
    content_hash: str


def article_keys(article: FetchedArticle) -> _Keys:
    """The canonical URL and dedup hash the store files an article under."""
    norm = normalize_text(article.text)
    try:
        canonical = canonicalize_url(article.url)
    except ValueError:  # no URL at all: key it by its content
        canonical = "urn:briefbot:" + content_hash(f"{article.title}\n{article.text}")
    canonical = _fit_key(canonical)
    if len(norm) >= MIN_HASH_CHARS:
        digest = content_hash(norm, normalized=True)
    else:
        digest = hashlib.sha256(f"short\n{canonical}\n{norm}".encode()).hexdigest()
    return _Keys(canonical, digest)


class SqlStore:
    """The article store. Open it with `bot.store.open_store`; one instance is safe across threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = display_url(engine.url)
        self._is_sqlite = engine.dialect.name == "sqlite"
        read_engine = engine.execution_options(**{READ_ONLY: True}) if self._is_sqlite else engine
        self._write_sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(read_engine, expire_on_commit=False)
        self._prepare_schema()

    # -- lifecycle -------------------------------------------------------------------------------

    def _prepare_schema(self) -> None:
        """Create a new database at the head schema revision, or upgrade an older one (bot.store.schema)."""
        from bot.store.schema import prepare

        prepare(self.engine, self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._write_sessions.begin() as session:
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._read_sessions.begin() as session:
            yield session

    # -- sources ---------------------------------------------------------------------------------

    def sync_sources(self, sources: Sequence[Any]) -> None:
        """Make the sources table match the config: add, update, and disable the ones removed.

        Replicas starting together all do this at once. SQLite's write transactions already take
        turns (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock makes them, so the
        second replica sees the first one's rows instead of inserting them again.
        """
        with self._write() as s:
            if self.engine.dialect.name == "postgresql":
                s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_SOURCES_LOCK})
            rows = {r.name: r for r in s.scalars(select(SourceRow))}
            wanted: set[str] = set()
            for src in sources:
                name = src.name
                wanted.add(name)
                row = rows.get(name)
                if row is None:
                    row = SourceRow(name=name, consecutive_failures=0)
                    s.add(row)
                location = getattr(src, "url", None) or str(getattr(src, "path", None) or "")
                if row.url and row.url != location:  # validators belong to the old location
                    row.etag = row.last_modified = None
                row.url = location
                row.outlet = getattr(src, "outlet", None)
                row.labels = list(getattr(src, "labels", None) or [])
                row.enabled = bool(getattr(src, "enabled", True))
            for name, row in rows.items():
                if name not in wanted:
                    row.enabled = False

    def source_state(self, name: str) -> SourceState:
        with self._read() as s:
            row = s.scalar(select(SourceRow).where(SourceRow.name == name))
            if row is None:
                return SourceState(name=name)
            return SourceState(
                name=row.name,
                etag=row.etag,
                last_modified=row.last_modified,
                last_success=row.last_success,
                last_error=row.last_error,
                last_error_at=row.last_error_at,
                consecutive_failures=row.consecutive_failures or 0,
                next_poll=row.next_poll,
            )

    def _source_row(self, s: Session, name: str) -> SourceRow:
        row = s.scalar(select(SourceRow).where(SourceRow.name == name))
        if row is None:  # a source polled without sync_sources (e.g. an ad-hoc fetch)
            row = SourceRow(name=name, url="", labels=[], enabled=True, consecutive_failures=0)
            s.add(row)
            s.flush()
        return row

    # -- fetches and articles --------------------------------------------------------------------

    def record_fetch(self, outcome: FetchOutcome, next_poll: datetime | None = None) -> StoreResult:
        """Store new articles (deduplicated), update the source state and append to the fetch log."""
        if not outcome.source_name:
            raise StoreError("a fetch outcome needs a source name to be recorded")
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                with self._write() as s:
                    return self._record(s, outcome, next_poll)
            except IntegrityError as exc:
                if attempt == RECORD_ATTEMPTS:
                    raise StoreError(
                        f"could not store the articles of {outcome.source_name!r}: {exc.orig}"
                    ) from None
                log.info("concurrent insert while recording %s, retrying", outcome.source_name)
        raise AssertionError("unreachable")

    def _record(self, s: Session, outcome: FetchOutcome, next_poll: datetime | None) -> StoreResult:
        now = utcnow()
        src = self._source_row(s, outcome.source_name)
        if outcome.status == "failed":
            src.consecutive_failures = (src.consecutive_failures or 0) + 1
            src.last_error = outcome.error or "failed without a message"
            src.last_error_at = now
        else:
            src.consecutive_failures = 0
            src.last_success = now
            if outcome.status == "ok":
                src.etag, src.last_modified = outcome.etag, outcome.last_modified
            else:  # not_modified: keep the validators unless the server sent new ones
                src.etag = outcome.etag or src.etag
                src.last_modified = outcome.last_modified or src.last_modified
        if next_poll is not None:
            src.next_poll = next_poll
        result = StoreResult()
        if outcome.articles:
            self._add_articles(s, src, outcome.articles, now, result)
        s.add(
            FetchLog(
                source_id=src.id,
                started_at=outcome.started_at or now,
                status=outcome.status,
                new=result.new,
                duplicates=result.duplicates,
                items_seen=outcome.items_seen or len(outcome.articles),
                error=outcome.error,
                duration_s=float(outcome.duration_s or 0.0),
            )
        )
        return result

    def _add_articles(
        self,
        s: Session,
        src: SourceRow,
        articles: Sequence[FetchedArticle],
        now: datetime,
        result: StoreResult,
    ) -> None:
        keyed = [(a, article_keys(a)) for a in articles]
        by_url: dict[str, tuple[int, str]] = {}  # canonical url -> (article id, outlet)
        by_hash: dict[str, tuple[int, str]] = {}
        urls = list({k.canonical_url for _, k in keyed})
        hashes = list({k.content_hash for _, k in keyed})
        cols = (Article.id, Article.canonical_url, Article.content_hash, Article.outlet)
        for column, values in ((Article.canonical_url, urls), (Article.content_hash, hashes)):
            for chunk in _chunks(values):
                for aid, cu, ch, outlet in s.execute(select(*cols).where(column.in_(chunk))):
                    by_url[cu] = by_hash[ch] = (aid, outlet)

        new_rows: list[dict[str, Any]] = []
        new_url: dict[str, int] = {}  # canonical url -> index in new_rows
        new_hash: dict[str, int] = {}
        dupes: list[tuple[FetchedArticle, int | tuple[int, str]]] = []  # new_rows index or (id, outlet)
        default_outlet = src.outlet or src.name
        for art, keys in keyed:
            known = by_url.get(keys.canonical_url) or by_hash.get(keys.content_hash)
            if known is not None:
                dupes.append((art, known))
                continue
            pending = new_url.get(keys.canonical_url, new_hash.get(keys.content_hash))
            if pending is not None:
                dupes.append((art, pending))
                continue
            published = _aware(art.published)
            new_url[keys.canonical_url] = new_hash[keys.content_hash] = len(new_rows)
            new_rows.append(
                {
                    "source_id": src.id,
                    "url": art.url,
                    "canonical_url": keys.canonical_url,
                    "guid": art.guid,
                    "title": art.title or "",
                    "outlet": art.outlet or default_outlet,
                    "labels": list(art.labels),
                    "published": published,
                    "dated_by": art.dated_by if published else None,
                    "fetched_at": now,
                    "window_at": min(published, now) if published else now,
                    "text": art.text or "",
                    "content_hash": keys.content_hash,
                }
            )
        ids: list[int] = []
        if new_rows:
            ids = list(
                s.scalars(insert(Article).returning(Article.id, sort_by_parameter_order=True), new_rows)
            )
        result.new, result.duplicates, result.new_ids = len(ids), len(dupes), ids
        self._add_aliases(s, src, dupes, ids, new_rows, now)

    def _add_aliases(
        self,
        s: Session,
        src: SourceRow,
        dupes: Iterable[tuple[FetchedArticle, int | tuple[int, str]]],
        ids: Sequence[int],
        new_rows: Sequence[dict[str, Any]],
        now: datetime,
    ) -> None:
        """Remember each other outlet that carried an article already stored."""
        wanted: dict[tuple[int, str], str] = {}
        for art, target in dupes:
            aid, primary = (ids[target], new_rows[target]["outlet"]) if isinstance(target, int) else target
            outlet = art.outlet or src.outlet or src.name
            if outlet.casefold() != primary.casefold():
                wanted.setdefault((aid, outlet), art.url)
        if not wanted:
            return
        have: set[tuple[int, str]] = set()
        for chunk in _chunks(sorted({aid for aid, _ in wanted})):
            rows = s.execute(
                select(ArticleAlias.article_id, ArticleAlias.outlet).where(ArticleAlias.article_id.in_(chunk))
            )
            have.update((aid, outlet.casefold()) for aid, outlet in rows)
        fresh = []
        for (aid, outlet), url in wanted.items():
            if (aid, outlet.casefold()) not in have:
                have.add((aid, outlet.casefold()))
                fresh.append(
                    {"article_id": aid, "source_id": src.id, "outlet": outlet, "url": url, "seen_at": now}
                )
        if fresh:
            s.execute(insert(ArticleAlias), fresh)

    def articles(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        sources: Sequence[str] | None = None,
        limit: int | None = None,
        with_embeddings: bool = False,
        embedding_model: str | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[StoredArticle]:
        """Stored articles newest first, by publication time (fetch time when unknown or in the future).

        `since` is inclusive, `until` exclusive. `sources` matches the source that stored an article or
        one that carried a copy. With `with_embeddings`, vectors of `embedding_model` are attached
        (default: the model that most recently saved embeddings, so models are never mixed).
        """
        q = select(
            Article.id,
            Article.url,
            Article.canonical_url,
            Article.title,
            Article.outlet,
            Article.published,
            Article.fetched_at,
            Article.text,
            SourceRow.name,
            Article.labels,
            Article.content_hash,
            Article.dated_by,
        ).join(SourceRow, Article.source_id == SourceRow.id)
        if ids is not None:
            q = q.where(Article.id.in_(list(ids)))
        if since is not None:
            q = q.where(Article.window_at >= since)
        if until is not None:
            q = q.where(Article.window_at < until)
        if sources is not None:
            alias_source = aliased(SourceRow)
            carried = (
                select(ArticleAlias.article_id)
                .join(alias_source, ArticleAlias.source_id == alias_source.id)
                .where(alias_source.name.in_(list(sources)))
            )
            q = q.where(or_(SourceRow.name.in_(list(sources)), Article.id.in_(carried)))
        q = q.order_by(Article.window_at.desc(), Article.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self._read() as s:
            out = [
                StoredArticle(*row[:9], labels=list(row[9] or []), content_hash=row[10], dated_by=row[11])
                for row in s.execute(q)
            ]
            ids = [a.id for a in out]
            aliases = self._aliases(s, ids)
            vectors = self._load_embeddings(s, ids, embedding_model) if with_embeddings and out else {}
        for a in out:
            a.aliases = aliases.get(a.id, [])
            if with_embeddings:
                a.embeddings = vectors.get(a.id)
        return out

    def _aliases(self, s: Session, ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        found: dict[int, list[tuple[str, str]]] = {}
        for chunk in _chunks(ids):
            q = (
                select(ArticleAlias.article_id, ArticleAlias.outlet, ArticleAlias.url)
                .where(ArticleAlias.article_id.in_(chunk))
                .order_by(ArticleAlias.id)
            )
            for aid, outlet, url in s.execute(q):
                found.setdefault(aid, []).append((outlet, url))
        return found

    def articles_by_id(self, ids: Sequence[int], with_embeddings: bool = False) -> list[StoredArticle]:
        """The stored articles with these ids (any that were pruned are simply absent)."""
        found: list[StoredArticle] = []
        for chunk in _chunks(list(ids)):
            found.extend(self.articles(ids=chunk, with_embeddings=with_embeddings))
        return found

    def article_count(self) -> int:
        with self._read() as s:
            return int(s.scalar(select(func.count()).select_from(Article)) or 0)

    # -- embeddings ------------------------------------------------------------------------------

    def save_embeddings(self, article_id: int, embeddings: dict[str, Any], model: str) -> None:
        """Cache one article's sentence vectors (sentence -> vector) under a model name."""
        self.save_many_embeddings({article_id: embeddings}, model)

    def save_many_embeddings(self, by_article: Mapping[int, Mapping[str, Any]], model: str) -> None:
        """Like `save_embeddings` for many articles in one transaction; replaces earlier vectors."""
        if not model:
            raise ValueError("embeddings need the name of the model that made them")
        packed = {aid: _pack(aid, vectors) for aid, vectors in by_article.items()}
        if not packed:
            return
        now = utcnow()
        with self._write() as s:
            ids = sorted(packed)
            existing: set[int] = set()
            for chunk in _chunks(ids):
                existing.update(s.scalars(select(Article.id).where(Article.id.in_(chunk))))
            missing = [aid for aid in ids if aid not in existing]
            if missing:
                raise StoreError(
                    f"cannot cache embeddings: no stored article with id {missing[:5]} (pruned?)"
                )
            for chunk in _chunks(ids):
                s.execute(
                    delete(EmbeddingRow)
                    .where(EmbeddingRow.model == model, EmbeddingRow.article_id.in_(chunk))
                    .execution_options(synchronize_session=False)
                )
            s.execute(
                insert(EmbeddingRow),
                [
                    {
                        "article_id": aid,
                        "model": model,
                        "sentences": sentences,
                        "dim": dim,
                        "vectors": blob,
                        "created_at": now,
                    }
                    for aid, (sentences, dim, blob) in packed.items()
                ],
            )

    def _load_embeddings(
        self, s: Session, ids: Sequence[int], model: str | None
    ) -> dict[int, dict[str, Any]]:
        if model is None:
            model = s.scalar(select(EmbeddingRow.model).order_by(EmbeddingRow.created_at.desc()).limit(1))
            if model is None:
                return {}
        found: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            q = select(
                EmbeddingRow.article_id, EmbeddingRow.sentences, EmbeddingRow.dim, EmbeddingRow.vectors
            ).where(EmbeddingRow.model == model, EmbeddingRow.article_id.in_(chunk))
            for aid, sentences, dim, blob in s.execute(q):
                found[aid] = _unpack(sentences, dim, blob)
        return found

    # -- status and maintenance ------------------------------------------------------------------

    def status(self, stale_after: int = 5) -> list[SourceStatus]:
        """Every known source with its poll state, article count and last fetch's new articles."""
        with self._read() as s:
            rows = list(s.scalars(select(SourceRow).order_by(SourceRow.name)))
            counts = {
                sid: n
                for sid, n in s.execute(select(Article.source_id, func.count()).group_by(Article.source_id))
            }
            last_id = (
                select(FetchLog.source_id, func.max(FetchLog.id).label("mid"))
                .group_by(FetchLog.source_id)
                .subquery()
            )
            last_new = {
                sid: n
                for sid, n in s.execute(
                    select(FetchLog.source_id, FetchLog.new).join(last_id, FetchLog.id == last_id.c.mid)
                )
            }
        return [
            SourceStatus(
                name=r.name,
                etag=r.etag,
                last_modified=r.last_modified,
                last_success=r.last_success,
                last_error=r.last_error,
                last_error_at=r.last_error_at,
                consecutive_failures=r.consecutive_failures or 0,
                next_poll=r.next_poll,
                url=r.url or "",
                enabled=bool(r.enabled),
                article_count=int(counts.get(r.id, 0)),
                stale=(r.consecutive_failures or 0) >= stale_after,
                last_new=int(last_new.get(r.id, 0)),
            )
            for r in rows
        ]

    def new_per_day(self, since: datetime) -> dict[str, dict[date, int]]:
        """Articles each source stored per UTC day since a time, from the fetch log (the admin page's
        chart; the log is pruned with the articles)."""
        q = (
            select(SourceRow.name, FetchLog.started_at, FetchLog.new)
            .join(SourceRow, SourceRow.id == FetchLog.source_id)
            .where(FetchLog.started_at >= since, FetchLog.new > 0)
        )
        found: dict[str, dict[date, int]] = {}
        with self._read() as s:
            for name, started_at, new in s.execute(q):
                day = started_at.astimezone(UTC).date()
                per = found.setdefault(name, {})
                per[day] = per.get(day, 0) + int(new)
        return found

    def size_bytes(self) -> int | None:
        """Bytes the database takes on disk (SQLite file + WAL, or PostgreSQL's database size)."""
        if self._is_sqlite:
            path = sqlite_path(self.engine.url)
            if path is not None and path.exists():
                wal = path.with_name(path.name + "-wal")
                return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
            with self._read() as s:
                pages = s.execute(text("PRAGMA page_count")).scalar() or 0
                size = s.execute(text("PRAGMA page_size")).scalar() or 0
                return int(pages) * int(size)
        if self.engine.dialect.name == "postgresql":
            with self._read() as s:
                return int(s.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)
        return None

    def prune(self, older_than: datetime) -> int:
        """Delete articles (with their aliases and embeddings) and fetch-log rows older than a time.

        An article goes only when both its date and its fetch time are older: an old item that a feed
        still lists is kept for one retention period after it was fetched, instead of being pruned
        and fetched again as "new" at every poll.
        """
        is_old = and_(Article.window_at < older_than, Article.fetched_at < older_than)
        old = select(Article.id).where(is_old)
        no_sync = {"synchronize_session": False}
        with self._write() as s:
            s.execute(
                delete(EmbeddingRow).where(EmbeddingRow.article_id.in_(old)).execution_options(**no_sync)
            )
            s.execute(
                delete(ArticleAlias).where(ArticleAlias.article_id.in_(old)).execution_options(**no_sync)
            )
            StoryRepository.prune(s, old)
            gone = s.execute(delete(Article).where(is_old).execution_options(**no_sync))
            s.execute(delete(FetchLog).where(FetchLog.started_at < older_than).execution_options(**no_sync))
            count = int(getattr(gone, "rowcount", 0) or 0)
        if count:
            log.info("pruned %d articles older than %s from %s", count, older_than.isoformat(), self.url)
        return count


def _pack(article_id: int, vectors: Mapping[str, Any]) -> tuple[list[str], int, bytes]:
    sentences = [str(k) for k in vectors]
    if not sentences:
        return [], 0, b""
    try:
        matrix = np.stack([np.asarray(v, dtype=VECTOR_DTYPE).reshape(-1) for v in vectors.values()])
    except ValueError:
        raise ValueError(f"the embeddings of article {article_id} do not all have the same length") from None
    return sentences, int(matrix.shape[1]), matrix.tobytes()


def _unpack(sentences: list[str], dim: int, blob: bytes) -> dict[str, Any]:
    if not sentences or not dim:
        return {}
    matrix = np.frombuffer(blob, dtype=VECTOR_DTYPE).reshape(len(sentences), dim).astype(np.float32)
    return {sentence: matrix[i] for i, sentence in enumerate(sentences)}
