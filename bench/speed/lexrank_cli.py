"""sumy's LexRank as a command, the cold-start rival of `briefbot brief --input` in the speed benchmark.

Usage: .venv/bin/python bench/speed/lexrank_cli.py PATH [PATH ...] [--sentences 20]

Reads .txt/.md files (folders recursively, sorted), one paragraph per blank-line block, the headline line
of each file as a heading, pysbd sentences (the same tokenizer as the quality benchmark; NLTK's punkt data
cannot be downloaded here) and prints the best sentences in input order, one per line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ for common.py

from common import SentenceTokenizer, paragraphs


def files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(f for f in p.rglob("*") if f.suffix in {".txt", ".md"} and f.name != "README.md")
            )
        elif p.is_file():
            out.append(p)
        else:
            raise SystemExit(f"no such file or folder: {p}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--sentences", type=int, default=20)
    args = parser.parse_args()

    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    tokenizer = SentenceTokenizer()
    paras = []
    for f in files(args.paths):
        text = f.read_text(encoding="utf-8", errors="replace").strip()
        headline, _, body = text.partition("\n")
        paras.append(Paragraph([Sentence(headline, tokenizer, is_heading=True)]))
        paras.extend(
            Paragraph([Sentence(s, tokenizer) for s in tokenizer.to_sentences(b)]) for b in paragraphs(body)
        )
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    for sentence in summarizer(ObjectDocumentModel(paras), args.sentences):
        print(sentence)
    return 0


if __name__ == "__main__":
    sys.exit(main())
