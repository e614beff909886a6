"""Readable topic labels: one form per word, two-word phrases, and the name of a category that leads a topic.

Contract. `singular_forms` maps the words of a vocabulary to their singular where that singular is itself a word
of the vocabulary ("graphs" -> "graph", "vertices" -> "vertex"), so one word's forms count as one keyword;
`term_key` applies it to a word or a two-word phrase. `choose_keywords` picks a topic's keywords from its ranked
terms, letting a phrase stand for its word where the phrase holds most of the word's uses in the topic ("lie"
-> "lie algebras") and dropping a word that a chosen phrase already holds. `topic_label` makes the label from the
keywords and the topic's category shares: "<category name>: kw1, kw2" where one full arXiv category is the primary
category of at least LEADING_SHARE of the papers, else "kw1, kw2, kw3". Labels are literal text: pages escape them.
This module loads no scikit-learn and reads no file: lib/topic_summaries.py and lib/levels.py use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lib.arxiv_categories import ARCHIVES, category_name

# Keywords in a label: after a category's name, or alone. Three after a name, not two: with each label used as a
# query on a 20,000-paper build, precision@50 of its own topic was 0.757 for the old keyword labels, 0.696 with a
# name and two keywords (a five-word name such as Computer Vision's outweighs two keywords), 0.732 with three.
LABEL_WORDS = 3
CATEGORY_LABEL_WORDS = 3
# A category leads a topic's label when at least this share of its papers have it as their primary category.
# Chosen on a 20,000-paper default build (docs/QUALITY.md): 13 of its 43 topics reach 0.5 (cs.SD at 0.50, then
# 0.57 to 0.92), and each name was right for its topic's keywords; just below were topics that one category named
# only in part (cs.CL at 0.44 for agents and reinforcement learning, cs.LG at 0.47 for proteins and drugs).
LEADING_SHARE = 0.5
# A phrase stands for its word in a topic's keywords when it holds at least this share of the word's uses there
# ("lie" is nearly always in "lie algebra(s)" or "lie group(s)"; "graph" in a graph-theory topic is not).
PHRASE_SHARE = 0.5
# A chosen phrase takes the place of its word when it holds at least this share of the word's uses in the topic;
# below, both stay. Measured on 20,000 abstracts grouped by primary category: phrases that read better than the
# word they replace held 12-20% of it ("schrödinger equation" of "equation" in math.AP, "chromatic number" of
# "number" in math.CO, "graph neural" of "graph" in cs.LG), one that narrowed a field's word held 8% ("speech
# recognition" of "speech" in cs.SD), "image segmentation" 2% of "image" in cs.CV.
HELD_SHARE = 0.1
# Two words of a label that begin with the same this many letters are taken for forms of one word, and the second
# is left out of the label ("superconducting" after "superconductivity", "topological" after "topology").
SHARED_PREFIX = 7
# Words shorter than this are never taken for a plural ("gas", "has", "its").
_SHORTEST_PLURAL = 4

# Latin and Greek plurals that physics and mathematics use, each tried only where the singular is a known word:
# (plural ending, singular ending, endings it must not have). Measured on 20,000 abstracts: "-ia" -> "-ium" took
# oxides for their metal (zirconia, hafnia, ceria, india) more often than it found a plural (bacteria), so only
# "-ibria" (equilibria) keeps it; "-a" -> "-on" only after these letters, as "plasma" and "plasmon" are two words.
_IRREGULAR = (
    ("ices", "ex", ()),  # vertices, indices, simplices
    ("ices", "ix", ()),  # matrices
    ("ena", "enon", ()),  # phenomena
    ("eria", "erion", ()),  # criteria
    ("dra", "dron", ()),  # polyhedra
    ("ata", "aton", ()),  # automata
    ("ibria", "ibrium", ()),  # equilibria
    ("a", "um", ("ia",)),  # spectra, maxima, momenta, vacua
    ("ae", "a", ()),  # formulae, supernovae
    ("i", "us", ("ini",)),  # nuclei, radii, tori; not "mini"
)
# "-es" is a plural ending of its own only after these ("processes", "boxes", "searches", "echoes"); elsewhere the
# "e" belongs to the word ("spaces"), and taking it off made "sides" into "sid" and "locales" into "local".
_ES_AFTER = ("s", "x", "z", "ch", "sh", "o")


def _singular_candidates(word: str) -> list[str]:
    """The words `word` may be the plural of, most likely first (each is taken only if the vocabulary has it)."""
    if len(word) < _SHORTEST_PLURAL:
        return []
    candidates = []
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        if word.endswith("ies"):
            candidates += [word[:-1], word[:-3] + "y"]  # movies, properties
        else:
            candidates.append(word[:-1])  # graphs, spaces, uses
            if word.endswith("es") and word[:-2].endswith(_ES_AFTER):
                candidates.append(word[:-2])  # processes, gases, boxes
    candidates += [
        word[: -len(plural)] + single for plural, single, unless in _IRREGULAR if word.endswith(plural) and not word.endswith(unless)
    ]
    return candidates


def singular_forms(words: Iterable[str]) -> dict[str, str]:
    """Each word whose singular is also in `words`, mapped to that singular (words not listed are their own).

    The vocabulary decides: "graphs" becomes "graph" only where "graph" occurs, so a word that merely ends in
    "s" ("series", "physics" without "physic") stays as it is.
    """
    known = set(words)
    forms = {}
    for word in known:
        for candidate in _singular_candidates(word):
            if candidate in known and candidate != word:
                forms[word] = candidate
                break
    return forms


def term_key(term: str, forms: dict[str, str]) -> str:
    """A word or a phrase with each word in its singular form (the key its forms are counted under)."""
    return " ".join(forms.get(word, word) for word in term.split(" "))


def phrase_words(term: str) -> list[str]:
    """The words of a term (one for a word, two for a phrase)."""
    return term.split(" ")


def choose_keywords(ranked: Sequence[str], counts: dict[str, float], phrases_of: dict[str, list[str]], n_words: int) -> list[str]:
    """A topic's keywords from its terms ranked best first (keys, see `term_key`), at most n_words of them.

    `counts` holds the topic's count of each term it has (keys of three words are added to it), `phrases_of` the
    phrases each word is part of. A word gives way to its most frequent phrase in the topic where that phrase
    holds PHRASE_SHARE of the word's uses ("lie" -> "lie algebras"), and is left out where none of those phrases
    fits (alone it would be a fragment). A word is left out, or taken out, where chosen phrases hold HELD_SHARE
    of its uses, so no label says "algebras, lie algebras"; a word with many other uses stays beside the phrase
    ("speech" with "speech recognition"). Two phrases that run on ("graph
    neural", "neural networks") become three words where their counts prove the three side by side in
    PHRASE_SHARE of the middle word's uses (count(a b) + count(b c) - count(b) is at most the count of "a b c"
    short of it); else the second is left out, as is a phrase sharing a chosen phrase's word in another place.
    """
    chosen: list[str] = []
    for term in ranked:
        if len(chosen) >= n_words:
            break
        if term in chosen:
            continue
        options = [term]
        if " " not in term:
            inside = [phrase for phrase in phrases_of.get(term, ()) if counts.get(phrase, 0) >= PHRASE_SHARE * counts.get(term, 0) > 0]
            options = sorted(inside, key=lambda phrase: (-counts[phrase], phrase)) or options
        placed = next((i for i, option in enumerate(options) if _place(option, chosen, counts)), None)
        if placed is not None:
            for option in options[placed + 1 :]:  # "ray diffraction" placed, "x ray" may make it "x ray diffraction"
                _place(option, chosen, counts, join_only=True)
    return chosen[:n_words]


def _held(word: str, chosen: list[str], counts: dict[str, float]) -> bool:
    """Whether chosen phrases hold HELD_SHARE of a word's uses (with no counts: whether one holds the word)."""
    held = sum(counts.get(other, 0) for other in chosen if " " in other and word in phrase_words(other))
    return any(" " in other and word in phrase_words(other) for other in chosen) and held >= HELD_SHARE * counts.get(word, 0)


