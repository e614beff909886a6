"""The app server runs numerical libraries on one thread each (lib/threads.py): their spinning thread pools cost
other readers' runs about as much CPU as the searches themselves."""

import json
import os
import subprocess
import textwrap

from tests.conftest import PYTHON, ROOT

POOLS = "import json, threadpoolctl; print(json.dumps([[i['internal_api'], i['num_threads']] for i in threadpoolctl.threadpool_info()]))"


def _pools(code: str, **env: str) -> list[list]:
    """Run `code` in a fresh interpreter (limits are per process) and return its thread pools after it."""
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_NUM_THREADS")} | env
    done = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code) + "\n" + POOLS], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_libraries_loaded_before_and_after_get_one_thread_each() -> None:
    before = _pools("import numpy, scipy.linalg, sklearn.cluster")
    assert any(threads > 1 for _, threads in before) or os.cpu_count() == 1  # the default: a pool per core
    pools = _pools(
        """
        import numpy
        from lib.threads import one_thread_per_library
        one_thread_per_library()
        import scipy.linalg, sklearn.cluster  # loaded after the call: they read the variables it set
        """
    )
    assert {api for api, _ in pools} >= {"openblas", "openmp"} and all(threads == 1 for _, threads in pools), pools


def test_a_thread_count_the_user_set_stays_for_libraries_loaded_later() -> None:
    pools = _pools(
        """
        import os
        from lib.threads import one_thread_per_library
        one_thread_per_library()
        assert os.environ["OMP_NUM_THREADS"] == "2" and os.environ["OPENBLAS_NUM_THREADS"] == "1"
        import sklearn.cluster
        """,
        OMP_NUM_THREADS="2",
    )
    assert ["openmp", 2] in pools or os.cpu_count() == 1


def test_the_app_limits_its_process(tmp_path) -> None:
    pools = _pools(
        f"""
        import os
        os.environ["MODELS_DIR"] = {str(tmp_path)!r}  # no model sets: the app shows how to build one
        from streamlit.testing.v1 import AppTest
        app = AppTest.from_file("app.py", default_timeout=120).run()
        assert not app.exception, app.exception
        """
    )
    assert pools and all(threads == 1 for _, threads in pools), pools
