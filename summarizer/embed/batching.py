"""Length-sorted batching: padding a short sentence to a long one's length wastes most of a batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def length_sorted_batches(lengths: Sequence[int], max_batch: int, max_tokens: int) -> Iterator[list[int]]:
    """Yield index lists, shortest sentences first, each batch under `max_tokens` padded tokens.

    A batch holds at most `max_batch` items and `count * longest` stays within `max_tokens`
    (a single over-long item still gets a batch of its own).
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batch: list[int] = []
    for i in order:
        longest = lengths[i]  # ascending order: the newcomer is the longest
        if batch and (len(batch) >= max_batch or (len(batch) + 1) * longest > max_tokens):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch
