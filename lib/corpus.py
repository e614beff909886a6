"""The training corpus: each paper's document, cleaned, one per line of a text file (gensim's corpus_file format).

Contract. Line i of the corpus file is the document of paper i, cleaned by `lib.cleaning.clean_text` (words
separated by single spaces, no newline inside). A paper's document is its title and abstract from the
metadata (`document_texts`), or, with a corpus file of full texts, its title and its line of that file
(`paired_documents`). The build writes the corpus once into its staging folder and reads it back, streamed,
for Doc2Vec (with phrase tokens appended: `write_phrase_corpus`), BM25 over full texts, the map's distinct texts
and the topic keywords; it deletes it at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lib.cleaning import clean_text
from lib.stages import Log

if TYPE_CHECKING:  # lib.phrases imports scikit-learn's stop words: seconds a build failing at its read should not wait for
    from lib.phrases import PhraseTable

# Papers whose texts are joined at a time while the corpus and the BM25 index are written.
TEXT_BLOCK = 50_000


def write_corpus(texts: Iterable[str], path: Path) -> int:
    """Write one cleaned document per line (gensim's corpus_file format); return the line count."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for text in texts:
            out.write(clean_text(text))
            out.write("\n")
            count += 1
    return count


def read_corpus(path: Path) -> Iterator[str]:
    """A text file's lines without their newlines, streamed."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            yield line.rstrip("\n")


def write_phrase_corpus(source: Path, phrases: PhraseTable, path: Path) -> int:
    """Write each line of a corpus file followed by its phrase tokens (lib/phrases.py), for Doc2Vec; return the line count."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for line in read_corpus(source):
            out.write(" ".join(phrases.with_tokens(line.split())))
            out.write("\n")
            count += 1
    return count


def document_texts(papers, text: str, separator: str = " \n ", block: int = TEXT_BLOCK) -> Iterator[str]:
    """Each paper's document (abstract, or title and abstract), joined a block of rows at a time:
    a whole column of joined texts would cost as much memory as the papers themselves."""
    for start in range(0, len(papers), block):
        rows = papers.iloc[start : start + block]
        yield from rows["abstract"] if text == "abstract" else rows["title"] + separator + rows["abstract"]


def paired_documents(lines: Iterable[str], titles: Sequence[str], keep: Sequence[bool], log: Log) -> Iterator[str]:
    """Title and corpus line of each kept metadata row, in order; lines past the metadata are only read (to be counted)."""
    kept = iter(titles)
    start = last = time.perf_counter()
    for row, line in enumerate(lines):
        if row < len(keep) and keep[row]:
            yield next(kept) + " " + line
        now = time.perf_counter()
        if now - last >= 5.0:
            last = now
            log(f"  corpus file: {row + 1:,} of {len(keep):,} lines read ({now - start:.0f}s)")
