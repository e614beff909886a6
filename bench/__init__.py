"""Benchmarks and tuning scripts, apart from the app; the tests use only the scaled model sets (`bench.scaling`).

Each module is a command run from the repository root with `python -m` (no path edits, no install):

    python -m bench.benchmark_build      read throughput and per-stage build time and memory
    python -m bench.benchmark_scaling    builds of growing size, growth exponents, extrapolation to 2.7 million
    python -m bench.benchmark_search     cold start, memory, time per query, ANN recall against exact ranking
    python -m bench.benchmark_map        map load time and bytes in headless Chromium
    python -m bench.load_test            many concurrent sessions on one Streamlit server
    python -m bench.scale_model_set      writes a scaled benchmark model set (the writer is `bench.scaling`)
    python -m bench.sample_papers        a fixed-seed random sample of a JSON-lines file
    python -m bench.tune_clusters        topic settings swept on a built set's vectors
    python -m bench.tune_weights         lexical weights of hybrid search and "more like this" swept

They import `lib` but `lib` never imports them. Figures are recorded in docs/BENCHMARKS.md and docs/QUALITY.md.
"""