def _place(term: str, chosen: list[str], counts: dict[str, float], join_only: bool = False) -> bool:
    """Put a term among the chosen keywords (see `choose_keywords`), in place; False where it does not fit."""
    words = phrase_words(term)
    if term in chosen:
        return True
    if len(words) == 1:
        if join_only or _held(term, chosen, counts):
            return False
        chosen.append(term)
        return True
    place = None
    joined = _run_on(term, chosen, counts)
    if joined is not None:
        place, term, counts[term] = joined
        chosen[place] = term
    elif join_only or _overlaps(words, chosen):
        return False
    else:
        chosen.append(term)
    held = [i for i, other in enumerate(chosen) if " " not in other and other in phrase_words(term) and _held(other, chosen, counts)]
    if held:  # the phrase takes the place of the first word it holds
        first = chosen.index(term)
        chosen[held[0]], chosen[first] = chosen[first], chosen[held[0]]
        chosen[:] = [other for i, other in enumerate(chosen) if i not in held[1:] and i != first]
    return True


def _run_on(phrase: str, chosen: list[str], counts: dict[str, float]) -> tuple[int, str, float] | None:
    """Where a chosen phrase runs on into `phrase` (or from it): its place, the three words, and how often at least
    the three stand side by side; None where there is none or the counts do not prove PHRASE_SHARE of the middle word."""
    words = phrase_words(phrase)
    for place, other in enumerate(chosen):
        others = phrase_words(other)
        if len(others) != 2:
            continue
        if others[1] == words[0] and others[0] != words[1]:
            first, second = other, phrase
        elif others[0] == words[1] and others[1] != words[0]:
            first, second = phrase, other
        else:
            continue
        middle = phrase_words(first)[1]
        together = counts.get(first, 0) + counts.get(second, 0) - counts.get(middle, 0)
        if together >= PHRASE_SHARE * counts.get(middle, 0) > 0:
            return place, f"{first} {phrase_words(second)[1]}", together
    return None


