import base64
import io
import json

import numpy as np
import pandas as pd
import plotly.io as pio
import plotly.tools
import pytest
from PIL import Image

from lib.figures import (
    CORNER_LEGEND,
    HITS_NAME,
    HOVER_POINTS,
    MAP_HEIGHT,
    MAP_LABEL_NAME,
    NOISE_COLOUR,
    RASTER_PIXELS,
    Extent,
    QueryPin,
    ServedSpec,
    SpecFigure,
    base_map,
    density_rgba,
    label_colour,
    legend_name,
    map_label,
    plotly_text,
    rasterise,
    selected_ids,
    selection_points,
    topic_colour,
    topic_map,
    with_pin,
)
from lib.settings import MAP_POINTS_ENV


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
    annotations = topic_map(papers, {0: "big", 1: "small"}).layout.annotations
    assert [a.text for a in annotations] == ["big"] and annotations[0].name == MAP_LABEL_NAME


def test_the_labels_in_their_topics_colours_are_the_key_and_the_legend_lists_only_the_pins() -> None:
    labels = {0: "Computer Vision and Pattern Recognition: segmentation, image", 1: "walks <i>x</i>"}
    figure = topic_map(frame(), labels, QueryPin(0.5, 0.5, "graph", hit_rows=[0]))
    assert figure.layout.height == MAP_HEIGHT >= 450
    points = [t for t in figure.data if t.name in ("unclustered", "0: " + plotly_text(labels[0]), "1: walks &lt;i&gt;x&lt;/i&gt;")]
    assert len(points) == 3 and all(t.showlegend is False for t in points)  # each still names its topic on hover
    assert all(t.showlegend is not False for t in figure.data if t.name == HITS_NAME or t.name.startswith("Query"))
    assert figure.layout.legend.x == CORNER_LEGEND["x"] and figure.layout.legend.yanchor == "top"  # over the map's corner
    # Labels are annotations (drawn above the WebGL points), on a pale backing.
    annotations = figure.layout.annotations
    assert [a.text for a in annotations] == ["segmentation, image", "walks &lt;i&gt;x&lt;/i&gt;"]
    assert [a.font.color for a in annotations] == [label_colour(0), label_colour(1)] and label_colour(0) != label_colour(1)
    assert all(a.showarrow is False and a.xref == "x" and a.bgcolor for a in annotations)
    for cluster in range(40):  # dark enough to read over the map's light points and on white
        red, green, blue = (int(label_colour(cluster)[i : i + 2], 16) for i in (1, 3, 5))
        assert 0.2126 * red + 0.7152 * green + 0.0722 * blue < 100
    shown = base_map(frame(), labels, legend=True, height=600)
    assert all(t.showlegend is not False for t in shown.data if t.mode == "markers") and shown.layout.legend.x is None
    assert shown.layout.height == 600
    assert map_label("a, b") == "a, b" and map_label("Quantum Physics: qubit, gate") == "qubit, gate"


def test_a_pinned_paper_outside_its_focused_topic_is_kept_in_view() -> None:
    papers = frame()
    focused = topic_map(papers, {0: "a", 1: "b"}, focus=0)
    low, high = focused.layout.xaxis.range
    pinned = topic_map(papers, {0: "a", 1: "b"}, QueryPin(9.0, 9.0, "far", label="This paper"), focus=0)
    (x0, x1), (y0, y1) = pinned.layout.xaxis.range, pinned.layout.yaxis.range
    assert x0 == low and x1 > 9.0 and y1 > 9.0 and y0 == focused.layout.yaxis.range[0]
    inside = topic_map(papers, {0: "a", 1: "b"}, QueryPin(0.5, 0.5, "near"), focus=0)
    assert list(inside.layout.xaxis.range) == list(focused.layout.xaxis.range)  # already in view: unchanged
    assert topic_map(papers, {}, QueryPin(50.0, 50.0, "q")).layout.xaxis.range is None  # the whole map holds every paper


