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


MIN_BATCH_TOKENS = 384  # on the seeds 384-512 padded tokens a batch were fastest; 128 was ~15% slower
BATCHES_PER_WORKER = 4


def batch_token_budget(total_tokens: int, workers: int, cap: int) -> int:
    """Padded tokens per batch: several batches per worker, so a small input splits evenly.

    With one batch per worker, length sorting made the batches unequal and one worker idled while
    the other ran two: the seeds' 110 sentences encoded in ~1.0 s instead of ~0.75 s. Large inputs
    get `cap`, the memory budget.
    """
    per_worker = -(-max(total_tokens, 0) // max(workers, 1))
    return max(1, min(cap, max(MIN_BATCH_TOKENS, per_worker // BATCHES_PER_WORKER)))
