"""The claim protocol on SQLite and PostgreSQL: one winner per run, one takeover, owner-only updates."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pgserver import drop_database, fresh_database, pg_url  # noqa: F401
from sqlalchemy import inspect

from bot.store import open_store
from bot.store.claims import ClaimRepository

T0 = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture(params=["sqlite", "postgresql"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClaimRepository]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'claims.db'}"
        cleanup = None
    else:
        url = fresh_database(request.getfixturevalue("pg_url"))
        cleanup = url
    store = open_store(url)
    try:
        yield ClaimRepository(store.engine)
    finally:
        store.close()
        if cleanup:
            drop_database(cleanup)


def test_open_store_creates_the_claim_tables(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        names = set(inspect(store.engine).get_table_names())
        assert {"delivery_claims", "poll_claims"} <= names
    finally:
        store.close()


def test_first_claim_wins_and_the_second_is_refused(repo: ClaimRepository) -> None:
    a = repo.claim("morning", T0, "a", T0, LEASE)
    assert a is not None and a.status == "claimed" and a.attempts == 1 and not a.taken_over
    assert repo.claim("morning", T0, "b", T0 + timedelta(seconds=5), LEASE) is None
    # another run of the same delivery, and the same time of another delivery, are independent
    assert repo.claim("morning", T0 + timedelta(days=1), "b", T0, LEASE) is not None
    assert repo.claim("evening", T0, "b", T0, LEASE) is not None


def test_an_expired_claim_is_taken_over_once(repo: ClaimRepository) -> None:
    assert repo.claim("morning", T0, "dead", T0, LEASE) is not None
    assert repo.claim("morning", T0, "b", T0 + LEASE - timedelta(seconds=1), LEASE) is None  # still leased
    b = repo.claim("morning", T0, "b", T0 + LEASE + timedelta(seconds=1), LEASE)
    assert b is not None and b.taken_over and b.previous_owner == "dead" and b.previous_status == "claimed"
    assert b.attempts == 2
    # b dies too: nobody takes it a third time
    assert repo.claim("morning", T0, "c", T0 + 10 * LEASE, LEASE) is None
    assert repo.expired(T0 + 10 * LEASE, T0 - timedelta(hours=1)) == []


def test_posted_runs_are_never_taken_over(repo: ClaimRepository) -> None:
    a = repo.claim("morning", T0, "a", T0, LEASE)
    assert a is not None
    assert repo.start_posting(a, T0 + timedelta(seconds=1), LEASE)
    assert repo.finish(a, "posted", T0 + timedelta(seconds=2), message_ids=["m1"], platform="file")
    assert repo.claim("morning", T0, "b", T0 + timedelta(days=1), LEASE) is None
    row = repo.get("morning", T0)
    assert row is not None and row.status == "posted" and row.message_ids == ["m1"] and row.owner == "a"


def test_a_run_that_died_while_posting_is_taken_over_with_that_status(repo: ClaimRepository) -> None:
    a = repo.claim("morning", T0, "a", T0, LEASE)
    assert a is not None and repo.start_posting(a, T0, LEASE)
    later = T0 + 2 * LEASE
    assert [c.delivery for c in repo.expired(later, T0 - timedelta(hours=1))] == ["morning"]
    b = repo.claim("morning", T0, "b", later, LEASE)
    assert b is not None and b.previous_status == "posting"


def test_a_run_marked_for_retry_is_taken_over_after_its_time_by_one_replica(repo: ClaimRepository) -> None:
    a = repo.claim("morning", T0, "a", T0, LEASE)
    assert a is not None
    retry_at = T0 + timedelta(minutes=2)
    assert repo.finish(a, "retry", T0 + timedelta(seconds=5), error="HTTP 503", retry_at=retry_at)
    assert repo.claim("morning", T0, "b", retry_at - timedelta(seconds=1), LEASE) is None  # not yet
    assert repo.expired(retry_at - timedelta(seconds=1), T0 - timedelta(hours=1)) == []
    assert [c.status for c in repo.expired(retry_at + timedelta(seconds=1), T0 - timedelta(hours=1))] == [
        "retry"
    ]
    b = repo.claim("morning", T0, "b", retry_at + timedelta(seconds=1), LEASE)
    assert b is not None and b.previous_status == "retry" and b.attempts == 2
    assert repo.claim("morning", T0, "c", retry_at + timedelta(seconds=2), LEASE) is None  # b has it now
    # a failed run (not marked for retry) stays failed
    assert repo.finish(b, "failed", retry_at + timedelta(seconds=3), error="HTTP 503 again")
    assert repo.claim("morning", T0, "c", T0 + timedelta(days=1), LEASE) is None
    with pytest.raises(ValueError, match="retry_at"):
        c = repo.claim("evening", T0, "c", T0, LEASE)
        assert c is not None
        repo.finish(c, "retry", T0)


def test_only_the_owner_with_a_live_lease_may_post_or_finish(repo: ClaimRepository) -> None:
    a = repo.claim("morning", T0, "a", T0, LEASE)
    assert a is not None
    assert not repo.start_posting(a, T0 + LEASE + timedelta(seconds=1), LEASE), "lease ran out"
    b = repo.claim("morning", T0, "b", T0 + LEASE + timedelta(seconds=2), LEASE)
    assert b is not None
    assert not repo.finish(a, "posted", T0 + LEASE + timedelta(seconds=3), message_ids=["x"])
    assert repo.start_posting(b, T0 + LEASE + timedelta(seconds=3), LEASE)
    assert repo.finish(b, "posted", T0 + LEASE + timedelta(seconds=4), message_ids=["y"])
    row = repo.get("morning", T0)
    assert row is not None and row.owner == "b" and row.message_ids == ["y"]


def test_concurrent_claims_have_exactly_one_winner(repo: ClaimRepository) -> None:
    barrier = threading.Barrier(8)
    results: list[object] = []
    lock = threading.Lock()

    def contend(owner: str, when: datetime) -> None:
        barrier.wait()
        got = repo.claim("race", T0, owner, when, LEASE)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=contend, args=(f"o{i}", T0)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r is not None for r in results) == 1

    # and once the lease is gone, exactly one of them takes it over
    results.clear()
    barrier.reset()
    late = T0 + 2 * LEASE
    threads = [threading.Thread(target=contend, args=(f"p{i}", late)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and winners[0].taken_over  # type: ignore[attr-defined]


def test_release_drops_only_unposted_claims_of_that_owner(repo: ClaimRepository) -> None:
    a1 = repo.claim("one", T0, "a", T0, LEASE)
    a2 = repo.claim("two", T0, "a", T0, LEASE)
    assert repo.claim("three", T0, "b", T0, LEASE) is not None
    assert a1 is not None and a2 is not None
    assert repo.start_posting(a2, T0, LEASE) and repo.finish(a2, "posted", T0, message_ids=["m"])
    assert repo.release("a") == 1
    assert repo.get("one", T0) is None
    assert repo.claim("one", T0, "c", T0 + timedelta(seconds=1), LEASE) is not None, "free again at once"
    assert repo.get("two", T0).status == "posted"  # type: ignore[union-attr]
    assert repo.get("three", T0).owner == "b"  # type: ignore[union-attr]


def test_poll_slots_are_claimed_once_and_stolen_after_the_lease(repo: ClaimRepository) -> None:
    assert repo.claim_poll("feed", "slot1", "a", T0, LEASE)
    assert not repo.claim_poll("feed", "slot1", "b", T0 + timedelta(seconds=10), LEASE)
    assert repo.claim_poll("feed", "slot2", "b", T0, LEASE)
    assert repo.claim_poll("other", "slot1", "b", T0, LEASE)
    assert repo.claim_poll("feed", "slot1", "b", T0 + 2 * LEASE, LEASE), "the first poller died"
    assert not repo.claim_poll("feed", "slot1", "c", T0 + 2 * LEASE + timedelta(seconds=1), LEASE)


def test_fingerprints_come_back_from_posted_runs_only(repo: ClaimRepository) -> None:
    for i, status in enumerate(["posted", "posted", "skipped"]):
        c = repo.claim("u", T0 + timedelta(hours=i), "a", T0, LEASE)
        assert c is not None
        repo.finish(c, status, T0, fingerprints=[{"urls": [f"https://x/{i}"], "bullets": []}])  # type: ignore[arg-type]
    prints = repo.posted_fingerprints("u", T0)
    assert [p["urls"] for p in prints] == [["https://x/0"], ["https://x/1"]]
    assert repo.posted_fingerprints("u", T0 + timedelta(minutes=30)) == [
        {"urls": ["https://x/1"], "bullets": []}
    ]


def test_prune_forgets_old_finished_runs_and_poll_claims(repo: ClaimRepository) -> None:
    old = repo.claim("d", T0 - timedelta(days=40), "a", T0, LEASE)
    assert old is not None and repo.finish(old, "posted", T0, message_ids=["m"])
    assert repo.claim("d", T0 - timedelta(days=41), "a", T0, LEASE) is not None  # unfinished: kept
    assert repo.claim("d", T0, "a", T0, LEASE) is not None
    assert repo.claim_poll("s", "old", "a", T0 - timedelta(days=2), LEASE)
    assert repo.claim_poll("s", "new", "a", T0, LEASE)
    assert repo.prune(T0 - timedelta(days=30), T0 - timedelta(days=1)) == 2
    assert [c.scheduled_for for c in repo.claims("d")] == [T0 - timedelta(days=41), T0]
