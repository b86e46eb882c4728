"""Quote extraction in a helper process, for one-shot commands such as `briefbot brief --input`.

spaCy's import and load cost more CPU than the rest of a five-article briefing, and most of it is
Python holding the GIL: loaded in a thread, it slows segmentation and encoding as much as it overlaps
them. A helper process loads it on the other core instead, and can parse the articles while the
main process encodes them. The long-running bot keeps spaCy in-process (`summarizer.nlp.preload`),
where the load is paid once.

The helper speaks JSON lines over its stdin and stdout: requests `{"id": n, "text": ...}`, answers
`{"id": n, "quotes": [...]}` or `{"id": n, "error": "..."}`. Whatever goes wrong with it (it cannot
start, dies, answers garbage or too late), `QuoteWorker.extract` falls back to extracting in this
process, so a quote is never lost to the helper, only made slower.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import asdict, fields
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module first thing, so it imports nothing heavy up front
    from summarizer.quotes import QuoteCandidate

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 300.0  # per text; spaCy parses ~5k words/s, and texts are bounded by the quotes budget


class WorkerGone(RuntimeError):
    """The helper process ended or broke its protocol; callers fall back to in-process extraction."""


class QuoteWorker:
    """One helper process that extracts quotes; thread-safe, answers are cached per text."""

    def __init__(self, argv: Sequence[str] | None = None) -> None:
        self._argv = list(argv) if argv else [sys.executable, "-m", "summarizer.quote_worker"]
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._pending: dict[int, Future[list[QuoteCandidate]]] = {}
        self._by_text: dict[str, Future[list[QuoteCandidate]]] = {}
        self._next_id = 0
        self._gone: str | None = None
        self._warned = False  # "not running" is logged once per helper, not once per article
        # Requests go through a writer thread: a pipe holds 64 KB, and the helper reads nothing
        # until spaCy has loaded, so writing from the caller's thread could stall the briefing.
        self._outbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the helper (it begins loading spaCy at once); a failure only logs and disables it."""
        with self._lock:
            if self._proc is not None or self._gone:
                return
            try:
                self._proc = subprocess.Popen(
                    self._argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    encoding="utf-8",
                    bufsize=1,
                )
            except OSError as exc:
                self._gone = f"could not start the quote helper: {exc}"
                self._warned = True
                log.warning("%s; extracting quotes in this process", self._gone)
                return
            stdin, stdout = self._proc.stdin, self._proc.stdout
            assert stdin is not None and stdout is not None
            threading.Thread(
                target=self._read, args=(stdout,), name="quote-worker-reader", daemon=True
            ).start()
            threading.Thread(
                target=self._write, args=(stdin,), name="quote-worker-writer", daemon=True
            ).start()

    def close(self) -> None:
        """Stop the helper without waiting for work in flight (its answers are no longer needed)."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._gone = self._gone or "closed"
        if proc is None:
            return
        self._outbox.put(None)
        proc.kill()
        proc.wait()
        self._fail_pending("closed")

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._gone is None

    # -- requests ------------------------------------------------------------------------------

    def prefetch(self, texts: Iterable[str]) -> None:
        """Ask for these texts' quotes now, so the helper parses them while this process works on."""
        for text in texts:
            self._submit(text)

    def extract(self, text: str) -> list[QuoteCandidate]:
        """The quotes of `text`, as `summarizer.quotes.extract_quotes` gives them."""
        future = self._submit(text)
        if future is None and self._gone not in (None, "closed") and not self._warned:
            self._warned = True
            log.warning("the quote helper is not running (%s); extracting quotes in this process", self._gone)
        if future is not None:
            try:
                return future.result(timeout=ANSWER_TIMEOUT_S)
            except FutureTimeout:
                log.warning("the quote helper gave no answer in %.0f s; stopping it", ANSWER_TIMEOUT_S)
                self.close()
            except WorkerGone as exc:
                log.warning("the quote helper failed (%s); extracting quotes in this process", exc)
        from summarizer.quotes import extract_quotes

        return extract_quotes(text)

    def _submit(self, text: str) -> Future[list[QuoteCandidate]] | None:
        if not isinstance(text, str) or not text:
            return None
        with self._lock:
            known = self._by_text.get(text)
            if known is not None:
                return known
            if self._proc is None or self._gone:
                return None
            future: Future[list[QuoteCandidate]] = Future()
            n = self._next_id
            self._next_id += 1
            self._pending[n] = future
            self._by_text[text] = future
        self._outbox.put(json.dumps({"id": n, "text": text}) + "\n")
        return future

    def _write(self, stdin: IO[str]) -> None:
        try:
            while (line := self._outbox.get()) is not None:
                stdin.write(line)
                stdin.flush()
        except (OSError, ValueError) as exc:  # a closed pipe: the helper is gone
            self._gone = self._gone or f"could not write to the quote helper: {exc}"
            self._fail_pending(self._gone)
        finally:
            try:
                stdin.close()
            except (OSError, ValueError):
                pass

    # -- answers -------------------------------------------------------------------------------

    def _read(self, stdout: IO[str]) -> None:
        try:
            for line in stdout:
                try:
                    answer = json.loads(line)
                    with self._lock:
                        future = self._pending.pop(int(answer["id"]))
                except (ValueError, KeyError, TypeError) as exc:
                    self._gone = f"unreadable answer from the quote helper ({exc})"
                    break
                if "error" in answer:
                    future.set_exception(WorkerGone(str(answer["error"])))
                    continue
                try:
                    future.set_result([_candidate(q) for q in answer["quotes"]])
                except (KeyError, TypeError) as exc:
                    future.set_exception(WorkerGone(f"malformed quotes in the helper's answer ({exc})"))
        except (OSError, ValueError):  # the pipe closed under us
            pass
        self._gone = self._gone or "the quote helper exited"
        self._fail_pending(self._gone)

    def _fail_pending(self, why: str) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            # Texts whose answer never came are asked again (in-process), not remembered as failed.
            lost = {id(f) for f in pending.values()}
            self._by_text = {t: f for t, f in self._by_text.items() if id(f) not in lost}
        for future in pending.values():
            if not future.done():
                future.set_exception(WorkerGone(why))


