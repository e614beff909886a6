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


# Issue 19: points_in_polygon is vectorised (points sorted by y, each edge tested on the slice it spans). These
# tests hold it to the rule it had: two references written here, per point and per edge, on random and adversarial
# inputs, compared exactly (the same float64 operations in the same order give the same bits).


def reference_inside(px: float, py: float, xs: list[float], ys: list[float]) -> bool:
    """One point: inside the bounding box (edges included), then an odd count of edges a ray to the right crosses."""
    if len(xs) < 3 or not (min(xs) <= px <= max(xs) and min(ys) <= py <= max(ys)):
        return False
    inside = False
    for i in range(len(xs)):
        x1, y1, x2, y2 = xs[i], ys[i], xs[(i + 1) % len(xs)], ys[(i + 1) % len(xs)]
        if y1 != y2 and (y1 > py) != (y2 > py) and px < x1 + (py - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def edge_loop_inside(x: np.ndarray, y: np.ndarray, xs: tuple[float, ...], ys: tuple[float, ...]) -> np.ndarray:
    """points_in_polygon as it was before issue 19: every edge tested on every point of the bounding box."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    inside = np.zeros(x.shape, dtype=bool)
    if len(xs) < 3:
        return inside
    candidates = np.flatnonzero(points_in_box(x, y, xs, ys))
    px, py = x[candidates], y[candidates]
    crossings = np.zeros(len(candidates), dtype=bool)
    vx, vy = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    for x1, y1, x2, y2 in zip(vx, vy, np.roll(vx, -1), np.roll(vy, -1), strict=True):
        if y1 != y2:
            with np.errstate(invalid="ignore"):
                at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            crossings ^= ((y1 > py) != (y2 > py)) & (px < at)
    inside[candidates] = crossings
    return inside


def assert_agrees(x: np.ndarray, y: np.ndarray, xs: tuple[float, ...], ys: tuple[float, ...]) -> np.ndarray:
    """points_in_polygon equals both references point for point; returns its mask."""
    got = points_in_polygon(x, y, xs, ys)
    expected = [reference_inside(float(a), float(b), list(xs), list(ys)) for a, b in zip(x, y, strict=True)]
    assert got.dtype == bool and got.shape == np.shape(x)
    assert got.tolist() == expected, (xs, ys)
    assert got.tolist() == edge_loop_inside(x, y, xs, ys).tolist()
    return got


def points_on_and_near(xs: tuple[float, ...], ys: tuple[float, ...], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The vertices, points along every edge (0, 1/4, 1/2, 3/4 of the way), at vertices' heights, and random ones."""
    vx, vy = np.array(xs), np.array(ys)
    t = np.array([0.0, 0.25, 0.5, 0.75])[:, None]
    along_x = (vx + t * (np.roll(vx, -1) - vx)).ravel()
    along_y = (vy + t * (np.roll(vy, -1) - vy)).ravel()
    level_x = rng.uniform(vx.min() - 1, vx.max() + 1, len(vy))
    low, high = vx.min() - 1, vx.max() + 1
    bottom, top = vy.min() - 1, vy.max() + 1
    random_x, random_y = rng.uniform(low, high, 150), rng.uniform(bottom, top, 150)
    return np.concatenate([along_x, level_x, random_x]), np.concatenate([along_y, vy, random_y])


def test_vectorised_polygon_agrees_with_the_references_on_random_polygons() -> None:
    rng = np.random.default_rng(19)
    for case in range(40):
        count = int(rng.integers(3, 60))
        if case % 2:
            # A star-shaped blob (a hand-drawn lasso), often concave.
            angles = np.sort(rng.uniform(0, 2 * np.pi, count))
            radius = rng.uniform(0.5, 2.0, count)
            xs, ys = tuple(radius * np.cos(angles) + 3.0), tuple(radius * np.sin(angles) - 1.0)
        else:
            # Vertices anywhere: the polygon crosses itself, the even-odd rule decides.
            xs, ys = tuple(rng.normal(0, 1, count)), tuple(rng.normal(0, 1, count))
        x, y = points_on_and_near(xs, ys, rng)
        assert_agrees(x, y, xs, ys)


def test_vectorised_polygon_agrees_on_grid_points_on_vertices_edges_and_rays_through_vertices() -> None:
    # Integer vertices and points on a half-integer grid: exact arithmetic puts many points exactly on vertices, on
    # edges (horizontal, vertical, slanted) and on rays through vertices, where the half-open rule decides.
    rng = np.random.default_rng(7)
    grid = np.arange(-1.0, 5.5, 0.5)
    x, y = (a.ravel() for a in np.meshgrid(grid, grid))
    for _ in range(150):
        count = int(rng.integers(3, 12))
        xs, ys = tuple(rng.integers(0, 5, count).astype(float)), tuple(rng.integers(0, 5, count).astype(float))
        assert_agrees(x, y, xs, ys)


def test_boundary_of_a_square_is_half_open_left_and_bottom_edges_in() -> None:
    x = np.array([0.0, 0.5, 1.0, 0.5, 0.0, 1.0, 1.0, 0.0, 0.5])
    y = np.array([0.5, 0.0, 0.5, 1.0, 0.0, 0.0, 1.0, 1.0, 0.5])
    for xs, ys in [((0.0, 1.0, 1.0, 0.0), (0.0, 0.0, 1.0, 1.0)), ((0.0, 0.0, 1.0, 1.0), (0.0, 1.0, 1.0, 0.0))]:
        # left, bottom, right, top edges; corners bottom-left, bottom-right, top-right, top-left; the centre.
        assert assert_agrees(x, y, xs, ys).tolist() == [True, True, False, False, True, False, False, False, True]


def test_degenerate_and_repeated_vertices() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 3, 300), rng.uniform(-1, 3, 300)
    x, y = np.concatenate([x, [0.0, 1.0, 2.0, 1.0]]), np.concatenate([y, [0.0, 1.0, 2.0, 0.0]])
    for xs, ys in [((), ()), ((1.0,), (1.0,)), ((0.0, 2.0), (0.0, 2.0)), ((1.0, 1.0, 1.0), (1.0, 1.0, 1.0))]:
        assert not assert_agrees(x, y, xs, ys).any()
    # Collinear vertices enclose nothing (a point on the line counts its two edges).
    assert not assert_agrees(x, y, (0.0, 1.0, 2.0), (0.0, 1.0, 2.0)).any()
    # Repeated vertices and an explicit closing vertex (Plotly may send either) add edges of length zero.
    plain = assert_agrees(x, y, U_X, U_Y)
    doubled = tuple(v for v in U_X for _ in range(2)), tuple(v for v in U_Y for _ in range(2))
    assert assert_agrees(x, y, *doubled).tolist() == plain.tolist()
    assert assert_agrees(x, y, (*U_X, U_X[0]), (*U_Y, U_Y[0])).tolist() == plain.tolist()
    assert plain.any() and not plain.all()


