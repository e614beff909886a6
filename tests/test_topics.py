import numpy as np
import pandas as pd

from lib.topic_summaries import primary_category, summarise_topics, topic_keywords
from lib.topic_views import papers_per_year, topic_members, topic_table


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
    # Keywords may be phrases ("graph neural networks"): the words in them are what is checked.
    words = {topic: {word for keyword in keywords[topic] for word in keyword.split()} for topic in keywords}
    assert {"graph", "neural", "molecules"} <= words[0] and "random" not in words[0]
    assert {"random", "walks", "brownian"} <= words[1]
    assert not {"we", "propose", "study", "the", "paper"} & (words[0] | words[1])


def test_keywords_counted_block_by_block_equal_those_of_one_pass(monkeypatch) -> None:
    from lib import topic_summaries

    rng = np.random.default_rng(3)
    vocab = {
        0: ["lattice", "spin", "magnon", "phonon"],
        1: ["protein", "enzyme", "folding", "ligand"],
        2: ["graph", "vertex", "coloring", "edge"],
    }
    labels = np.array([i % 3 if i % 11 else -1 for i in range(257)])
    texts = [" ".join(rng.choice(vocab[i % 3], size=5)) + f" common word{i} rare{i % 5}" for i in range(257)]
    texts[13] = "the of and"  # a paper of stop words only
    whole = topic_keywords(texts, labels)
    monkeypatch.setattr(topic_summaries, "KEYWORD_BLOCK", 10)
    blocked = topic_keywords(iter(texts), labels)
    assert blocked == whole
    assert set(whole[0][:4]) == set(vocab[0]) and set(whole[2][:4]) == set(vocab[2])
    assert "common" not in whole[0], "a word in more than half of the papers is no keyword"
    assert not any(word.startswith("word") for words in whole.values() for word in words), "a word in one paper is no keyword"
    monkeypatch.setattr(topic_summaries, "KEYWORD_BLOCK", 1)
    assert topic_keywords(iter(texts), labels) == whole


def test_summaries_have_sizes_labels_categories_and_centres() -> None:
    papers = frame()
    labels = papers["cluster"].to_numpy()
    topics = summarise_topics(labels, papers[["x", "y"]].to_numpy(), papers["categories"].tolist(), {0: ["language", "text"], 1: []})
    assert [t["id"] for t in topics] == [0, 1]
    # Both topics are all of one category, so its name leads the label (lib/topic_labels.py).
    assert topics[0]["size"] == 2 and topics[0]["label"] == "Computation and Language: text" and topics[1]["label"] == "Probability"
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
    from lib.clustering import assign_noise

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
    words = [{word for keyword in keywords[topic] for word in keyword.split()} for topic in (0, 1)]
    assert "mathbb" not in words[0] and "frac" not in words[1] and "chromatic" in words[0]


def test_clusters_are_renumbered_from_the_largest_down() -> None:
    from lib.clustering import by_size

    assert by_size(np.array([5, 2, 2, -1, 5, 5, 7, 2, 2])).tolist() == [1, 0, 0, -1, 1, 1, 2, 0, 0]
    assert by_size(np.array([-1, -1])).tolist() == [-1, -1]


def test_clusters_with_close_centres_merge_and_far_ones_stay_apart() -> None:
    from lib.clustering import merge_clusters

    # Centres of clusters 0 and 1 point almost the same way (cosine distance ~0.005); cluster 2 is orthogonal.
    features = np.array([[1.0, 0.0], [1.0, 0.1], [1.0, 0.2], [1.0, 0.0], [0.0, 1.0], [0.1, 1.0], [1.0, 0.05]])
    labels = np.array([0, 0, 1, 1, 2, 2, -1])
    assert merge_clusters(features, labels, 0.1).tolist() == [0, 0, 0, 0, 1, 1, -1]
    assert merge_clusters(features, labels, 0.001).tolist() == [0, 0, 1, 1, 2, 2, -1]
    assert merge_clusters(features, labels, None).tolist() == [0, 0, 1, 1, 2, 2, -1]


def test_papers_whose_neighbours_sit_in_other_topics_are_left_unclustered() -> None:
    from lib.clustering import unsettle

    labels = np.array([0, 0, 0, 1, 1, 1])
    # Each row: the paper itself, then its three nearest papers.
    neighbours = np.array([[0, 1, 2, 3], [1, 0, 2, 4], [2, 3, 4, 5], [3, 4, 5, 0], [4, 3, 5, 1], [5, 4, 3, 2]])
    # Agreement: paper 0 2/3, 1 2/3, 2 0/3, 3 2/3, 4 2/3, 5 2/3.
    assert unsettle(labels, neighbours, 0.5, 0.5).tolist() == [0, 0, -1, 1, 1, 1]
    assert unsettle(labels, neighbours, 0.8, 0.5).tolist() == [-1, -1, -1, 1, 1, 1]  # capped at half, least agreement first
    assert unsettle(labels, neighbours, 0.5, 0.0).tolist() == labels.tolist()
    assert unsettle(labels, neighbours, 0.0, 0.5).tolist() == labels.tolist()