def _overlaps(words: list[str], chosen: list[str]) -> bool:
    """Whether a phrase shares a word with a chosen phrase other than in the same place (or any with three words).

    Phrases of two words that share one in the same place ("lie algebras", "lie groups") are both kept; a phrase
    that runs on from a chosen one without proof ("neutron star", "star formation") is not: the pair reads as one.
    """
    for other in chosen:
        others = phrase_words(other)
        if len(others) == 1 or not set(words) & set(others):
            continue
        if len(others) > 2 or len(words) > 2:
            return True
        if any(word in others and others.index(word) != place for place, word in enumerate(words)):
            return True
    return False


def distinct_keywords(keywords: Sequence[str]) -> list[str]:
    """Keywords in order, each once, without a word that a phrase among them holds (the phrase takes its place)."""
    return choose_keywords(keywords, {}, {}, len(keywords))


def leading_category(top_categories: Sequence[Sequence]) -> str | None:
    """The full arXiv category (a bare archive such as `cond-mat` is none) of at least LEADING_SHARE of the papers."""
    for category, share in top_categories:
        if share >= LEADING_SHARE and category not in ARCHIVES and category_name(category) is not None:
            return str(category)
    return None


def _same_word(first: str, second: str) -> bool:
    """Whether two words begin alike for SHARED_PREFIX letters: forms of one word the plural rule leaves apart."""
    return len(first) >= SHARED_PREFIX and len(second) >= SHARED_PREFIX and first[:SHARED_PREFIX] == second[:SHARED_PREFIX]


def label_keywords(keywords: Sequence[str], n: int, named: Sequence[str] = ()) -> list[str]:
    """The first n keywords that repeat no word of a keyword before them, nor of `named` (the category's name).

    The keywords themselves keep every form ("superconductivity" and "superconducting" may both set a topic apart);
    a label of three words shows one ("superconductivity, superconducting, fermi" was a label before).
    """
    taken: list[str] = [word.lower() for word in named]
    chosen: list[str] = []
    for keyword in keywords:
        words = phrase_words(keyword.lower())
        if any(_same_word(word, other) for word in words for other in taken):
            continue
        chosen.append(keyword)
        taken += words
        if len(chosen) == n:
            break
    return chosen


def _repeats(keyword: str, name: str) -> bool:
    """Whether every word of the keyword is already in the category's name ("language" in "Computation and Language")."""
    named = {word.lower() for word in name.replace(":", " ").replace(",", " ").split()}
    named |= {word[:-1] for word in named if word.endswith("s")}
    return all(word in named or (word.endswith("s") and word[:-1] in named) for word in phrase_words(keyword.lower()))


def topic_label(keywords: Sequence[str], top_categories: Sequence[Sequence], topic_id: int) -> str:
    """A topic's label: "<category name>: kw1, kw2" where one category leads it, else "kw1, kw2, kw3".

    Keywords the category's name already says are skipped after it, as are keywords repeating a form of a word
    before them (`label_keywords`). A topic with no keyword is named by its leading category alone, or `topic N`.
    """
    category = leading_category(top_categories)
    if category is None:
        return ", ".join(label_keywords(keywords, LABEL_WORDS)) or f"topic {topic_id}"
    name = str(category_name(category))
    unsaid = [keyword for keyword in keywords if not _repeats(keyword, name)]
    words = label_keywords(unsaid, CATEGORY_LABEL_WORDS, name.replace(":", " ").replace(",", " ").split())
    return f"{name}: {', '.join(words)}" if words else name
