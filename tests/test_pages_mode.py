"""Streamlit's old pages-folder mode, and the one switch that leaves it (pages/__init__.py).

The switch sets a private flag, so these tests pin down the Streamlit behaviour it answers: when one fails after a
Streamlit upgrade, read its message: either the switch must follow Streamlit, or it is no longer needed and goes.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import CHROMIUM, PYTHON, ROOT, free_port, headless_chromium

# app.py and the page files of pages/nav.py (read, not imported: importing `pages` here could trip the switch).
ENTRY_POINTS = ["app.py", *re.findall(r'AppPage\("(pages/\w+\.py)"', (ROOT / "pages" / "nav.py").read_text(encoding="utf-8"))]

# Runs one file of the app as Streamlit's pages-folder mode would on a fresh server (the mode on, no app.py first)
# and reports whether it asked for a rerun, and which of the project's `lib` modules it had imported by then.
AS_A_PAGE = textwrap.dedent(
    """
    import json, sys
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    class Rerun(BaseException):
        pass

    def rerun(*args, **kwargs):
        raise Rerun

    st.rerun = rerun
    PagesManager.uses_pages_directory = True
    path = sys.argv[1]
    try:
        exec(compile(open(path, encoding="utf-8").read(), path, "exec"), {"__name__": "__main__", "__file__": path})
        reran = False
    except Rerun:
        reran = True
    lib = sorted(name for name in sys.modules if name == "lib" or name.startswith("lib."))
    print(json.dumps({"reran": reran, "lib": lib, "mode": PagesManager.uses_pages_directory}))
    """
)


def test_streamlit_still_turns_its_pages_folder_mode_on_for_this_app() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    assert hasattr(PagesManager, "uses_pages_directory"), (
        "Streamlit no longer has PagesManager.uses_pages_directory: see whether a pages/ folder beside app.py is still "
        "run on its own on a fresh server's first deep link (the browser test below), and update or delete pages/__init__.py"
    )
    saved = PagesManager.uses_pages_directory
    try:
        PagesManager.uses_pages_directory = None
        PagesManager(str(ROOT / "app.py"))
        assert PagesManager.uses_pages_directory is True
    finally:
        PagesManager.uses_pages_directory = saved


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_each_page_leaves_the_mode_before_importing_the_model_code(entry: str) -> None:
    assert len(ENTRY_POINTS) == 7  # app.py and the six pages of pages/nav.py
    """The first page a fresh server runs reruns through app.py at once, so its Plotly warm-up is not held up by imports."""
    result = subprocess.run([PYTHON, "-c", AS_A_PAGE, entry], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["reran"] and report["mode"] is False, report
    assert report["lib"] == [], (
        f"{entry} imported {report['lib']} before any module of `pages`: import the UI modules as `import pages.x as x` "
        "(ruff puts those first), so a fresh server's first deep link leaves the pages-folder mode before slow imports"
    )


@pytest.mark.browser
def test_streamlit_still_runs_a_pages_file_alone_on_a_fresh_servers_first_deep_link(tmp_path: Path) -> None:
    """An app like ours (st.navigation over pages/ files) without the switch: the first deep link skips its entry point."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text(
        "import streamlit as st\n"
        "st.session_state['entry'] = True\n"
        "st.navigation([st.Page('pages/home.py', default=True), st.Page('pages/other.py', url_path='other')]).run()\n",
        encoding="utf-8",
    )
    (tmp_path / "pages" / "home.py").write_text("import streamlit as st\nst.title('Home')\n", encoding="utf-8")
    (tmp_path / "pages" / "other.py").write_text(
        "import streamlit as st\nst.title('Other: ' + ('through the entry point' if st.session_state.get('entry') else 'alone'))\n",
        encoding="utf-8",
    )
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test and .ci/run install it)")
    port = free_port()
    args = [PYTHON, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port)]
    server = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with headless_chromium() as browser:
            page = browser.new_page()
            for _ in range(200):
                try:
                    page.goto(f"http://127.0.0.1:{port}/other")
                    break
                except PlaywrightError:
                    page.wait_for_timeout(300)
            heading = page.get_by_role("heading", name="Other:").first
            heading.wait_for(timeout=90_000)
            assert heading.inner_text().strip() == "Other: alone", (
                "Streamlit now runs the entry point first on a fresh server's first deep link: pages/__init__.py's switch "
                "(and this test, and test_each_page_leaves_the_mode_before_importing_the_model_code) can go"
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
