"""Warming a just-started server (lib/warmup.py) against real Streamlit servers, and the command that does it."""

from __future__ import annotations

import shutil
import subprocess
import time

import psutil

from lib.warmup import warm_up
from tests.conftest import PYTHON, ROOT, free_port, streamlit_server


def test_a_server_with_the_check_runs_the_app_once_and_opens_the_default_set(demo_model_set, tmp_path) -> None:
    shutil.copytree(demo_model_set, tmp_path / "demo")
    with streamlit_server(tmp_path, STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED="true") as url:
        port = int(url.rsplit(":", 1)[1])
        server = next(
            process
            for process in psutil.process_iter(["cmdline"])
            if "streamlit" in " ".join(process.info["cmdline"] or ())
            and any(c.laddr.port == port for c in process.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN)
        )
        assert str(tmp_path / "demo" / "vectors.npy") not in {region.path for region in server.memory_maps()}
        ok, said = warm_up(url)
        assert ok and said == "ok"
        assert str(tmp_path / "demo" / "vectors.npy") in {region.path for region in server.memory_maps()}
        done = subprocess.run([PYTHON, "-m", "lib", "warm-up", "--url", url], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.strip() == "warmed: ok"


def test_without_the_check_or_a_server_it_says_why_and_harms_nothing(demo_model_set, tmp_path) -> None:
    shutil.copytree(demo_model_set, tmp_path / "demo")
    with streamlit_server(tmp_path) as url:
        ok, said = warm_up(url)
        assert not ok and "--server.scriptHealthCheckEnabled true" in said
    start = time.monotonic()
    ok, said = warm_up(f"http://127.0.0.1:{free_port()}", wait_seconds=1.0)
    assert not ok and "no answer" in said and time.monotonic() - start < 10
    args = [PYTHON, "-m", "lib", "warm-up", "--url", f"http://127.0.0.1:{free_port()}", "--wait", "1"]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.startswith("not warmed: no answer")
