"""ChatRepository: subscriptions and last briefings, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy
from pgserver import fresh_database, pg_url  # noqa: F401  (session fixture used via getfixturevalue)
from sqlalchemy.pool import StaticPool

from bot.core.commands import Subscription
from bot.store import open_store
from bot.store.base import Base
from bot.store.chat import ChatRepository, LastBriefingRow, briefing_to_json
from summarizer.model import Briefing, Bullet, Quote, SourceRef, Story

T0 = datetime(2026, 11, 12, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite-memory", "sqlite-store", "postgresql"])
def repo(request, tmp_path: Path):
    if request.param == "sqlite-memory":
        engine = sqlalchemy.create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        Base.metadata.create_all(engine)
        yield ChatRepository(engine)
        engine.dispose()
        return
    url = (
        f"sqlite:///{tmp_path / 'b.db'}"
        if request.param == "sqlite-store"
        else fresh_database(request.getfixturevalue("pg_url"))
    )
    store = open_store(url)  # the store creates the chat tables with its own
    assert sqlalchemy.inspect(store.engine).has_table("chat_subscriptions")
    yield ChatRepository(store.engine, create_tables=False)
    store.close()


def sample_briefing() -> Briefing:
    return Briefing(
        topic="taiwan",
        generated_at=T0,
        stories=[
            Story(
                title="Patrol boats shadow survey ship",
                bullets=[Bullet("Boats followed the ship for six hours.", [1, 2])],
                quotes=[Quote("We watched every mile of its route", "Commander Lina Hsu", [1])],
                sources=[1, 2],
                extra_bullets=[
                    Bullet("The ship left before dawn.", [2]),
                    Bullet("Talks continue in Manila.", [1]),
                ],
            )
        ],
        sources=[
            SourceRef(
                1, "Patrol boats shadow", "https://harbor.example/a", "Harbor Ledger", T0, ["private media"]
            ),
            SourceRef(2, "Calm urged", "https://wire.example/b", "Meridian Wire", None, []),
        ],
    )


def sub(
    channel: str = "c1",
    topic: str = "taiwan",
    time: str = "07:30",
    tz: str = "UTC",
    platform: str = "discord",
):
    return Subscription(platform, "g1", channel, topic, time, tz, "u1", T0)


def test_last_briefing_round_trip_keeps_extra_bullets(repo: ChatRepository) -> None:
    assert repo.last_briefing("discord", "c1") is None
    b = sample_briefing()
    repo.save_last_briefing("discord", "c1", b)
    back = repo.last_briefing("discord", "c1")
    assert back is not None
    assert json.loads(briefing_to_json(back)) == json.loads(briefing_to_json(b))
    assert [x.text for x in back.stories[0].extra_bullets] == [
        "The ship left before dawn.",
        "Talks continue in Manila.",
    ]
    assert back.stories[0].quotes[0].speaker == "Commander Lina Hsu"
    assert back.sources[0].published == T0
    # overwritten per channel, separate per platform
    b2 = sample_briefing()
    b2.topic = "ukraine"
    repo.save_last_briefing("discord", "c1", b2)
    assert repo.last_briefing("discord", "c1").topic == "ukraine"
    assert repo.last_briefing("slack", "c1") is None
    with sqlalchemy.orm.Session(repo.engine) as s:
        assert s.query(LastBriefingRow).count() == 1


def test_subscriptions_unique_per_platform_channel_topic(repo: ChatRepository) -> None:
    assert repo.subscribe(sub()) is True
    assert repo.subscribe(sub(time="18:00", tz="Asia/Taipei")) is False  # same key: updated
    assert repo.subscribe(sub(platform="slack")) is True
    assert repo.subscribe(sub(channel="c2", topic="ukraine", time="06:00")) is True
    mine = repo.subscriptions("discord", "c1")
    assert [(s.topic, s.time, s.timezone) for s in mine] == [("taiwan", "18:00", "Asia/Taipei")]
    assert mine[0].created_at == T0 and mine[0].created_at.tzinfo is not None
    assert len(repo.subscriptions()) == 3
    assert [s.platform for s in repo.subscriptions(platform="slack")] == ["slack"]
    assert repo.unsubscribe("discord", "c1", "ukraine") == 0
    assert repo.unsubscribe("discord", "c2") == 1
    assert repo.unsubscribe("discord", "c1", "taiwan") == 1
    assert [s.platform for s in repo.subscriptions()] == ["slack"]


def test_concurrent_subscribes_of_the_same_key_leave_one_row(repo: ChatRepository) -> None:
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            results.append(repo.subscribe(sub(time=f"0{i}:00")))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results.count(True) == 1
    assert len(repo.subscriptions("discord", "c1")) == 1


def test_created_at_is_stored_as_utc(repo: ChatRepository) -> None:
    berlin = timezone(timedelta(hours=1))
    repo.subscribe(
        Subscription(
            "slack",
            None,
            "C9",
            "trade",
            "08:00",
            "Europe/Berlin",
            "U1",
            datetime(2026, 11, 12, 10, 30, tzinfo=berlin),
        )
    )
    assert repo.subscriptions("slack", "C9")[0].created_at == T0
