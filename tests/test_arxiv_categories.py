"""Readable names of arXiv categories: every code the shared sample uses as a primary category has one."""

from __future__ import annotations

import gzip
import json
from collections import Counter

from lib.arxiv_categories import CATEGORY_NAMES, category_name


def test_names_of_categories_archives_and_unknown_codes() -> None:
    assert category_name("cs.CL") == "Computation and Language"
    assert category_name(" cond-mat.supr-con ") == "Superconductivity"
    assert category_name("math.AG") == "Algebraic Geometry"
    assert category_name("stat.AP") == "Statistics: Applications"
    assert category_name("cond-mat") == "Condensed Matter"
    assert category_name("cs.XX") is None and category_name("") is None
    assert all(code.count(".") <= 1 and name for code, name in CATEGORY_NAMES.items())


def test_every_primary_category_of_the_sample_has_a_name(real_sample) -> None:
    primaries: Counter[str] = Counter()
    with gzip.open(real_sample, "rt", encoding="utf-8") as handle:
        for line in handle:
            categories = json.loads(line)["categories"].split()
            if categories:
                primaries[categories[0]] += 1
    unnamed = {code: n for code, n in primaries.items() if category_name(code) is None}
    assert not unnamed, unnamed