def test_rasterise_counts_every_point_in_range_once() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 11, 5000), rng.uniform(-1, 11, 5000)
    clusters = rng.integers(-1, 4, 5000)
    extent = Extent(0.0, 10.0, 0.0, 10.0)
    counts, dominant = rasterise(x, y, clusters, extent, 40, 25)
    in_range = (x >= 0) & (x <= 10) & (y >= 0) & (y <= 10)
    assert counts.shape == dominant.shape == (25, 40)
    assert counts.sum() == in_range.sum() < len(x)
    assert ((counts == 0) == (dominant == -2)).all()


def test_rasterise_puts_points_in_their_pixel_top_row_first_and_picks_the_dominant_topic() -> None:
    extent = Extent(0.0, 4.0, 0.0, 2.0)
    # 4 x 2 pixels of 1 x 1: (0.5, 1.5) is the top-left pixel, the corner (4, 2) the top-right one.
    x = np.array([0.5, 0.6, 0.7, 3.5, 3.6, 4.0, 2.5, 2.5])
    y = np.array([1.5, 1.6, 1.7, 0.5, 0.5, 2.0, 0.2, 0.3])
    clusters = np.array([2, 2, 5, 1, 3, -1, 7, 7])
    counts, dominant = rasterise(x, y, clusters, extent, 4, 2)
    assert counts.tolist() == [[3, 0, 0, 1], [0, 0, 2, 2]]
    assert dominant.tolist() == [[2, -2, -2, -1], [-2, -2, 7, 1]]


def test_density_image_pixels_take_their_topic_colour_and_opacity_grows_with_density() -> None:
    counts = np.array([[0, 1], [10, 100]])
    dominant = np.array([[-2, 3], [-1, 3]])
    rgba = density_rgba(counts, dominant)
    assert rgba[0, 0, 3] == 0
    assert "#{:02x}{:02x}{:02x}".format(*rgba[0, 1, :3]) == topic_colour(3) == "#{:02x}{:02x}{:02x}".format(*rgba[1, 1, :3])
    assert "#{:02x}{:02x}{:02x}".format(*rgba[1, 0, :3]) == NOISE_COLOUR
    assert 0 < rgba[0, 1, 3] < rgba[1, 0, 3] < rgba[1, 1, 3] == 255
    assert len({topic_colour(c) for c in range(30)}) == 30


def large_frame(n: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    clusters = rng.integers(-1, 6, n)
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "title": [f"<img src=x onerror=alert({i})> title {i}" for i in range(n)],
            "x": (clusters * 3 + rng.normal(0, 1, n)).astype(np.float32),
            "y": (clusters % 3 + rng.normal(0, 1, n)).astype(np.float32),
            "cluster": clusters.astype(np.int32),
        }
    )


def test_a_map_above_the_limit_is_an_image_of_every_paper_under_a_small_sample() -> None:
    papers = large_frame()
    labels = {c: f"topic <b>{c}</b>" for c in range(6)}
    figure = topic_map(papers, labels, QueryPin(1.0, 1.0, "q", hit_rows=[5, 6]), max_points=10_000)
    (image,) = figure.layout.images
    assert image.xref == "x" and image.yref == "y" and image.layer == "below"
    png = Image.open(io.BytesIO(base64.b64decode(image.source.split(",", 1)[1])))
    assert png.mode == "RGBA" and max(png.size) == RASTER_PIXELS
    assert image.x <= papers["x"].min() and image.x + image.sizex >= papers["x"].max()
    assert image.y >= papers["y"].max() and image.y - image.sizey <= papers["y"].min()
    sizes = [len(trace.x) for trace in figure.data]
    assert max(sizes) <= HOVER_POINTS and sum(sizes) < len(papers)
    sample = [t for t in figure.data if t.mode == "markers" and t.name != HITS_NAME and not t.name.startswith("Query")]
    assert all("<" not in text for t in sample for text in t.text) and any("&lt;img" in t.text[0] for t in sample)
    assert {t.name for t in sample} == {"unclustered", *(f"{c}: topic &lt;b&gt;{c}&lt;/b&gt;" for c in range(6))}
    assert all(t.marker.color == topic_colour(int(t.name.split(":")[0])) for t in sample if t.name != "unclustered")
    assert [t.name for t in figure.data][-2:] == [HITS_NAME, "Query: q"]
    assert topic_map(papers, labels, max_points=len(papers)).layout.images == ()


