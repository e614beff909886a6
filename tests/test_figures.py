import pandas as pd

from lib.figures import HITS_NAME, QueryPin, legend_name, plotly_text, selected_ids, selection_points, topic_map


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["p1", "p2", "p3", "p4"],
            "title": ["<b>bold</b> title", "second", "third", "fourth"],
            "x": [0.0, 1.0, 5.0, 9.0],
            "y": [0.0, 1.0, 5.0, 9.0],
            "cluster": [0, 0, 1, -1],
        }
    )


def test_map_has_a_trace_per_topic_noise_grey_and_escaped_hover() -> None:
    figure = topic_map(frame(), {0: "graphs", 1: "walks <i>x</i>"})
    names = [trace.name for trace in figure.data]
    assert names[:3] == ["unclustered", "0: graphs", "1: walks &lt;i&gt;x&lt;/i&gt;"]
    assert figure.data[0].marker.color == "#cfcfcf"
    assert figure.data[1].type == "scattergl"
    assert "&lt;b&gt;bold&lt;/b&gt; title" in figure.data[1].text
    assert not any(name.startswith("Query") for name in names)


def test_query_pin_and_hits_are_their_own_traces() -> None:
    figure = topic_map(frame(), {0: "graphs", 1: "walks"}, QueryPin(0.5, 0.5, "graph <script>", hit_rows=[0, 2]))
    query = [t for t in figure.data if t.name.startswith("Query")]
    assert len(query) == 1 and query[0].name == "Query: graph &lt;script&gt;" and query[0].marker.size >= 20
    hits = next(t for t in figure.data if t.name == HITS_NAME)
    assert [row[0] for row in hits.customdata] == ["p1", "p3"]


def test_focus_zooms_to_a_topic_and_keeps_zoom_per_focus() -> None:
    figure = topic_map(frame(), {0: "a", 1: "b"}, focus=0)
    low, high = figure.layout.xaxis.range
    assert low < 0 < 1 < high < 5
    assert figure.layout.uirevision == "focus-0"
    assert topic_map(frame(), {}).layout.xaxis.range is None


def test_selected_ids_keep_order_skip_points_without_ids() -> None:
    points = [{"customdata": ["p2"]}, {"x": 1}, {"customdata": ["p1"]}, {"customdata": ["p2"]}, {"customdata": [3]}]
    assert selected_ids(points) == ["p2", "p1"]
    assert selected_ids([]) == []


def test_helpers() -> None:
    assert legend_name(-1, "x") == "unclustered" and legend_name(3, "a, b") == "3: a, b"
    assert plotly_text("a<br>&b") == "a&lt;br&gt;&amp;b"


def test_selection_points_from_events_of_any_shape() -> None:
    event = {"selection": {"points": [{"customdata": ["p1"]}, "junk"], "box": []}}
    assert selection_points(event) == [{"customdata": ["p1"]}]
    assert selection_points(None) == [] and selection_points({"selection": None}) == [] and selection_points({}) == []


def test_only_the_largest_topics_are_labelled_on_the_map(monkeypatch) -> None:
    import lib.figures as figures

    monkeypatch.setattr(figures, "MAX_MAP_LABELS", 1)
    papers = frame()
    papers.loc[3, "cluster"] = 0
    labels_trace = next(t for t in topic_map(papers, {0: "big", 1: "small"}).data if t.name == "topic labels")
    assert list(labels_trace.text) == ["big"]
