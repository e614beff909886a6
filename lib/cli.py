"""The command line: `python -m lib build | update | evaluate | harvest | demo-data | feed | serve | warm-up`.

Errors end with one line and exit code 1."""

from __future__ import annotations

import argparse
import re
import signal
import sys
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lib.modelset import ModelSetError, ModelSetWarning
from lib.params import FEATURE_CHOICES, PLACEMENT_NEIGHBOURS, PRESETS, TEXT_CHOICES, with_overrides
from lib.reading import Filters, InputError
from lib.settings import current_settings
from lib.stages import log_stderr


def _date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {value!r}")
    return value


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value}")
    return number


def _sample_size(value: str) -> int:
    number = int(value)
    if number < 0 or 0 < number < 1000:
        raise argparse.ArgumentTypeError(f"expected 0 (every paper) or at least 1000 papers, got {value}")
    return number


def _categories(values: list[str] | None) -> tuple[str, ...]:
    return tuple(part for value in values or [] for part in re.split(r"[,\s]+", value) if part)


def _add_build(commands: argparse._SubParsersAction) -> None:
    build = commands.add_parser(
        "build",
        help="build a model set from arXiv metadata (JSON lines or CSV), or from full texts with --corpus-file",
        description="Read arXiv metadata (or full texts and their metadata), train Doc2Vec, map with UMAP, cluster with HDBSCAN, "
        "write models/NAME atomically.",
    )
    source = build.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--input", type=Path, help="snapshot JSON lines (.json/.jsonl, optionally .gz) or CSV with id,title,abstract: papers are abstracts"
    )
    source.add_argument(
        "--corpus-file",
        type=Path,
        help="full texts, one paper per line, tokens separated by spaces (optionally .gz): line i is the text of the paper in "
        "row i of --metadata, so it has exactly one line per metadata row",
    )
    build.add_argument(
        "--metadata",
        type=Path,
        help="with --corpus-file (and only with it): JSON lines or CSV (optionally .gz) with id and title, and optionally abstract, "
        "authors, categories, update_date; every row must be usable and ids unique",
    )
    build.add_argument("--out", required=True, type=Path, help="model set folder, e.g. models/cs-2024")
    build.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="default",
        help="'seed' reproduces the training notebook exactly; 'large' trains Doc2Vec fast enough for millions of papers",
    )
    build.add_argument("--categories", nargs="+", metavar="PREFIX", help="keep papers with a category starting so: cs.CL, cs., math")
    build.add_argument("--since", type=_date, help="keep papers with update_date on or after YYYY-MM-DD")
    build.add_argument("--until", type=_date, help="keep papers with update_date on or before YYYY-MM-DD")
    build.add_argument(
        "--limit", type=_positive, help="stop reading once N papers are kept (with --corpus-file: keep the first N, still check every line)"
    )
    build.add_argument("--workers", type=_positive, default=None, help="threads for training and clustering (default: all cores)")
    build.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    build.add_argument(
        "--text", choices=TEXT_CHOICES, default=None, help="what each paper's document is made of (not with --corpus-file: title and line)"
    )
    group = build.add_argument_group("Doc2Vec")
    group.add_argument("--epochs", type=_positive, dest="doc2vec.epochs")
    group.add_argument("--vector-size", type=_positive, dest="doc2vec.vector_size")
    group.add_argument("--window", type=_positive, dest="doc2vec.window")
    group.add_argument("--min-count", type=_positive, dest="doc2vec.min_count")
    group.add_argument("--dm", type=int, choices=(0, 1), dest="doc2vec.dm", help="1 = PV-DM (notebook), 0 = PV-DBOW")
    group.add_argument("--dbow-words", type=int, choices=(0, 1), dest="doc2vec.dbow_words", help="with --dm 0: also train word vectors")
    group.add_argument("--max-vocab", type=_positive, dest="doc2vec.max_final_vocab", help="cap the vocabulary size")
    group = build.add_argument_group("UMAP")
    group.add_argument("--umap-neighbors", type=_positive, dest="umap.n_neighbors")
    group.add_argument("--umap-min-dist", type=float, dest="umap.min_dist")
    group.add_argument("--cluster-dims", type=_positive, dest="umap.cluster_dims", help="UMAP dimensions HDBSCAN clusters in (2 = the map)")
    group = build.add_argument_group("HDBSCAN")
    group.add_argument("--min-cluster-size", type=_positive, dest="hdbscan.min_cluster_size")
    group.add_argument("--min-samples", type=_positive, dest="hdbscan.min_samples")
    group.add_argument("--cluster-selection", choices=("eom", "leaf"), dest="hdbscan.cluster_selection_method")
    group.add_argument(
        "--assign-noise",
        action=argparse.BooleanOptionalAction,
        dest="hdbscan.assign_noise",
        help="give unclustered papers the topic of their nearest clustered neighbours",
    )
    group = build.add_argument_group("Topics")
    group.add_argument("--features", choices=FEATURE_CHOICES, dest="topics.features", help="what the map and topics are computed from")
    group.add_argument("--lsa-dims", type=_positive, dest="topics.lsa_dims", help="dimensions of the LSA view of BM25")
    group.add_argument(
        "--merge-distance", type=float, dest="topics.merge_distance", help="join clusters whose centres are this close (cosine)"
    )
    group.add_argument(
        "--min-agreement",
        type=float,
        dest="topics.min_agreement",
        help=f"share of a paper's {PLACEMENT_NEIGHBOURS} nearest papers that must share its topic",
    )
    group.add_argument(
        "--map-sample",
        type=_sample_size,
        dest="topics.map_sample",
        help="fit the map and topics on this many papers and place the others by their nearest (0: fit on all; default 200000)",
    )


