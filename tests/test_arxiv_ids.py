"""arXiv ids and links as queries: parsing every common form, and the engine and search page using them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.arxiv_ids import arxiv_id
from lib.engine import load_engine
from tests.conftest import ROOT, SCREENSHOTS, build_small, headless_chromium, streamlit_server

NEW, OLD = "2401.00042", "hep-th/9901007"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.01234", "2401.01234"),
        ("2401.01234v2", "2401.01234"),
        ("arXiv:2401.01234", "2401.01234"),
        ("  ARXIV: 2401.01234v3 ", "2401.01234"),
        ("https://arxiv.org/abs/2401.01234v1", "2401.01234"),
        ("https://arxiv.org/pdf/2401.01234", "2401.01234"),
        ("http://export.arxiv.org/pdf/2401.01234v2.pdf", "2401.01234"),
        ("https://arxiv.org/abs/2401.01234?context=cs", "2401.01234"),
        ("https://doi.org/10.48550/arXiv.2401.01234", "2401.01234"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("arXiv:hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math/0309136"),
        ("https://arxiv.org/abs/cond-mat/0001001", "cond-mat/0001001"),
        ("graph neural networks", None),
        ("2401.01234 attention", None),
        ("12345.6789", None),
        ("https://example.org/abs/2401.01234", None),
        ("", None),
    ],
)
def test_every_common_form_names_the_paper(text: str, expected: str | None) -> None:
    assert arxiv_id(text) == expected


@pytest.fixture(scope="module")
def id_set(demo_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus with arXiv-style ids: new-style for most papers, old-style for every tenth."""
    folder = tmp_path_factory.mktemp("ids")
    with gzip.open(demo_corpus, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    for i, record in enumerate(records):
        record["id"] = f"hep-th/99010{i:02d}" if i % 10 == 7 and i < 100 else f"2401.{i:05d}"
    corpus = folder / "papers.jsonl"
    corpus.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    build_small(corpus, folder / "ids")
    return folder / "ids"


@pytest.mark.parametrize(
    "form", [NEW, f"arXiv:{NEW}v3", f"https://arxiv.org/abs/{NEW}v1", f"https://arxiv.org/pdf/{NEW}", OLD, f"arXiv:{OLD}v2"]
)
def test_an_id_in_the_set_comes_first_then_the_papers_most_like_it(id_set: Path, form: str) -> None:
    engine = load_engine(id_set)
    wanted = arxiv_id(form)
    for mode in ("hybrid", "semantic", "lexical"):
        hits = engine.ranker.search(form, 10, mode=mode)
        assert hits[0].paper_id == wanted and hits[0].row == engine.catalogue.row_of(wanted)
        assert hits[1:] == engine.ranker.similar(wanted, 9, mode=mode)
    assert engine.ranker.named_paper(form) == (wanted, engine.catalogue.row_of(wanted))


def test_an_id_outside_the_set_is_named_and_searched_as_text(id_set: Path) -> None:
    engine = load_engine(id_set)
    assert engine.ranker.named_paper("arXiv:2312.99999") == ("2312.99999", None)
    assert all(hit.paper_id != "2312.99999" for hit in engine.ranker.search("arXiv:2312.99999"))
    assert engine.ranker.named_paper("graph neural networks") is None


def test_the_search_page_offers_the_paper_page_of_an_id(id_set: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELS_DIR", str(id_set.parent))
    engine = load_engine(id_set)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params["q"] = f"https://arxiv.org/abs/{NEW}v2"
    app.run()
    assert not app.exception and not app.error
    assert [s.value for s in app.success] == [f"arXiv:{NEW} is in this model set: the paper first, then the papers most like it."]
    title = engine.catalogue.papers["title"].iloc[engine.catalogue.row_of(NEW)]
    cards = [link.proto.label for link in app.get("page_link") if link.proto.label.startswith("**")]  # each row's title
    assert len(cards) == 10 and title.split()[0] in cards[0]
    links = [link.proto for link in app.get("page_link")]
    assert any(link.label == f"Open the paper page of arXiv:{NEW}" and f"id={NEW}" in link.query_string for link in links), links

    app.query_params["q"] = "arXiv:2312.99999"
    app.run()
    assert not app.exception
    assert [w.value for w in app.warning][:1] == ["arXiv:2312.99999 is not in this model set; the results below treat it as text."]


def test_in_the_browser_a_pasted_arxiv_link_finds_its_paper_and_opens_its_page(id_set: Path) -> None:
    engine = load_engine(id_set)
    title = engine.catalogue.papers["title"].iloc[engine.catalogue.row_of(NEW)]
    with streamlit_server(id_set.parent) as url, headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url + "/")
        box = page.get_by_label("What are you looking for?")
        box.wait_for(timeout=90_000)
        box.fill(f"https://arxiv.org/pdf/{NEW}v2")
        box.press("Enter")
        page.get_by_text(f"arXiv:{NEW} is in this model set").first.wait_for(timeout=60_000)
        page.get_by_text(title.split("$")[0].strip()[:30]).first.wait_for(timeout=60_000)
        page.get_by_text(f"Open the paper page of arXiv:{NEW}").first.click()
        page.wait_for_url(lambda address: "/paper" in address and f"id={NEW}" in address, timeout=60_000)
        page.get_by_text(title.split("$")[0].strip()[:30]).first.wait_for(timeout=60_000)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "id-query-paper.png"), full_page=True)
        assert not errors
