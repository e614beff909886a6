"""Warm an app server that has just started, so that its first reader does not wait for what a server does once.

A fresh server's first page imports the model code (pandas, gensim, scipy, scikit-learn: 2.3 to 2.8 s here) and
opens the default model set (seconds at a million papers: docs/BENCHMARKS.md); both then stay loaded for every
session after. Streamlit's script health check (`--server.scriptHealthCheckEnabled true`, the endpoint
/_stcore/script-health-check) runs the app's script once in a session of its own: app.py and the search page do
exactly that work. `make run` and `python -m lib serve` start their servers with the check on and call it once the
server answers; the proxy of `python -m lib serve` does not pass the endpoint on (it is for this machine only).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

# Flags for `streamlit run` that turn the endpoint on.
WARM_FLAGS = ["--server.scriptHealthCheckEnabled", "true"]
HEALTH_PATH = "/_stcore/health"
RUN_PATH = "/_stcore/script-health-check"
# Streamlit gives the script 60 s before it answers "timeout"; a little more for the answer to arrive.
RUN_TIMEOUT = 75.0


def _get(url: str, timeout: float) -> tuple[int, str]:
    """Status and body (at most 1 KB) of a GET; status 0 and the reason when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(1024).decode("utf-8", "replace")
    except (OSError, ValueError) as error:
        return 0, str(error)


def warm_up(url: str, wait_seconds: float = 120.0) -> tuple[bool, str]:
    """Wait (at most `wait_seconds`) until the server at `url` answers its health check, then have it run the app once.

    Returns whether the run succeeded and what the server said (or why nothing was run): a failed warm-up harms
    nothing, the first reader then does the work, so this never raises.
    """
    base = url.rstrip("/")
    deadline = time.monotonic() + wait_seconds
    while _get(base + HEALTH_PATH, timeout=2.0)[0] != 200:
        if time.monotonic() >= deadline:
            return False, f"no answer from {base}{HEALTH_PATH} within {wait_seconds:g} s"
        time.sleep(0.5)
    # Twice: a fresh server's first run of the app leaves Streamlit's old pages-folder mode and reruns (pages/__init__.py),
    # which ends the check's session there (measured: 0.13 s, nothing loaded); the second run does the work (3.2 s
    # for the demo set: the model code imported, the set opened).
    for _ in range(2):
        status, body = _get(base + RUN_PATH, timeout=RUN_TIMEOUT)
        if status != 200 or body.strip() != "ok":
            break
    if status == 200 and body.strip() == "ok":
        return True, "ok"
    if status in (200, 404) and body.lstrip().startswith("<"):  # the app's own page: the endpoint does not exist
        return False, "the server's script health check is off (start it with --server.scriptHealthCheckEnabled true)"
    return False, f"the app's run answered {status or 'nothing'}: {body.strip()[:200]}"
