"""Cold start, throughput and peak memory of the sentence embedders, each in a fresh process.

Usage: .venv/bin/python bench/embed_speed.py [--sentences 500] [--repeat 3] [--backends numpy,torch,torch-1thread]
Sentences come from ../shared/seeds and corpus/demo at run time (repeated to the requested count,
shuffled, so batches must be sorted by length to avoid padding waste). Prints one JSON line per
backend and a summary table. Numbers on a shared machine are noisy: look at the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = [REPO.parent / "shared" / "seeds", REPO / "corpus" / "demo"]


def news_sentences(count: int, seed: int = 0) -> list[str]:
    """Distinct 40+ character sentences from the seeds and the demo corpus, cycled to `count`."""
    seen: dict[str, None] = {}
    for folder in SOURCES:
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".txt", ".md"} and path.name != "README.md":
                for part in re.split(r"(?<=[.!?])\s+|\n+", path.read_text(encoding="utf-8")):
                    if len(part.strip()) >= 40:
                        seen.setdefault(part.strip(), None)
    distinct = list(seen)
    if not distinct:
        raise SystemExit(f"no sentences found under {', '.join(map(str, SOURCES))}")
    out = (distinct * (count // len(distinct) + 1))[:count]
    random.Random(seed).shuffle(out)
    return out


def worker(backend: str, count: int, repeat: int) -> dict[str, object]:
    """Run inside a fresh interpreter: time import+load, then encoding, report peak RSS."""
    import resource

    start = time.perf_counter()
    if backend == "numpy":
        from summarizer.embed.minilm_numpy import NumpyMiniLM

        embedder: object = NumpyMiniLM()
    elif backend in ("torch", "torch-1thread"):
        from summarizer.embed.minilm_torch import TorchMiniLM

        embedder = TorchMiniLM(num_threads=1 if backend == "torch-1thread" else None)
    else:
        raise SystemExit(f"unknown backend {backend!r}; choose numpy, torch or torch-1thread")
    load_s = time.perf_counter() - start
    sentences = news_sentences(count)
    embedder.encode(sentences[:16])  # type: ignore[attr-defined]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        embedder.encode(sentences)  # type: ignore[attr-defined]
        best = min(best, time.perf_counter() - t)
    return {
        "backend": backend,
        "import_load_s": round(load_s, 2),
        "sentences": count,
        "best_encode_s": round(best, 2),
        "sentences_per_s": round(count / best, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="numpy,torch,torch-1thread")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.sentences, args.repeat)))
        return
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TQDM_DISABLE": "1"}
    for backend in args.backends.split(","):
        cmd = [sys.executable, __file__, "--worker", backend, "--sentences", str(args.sentences)]
        cmd += ["--repeat", str(args.repeat)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
        if proc.returncode != 0:
            print(json.dumps({"backend": backend, "error": proc.stderr.strip().splitlines()[-1:]}))
            continue
        print(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
