"""The article store (bot/store) on SQLite and on a throwaway PostgreSQL server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from pgserver import pg_fresh_url, pg_url  # noqa: F401  (fixtures, used via getfixturevalue)
from sqlalchemy import text, update

from bot.core.protocols import FetchedArticle, FetchOutcome, Store
from bot.store import SqlStore, StoreError, open_store
from bot.store.models import Article

STORY = (
    "Ministers from twelve coastal states met in Valletta on Monday to agree common rules for "
    "inspecting tankers that switch off their transponders. The draft, seen by reporters, would let "
    "port authorities hold a vessel for up to 72 hours while its insurance papers are checked."
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_fresh_url")


@pytest.fixture()
def store(store_url: str) -> Iterator[SqlStore]:
    s = open_store(store_url)
    yield s
    s.close()


def article(
    url: str,
    body: str = STORY,
    outlet: str = "Harbour Post",
    published: datetime | None = None,
    title: str = "Coastal states agree tanker checks",
) -> FetchedArticle:
    return FetchedArticle(url=url, title=title, text=body, outlet=outlet, published=published)


def ok(
    source: str, *articles: FetchedArticle, etag: str | None = None, last_modified: str | None = None
) -> FetchOutcome:
    return FetchOutcome(
        source_name=source, status="ok", articles=list(articles), etag=etag, last_modified=last_modified
    )


@dataclass
class Src:
    name: str
    url: str | None = None
    path: str | None = None
    outlet: str | None = None
    labels: tuple[str, ...] = ()
    enabled: bool = True


def test_store_satisfies_the_protocol(store: SqlStore) -> None:
    assert isinstance(store, Store)


def test_same_article_under_two_url_variants_is_stored_once(store: SqlStore) -> None:
    first = store.record_fetch(
        ok("harbour", article("http://www.harbour.example/news/tankers/?utm_source=rss"))
    )
    second = store.record_fetch(
        ok(
            "harbour",
            article("https://harbour.example/news/tankers/amp#top", body=STORY + " Updated at noon."),
        )
    )
    assert (first.new, first.duplicates, len(first.new_ids)) == (1, 0, 1)
    assert (second.new, second.duplicates, second.new_ids) == (0, 1, [])
    [stored] = store.articles()
    assert stored.id == first.new_ids[0]
    assert stored.canonical_url == "https://harbour.example/news/tankers"
    assert stored.url == "http://www.harbour.example/news/tankers/?utm_source=rss"
    assert stored.aliases == []  # same outlet: nothing to remember
    assert store.article_count() == 1


def test_same_text_from_another_outlet_is_one_article_with_both_outlets(
    store: SqlStore, seeds_dir: Path
) -> None:
    body = sorted(seeds_dir.glob("*.txt"))[2].read_text(encoding="utf-8")
    store.sync_sources(
        [
            Src("wire", url="https://wire.example/rss", outlet="Meridian Wire"),
            Src("ledger", url="https://ledger.example/rss", outlet="Harbor Ledger"),
        ]
    )
    first = store.record_fetch(ok("wire", article("https://wire.example/a/1", body, outlet="Meridian Wire")))
    copy = "  " + body.upper().replace("\n", "\n\n  ")  # reflowed, other case: same normalised text
    again = store.record_fetch(
        ok("ledger", article("https://ledger.example/world/syndicated", copy, outlet="Harbor Ledger"))
    )
    assert (first.new, again.new, again.duplicates) == (1, 0, 1)
    [stored] = store.articles()
    assert stored.outlet == "Meridian Wire" and stored.source_name == "wire"
    assert stored.aliases == [("Harbor Ledger", "https://ledger.example/world/syndicated")]
    # the second source finds it too, and seeing the copy again adds no second alias
    assert [a.id for a in store.articles(sources=["ledger"])] == [stored.id]
    store.record_fetch(
        ok(
            "ledger",
            article("https://ledger.example/world/syndicated?utm_medium=x", copy, outlet="Harbor Ledger"),
        )
    )
    assert store.articles()[0].aliases == stored.aliases
    assert {s.name: s.article_count for s in store.status()} == {"wire": 1, "ledger": 0}  # counted once


def test_copies_inside_one_fetch_are_deduplicated(store: SqlStore) -> None:
    result = store.record_fetch(
        ok(
            "mixed",
            article("https://a.example/1", outlet="Outlet A"),
            article("https://b.example/2", outlet="Outlet B"),
            article("https://a.example/1?fbclid=x", outlet="Outlet A"),
            article("https://c.example/3", body=STORY.replace("Monday", "Tuesday")),
        )
    )
    assert (result.new, result.duplicates) == (2, 2)
    by_url = {a.canonical_url: a for a in store.articles()}
    assert by_url["https://a.example/1"].aliases == [("Outlet B", "https://b.example/2")]


def test_short_generic_texts_are_not_merged_across_urls(store: SqlStore) -> None:
    result = store.record_fetch(
        ok(
            "feed",
            article("https://x.example/1", body="Read the full story."),
            article("https://x.example/2", body="Read the full story."),
            article("", body=""),
            article("", body="", title="Other headline"),
        )
    )
    assert (result.new, result.duplicates) == (4, 0)


def test_record_fetch_tracks_failures_and_resets_on_success(store: SqlStore) -> None:
    store.sync_sources([Src("flaky", url="https://flaky.example/feed")])
    for n in (1, 2):
        store.record_fetch(FetchOutcome("flaky", "failed", error=f"HTTP 503 (attempt {n})"))
    state = store.source_state("flaky")
    assert state.consecutive_failures == 2 and state.last_error == "HTTP 503 (attempt 2)"
    assert state.last_error_at is not None and state.last_error_at.tzinfo is not None
    assert state.last_success is None
    assert [s.stale for s in store.status(stale_after=2)] == [True]
    assert [s.stale for s in store.status(stale_after=3)] == [False]

    later = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    store.record_fetch(
        ok("flaky", article("https://flaky.example/1"), etag='"v1"', last_modified="Wed, 01 Jan"),
        next_poll=later,
    )
    state = store.source_state("flaky")
    assert state.consecutive_failures == 0 and state.etag == '"v1"' and state.last_modified == "Wed, 01 Jan"
    assert state.last_success is not None and state.last_success.tzinfo is not None
    assert state.next_poll == later
    assert state.last_error == "HTTP 503 (attempt 2)"  # kept as history; last_success is newer

    store.record_fetch(FetchOutcome("flaky", "not_modified"))  # validators survive a 304
    assert store.source_state("flaky").etag == '"v1"'
    [status] = store.status()
    assert (status.article_count, status.last_new, status.consecutive_failures, status.stale) == (
        1,
        0,
        0,
        False,
    )


def test_unknown_source_state_is_empty_and_sources_follow_the_config(store: SqlStore) -> None:
    assert store.source_state("nobody").consecutive_failures == 0
    store.sync_sources([Src("a", url="https://a.example/feed"), Src("b", path="/srv/news", outlet="B")])
    store.record_fetch(ok("a", etag="e1"))
    store.sync_sources([Src("a", url="https://a.example/other-feed", labels=("Wire Service",))])
    by_name = {s.name: s for s in store.status()}
    assert by_name["a"].url == "https://a.example/other-feed" and by_name["a"].enabled
    assert by_name["a"].etag is None  # the validator belonged to the old URL
    assert by_name["b"].enabled is False and by_name["b"].url == "/srv/news"


def test_replicas_starting_together_sync_the_same_sources(store_url: str) -> None:
    """Several `run` replicas start at once and each adds the config's sources: none may fail."""
    stores = [open_store(store_url) for _ in range(4)]
    sources = [Src(f"feed-{i}", url=f"https://feed{i}.example/rss") for i in range(40)]
    start = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def sync(st: SqlStore) -> None:
        start.wait()
        try:
            st.sync_sources(sources)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(st,)) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == []
        assert sorted(s.name for s in stores[0].status()) == sorted(s.name for s in sources)
    finally:
        for st in stores:
            st.close()