def test_a_focused_large_map_draws_the_topic_sharper_over_the_rest(monkeypatch) -> None:
    monkeypatch.setenv(MAP_POINTS_ENV, "1000")
    figure = topic_map(large_frame(), {}, focus=2)
    whole, focused = figure.layout.images
    assert focused.sizex < whole.sizex / 2 and list(figure.layout.xaxis.range) == [focused.x, focused.x + focused.sizex]
    base = np.asarray(Image.open(io.BytesIO(base64.b64decode(whole.source.split(",", 1)[1]))))
    column = int((focused.x + focused.sizex / 2 - whole.x) / whole.sizex * base.shape[1])
    row = int((whole.y - (focused.y - focused.sizey / 2)) / whole.sizey * base.shape[0])
    assert base[row, column, 3] == 0 and base[..., 3].any()


def test_a_pin_over_a_cached_spec_gives_the_pinned_map_and_leaves_the_spec_as_it_was() -> None:
    papers, labels = frame(), {0: "a", 1: "b"}
    for focus, pin in ((None, QueryPin(0.5, 0.5, "near", hit_rows=[0, 2])), (0, QueryPin(9.0, 9.0, "far", label="This paper"))):
        spec = base_map(papers, labels, focus).to_dict()
        before = pio.to_json(spec)
        pinned = with_pin(spec, papers, pin, keep_in_view=True)
        assert pio.to_json(spec) == before  # shared by every session: never changed
        assert pio.to_json(pinned) == pio.to_json(topic_map(papers, labels, pin, focus).to_dict())
    spec = base_map(papers, labels, 0).to_dict()
    assert with_pin(spec, papers, QueryPin(9.0, 9.0, "far"))["layout"]["xaxis"] == spec["layout"]["xaxis"]  # the map page's pin


def test_a_spec_figure_hands_its_spec_to_streamlit_as_it_is() -> None:
    spec = base_map(frame(), {0: "a", 1: "b"}).to_dict()
    # What st.plotly_chart does with a figure before serialising it: a dict would be validated again, a Figure copied.
    assert plotly.tools.return_figure_from_figure_or_data(SpecFigure(spec), validate_figure=True) is spec


def test_a_served_spec_gives_streamlit_the_json_plotly_would_write() -> None:
    papers = frame()
    papers.loc[0, "title"] = "A </script> <b>title</b> \u2028 with a/slash & more"  # every character Plotly escapes
    spec = base_map(papers, {0: "a <i>", 1: "b/c"}).to_dict()
    served = ServedSpec(spec)
    pinned = with_pin(served, papers, QueryPin(0.5, 0.5, "q </b>", hit_rows=[0, 1]), keep_in_view=True)
    assert isinstance(pinned, ServedSpec) and dict(served) == spec  # the cached spec is left as it was
    for served_spec, plain in (
        (served, spec),
        (pinned, with_pin(spec, papers, QueryPin(0.5, 0.5, "q </b>", hit_rows=[0, 1]), keep_in_view=True)),
    ):
        # What st.plotly_chart calls: the same text, character for character, as Plotly's encoder gives for the dict.
        sent = pio.to_json(SpecFigure(served_spec), validate=False)
        assert sent == pio.to_json(plain, validate=False)
        assert "<" not in sent and "\u2028" not in sent and json.loads(sent)["data"][0]["text"]
    with pytest.raises(ValueError, match="same traces"):
        ServedSpec(spec, served.trace_json[1:])
