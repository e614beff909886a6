import numpy as np
import pandas as pd

from lib.topics import papers_per_year, primary_category, summarise_topics, topic_keywords, topic_members, topic_table


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "title": ["t"] * 5,
            "categories": ["cs.CL cs.LG", "cs.CL", "math.PR", "math.PR", "hep-th"],
            "update_date": ["2020-01-01", "2022-05-05", "2019-03-03", "", "2021-01-01"],
            "x": [0.0, 1.0, 10.0, 11.0, 5.0],
            "y": [0.0, 0.0, 10.0, 10.0, 5.0],
            "cluster": [0, 0, 1, 1, -1],
        }
    )


def test_keywords_set_clusters_apart_and_skip_stop_words() -> None:
    texts = ["we propose graph neural networks for molecules"] * 30 + ["we study random walks on lattices and brownian motion"] * 30
    texts += ["the paper shows results"] * 10
    labels = np.array([0] * 30 + [1] * 30 + [-1] * 10)
    keywords = topic_keywords(texts, labels)
    assert set(keywords) == {0, 1}
    assert {"graph", "neural", "molecules"} <= set(keywords[0]) and "random" not in keywords[0]
    assert {"random", "walks", "brownian"} <= set(keywords[1])
    assert not {"we", "propose", "study", "the", "paper"} & (set(keywords[0]) | set(keywords[1]))


def test_summaries_have_sizes_labels_categories_and_centres() -> None:
    papers = frame()
    labels = papers["cluster"].to_numpy()
    topics = summarise_topics(labels, papers[["x", "y"]].to_numpy(), papers["categories"].tolist(), {0: ["language", "text"], 1: []})
    assert [t["id"] for t in topics] == [0, 1]
    assert topics[0]["size"] == 2 and topics[0]["label"] == "language, text" and topics[1]["label"] == "topic 1"
    assert topics[0]["top_categories"] == [["cs.CL", 1.0]]
    assert topics[1]["centre"] == [10.5, 10.0]
    assert primary_category("math.PR cs.LG") == "math.PR" and primary_category("") == ""


def test_topic_table_members_and_years() -> None:
    papers = frame()
    topics = summarise_topics(
        papers["cluster"].to_numpy(), papers[["x", "y"]].to_numpy(), papers["categories"].tolist(), {0: ["a"], 1: ["b"]}
    )
    table = topic_table(papers, topics)
    assert list(table["id"]) == [0, 1] and list(table["size"]) == [2, 2]
    assert table.loc[0, "years"] == "2020–2022" and table.loc[1, "years"] == "2019–2019"
    members = topic_members(papers, {"id": 1, "centre": [11.0, 10.0]})
    assert list(members["id"]) == ["d", "c"]
    per_year = papers_per_year(papers, 0)
    assert per_year.to_dict() == {2020: 1, 2021: 0, 2022: 1}
    assert papers_per_year(papers, 7).empty


def test_assign_noise_gives_unclustered_points_their_neighbours_cluster() -> None:
    from lib.training import assign_noise

    points = np.array([[0.0, 0], [0.1, 0], [0.2, 0], [10, 10], [10.1, 10], [10.2, 10], [0.15, 0.05], [9.9, 10.1]])
    labels = np.array([0, 0, 0, 1, 1, 1, -1, -1])
    assert assign_noise(points, labels, neighbours=3).tolist() == [0, 0, 0, 1, 1, 1, 0, 1]
    assert labels.tolist()[-2:] == [-1, -1]
    assert assign_noise(points, np.full(8, -1)).tolist() == [-1] * 8


def test_minimum_cluster_size_scales_with_the_corpus_unless_given() -> None:
    from lib.params import HdbscanParams

    assert HdbscanParams().cluster_size(20_000) == 40 and HdbscanParams().cluster_size(1_000) == 15
    assert HdbscanParams().cluster_size(2_700_000) == 5400
    assert HdbscanParams(min_cluster_size=50).cluster_size(20_000) == 50


def test_latex_macro_names_are_not_keywords() -> None:
    texts = ["mathbb graphs coloring chromatic number mathbb"] * 30 + ["spin chains magnetic order frac"] * 30
    keywords = topic_keywords(texts, np.array([0] * 30 + [1] * 30))
    assert "mathbb" not in keywords[0] and "frac" not in keywords[1] and "chromatic" in keywords[0]