def _add_update(commands: argparse._SubParsersAction) -> None:
    update = commands.add_parser(
        "update",
        help="add new papers to a model set and replace changed ones, without training again",
        description="Read arXiv metadata as `build` does, add the papers the set lacks and replace those with newer records "
        "(vectors inferred, placed among their nearest papers, BM25 idf recomputed), and swap the updated set into place "
        "atomically. The set's build filters apply unless --categories, --since or --until are given.",
    )
    update.add_argument("--model", required=True, type=Path, help="model set folder to update, e.g. models/cs-2024")
    update.add_argument("--input", required=True, type=Path, help="JSON lines (.json/.jsonl, optionally .gz) or CSV, as for build")
    update.add_argument("--categories", nargs="+", metavar="PREFIX", help="keep papers with a category starting so (default: the set's)")
    update.add_argument("--since", type=_date, help="keep papers with update_date on or after YYYY-MM-DD (default: the set's)")
    update.add_argument("--until", type=_date, help="keep papers with update_date on or before YYYY-MM-DD (default: the set's)")


def _add_evaluate(commands: argparse._SubParsersAction) -> None:
    # Help texts name lib.query_sets' defaults as literals: importing it (sklearn) would slow every command's start by seconds.
    evaluate = commands.add_parser(
        "evaluate",
        help="measure a model set against BM25 and TF-IDF baselines on its own papers",
        description="Known-item search, neighbour category precision, clustering, determinism and latency, side by side; then "
        "arXiv category names as queries (categories that are the primary of at least 10 papers) and, with "
        "--labels, typed queries for tagged papers: P@10, MAP@100 and nDCG@10 per system.",
    )
    evaluate.add_argument("--model", required=True, type=Path, help="model set folder, e.g. models/cs-2024")
    evaluate.add_argument("--queries", type=_positive, default=1000, help="papers sampled as known-item queries (default 1000)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the query sample (default 0)")
    evaluate.add_argument(
        "--labels",
        type=Path,
        help='JSON lines (optionally gzip) of {"id", "tags"}: each tag\'s phrasings in --tag-queries are ranked among the '
        "labelled papers of the set, the papers with the tag relevant",
    )
    evaluate.add_argument(
        "--tag-queries",
        type=Path,
        help="with --labels: JSON object of tag -> list of queries a researcher would type (default data/tag_queries.json of the project)",
    )
    evaluate.add_argument(
        "--only",
        choices=("query-sets",),
        help="query-sets: only the category-name and typed queries, without known-item search, neighbours, determinism and latency",
    )
    evaluate.add_argument("--json", type=Path, help="also write every figure to this JSON file")


