"""Build parameters for Doc2Vec, UMAP and HDBSCAN, and the named presets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

# How many nearest papers place a paper or a query on the map (similarity-weighted mean position, topic by weighted
# vote), and vote on whether a paper sits firmly in its topic (`min_agreement`). The build finds them once for both.
PLACEMENT_NEIGHBOURS = 15


# Doc2Vec epochs when a preset leaves them to the corpus size (`--preset large`): enough passes that the output weights
# see about SCALED_PAPER_PASSES documents in all, between SCALED_MIN_EPOCHS and SCALED_MAX_EPOCHS. Measured on 20,000
# unseen papers with the large preset (PV-DBOW without word training): 10 epochs gave 10 topics, 6.6% unclustered,
# NMI 0.454; 40 epochs gave 38 topics, 16.8% unclustered, NMI 0.502 (docs/QUALITY.md). So 40 epochs up to 100,000
# papers, falling as 4,000,000 / papers to 10 from 400,000 papers on: the million-paper build keeps the 10 epochs
# its time was measured with (docs/BENCHMARKS.md). Quality between 100,000 and 400,000 papers is not measured here.
SCALED_PAPER_PASSES = 4_000_000
SCALED_MIN_EPOCHS = 10
SCALED_MAX_EPOCHS = 40


@dataclass(frozen=True)
class Doc2VecParams:
    """gensim Doc2Vec settings (dm=1 is PV-DM as in the notebook, dm=0 PV-DBOW); epochs None scale with the corpus."""

    dm: int = 0
    dbow_words: int = 1
    vector_size: int = 100
    window: int = 6
    min_count: int = 2
    epochs: int | None = 40
    negative: int = 5
    sample: float = 1e-4
    max_final_vocab: int | None = None
    # Train on each document's words followed by its phrase tokens ("molecular_dynamics", lib/phrases.py), and add them
    # to queries and added papers. Measured on 20,000 unseen papers (docs/QUALITY.md, issue 17): meaning-only typed
    # queries MAP@100 +0.036 to +0.039 in every pair of runs, P@10 +0.02 to +0.04. Sets built before it lack the key: False.
    phrase_tokens: bool = True

    def epochs_for(self, n_papers: int) -> int:
        """The epochs used for n papers: as given, else scaled to the corpus (see SCALED_PAPER_PASSES)."""
        if self.epochs:
            return self.epochs
        return min(SCALED_MAX_EPOCHS, max(SCALED_MIN_EPOCHS, round(SCALED_PAPER_PASSES / max(n_papers, 1))))


@dataclass(frozen=True)
class UmapParams:
    """UMAP settings for the 2-D map (and for the clustering space when cluster_dims > 2)."""

    n_neighbors: int = 15
    min_dist: float = 0.0
    metric: str = "cosine"
    cluster_dims: int = 5


@dataclass(frozen=True)
class HdbscanParams:
    """HDBSCAN settings; min_cluster_size None scales with the corpus, min_samples None is HDBSCAN's default."""

    min_cluster_size: int | None = None
    min_samples: int | None = 5
    metric: str = "euclidean"
    cluster_selection_method: str = "leaf"
    assign_noise: bool = True

    def cluster_size(self, n_papers: int) -> int:
        """The minimum cluster size used for n papers: as given, else one paper in 500 (at least 15)."""
        return self.min_cluster_size if self.min_cluster_size else max(15, round(n_papers / 500))


@dataclass(frozen=True)
class TopicParams:
    """What the map and clusters are computed from, and how HDBSCAN's clusters become topics.

    features "doc2vec+lsa" joins each paper's Doc2Vec vector with a latent-semantic (SVD) view of its
    BM25 row, "doc2vec" uses the Doc2Vec vector alone (the notebook). Clusters whose centres lie within
    merge_distance (cosine, average linkage) become one topic; a paper stays unclustered when fewer than
    min_agreement of its nearest papers share its topic, at most max_unclustered of all papers.
    Above map_sample papers, the map and the topics are fitted on a random sample of that many papers and
    every other paper is placed among its nearest sample papers (None: fit on every paper, as the notebook).
    """

    features: str = "doc2vec+lsa"
    lsa_dims: int = 128
    merge_distance: float | None = 0.30
    min_agreement: float = 0.5
    max_unclustered: float = 0.2
    map_sample: int | None = 200_000


@dataclass(frozen=True)
class BuildParams:
    """Everything that shapes a model set, recorded whole in its manifest."""

    preset: str = "default"
    text: str = "title+abstract"
    doc2vec: Doc2VecParams = field(default_factory=Doc2VecParams)
    umap: UmapParams = field(default_factory=UmapParams)
    hdbscan: HdbscanParams = field(default_factory=HdbscanParams)
    topics: TopicParams = field(default_factory=TopicParams)
    seed: int = 0

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    def for_corpus(self, n_papers: int) -> BuildParams:
        """These parameters with what scales with the corpus fixed for n papers (Doc2Vec epochs), as the manifest records them."""
        return replace(self, doc2vec=replace(self.doc2vec, epochs=self.doc2vec.epochs_for(n_papers)))


PRESETS: dict[str, BuildParams] = {
    "default": BuildParams(),
    # The training notebook exactly: PV-DM, abstracts only, 200 epochs, 2-D UMAP, HDBSCAN on it.
    "seed": BuildParams(
        preset="seed",
        text="abstract",
        doc2vec=Doc2VecParams(dm=1, dbow_words=0, vector_size=100, window=6, min_count=1, epochs=200, sample=1e-3, phrase_tokens=False),
        umap=UmapParams(n_neighbors=50, min_dist=0.1, metric="cosine", cluster_dims=2),
        hdbscan=HdbscanParams(
            min_cluster_size=50, min_samples=None, metric="euclidean", cluster_selection_method="eom", assign_noise=False
        ),
        topics=TopicParams(features="doc2vec", merge_distance=None, min_agreement=0.0, map_sample=None),
    ),
    # For a million papers and more on a few cores: PV-DBOW without word training and 10 epochs from 400,000 papers on
    # makes Doc2Vec about 19 times faster (docs/BENCHMARKS.md); smaller corpora get more epochs (SCALED_PAPER_PASSES);
    # a bounded vocabulary bounds its memory.
    "large": BuildParams(
        preset="large",
        doc2vec=Doc2VecParams(dbow_words=0, epochs=None, min_count=5, max_final_vocab=500_000),
    ),
}

TEXT_CHOICES = ("abstract", "title+abstract")
FEATURE_CHOICES = ("doc2vec", "doc2vec+lsa")


def with_overrides(base: BuildParams, **overrides: object) -> BuildParams:
    """Apply `section.name=value` style overrides (None values are ignored) to a preset."""
    sections = {"doc2vec": base.doc2vec, "umap": base.umap, "hdbscan": base.hdbscan, "topics": base.topics}
    top: dict[str, object] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        section, _, name = key.partition(".")
        if name:
            sections[section] = replace(sections[section], **{name: value})
        else:
            top[section] = value
    return replace(base, **sections, **top)
