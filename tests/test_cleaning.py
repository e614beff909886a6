from lib.cleaning import clean_text, tokenize


def notebook_clean(text: str) -> str:
    """The training notebook's cleaning, character by character, then strip and split/join."""
    text = "".join([x.lower() if x.isalnum() or x.isspace() else " " for x in text])
    return " ".join(text.strip().split())


SAMPLES = [
    "Large Language Models (LLMs) increasingly require selective-removal!",
    "  The $O(n \\log n)$ bound_holds for \\textit{all} graphs.\n\n  Second line ",
    "Ünïcödé façade: naïve café — Σ α-β ½ ² x²",
    "tabs\tand\x00NUL and \x07 bell",
    "",
    "!!!",
    "İstanbul ǅ ﬁ ligature",
    "ΟΔΥΣΣΕΥΣ and ΑΣ. end with a capital sigma",
]


def test_matches_the_notebook_on_varied_text() -> None:
    for text in SAMPLES:
        assert clean_text(text) == notebook_clean(text), text


def test_lowercases_and_replaces_punctuation() -> None:
    assert clean_text("Graph-Neural Nets, (GNNs)!") == "graph neural nets gnns"
    assert clean_text("snake_case") == "snake case"


def test_collapses_whitespace() -> None:
    assert clean_text("  a \n\t b   c  ") == "a b c"


def test_tokenize_splits_cleaned_text() -> None:
    assert tokenize("Hello, World! 42x") == ["hello", "world", "42x"]
    assert tokenize("...") == []