def test_nan_and_infinite_coordinates() -> None:
    x = np.array([0.5, np.nan, 0.5, np.nan, np.inf, -np.inf, 0.5, 2.5, 1.5])
    y = np.array([0.5, 0.5, np.nan, np.nan, 0.5, 0.5, np.inf, 2.5, 2.0])
    assert assert_agrees(x, y, U_X, U_Y).tolist() == [True, False, False, False, False, False, False, True, False]
    # NaN or infinite vertices (selection_shapes drops such shapes; a direct caller gets the rule's arithmetic).
    rng = np.random.default_rng(5)
    px, py = rng.uniform(-1, 4, 200), rng.uniform(-1, 4, 200)
    for bad in (np.nan, np.inf, -np.inf):
        for at in (0, 3, 7):
            for xs, ys in [(U_X[:at] + (bad,) + U_X[at + 1 :], U_Y), (U_X, U_Y[:at] + (bad,) + U_Y[at + 1 :])]:
                with np.errstate(invalid="ignore"):
                    assert_agrees(px, py, xs, ys)


def test_mask_dtype_and_shape_follow_the_points() -> None:
    assert points_in_polygon(np.array([]), np.array([]), U_X, U_Y).shape == (0,)
    grid = np.meshgrid(np.linspace(-1, 4, 7), np.linspace(-1, 4, 5))
    mask = points_in_polygon(grid[0], grid[1], U_X, U_Y)
    assert mask.dtype == bool and mask.shape == (5, 7)
    assert mask.ravel().tolist() == points_in_polygon(grid[0].ravel(), grid[1].ravel(), U_X, U_Y).tolist()
    assert points_in_polygon(grid[0], grid[1], (0.0, 1.0), (0.0, 1.0)).shape == (5, 7)
    values = np.random.default_rng(2).uniform(-1, 4, (2, 500)).astype(np.float32)
    as_float32 = points_in_polygon(values[0], values[1], U_X, U_Y)
    assert as_float32.tolist() == points_in_polygon(values[0].astype(np.float64), values[1].tolist(), U_X, U_Y).tolist()
    assert points_in_polygon([0.5, 1.5], [0.5, 2.0], U_X, U_Y).tolist() == [True, False]


def test_selected_rows_of_a_lasso_are_its_mask_rows_ascending() -> None:
    rng = np.random.default_rng(11)
    x, y = rng.uniform(-1, 4, 5000).astype(np.float32), rng.uniform(-1, 4, 5000).astype(np.float32)
    angles = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    radius = 1.2 + 0.4 * np.sin(5 * angles)
    xs, ys = (1.5 + radius * np.cos(angles)).tolist(), (1.5 + radius * np.sin(angles)).tolist()
    rows = selected_rows(x, y, {"selection": {"lasso": [{"xref": "x", "yref": "y", "x": xs, "y": ys}]}})
    assert rows.dtype.kind == "i" and np.all(np.diff(rows) > 0)
    assert rows.tolist() == np.flatnonzero(edge_loop_inside(x, y, tuple(xs), tuple(ys))).tolist()
    assert 0 < len(rows) < 5000