def test_articles_window_order_and_filters(store: SqlStore) -> None:
    now = datetime.now(UTC)
    naive_2h = (now - timedelta(hours=2)).replace(tzinfo=None)  # naive means UTC
    store.record_fetch(
        ok(
            "one",
            article("https://n.example/1h", body=STORY + " one", published=now - timedelta(hours=1)),
            article("https://n.example/30h", body=STORY + " two", published=now - timedelta(hours=30)),
            article("https://n.example/nodate", body=STORY + " three"),
            article("https://n.example/naive", body=STORY + " four", published=naive_2h),
        )
    )
    store.record_fetch(
        ok(
            "two",
            article("https://n.example/future", body=STORY + " five", published=now + timedelta(days=3)),
        )
    )
    day = store.articles(since=now - timedelta(hours=24))
    # the undated and the future-dated article count as just fetched; newest first
    assert [a.canonical_url.rsplit("/", 1)[1] for a in day] == ["future", "nodate", "1h", "naive"]
    assert all(a.fetched_at.tzinfo is not None for a in day)
    assert day[3].published == naive_2h.replace(tzinfo=UTC)
    assert day[0].published == (now + timedelta(days=3))  # published is returned as given
    older = store.articles(until=now - timedelta(hours=24))
    assert [a.canonical_url for a in older] == ["https://n.example/30h"]
    assert len(store.articles(limit=2)) == 2
    assert [a.source_name for a in store.articles(sources=["two"])] == ["two"]
    assert store.articles(since=now + timedelta(days=10)) == []


