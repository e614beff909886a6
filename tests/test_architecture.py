"""The project's import graph: no module imports itself through others, and `lib/` stays plain Python.

Every module of lib/, pages/, bench/ and app.py is parsed (not imported) and each import statement, at module level
or inside a function (or under TYPE_CHECKING), is an arrow to the project module it names. A cycle makes the
order of imports matter and the modules one tangle; lib/ importing Streamlit, the pages or the benchmarks would tie
the library to the app or to scripts the app never runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lib", "pages", "bench")
# What lib/ must never import (top-level names): the UI, its framework and the benchmark scripts.
FORBIDDEN_IN_LIB = ("streamlit", "pages", "app", "bench")


def project_modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the project (a package by its __init__.py)."""
    modules = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _imported_names(module: str, path: Path) -> list[str]:
    """Every dotted name an import statement of the module names: `import a.b` gives a.b, `from a import b` gives a and a.b."""
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                parent = ".".join(base + ([node.module] if node.module else []))
            else:
                parent = node.module or ""
            names.append(parent)
            names.extend(f"{parent}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (anywhere in its code)."""
    modules = project_modules()
    return {
        module: {name for name in _imported_names(module, path) if name in modules and name != module} for module, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (first = last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert {"lib.modelset", "lib.build", "pages", "pages.search", "bench.scaling", "app"} <= set(graph)
    assert "lib.modelset" in graph["lib.build"]  # `from lib import modelset`
    assert "lib.setfiles" in graph["lib.modelset"]  # `from lib.setfiles import ...`
    assert {"lib.ann", "lib.lexical", "lib.levels"} <= graph["lib.modelset"]  # imports inside load_model_set
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_of_the_project_imports_itself_through_others() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_format_modules_below_modelset_do_not_import_it() -> None:
    graph = import_graph()
    assert graph["lib.setfiles"] == set(), "lib/setfiles.py only names files: it imports nothing of the project"
    for module in ("lib.ann", "lib.lexical", "lib.levels", "lib.doc2vec_files"):
        assert "lib.modelset" not in graph[module], f"{module} imports lib.modelset, which imports it to load a set"


def test_lib_never_imports_streamlit_the_pages_or_the_benchmarks() -> None:
    found = []
    for module, path in project_modules().items():
        if module.split(".")[0] != "lib":
            continue
        for name in _imported_names(module, path):
            if name.split(".")[0] in FORBIDDEN_IN_LIB:
                found.append(f"{module} imports {name}")
    assert not found, "; ".join(found)


# Bounds what Streamlit keeps per session and per cache by wrapping two of its private methods (documented there).
STREAMLIT_PATCHES = "pages.streamlit_memory"


def test_pages_use_the_catalogue_and_ranker_not_the_loaded_files_behind_them() -> None:
    """`engine.model_set`, `ModelSet` or a private member of the engine in a page would tie the UI to the file format.
    One module may read private members: the one whose job is to patch Streamlit's own (it names no engine)."""
    found = []
    for module, path in project_modules().items():
        if module.split(".")[0] not in ("pages", "app"):
            continue
        patches_streamlit = module == STREAMLIT_PATCHES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if patches_streamlit and isinstance(node, ast.Name):
                assert node.id not in ("engine", "Engine"), f"{module} line {node.lineno} names the engine"
            if isinstance(node, ast.Attribute) and (
                node.attr == "model_set" or node.attr.startswith("_") and not node.attr.startswith("__") and not patches_streamlit
            ):
                found.append(f"{module} line {node.lineno}: .{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "lib.modelset" and any(a.name == "ModelSet" for a in node.names):
                found.append(f"{module} line {node.lineno}: imports ModelSet")
    assert not found, "; ".join(found)


def test_every_page_address_is_its_file_name() -> None:
    # A server's first request resolves its page by the files in pages/ before app.py has declared the pages: a
    # cold server sent to /whats-new (file pages/whats_new.py) showed "Page not found" and ran the search page.
    import pages.nav as nav

    for page in nav.PAGES:
        if page.url_path:
            assert page.url_path == Path(page.path).stem, page