def test_topic_features_join_unit_doc2vec_and_lsa_views() -> None:
    from lib.layout import nearest_neighbours, topic_features
    from lib.lexical import build_index
    from lib.params import TopicParams

    docs = [["graph", "coloring", "chromatic"]] * 5 + [["spin", "chain", "magnet"]] * 5
    index = build_index(docs)
    vectors = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    joined = topic_features(vectors, index, TopicParams(lsa_dims=3), seed=0)
    assert joined.shape == (10, 4 + 3) and np.allclose(np.linalg.norm(joined, axis=1), 1.0, atol=1e-5)
    latent = joined[:, 4:] * np.sqrt(2)
    assert np.allclose(latent[0], latent[4], atol=1e-5) and abs(float(latent[0] @ latent[5])) < 1e-4
    alone = topic_features(vectors, index, TopicParams(features="doc2vec"), seed=0)
    assert alone.shape == (10, 4)
    near = nearest_neighbours(latent, 5, seed=0).indices
    assert all(set(row) == set(range(5)) for row in near[:5]) and all(set(row) == set(range(5, 10)) for row in near[5:])


def test_lsa_fitted_on_a_sample_projects_every_paper_block_by_block() -> None:
    from lib import lexical
    from lib.lexical import build_index

    rng = np.random.default_rng(1)
    topics = [["graph", "coloring", "chromatic", "vertex"], ["spin", "chain", "magnet", "lattice"], ["protein", "fold", "enzyme", "cell"]]
    docs = [list(rng.choice(topics[i % 3], size=6)) + [f"rare{i}"] for i in range(300)]
    index = build_index(docs)
    sample = np.sort(rng.choice(300, size=60, replace=False))
    block = lexical.LATENT_BLOCK
    try:
        lexical.LATENT_BLOCK = 7  # several blocks, the last one short
        latent = index.latent_vectors(3, seed=0, fit_rows=sample)
    finally:
        lexical.LATENT_BLOCK = block
    assert latent.shape == (300, 3) and latent.dtype == np.float32
    assert np.allclose(np.linalg.norm(latent, axis=1), 1.0, atol=1e-5)
    similarity = latent @ latent.T
    same = np.equal.outer(np.arange(300) % 3, np.arange(300) % 3)
    # papers outside the sample land with their topic just as sampled ones do
    assert similarity[same].mean() > 0.9 and similarity[~same].mean() < 0.3
    assert np.allclose(latent[sample], index.latent_vectors(3, seed=0, fit_rows=sample)[sample], atol=1e-6)


def test_a_paper_outside_the_sample_sits_at_the_weighted_mean_of_its_neighbours_and_takes_their_vote() -> None:
    from lib.layout import place_by_neighbours

    coords = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 8.0]], dtype=np.float32)
    labels = np.array([3, -1, 5])
    nearest = np.array([[0, 1, 2], [2, 1, 0]])
    distances = np.array([[0.0, 0.5, 0.75], [0.6, 0.2, 1.0]])  # similarities 1, 0.5, 0.25 and 0.4, 0.8, ~0
    placed, topics = place_by_neighbours(nearest, distances, coords, labels)
    assert np.allclose(placed[0], [(0 + 2 + 0) / 1.75, (0 + 0 + 2) / 1.75])
    assert np.allclose(placed[1], [3.2 / 1.2, 3.2 / 1.2], atol=1e-5)
    assert topics.tolist() == [3, -1]  # topic 3 by 1 to 0.5 and 0.25; unclustered by 0.8 to 0.4


def test_paper_months_come_from_the_id_then_the_update_date() -> None:
    from lib.topic_views import paper_months, period_label

    ids = pd.Series(["2401.01234", "hep-th/9901001", "demo-1", "math.GT/0309136", "0704.0001", "x", "2413.00001"])
    dates = pd.Series(["2025-05-01", "2001-01-01", "2023-05-07", None, "", "", "2020-02-02"])
    months = paper_months(ids, dates)
    assert [period_label(m, "month") if m else None for m in months] == [
        "2024-01",
        "1999-01",
        "2023-05",
        "2003-09",
        "2007-04",
        None,
        "2020-02",  # month 13 is no month: the update date is used
    ]


def test_counts_over_time_list_every_period_and_growth_compares_the_window_halves() -> None:
    from lib.topic_views import counts_over_time, fastest_growing

    def month(year: int, m: int) -> int:
        return year * 12 + m - 1

    months = np.array([month(2023, 1)] * 3 + [month(2024, 6)] * 2 + [month(2024, 12)] * 12 + [month(2023, 2)] * 11 + [0])
    clusters = np.array([0] * 3 + [0] * 2 + [1] * 12 + [2] * 11 + [1])
    yearly = counts_over_time(months, clusters, [0, 1], "year")
    assert list(yearly.index) == ["2023", "2024"] and yearly[0].tolist() == [3, 2] and yearly[1].tolist() == [0, 12]
    monthly = counts_over_time(months, clusters, [1], "month")
    assert len(monthly) == 24 and monthly.index[0] == "2023-01" and monthly[1].sum() == 12
    topics = [{"id": i, "label": f"t{i}"} for i in range(3)]
    growing = fastest_growing(months, clusters, topics, month(2023, 1), month(2024, 12), minimum=6)
    assert growing["id"].tolist() == [1, 2]  # topic 0 has too few papers; topic 1 all late, topic 2 all early
    assert growing.loc[0, "earlier half"] == 0 and growing.loc[0, "later half"] == 12 and growing.loc[0, "growth"] == 13
    assert growing.loc[1, "growth"] == 1 / 12


def test_series_names_have_nothing_vega_lite_would_parse() -> None:
    from lib.topic_views import series_name

    assert series_name(0, "segmentation, image, maps") == "0 - segmentation, image, maps"
    assert not set(series_name(3, "a:b.c[d]\\e")) & set(":.[]\\")