def test_embeddings_round_trip_per_model(store: SqlStore) -> None:
    ids = store.record_fetch(
        ok("e", article("https://e.example/1"), article("https://e.example/2", STORY + "!"))
    ).new_ids
    vectors = {"First sentence.": np.arange(4, dtype=np.float32) / 3, "Second one.": [0.5, -1.0, 2.25, 1e-3]}
    store.save_embeddings(ids[0], vectors, model="minilm")
    by_id = {a.id: a for a in store.articles(with_embeddings=True)}
    got = by_id[ids[0]].embeddings
    assert got is not None and list(got) == list(vectors)
    for sentence, vector in vectors.items():
        assert got[sentence].dtype == np.float32
        np.testing.assert_array_equal(got[sentence], np.asarray(vector, dtype=np.float32))
    assert by_id[ids[1]].embeddings is None
    assert store.articles()[0].embeddings is None  # only on request

    # another model: the latest model is loaded by default, never a mix of both
    store.save_many_embeddings({ids[1]: {"Other.": np.ones(8)}}, model="tfidf-8")
    by_id = {a.id: a for a in store.articles(with_embeddings=True)}
    assert by_id[ids[0]].embeddings is None and list(by_id[ids[1]].embeddings or {}) == ["Other."]
    by_id = {a.id: a for a in store.articles(with_embeddings=True, embedding_model="minilm")}
    assert list(by_id[ids[0]].embeddings or {}) == list(vectors)

    store.save_embeddings(ids[0], {"Replaced.": [1.0, 2.0]}, model="minilm")  # saving again replaces
    assert list(store.articles(with_embeddings=True, embedding_model="minilm")[-1].embeddings or {}) == [
        "Replaced."
    ]
    with pytest.raises(ValueError, match="same length"):
        store.save_embeddings(ids[0], {"a": [1.0, 2.0], "b": [1.0]}, model="minilm")
    with pytest.raises(StoreError, match="no stored article"):
        store.save_embeddings(999_999, {"a": [1.0]}, model="minilm")


def test_prune_deletes_old_articles_with_their_aliases_and_embeddings(store: SqlStore) -> None:
    now = datetime.now(UTC)
    old = store.record_fetch(
        ok(
            "p",
            article("https://p.example/old", published=now - timedelta(days=40)),
            article("https://p.example/new", STORY + " new", published=now),
        )
    ).new_ids
    store.record_fetch(
        ok("q", article("https://q.example/copy", outlet="Other Outlet", published=now - timedelta(days=40)))
    )
    store.save_embeddings(old[0], {"s": [1.0, 2.0]}, model="m")
    # Just fetched: an old item a feed still lists is kept for one retention period after its fetch,
    # so it is not pruned and then stored again as "new" at every poll.
    assert store.prune(now - timedelta(days=30)) == 0
    with store.engine.begin() as conn:
        conn.execute(update(Article).values(fetched_at=now - timedelta(days=35)))
    assert store.prune(now - timedelta(days=30)) == 1
    assert [a.canonical_url for a in store.articles(with_embeddings=True, embedding_model="m")] == [
        "https://p.example/new"
    ]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM embeddings")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM article_aliases")).scalar() == 0
    assert store.prune(now - timedelta(days=30)) == 0


def test_size_is_reported(store: SqlStore) -> None:
    store.record_fetch(ok("s", article("https://s.example/1")))
    size = store.size_bytes()
    assert size is not None and size > 0


def test_sqlite_file_relative_to_config_folder_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = open_store("sqlite:///data/sub/bot.db", base_dir=tmp_path)
    try:
        assert (tmp_path / "data" / "sub" / "bot.db").is_file()
        assert store.url == str(tmp_path / "data" / "sub" / "bot.db")
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    finally:
        store.close()


def test_in_memory_sqlite_works() -> None:
    with open_store("sqlite://") as store:
        store.record_fetch(ok("m", article("https://m.example/1")))
        assert store.article_count() == 1


def test_unusable_urls_raise_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("not a url")
    with pytest.raises(StoreError, match="cannot open the database at postgresql") as info:
        open_store("postgresql://nobody:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in str(info.value)


def test_concurrent_writers_store_each_article_once(store_url: str) -> None:
    """Two stores (as two processes would have) record the same items at once: no lock errors, no twins."""
    url = store_url
    open_store(url).close()
    items = [article(f"https://c.example/{i}", f"{STORY} item {i}") for i in range(40)]
    errors: list[BaseException] = []
    totals: list[int] = []

    def worker(name: str) -> None:
        try:
            with open_store(url) as s:
                totals.append(sum(s.record_fetch(ok(name, item)).new for item in items))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(totals) == 40
    with open_store(url) as s:
        assert s.article_count() == 40