def _add_harvest(commands: argparse._SubParsersAction) -> None:
    from lib.harvest import DEFAULT_DELAY, DEFAULT_ENDPOINT, DEFAULT_RETRIES, DEFAULT_TIMEOUT

    harvest = commands.add_parser(
        "harvest",
        help="harvest arXiv metadata over OAI-PMH into JSON lines for `build`",
        description="List records (metadataPrefix=arXiv) from an OAI-PMH endpoint into the snapshot's JSON-lines schema. "
        "Interrupted at any moment, the same command continues where it stopped.",
    )
    harvest.add_argument("--out", required=True, type=Path, help="output JSON-lines file, e.g. data/cs-2025.jsonl")
    harvest.add_argument("--set", dest="set_spec", help="OAI-PMH set: cs, math, q-bio, physics, physics:hep-th, … (default: all of arXiv)")
    start = harvest.add_mutually_exclusive_group()
    start.add_argument("--from", dest="since", type=_date, help="records changed on or after YYYY-MM-DD (OAI datestamp)")
    start.add_argument(
        "--since-model",
        type=Path,
        metavar="MODEL",
        help="for daily runs: start at the newest update_date among this model set's papers (that day again: its records come "
        "back unchanged), so a harvest then `update --model MODEL` keeps the set current, and a failed run is fetched again "
        "next time; an earlier complete harvest in --out (or one of another range) is replaced, an interrupted one continued",
    )
    harvest.add_argument("--until", type=_date, help="records changed on or before YYYY-MM-DD")
    harvest.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help=f"OAI-PMH base URL (default {DEFAULT_ENDPOINT})")
    harvest.add_argument(
        "--delay", type=float, default=DEFAULT_DELAY, help=f"seconds between requests (default {DEFAULT_DELAY:g}, as arXiv asks)"
    )
    harvest.add_argument("--retries", type=int, default=DEFAULT_RETRIES, help=f"tries after a failed request (default {DEFAULT_RETRIES})")
    harvest.add_argument("--contact", help="an e-mail address added to the User-Agent, so the archive can reach you")
    harvest.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds one request may take in all, connecting and reading the whole answer (default {DEFAULT_TIMEOUT:g})",
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    top = argparse.ArgumentParser(prog="python -m lib", description="arXiv semantic search: build and inspect model sets.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_build(commands)
    _add_update(commands)
    demo = commands.add_parser(
        "demo-data",
        help="write the synthetic demo corpus (JSON lines)",
        description="Write a deterministic synthetic corpus so the app runs offline.",
    )
    demo.add_argument("--out", required=True, type=Path, help="output file (.jsonl or .jsonl.gz)")
    demo.add_argument("--papers", type=_positive, default=3600, help="number of papers (default 3600)")
    demo.add_argument("--seed", type=int, default=0)
    _add_evaluate(commands)
    _add_harvest(commands)
    _add_feed(commands)
    _add_serve(commands)
    warm = commands.add_parser(
        "warm-up",
        help="have a just-started app server import the model code and open the default set before its first reader",
        description="Wait until the app server answers, then run the app once through its script health check "
        "(started with --server.scriptHealthCheckEnabled true, as `make run` does). Exit 1 when it could not.",
    )
    warm.add_argument("--url", default="http://127.0.0.1:8501", help="the server (default http://127.0.0.1:8501)")
    warm.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the server to answer (default 120)")
    return top


def _check_build_sources(args: argparse.Namespace) -> None:
    """--metadata and --corpus-file go together, and --text has no meaning with a corpus file."""
    if args.corpus_file and not args.metadata:
        raise InputError("--corpus-file needs --metadata: the file whose row i describes line i of the corpus file")
    if args.metadata and not args.corpus_file:
        raise InputError("--metadata goes with --corpus-file; metadata with abstracts is read with --input")
    if args.corpus_file and args.text:
        raise InputError("--text does not apply with --corpus-file: a paper's document is its title and its corpus line")


def _run_build(args: argparse.Namespace) -> int:
    from lib.build import BuildOptions, build_model_set, default_workers, summary_table

    _check_build_sources(args)
    overrides = {key: value for key, value in vars(args).items() if "." in key}
    params = with_overrides(PRESETS[args.preset], seed=args.seed, text=args.text, **overrides)
    if args.__dict__.get("topics.map_sample") == 0:
        params = replace(params, topics=replace(params.topics, map_sample=None))
    filters = Filters(_categories(args.categories), args.since, args.until, args.limit)
    source = args.metadata if args.corpus_file else args.input
    options = BuildOptions(source, args.out, params, filters, args.workers or default_workers(), args.corpus_file)
    manifest = build_model_set(options)
    print(summary_table(manifest))
    print(f"wrote {args.out}")
    return 0


def _run_update(args: argparse.Namespace) -> int:
    from lib.modelset import read_manifest
    from lib.update import UpdateOptions, set_filters, update_model_set

    filters = None
    if args.categories is not None or args.since or args.until:
        if not args.model.is_dir():
            raise ModelSetError(f"model set '{args.model.name}' not found at {args.model}; build one with `python -m lib build`")
        categories = _categories(args.categories) if args.categories is not None else None
        filters = set_filters(read_manifest(args.model), categories, args.since, args.until)
    result = update_model_set(UpdateOptions(args.model, args.input, filters))
    if result.record is None:
        print(f"nothing to add or replace: {args.model} is unchanged ({result.unchanged:,} papers as in the set, {result.older:,} older)")
    else:
        record = result.record
        print(
            f"updated {args.model}: {record['added']:,} added, {record['replaced']:,} replaced, {record['unchanged']:,} unchanged, "
            f"{record['older']:,} older, {record['skipped']:,} skipped, {record['filtered']:,} filtered out; "
            f"{record['papers']:,} papers, {record['placed_share']:.1%} placed rather than trained"
        )
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from lib.demo import write_demo_corpus

    count = write_demo_corpus(args.out, n_papers=args.papers, seed=args.seed)
    print(f"wrote {count:,} synthetic papers to {args.out}")
    return 0


def _run_evaluate(args: argparse.Namespace) -> int:
    from lib.engine import load_engine
    from lib.evaluation import TfidfBaseline, evaluate, format_report, machine_info, paper_texts, write_json
    from lib.query_sets import DEFAULT_TAG_QUERIES, build_query_sets, evaluate_query_sets, format_query_sets
    from lib.stages import now_iso

    if args.tag_queries is not None and args.labels is None:
        raise ValueError("--tag-queries goes with --labels: the phrasings are scored against the labelled papers")
    engine = load_engine(args.model)
    # Built first so that a bad labels or tag-queries file stops the run before minutes of ranking.
    query_sets = build_query_sets(engine.catalogue, args.labels, args.tag_queries or DEFAULT_TAG_QUERIES)
    log_stderr(f"{engine.name}: fitting TF-IDF on {len(engine.catalogue):,} papers")
    tfidf = TfidfBaseline(*paper_texts(engine))
    if args.only == "query-sets":
        result = {
            "model_set": engine.name,
            "path": str(args.model),
            "synthetic": bool(engine.catalogue.manifest.get("synthetic", False)),
            "papers": len(engine.catalogue),
            "machine": machine_info(),
            "date": now_iso(),
        }
        report = f"model set {engine.name}: {len(engine.catalogue):,} papers"
    else:
        result = evaluate(args.model, queries=args.queries, seed=args.seed, engine=engine, tfidf=tfidf)
        report = format_report(result)
    result["query_sets"] = evaluate_query_sets(engine, query_sets, tfidf)
    print(report + "\n\n" + format_query_sets(result["query_sets"]))
    if args.json:
        write_json(result, args.json)
        print(f"wrote {args.json}")
    return 0


def _run_harvest(args: argparse.Namespace) -> int:
    from lib.harvest import USER_AGENT, Client, HarvestRequest, harvest, newest_set_date

    if args.since_model is not None:
        args.since = newest_set_date(args.since_model)
        log_stderr(f"{args.since_model}: newest paper dated {args.since}; harvesting records changed from that day on")
    if args.delay < 0 or args.retries < 0:
        raise ValueError("--delay and --retries must not be negative")
    if not args.timeout > 0:
        raise ValueError("--timeout must be a positive number of seconds")
    if args.since and args.until and args.since > args.until:
        raise ValueError(f"--from {args.since} is after --until {args.until}")
    agent = USER_AGENT if not args.contact else f"{USER_AGENT[:-1]}; mailto:{args.contact})"
    log = log_stderr
    client = Client(user_agent=agent, delay=args.delay, retries=args.retries, timeout=args.timeout, log=log)
    try:
        request = HarvestRequest(args.endpoint, args.set_spec, args.since, args.until)
        report = harvest(args.out, request, client, log, renew=args.since_model is not None)
    except KeyboardInterrupt:
        print("interrupted: every completed page is kept; run the same command again to continue", file=sys.stderr)
        return 130
    print(f"{report.records:,} papers in {report.out}")
    return 0


def _add_feed(commands: argparse._SubParsersAction) -> None:
    feed = commands.add_parser(
        "feed",
        help="write an Atom feed of the papers new in a model set, ranked by a saved interest",
        description="List the papers a model set's last update added (or those dated on or after --since, and those added by "
        "updates since that day), ranked by an interest file saved from the app's Marked papers page (newest first without "
        "one), and write them as an Atom 1.0 feed atomically: for a feed reader, cron or e-mail.",
    )
    feed.add_argument("--model", required=True, type=Path, help="model set folder, e.g. models/cs-2024")
    feed.add_argument("--interest", type=Path, help="interest file (JSON) saved from the Marked papers page; none: newest first")
    feed.add_argument(
        "--since",
        type=_date,
        help="papers dated on or after YYYY-MM-DD or added by an update since (default: the papers of the last update; "
        "a set never updated: its newest week)",
    )
    feed.add_argument("--out", required=True, type=Path, help="feed file to write, e.g. feed.xml (an existing file must be a feed)")
    feed.add_argument("--limit", type=_positive, default=50, help="papers in the feed at most (default 50)")


def _run_feed(args: argparse.Namespace) -> int:
    from lib.engine import load_engine
    from lib.feed import atom_feed, check_feed_target, feed_id, write_feed
    from lib.interests import read_interest
    from lib.whats_new import BY_WEEK, new_and_ranked, parse_date

    since = parse_date(args.since) if args.since else None
    check_feed_target(args.out)  # a bad --out or interest ends the run before the set is loaded
    interest = read_interest(args.interest) if args.interest else None
    engine = load_engine(args.model)
    result = new_and_ranked(engine, since, interest, args.limit)
    if result.new.basis == BY_WEEK:
        print(f"note: '{engine.name}' was never updated: its newest week is listed; give --since to choose", file=sys.stderr)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    ranked = f", ranked by the interest '{interest.name}'" if result.scores is not None and interest else ", newest first"
    title = f"What's new in {engine.name}" + (f": {interest.name}" if interest else "")
    identity = feed_id(engine.name, interest.name if interest else None)
    data = atom_feed(engine.catalogue, result.rows, title, identity, result.new.description)
    write_feed(data, args.out)
    print(f"wrote {len(result.rows):,} of {result.new.description}{ranked} to {args.out}")
    return 0


def _add_serve(commands: argparse._SubParsersAction) -> None:
    from lib.serve import DEFAULT_ADDRESS, DEFAULT_PORT, DEFAULT_USER, PASSWORD_ENV

    serve = commands.add_parser(
        "serve",
        help="serve the app from N processes behind nginx (sticky sessions, optional password and allow list)",
        description="Start N app processes on 127.0.0.1 sharing the model sets under $MODELS_DIR, and nginx in front of them: "
        "each browser stays with one process, websockets pass through, and a password or an allow list can guard it. "
        "Runs until Ctrl-C (or SIGTERM), then stops them all. Needs nginx (apt-get install nginx).",
    )
    serve.add_argument("--processes", type=_positive, default=1, help="app processes, one per core is the rule (default 1)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port nginx listens on (default {DEFAULT_PORT})")
    serve.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        help=f"address nginx listens on (default {DEFAULT_ADDRESS}: this machine only; 0.0.0.0 or :: for every network interface)",
    )
    password = serve.add_mutually_exclusive_group()
    password.add_argument(
        "--password-file",
        type=Path,
        metavar="FILE",
        help=f"require a password: the first line of FILE, for --user (default {DEFAULT_USER})",
    )
    password.add_argument(
        "--htpasswd", type=Path, metavar="FILE", help="require a password: an existing nginx/Apache password file of user:hash lines"
    )
    serve.add_argument(
        "--user",
        help=f"require a password for this user: from --password-file, else ${PASSWORD_ENV}, else asked at the terminal",
    )
    serve.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CIDR",
        help="admit only these addresses or networks (repeat it: --allow 192.168.1.0/24 --allow 127.0.0.1); others get 403",
    )
    serve.add_argument(
        "--runtime-dir", type=Path, help="folder for nginx's configuration, pid, temporary files and logs (default: a new temporary folder)"
    )
    serve.add_argument("--timeout", type=float, default=180.0, help="seconds the app processes may take to start (default 180)")


