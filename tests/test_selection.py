import numpy as np

from lib.selection import Shape, mark_button_label, points_in_box, points_in_polygon, selected_rows, selection_shapes

# A U shape (concave): the notch between its arms, x in (1, 2) and y above 1, is outside.
U_X = (0.0, 3.0, 3.0, 2.0, 2.0, 1.0, 1.0, 0.0)
U_Y = (0.0, 0.0, 3.0, 3.0, 1.0, 1.0, 3.0, 3.0)


def test_box_holds_points_on_its_edges_whichever_corners_come_first() -> None:
    x = np.array([0.0, 1.0, 2.0, 2.0001, 1.0, -0.5])
    y = np.array([0.0, 1.0, 3.0, 1.0, 3.0001, 1.0])
    assert points_in_box(x, y, (2.0, 0.0), (3.0, 0.0)).tolist() == [True, True, True, False, False, False]


def test_concave_lasso_excludes_the_notch() -> None:
    x = np.array([0.5, 2.5, 1.5, 1.5, 1.5, 0.5, 3.5, -0.1, 2.5])
    y = np.array([2.5, 2.5, 2.0, 0.5, 1.2, 0.5, 1.0, 1.0, 3.2])
    assert points_in_polygon(x, y, U_X, U_Y).tolist() == [True, True, False, True, False, True, False, False, False]


def test_polygon_area_matches_the_share_of_random_points_inside() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 3, 200_000), rng.uniform(0, 3, 200_000)
    inside = points_in_polygon(x, y, U_X, U_Y)
    # The U covers 7 of the 9 unit squares of the 3 x 3 square.
    assert abs(inside.mean() - 7 / 9) < 0.005
    expected = ~((x > 1) & (x < 2) & (y > 1))
    assert (inside == expected).mean() > 0.9999


def test_a_triangle_and_degenerate_polygons() -> None:
    x, y = np.array([1.0, 1.0, 3.0]), np.array([0.5, 1.5, 0.1])
    assert points_in_polygon(x, y, (0.0, 4.0, 0.0), (0.0, 0.0, 2.0)).tolist() == [True, False, True]
    assert not points_in_polygon(x, y, (0.0, 4.0), (0.0, 0.0)).any()


def test_shapes_from_a_streamlit_event_skip_what_is_malformed() -> None:
    event = {
        "selection": {
            "points": [],
            "box": [{"xref": "x", "yref": "y", "x": [2, 0], "y": [3, 1]}, {}, {"xref": "x2", "yref": "y", "x": [0, 1], "y": [0, 1]}],
            "lasso": [{"xref": "x", "yref": "y", "x": list(U_X), "y": list(U_Y)}, {"x": ["a", 1, 2], "y": [0, 1, 2]}],
        }
    }
    shapes = selection_shapes(event)
    assert shapes == [Shape("box", (2.0, 0.0), (3.0, 1.0)), Shape("lasso", U_X, U_Y)]
    assert selection_shapes({"selection": {"box": [{"x": [0, float("nan")], "y": [0, 1]}]}}) == []
    assert selection_shapes(None) == [] and selection_shapes({"selection": "x"}) == []


def test_selected_rows_are_the_union_of_every_shape_or_none_without_shapes() -> None:
    x = np.array([0.5, 1.5, 2.5, 5.0, 9.0])
    y = np.array([0.5, 2.0, 2.5, 5.0, 9.0])
    event = {
        "selection": {
            "box": [{"xref": "x", "yref": "y", "x": [4, 6], "y": [4, 6]}],
            "lasso": [{"xref": "x", "yref": "y", "x": list(U_X), "y": list(U_Y)}],
        }
    }
    assert selected_rows(x, y, event).tolist() == [0, 2, 3]
    assert selected_rows(x, y, {"selection": {"points": [{"x": 1}], "box": [], "lasso": []}}) is None
    empty = {"selection": {"box": [{"x": [20, 30], "y": [20, 30]}], "lasso": []}}
    assert selected_rows(x, y, empty).tolist() == []


def test_mark_button_says_how_many_papers_once() -> None:
    assert mark_button_label(12, 12) == "Mark these 12 papers 'more like'"
    assert mark_button_label(200, 109_203) == "Mark the first 200 papers 'more like'"