def _candidate(q: dict[str, Any]) -> QuoteCandidate:
    from summarizer.quotes import QuoteCandidate

    return QuoteCandidate(**{f.name: q[f.name] for f in fields(QuoteCandidate)})


# ---------------------------------------------------------------------------------------------------
# The one worker of a one-shot command

_active: QuoteWorker | None = None
_early: QuoteWorker | None = None


def active() -> QuoteWorker | None:
    """The helper started by `helper_for_this_command`, if one is running."""
    return _active


def start_early() -> None:
    """Start the helper before the command's own imports (the CLI entry point does this for `brief`).

    Importing the CLI and loading the embedder take most of a second with one core idle; spaCy can
    load there. `helper_for_this_command` adopts this helper; `discard_early` stops it unused.
    """
    global _early
    if _early is None:
        _early = QuoteWorker()
        _early.start()
        atexit.register(_early.close)


def discard_early() -> None:
    """Stop a helper started early that the command turned out not to need (quotes are off)."""
    global _early
    worker, _early = _early, None
    if worker is not None:
        worker.close()


@contextmanager
def helper_for_this_command() -> Iterator[QuoteWorker]:
    """Extract quotes in a helper process for the duration of one command (the CLI's `brief`)."""
    global _active, _early
    worker, _early = _early, None
    if worker is None:
        worker = QuoteWorker()
        worker.start()
        atexit.register(worker.close)
    previous, _active = _active, worker
    try:
        yield worker
    finally:
        _active = previous
        worker.close()
        atexit.unregister(worker.close)


# ---------------------------------------------------------------------------------------------------
# The helper's side


def serve(stdin: IO[str], stdout: IO[str]) -> None:
    """Answer requests until stdin closes; spaCy loads before the first request is read."""
    from summarizer.nlp import NlpUnavailableError, get_nlp
    from summarizer.quotes import extract_quotes

    load_error: str | None = None
    try:
        get_nlp()
    except (NlpUnavailableError, ImportError, AttributeError) as exc:
        load_error = f"spaCy did not load in the quote helper: {exc}"
    for line in stdin:
        try:
            request = json.loads(line)
            n = int(request["id"])
            text = request["text"]
        except (ValueError, KeyError, TypeError):
            return  # not our protocol: stop, and let the parent fall back
        if load_error is not None:
            answer: dict[str, Any] = {"id": n, "error": load_error}
        else:
            try:
                answer = {"id": n, "quotes": [asdict(q) for q in extract_quotes(text)]}
            except Exception as exc:  # one bad text must not end the helper
                answer = {"id": n, "error": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()


def main() -> int:
    from summarizer.allocator import tune_allocator
    from summarizer.nlp import use_lean_import

    tune_allocator()
    use_lean_import()  # this process only parses
    protocol, sys.stdout = sys.stdout, sys.stderr  # a library's stray print must not corrupt the answers
    try:
        serve(sys.stdin, protocol)
    except (KeyboardInterrupt, BrokenPipeError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