def _port(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return number


def _run_serve(args: argparse.Namespace) -> int:
    import os

    from lib.serve import ServeOptions, ask_password, credentials, serve

    password = credentials(args.user, args.password_file, args.htpasswd, os.environ, ask_password)
    options = ServeOptions(args.processes, args.port, args.address, password, tuple(args.allow), args.runtime_dir)
    return serve(replace(options, startup_timeout=args.timeout), log_stderr)


def _run_warm_up(args: argparse.Namespace) -> int:
    from lib.warmup import warm_up

    ok, said = warm_up(args.url, args.wait)
    print(f"{'warmed' if ok else 'not warmed'}: {said}", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _warning_printer(previous: Callable[..., None]) -> Callable[..., None]:
    """Show model-set warnings as one `warning: …` line on stderr, and others as before."""

    def show(message: Warning | str, category: type[Warning], *rest: object) -> None:
        if issubclass(category, ModelSetWarning):
            print(f"warning: {message}", file=sys.stderr)
        else:
            previous(message, category, *rest)

    return show


def main(argv: list[str] | None = None) -> int:
    """Run one command; known failures print one line to stderr and return 1."""
    from lib.build import BuildError
    from lib.harvest import HarvestError
    from lib.update import UpdateError

    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    handlers = {"build": _run_build, "update": _run_update, "demo-data": _run_demo, "evaluate": _run_evaluate, "harvest": _run_harvest}
    handlers["feed"] = _run_feed
    handlers["serve"] = _run_serve
    handlers["warm-up"] = _run_warm_up
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_printer(warnings.showwarning)
            return handlers[args.command](args)
    except (InputError, BuildError, HarvestError, UpdateError, ModelSetError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
    except Exception as exc:
        if current_settings().debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (set LIB_DEBUG=1 for details)", file=sys.stderr)
        return 1
