"""Snippets of abstracts for result rows: the query's words found as search reads them, the window that holds most of
them, cuts at whole words and outside math, and author lists cut short (lib/snippets.py)."""

import random
import re

import pytest

from lib.cleaning import clean_text
from lib.snippets import ELLIPSIS, SNIPPET_CHARS, marked_spans, query_terms, short_authors, snippet
from lib.text import fold_line, markdown_marked, markdown_with_math

ABSTRACT = (
    "We study transport in disordered metals. The conductivity is computed with a Kubo formula for many samples. "
    "Then we turn to graph neural networks, which learn molecular properties from graphs of atoms and bonds; "
    "GNNs trained this way predict energies. Finally, we discuss limits of the approach and open questions."
)


def shown(result, text: str | None = None) -> list[str]:
    """The words at a snippet's spans."""
    return [(text or result.text)[start:end] for start, end in result.spans]


def test_query_terms_are_the_cleaned_tokens_search_reads_less_stop_words() -> None:
    assert query_terms("Graph neural networks for the molecules") == {"graph", "neural", "networks", "molecules"}
    assert query_terms("State-of-the-art GNNs, $\\alpha$-helices!") == {"state", "art", "gnns", "alpha", "helices"}
    assert query_terms("") == frozenset() and query_terms("the of and") == frozenset()


def test_words_match_by_their_cleaned_form_whole_words_only() -> None:
    text = "GNNs, graph-based Graphs; a graph_neural (Graph) ΣIGMA graphical"
    spans = marked_spans(text, {"graph", "gnns", "σigma"})
    assert [text[start:end] for start, end in spans] == ["GNNs", "graph", "graph", "Graph", "ΣIGMA"]
    assert all(clean_text(text[start:end]) in {"graph", "gnns", "σigma"} for start, end in spans)
    assert marked_spans(text, ()) == []


def test_the_lead_without_query_words_cut_at_a_whole_word() -> None:
    result = snippet(ABSTRACT)
    assert result.text.startswith("We study transport") and result.text.endswith(" " + ELLIPSIS) and result.cut
    body = result.text[: -len(ELLIPSIS) - 1]
    assert ABSTRACT.startswith(body) and ABSTRACT[len(body)] == " " and len(body) <= SNIPPET_CHARS
    assert result.spans == ()


def test_the_window_with_most_query_words_starts_at_its_sentence() -> None:
    result = snippet(ABSTRACT, query_terms("graph neural networks for molecules"))
    assert result.text.startswith(ELLIPSIS + " Then we turn to graph neural networks")
    assert [clean_text(word) for word in shown(result)] == ["graph", "neural", "networks"]
    # Words of several sentences: the one sentence holding most of them wins.
    assert snippet(ABSTRACT, {"kubo", "conductivity", "gnns"}).text.startswith(ELLIPSIS + " The conductivity is computed")


def test_a_long_sentence_is_entered_near_its_first_query_word() -> None:
    long = "Introduction " + " ".join(f"filler{i}" for i in range(80)) + " then the quokka appears near the end of it all."
    result = snippet(long, {"quokka"})
    assert shown(result) == ["quokka"] and result.text.startswith(ELLIPSIS + " ")
    start = result.spans[0][0]
    assert 20 <= start <= 70  # a little context before the word


def test_short_abstracts_are_whole_and_empty_ones_empty() -> None:
    result = snippet("  A short\n abstract\x07 about graphs.  ", {"graphs"})
    assert result.text == "A short abstract about graphs." and not result.cut and shown(result) == ["graphs"]
    assert snippet("", {"x"}).text == "" and snippet(None, {"x"}).text == ""


def test_a_cut_never_leaves_math_open() -> None:
    abstract = "We bound the energy " + "by a careful estimate " * 8 + "$E \\le \\sum_{i=1}^{n} \\lambda_i x_i^2$ for all graphs."
    result = snippet(abstract)
    assert result.text.count("$") % 2 == 0
    math_first = "$\\mathcal{O}(n \\log n)$ " + "words " * 60 + "graph here."
    assert snippet(math_first, {"graph"}).text.count("$") % 2 == 0
    # A lone dollar is no math: nothing is cut for it, and a query word after it is found and marked.
    lone = "It costs ${7*7} or $5 " + "and more words " * 8 + "quokka at last, then " + "filler " * 20
    result = snippet(lone, {"quokka"})
    assert shown(result) == ["quokka"] and "$" in snippet(lone).text
    # A query word inside math is not marked (KaTeX draws it) and does not pick the window.
    assert snippet("Energy $graph$ bounds and more.", {"graph"}).spans == ()


def test_spans_index_the_snippet_and_render_as_literal_bold_words() -> None:
    abstract = "<script>alert(1)</script> [graph](javascript:x) **graph** :red[graph] $graph$ and graph_neural. " * 4
    result = snippet(abstract, {"graph", "neural"})
    assert fold_line(result.text) == result.text
    assert all(clean_text(word) in {"graph", "neural"} for word in shown(result))
    markdown = markdown_marked(result.text, result.spans)
    assert "<script>" not in markdown and "](javascript" not in markdown
    assert markdown.replace("**", "").replace("\\", "") == markdown_with_math(result.text, inline=True).replace("\\", "")


def test_random_abstracts_give_bounded_snippets_whose_spans_are_query_words() -> None:
    rng = random.Random(11)
    vocabulary = ["graph", "Graph", "neural", "nets", "the", "of", "$x$", "$", "a.", "B.", "(c)", "d-e", "GNNs,", "\\$", "…"]
    terms = {"graph", "neural", "gnns"}
    for _ in range(500):
        abstract = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 120)))
        result = snippet(abstract, terms)
        body = result.text.removeprefix(ELLIPSIS + " ").removesuffix(" " + ELLIPSIS) if result.cut else result.text
        assert len(body) <= SNIPPET_CHARS or " " not in body
        assert body in fold_line(abstract)
        assert all(clean_text(word) in terms and re.fullmatch(r"[^\W_]+", word) for word in shown(result))
        assert len(result.spans) == len(marked_spans(body, terms))


@pytest.mark.parametrize(
    ("authors", "short"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("Ada Lovelace and Alan Turing", "Ada Lovelace, Alan Turing"),
        ("A. One, B. Two, C. Three", "A. One, B. Two, C. Three"),
        ("A. One, B. Two, C. Three and D. Four", "A. One, B. Two, C. Three et al."),
        ("A. One; B. Two; C. Three; D. Four", "A. One, B. Two, C. Three et al."),
        ("A. One, B. Two, and C. Three", "A. One, B. Two, C. Three"),
        ("Felix Werner (LKB, Paris), Yvan Castin (LKB)", "Felix Werner (LKB, Paris), Yvan Castin (LKB)"),
        ("Alexander Anderson", "Alexander Anderson"),
        ("  Ada\n  Lovelace ,  Alan   Turing ", "Ada Lovelace, Alan Turing"),
        ("The " + "Very " * 12 + "Long Collaboration", "The" + " Very" * 7 + ELLIPSIS),
        ("", ""),
        (None, ""),
    ],
)
def test_author_lists_are_cut_short(authors: str, short: str) -> None:
    assert short_authors(authors) == short
