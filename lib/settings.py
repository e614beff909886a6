"""Settings from the environment: the one place lib/, bench/ and the pages read environment variables.

`current_settings()` reads them into a frozen `Settings` on each call (a few dictionary look-ups), so a server
started with another environment, or a test that changes a variable, is seen at once; code takes the field it needs.

- MODELS_DIR: the folder of model sets (default: models/ in the repository).
- MAP_MAX_POINTS: maps of more papers are drawn as a density image (a positive whole number; else 50,000).
- TOPIC_SEARCH_CACHE: this app's cache folder (stamps of verified files); else $XDG_CACHE_HOME/topic-search,
  else ~/.cache/topic-search.
- LIB_DEBUG: when set (non-empty), the command line shows an unexpected error's traceback.
- ARXIV_SAMPLE: the real arXiv sample the benchmarks read (default: ../shared/arxiv/sample.jsonl.gz beside the
  repository).
- SERVE_PASSWORD: the password `python -m lib serve --user NAME` protects a deployment with when no password file
  is given (read by lib/cli.py for lib/serve.py, never passed on to the app processes).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
MODELS_DIR_ENV = "MODELS_DIR"
MAP_POINTS_ENV = "MAP_MAX_POINTS"
CACHE_ENV = "TOPIC_SEARCH_CACHE"
DEBUG_ENV = "LIB_DEBUG"
SAMPLE_ENV = "ARXIV_SAMPLE"
SERVE_PASSWORD_ENV = "SERVE_PASSWORD"
# Maps of at most this many papers draw every paper as a point; larger ones draw all papers as a density image
# (lib/figures.py) under a sample of points for hovering. $MAP_MAX_POINTS overrides it.
MAX_MAP_POINTS = 50_000
DEFAULT_SAMPLE = REPOSITORY.parent / "shared" / "arxiv" / "sample.jsonl.gz"


@dataclass(frozen=True)
class Settings:
    """What the environment asks for, with the defaults filled in."""

    models_dir: Path
    map_max_points: int
    debug: bool
    arxiv_sample: Path
    cache: str | None = None  # $TOPIC_SEARCH_CACHE
    xdg_cache_home: str | None = None

    @property
    def cache_dir(self) -> Path:
        """This app's cache folder (the home folder is looked up only when neither variable is set)."""
        if self.cache:
            return Path(self.cache)
        return Path(self.xdg_cache_home or Path.home() / ".cache") / "topic-search"


def current_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings the environment (os.environ unless given) holds now."""
    env = os.environ if environ is None else environ
    points = env.get(MAP_POINTS_ENV, "")
    sample = env.get(SAMPLE_ENV)
    return Settings(
        models_dir=Path(env.get(MODELS_DIR_ENV, REPOSITORY / "models")),
        map_max_points=int(points) if points.isdigit() and int(points) > 0 else MAX_MAP_POINTS,
        debug=bool(env.get(DEBUG_ENV)),
        arxiv_sample=Path(sample) if sample else DEFAULT_SAMPLE,
        cache=env.get(CACHE_ENV),
        xdg_cache_home=env.get("XDG_CACHE_HOME"),
    )
