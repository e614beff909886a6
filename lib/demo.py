"""Deterministic synthetic arXiv-like corpus so a fresh checkout can run offline.

The records are invented: topics have their own vocabularies, authors are random
combinations of first and last names, and topics grow at different rates over time.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import os
import random
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

DEMO_ID_PREFIX = "demo-"

FIRST_DATE = date(2019, 1, 1)
LAST_DATE = date(2025, 12, 31)


@dataclass(frozen=True)
class Topic:
    """A synthetic research topic with its arXiv categories and vocabulary."""

    name: str
    category: str
    cross_lists: tuple[str, ...]
    terms: tuple[str, ...]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _topic(name: str, category: str, cross_lists: str, terms: str) -> Topic:
    words = tuple(t.strip() for t in terms.split(",") if t.strip())
    return Topic(name, category, tuple(cross_lists.split()), words)


TOPICS: list[Topic] = [
    _topic(
        "language models and machine translation",
        "cs.CL",
        "cs.LG cs.AI",
        """tokenization, tokenizers, transformers, attention, embeddings, corpora,
        lexicon, syntax, semantics, parsing, morphology, translation, summarization,
        paraphrase, entailment, coreference, discourse, dialogue, prompting,
        decoders, encoders, vocabulary, perplexity, pretraining, fine-tuning,
        hallucination, reasoning, instruction tuning, question answering,
        sentiment, annotation, treebanks, multilingual corpora,
        low-resource languages, named entities, word senses, sentence encoders,
        retrieval augmentation, in-context learning, language modeling,
        dependency parsing, speech transcripts, readability, lexical overlap,
        chatbots, text classification, grammar, linguistics, utterances,
        span extraction, BLEU scores, large language models""",
    ),
    _topic(
        "object detection and image segmentation",
        "cs.CV",
        "cs.LG eess.IV",
        """images, pixels, segmentation, object detection, bounding boxes,
        convolutions, convolutional networks, feature maps, backbones, keypoints,
        pose estimation, depth estimation, optical flow, stereo matching,
        point clouds, lidar, occlusion, illumination, texture, saliency,
        super-resolution, denoising, inpainting, video frames, visual tracking,
        camera calibration, homography, image synthesis, diffusion models,
        vision transformers, image patches, augmentation, instance segmentation,
        semantic segmentation, panoptic segmentation, anchor boxes,
        receptive fields, upsampling, pooling, photometric consistency,
        scene understanding, visual grounding, image captioning, edge detection,
        multi-view geometry, 3D reconstruction, neural radiance fields,
        face recognition, remote sensing imagery, attention maps, pretraining""",
    ),
    _topic(
        "graph neural networks",
        "cs.LG",
        "stat.ML cs.SI",
        """graphs, nodes, edges, message passing, graph convolutions,
        adjacency matrices, node embeddings, link prediction, node classification,
        graph classification, oversmoothing, oversquashing, expressivity,
        Weisfeiler-Leman test, graph isomorphism, pooling, readout functions,
        neighborhoods, heterophily, homophily, spectral filters, graph Laplacians,
        eigenvectors, positional encodings, graph transformers, attention,
        molecular graphs, knowledge graphs, citation networks, subgraphs, motifs,
        hypergraphs, equivariance, permutation invariance, inductive bias,
        generalization, minibatching, neighbor sampling, scalability,
        representation learning, self-supervision, contrastive learning,
        augmentation, dynamic graphs, temporal graphs, recommender systems,
        community structure, graph rewiring, benchmarks, embeddings,
        gradient descent, regularization""",
    ),
    _topic(
        "privacy and applied cryptography",
        "cs.CR",
        "cs.IT cs.DC",
        """encryption, ciphertexts, plaintexts, adversaries, attackers,
        threat models, malware, intrusion detection, side channels, cache timing,
        differential privacy, privacy budgets, homomorphic encryption,
        secret sharing, zero-knowledge proofs, commitment schemes, signatures,
        authentication, key exchange, public keys, hash functions, blockchains,
        smart contracts, consensus protocols, vulnerabilities, exploits, fuzzing,
        sandboxing, firmware, phishing, botnets, ransomware, access control,
        trusted execution, enclaves, obfuscation, watermarking,
        membership inference, model extraction, data poisoning, backdoors,
        password hashing, certificates, TLS handshakes, post-quantum cryptography,
        lattice-based schemes, provable security, random oracles, leakage,
        anonymity, federated learning, secure aggregation, security audits""",
    ),
    _topic(
        "query processing and data management",
        "cs.DB",
        "cs.DS cs.DC",
        """queries, query optimization, query planners, joins, join ordering,
        cardinality estimation, indexes, B-trees, transactions,
        concurrency control, isolation levels, serializability, locking,
        write-ahead logging, crash recovery, durability, replication, sharding,
        partitioning, distributed databases, key-value stores, column stores,
        relational algebra, SQL, schemas, schema matching, data integration,
        data cleaning, provenance, materialized views, stream processing,
        data lakes, storage engines, compression, buffer pools, workloads,
        throughput, latency, benchmarks, learned indexes, vector databases,
        similarity search, nearest neighbors, graph databases, OLAP,
        data warehouses, tuples, predicates, selectivity, cost models,
        lakehouses, entity resolution""",
    ),
    _topic(
        "robot motion planning and control",
        "cs.RO",
        "eess.SY cs.AI",
        """robots, manipulators, grasping, locomotion, legged robots, quadrupeds,
        humanoids, drones, quadrotors, trajectories, trajectory optimization,
        motion planning, path planning, collision avoidance, obstacles,
        kinematics, inverse kinematics, rigid-body dynamics, actuators, torque,
        controllers, model predictive control, feedback control, localization,
        mapping, SLAM, odometry, lidar, tactile sensors, sensor fusion,
        teleoperation, haptics, dexterity, end effectors, workspaces, navigation,
        autonomous vehicles, swarms, multi-robot coordination, task allocation,
        imitation learning, reinforcement learning, sim-to-real transfer,
        reward shaping, control policies, manipulation, compliance, soft robots,
        exoskeletons, human-robot interaction, waypoints,
        sampling-based planners, configuration space""",
    ),
    _topic(
        "quantum error correction",
        "quant-ph",
        "cs.IT cond-mat.mes-hall",
        """qubits, quantum gates, quantum circuits, decoherence, error correction,
        surface codes, stabilizer codes, logical qubits, syndromes,
        syndrome decoders, fault tolerance, error thresholds, entanglement,
        Bell states, teleportation, superposition, projective measurements,
        unitary evolution, Hamiltonians, noise channels, depolarizing noise,
        fidelity, tomography, variational algorithms, quantum annealing,
        adiabatic evolution, trapped ions, superconducting qubits, photonic chips,
        quantum advantage, ancilla qubits, magic states, Clifford gates,
        transversal gates, qudits, quantum channels, Kraus operators,
        density matrices, purity, quantum key distribution, quantum sensing,
        quantum memories, Rydberg atoms, readout errors, crosstalk,
        gate compilation, circuit depth, amplitude damping, coherence times,
        Pauli operators, quantum simulation, bosonic codes""",
    ),
    _topic(
        "unconventional superconductivity",
        "cond-mat.supr-con",
        "cond-mat.str-el cond-mat.mtrl-sci",
        """superconductivity, superconductors, Cooper pairs, pairing symmetry,
        d-wave pairing, superconducting gap, critical temperature, cuprates,
        nickelates, iron pnictides, heavy fermions, hydrides, high pressure,
        Meissner effect, vortices, vortex lattices, flux pinning,
        critical currents, Josephson junctions, tunneling spectroscopy,
        penetration depth, coherence length, pseudogap, charge density waves,
        spin fluctuations, antiferromagnetism, phonons, electron-phonon coupling,
        Fermi surfaces, nesting, quasiparticles, Bogoliubov quasiparticles,
        Eliashberg theory, BCS theory, Ginzburg-Landau theory, order parameters,
        phase diagrams, doping, Hall effect, resistivity, specific heat,
        nematicity, Majorana modes, topological superconductors,
        twisted bilayer graphene, moire superlattices, photoemission spectroscopy,
        muon spin rotation, thin films, magnetization, upper critical field,
        phase transitions""",
    ),
    _topic(
        "nonequilibrium statistical mechanics",
        "cond-mat.stat-mech",
        "cond-mat.soft math-ph",
        """entropy production, fluctuation theorems, detailed balance,
        master equations, Langevin dynamics, Fokker-Planck equation,
        Brownian motion, diffusion, anomalous diffusion, random walks,
        large deviations, partition functions, free energy, phase transitions,
        critical exponents, scaling laws, universality classes,
        renormalization group, Ising model, Potts model, spin glasses,
        percolation, order parameters, correlation functions, correlation length,
        mean-field theory, Monte Carlo sampling, active matter,
        self-propelled particles, motility-induced phase separation,
        thermodynamic uncertainty relations, stochastic thermodynamics,
        heat engines, work extraction, relaxation, metastability, coarsening,
        glassy dynamics, jamming, hydrodynamic limits, exclusion processes,
        nonequilibrium steady states, kinetic theory, Boltzmann equation,
        ergodicity, thermalization, many-body localization, integrability,
        KPZ universality, interfaces, effective temperature,
        equilibrium ensembles, particle currents, thermal noise""",
    ),
    _topic(
        "galaxy formation and evolution",
        "astro-ph.GA",
        "astro-ph.CO astro-ph.SR",
        """galaxies, galaxy clusters, dark matter halos, stellar populations,
        star formation, star formation rates, interstellar medium,
        molecular clouds, gas accretion, stellar feedback, active galactic nuclei,
        supermassive black holes, quasars, redshift, spectroscopy, photometry,
        emission lines, metallicity, stellar mass, rotation curves,
        dwarf galaxies, Milky Way, spiral arms, galactic bars, bulges,
        galactic discs, galaxy mergers, tidal streams, globular clusters,
        circumgalactic medium, outflows, galactic winds, cosmological simulations,
        hydrodynamical simulations, luminosity functions, mass functions,
        sky surveys, telescopes, James Webb Space Telescope, radio continuum,
        infrared emission, dust attenuation, stellar kinematics,
        velocity dispersion, satellite galaxies, Local Group, halo occupation,
        quenching, starbursts, cosmic web, reionization, dark matter""",
    ),
    _topic(
        "analytic number theory",
        "math.NT",
        "math.CA math.AG",
        """primes, prime numbers, zeta functions, Riemann hypothesis, L-functions,
        Dirichlet characters, modular forms, cusp forms, Hecke operators,
        Eisenstein series, elliptic curves, rational points,
        Diophantine equations, exponential sums, character sums, sieve methods,
        large sieve, additive combinatorics, arithmetic progressions,
        divisor functions, Mobius function, integer partitions, congruences,
        quadratic forms, class numbers, number fields, Galois representations,
        p-adic numbers, ideals, height functions, abelian varieties,
        Siegel zeros, zero density estimates, mean values, moments,
        asymptotic formulas, error terms, Goldbach problem, twin primes,
        prime gaps, lattice points, continued fractions,
        Diophantine approximation, transcendence, multiplicative functions,
        circle method, automorphic forms, trace formulas, Kloosterman sums,
        conductors, subconvexity bounds, Dirichlet series""",
    ),
    _topic(
        "random walks and stochastic processes",
        "math.PR",
        "math.CO math-ph",
        """random walks, Brownian motion, martingales, stopping times,
        Markov chains, mixing times, stationary distributions, ergodic theorems,
        large deviations, concentration inequalities, central limit theorems,
        limit laws, moments, tail bounds, branching processes,
        Galton-Watson trees, percolation, random graphs, Erdos-Renyi graphs,
        random matrices, eigenvalue statistics, Gaussian fields,
        stochastic differential equations, Ito calculus, Levy processes,
        Poisson processes, point processes, exclusion processes,
        interacting particle systems, coupling arguments, hitting times,
        cover times, local times, scaling limits, Schramm-Loewner evolution,
        random trees, urn models, coalescence, heavy tails, extreme values,
        probability measures, convergence in distribution, weak convergence,
        invariance principles, Dirichlet forms, heat kernels, spectral gaps,
        random environments, first passage percolation, exchangeability,
        submartingales, transience, recurrence""",
    ),
    _topic(
        "neural coding and brain dynamics",
        "q-bio.NC",
        "cs.NE physics.bio-ph",
        """neurons, spikes, spike trains, firing rates, synapses,
        synaptic plasticity, dendrites, cortex, hippocampus, place cells,
        grid cells, visual cortex, prefrontal cortex, thalamus, neural circuits,
        neural populations, population coding, receptive fields, tuning curves,
        oscillations, gamma rhythms, theta rhythms, brain networks, connectomes,
        functional connectivity, fMRI, electrophysiology, calcium imaging,
        local field potentials, EEG recordings, neurotransmitters, inhibition,
        excitation, excitatory-inhibitory balance, working memory,
        decision making, attention, perception, learning rules, Hebbian learning,
        reward prediction errors, dopamine, spiking networks, recurrent networks,
        neural manifolds, latent dynamics, animal behavior, mice, primates,
        sensory processing, motor control, sleep, memory consolidation""",
    ),
    _topic(
        "causal inference in econometrics",
        "econ.EM",
        "stat.ME econ.GN",
        """estimators, identification, instrumental variables, treatment effects,
        average treatment effects, heterogeneous effects,
        difference-in-differences, regression discontinuity, synthetic controls,
        panel data, fixed effects, random effects, endogeneity, confounders,
        propensity scores, matching estimators, bootstrap, standard errors,
        clustered errors, heteroskedasticity, asymptotic normality, consistency,
        efficiency bounds, semiparametric models, nonparametric regression,
        kernel smoothing, bandwidth selection, quantile regression, time series,
        cointegration, unit roots, vector autoregressions, structural models,
        moment conditions, generalized method of moments, weak instruments,
        hypothesis tests, confidence intervals, policy evaluation,
        labor markets, wages, demand estimation, auctions, forecasting,
        volatility, inflation, macroeconomic shocks, survey data,
        sample selection, double machine learning, high-dimensional controls,
        lasso""",
    ),
    _topic(
        "string theory and holography",
        "hep-th",
        "gr-qc hep-ph",
        """strings, string theory, branes, D-branes, compactification,
        Calabi-Yau manifolds, extra dimensions, supersymmetry, supergravity,
        gauge theories, Yang-Mills theory, conformal field theory,
        conformal bootstrap, holography, AdS/CFT correspondence,
        anti-de Sitter space, de Sitter space, black holes, black hole entropy,
        Hawking radiation, information paradox, entanglement entropy,
        Ryu-Takayanagi formula, wormholes, scattering amplitudes, amplituhedron,
        Feynman diagrams, loop integrals, renormalization, anomalies, dualities,
        S-duality, T-duality, moduli spaces, swampland conjectures, inflation,
        dark energy, dark matter, axions, instantons, solitons, monopoles,
        topological field theories, Chern-Simons theory, central charges,
        operator product expansion, Wilson loops, lattice gauge theory,
        quantum gravity, spacetime, higher-form symmetries,
        effective field theory, entanglement""",
    ),
    _topic(
        "turbulence and fluid dynamics",
        "physics.flu-dyn",
        "physics.comp-ph nlin.CD",
        """turbulence, turbulent flows, vortices, vorticity, boundary layers,
        Reynolds number, Navier-Stokes equations, viscosity, shear flows,
        channel flows, pipe flows, wall turbulence, eddies, energy cascade,
        Kolmogorov scaling, direct numerical simulation, large eddy simulation,
        wakes, jets, drag reduction, airfoils, hydrodynamic instabilities,
        Rayleigh-Benard convection, buoyancy, stratified flows, rotating flows,
        multiphase flows, bubbles, droplets, surface tension, interfaces,
        wetting, porous media, particle-laden flows, sediment transport,
        free-surface flows, water waves, turbulent mixing, heat transfer,
        Nusselt number, Prandtl number, compressible flows, shock waves,
        cavitation, microfluidics, non-Newtonian fluids, rheology,
        lattice Boltzmann methods, particle image velocimetry,
        reduced-order models, flow control, swimming microorganisms""",
    ),
]

# Per category: (relative share of papers, log growth over 2019-2025).
_PROFILES: dict[str, tuple[float, float]] = {
    "cs.CL": (1.7, 2.2),
    "cs.CV": (1.5, 0.6),
    "cs.LG": (1.2, 0.9),
    "cs.CR": (0.9, 0.5),
    "cs.DB": (0.6, 0.0),
    "cs.RO": (0.9, 1.1),
    "quant-ph": (1.0, 1.0),
    "cond-mat.supr-con": (0.6, -0.4),
    "cond-mat.stat-mech": (0.7, -0.2),
    "astro-ph.GA": (0.8, 0.2),
    "math.NT": (0.5, -0.5),
    "math.PR": (0.6, 0.0),
    "q-bio.NC": (0.5, 0.4),
    "econ.EM": (0.4, 0.8),
    "hep-th": (0.9, -0.7),
    "physics.flu-dyn": (0.6, 0.1),
}

_MATH: dict[str, tuple[str, ...]] = {
    "cs.CL": (r"$O(n^2)$", r"$O(n \log n)$", r"$k = 8$", r"$\ell_2$"),
    "cs.CV": (r"$\ell_1$", r"$3 \times 3$", r"$O(HW)$", r"$\sigma = 0.5$"),
    "cs.LG": (r"$O(|E|)$", r"$\mathbb{R}^d$", r"$k \geq 2$", r"$L = 64$"),
    "cs.CR": (r"$\varepsilon = 1$", r"$2^{-128}$", r"$O(\lambda)$", r"$\mathbb{Z}_q$"),
    "cs.DB": (r"$O(n \log n)$", r"$O(\log N)$", r"$k = 10$", r"$10^9$"),
    "cs.RO": (r"$SE(3)$", r"$\mathbb{R}^6$", r"$O(n^3)$", r"$10^{-3}$"),
    "quant-ph": (r"$\mathbb{Z}_2$", r"$[[n,k,d]]$", r"$d = 5$", r"$O(d^2)$"),
    "cond-mat.supr-con": (r"$T_c \approx 40$ K", r"$H_{c2}$", r"$d_{x^2-y^2}$"),
    "cond-mat.stat-mech": (r"$d = 2$", r"$\nu \approx 0.63$", r"$t^{-1/2}$"),
    "astro-ph.GA": (r"$z > 6$", r"$10^{10} M_\odot$", r"$z \sim 2$"),
    "math.NT": (r"$\zeta(s)$", r"$\mathbb{Z}_2$", r"$x^{1/2+\varepsilon}$"),
    "math.PR": (r"$\mathbb{Z}^d$", r"$n^{-1/2}$", r"$O(n \log n)$", r"$t \to \infty$"),
    "q-bio.NC": (r"$\sim 40$ Hz", r"$N = 1000$", r"$\tau_m$"),
    "econ.EM": (r"$\sqrt{n}$", r"$\hat\beta$", r"$N \to \infty$", r"$T = 20$"),
    "hep-th": (r"$\mathcal{N} = 4$", r"$AdS_5$", r"$SU(N)$", r"$\mathbb{Z}_2$"),
    "physics.flu-dyn": (r"$Re = 10^4$", r"$k^{-5/3}$", r"$Ra = 10^8$"),
}

_ADJECTIVES = _words(
    "scalable robust efficient unified adaptive provable sharp improved exact "
    "universal hierarchical sparse principled fast minimal emergent "
    "nonlinear data-driven interpretable stable rigorous effective practical new "
    "systematic simple refined"
)

_NOUNS = _words("role structure stability limits geometry scope origin accuracy cost reach validity")

_FRAMEWORKS = _words("framework approach method formulation procedure model")

_FILLERS = {"a": _ADJECTIVES, "n": _NOUNS, "f": _FRAMEWORKS}

_TITLE_TEMPLATES = (
    "{A} {t} for {t} in {t}",
    "On the {N} of {t} in {t}",
    "{T}: A {A} {F} to {t}",
    "Towards {A} {t} with {t} and {t}",
    "{T} via {t}: {A} Analysis and Applications",
    "Revisiting {t} for {t} under {t}",
    "When {t} Meets {t}: {A} {t} at Scale",
    "{A} Bounds on {t} from {t}",
    "Learning {t} from {t} with {A} {t}",
    "A {A} Study of {t} and {t} in {t}",
    "Evidence for {t} in {t} from {t}",
    "{T} and {t}: Theory, Experiments, and Open Problems",
    "Beyond {t}: {A} {t} for {t}",
)

_MATH_TITLE_TEMPLATES = (
    "{A} {t} with {m} Cost for {t}",
    "{T} in the {m} Regime: {A} Results",
    "A {m} Approach to {t} and {t}",
)

_OPENINGS = (
    "Questions about {t} are central to {t} and {t}, yet {t} and {t} are unclear.",
    "Recent progress in {t} and {t} has renewed interest in {t} and {t}.",
    "Understanding {t} is a long-standing problem for {t}, {t}, and {t}.",
    "Questions about {t} and {t} reduce to the behaviour of {t} under {t}.",
    "{T} and {t} are well studied, but their interplay with {t} is rarely examined.",
    "A key challenge in {t} is to account for {t} and {t} without sacrificing {t}.",
)

_GAPS = (
    "Existing approaches to {t} typically treat {t} and {t} separately.",
    "However, prior work on {t} relies on {a} assumptions that rarely hold for {t}.",
    "Little is known about the effect of {t} on {t} in the presence of {t}.",
    "Conventional methods based on {t} are too crude to resolve {t} and {t}.",
)

_METHODS = (
    "We propose a {a} {f} combining {t} with {t} to capture {t} and {t}.",
    "We introduce a {a} {f} of {t} based on {t}, {t}, and {t}.",
    "Our approach builds on {t}, extending it to handle {t} and {t} in a single {f}.",
    "We develop a {a} {f} for {t} that exploits the structure of {t} and {t}.",
    "Here we study {t} and {t} through the lens of {t}, using {t} as the main tool.",
)

_DETAILS = (
    "The key idea is to relate {t} to {t}, which allows us to control {t} and {t}.",
    "We analyze the {n} of {t} and characterize its dependence on {t} and {t}.",
    "Along the way, we clarify the relation between {t}, {t}, and {t}.",
    "Particular care is taken with {t}, {t}, and the role of {t} in {t}.",
    "Our analysis also covers {t} and {t}, which were previously out of reach.",
    "We complement the theory with {a} experiments on {t}, {t}, and {t}.",
    "To this end, we combine {t} and {t} with a careful study of {t}.",
    "Both {t} and {t} enter through {t}, {t}, and {t}.",
)

_MATH_SENTENCES = (
    "In particular, we obtain a bound of {m} for {t} in the presence of {t}.",
    "The resulting {n} of {t} scales as {m} for {t} and {t}.",
    "We also treat the case {m}, where {t} and {t} become important.",
)

_RESULTS = (
    "We show that incorporating {t} improves {t} by a wide margin across {t} and {t}.",
    "Our results indicate that {t} in {t} is governed by {t} rather than by {t}.",
    "Experiments on {t} and {t} show {a} gains for {t} over {t} baselines.",
    "We find that {t} and {t} are closely linked through {t} and {t}.",
    "Numerical results on {t} reveal a {a} regime dominated by {t} and {t}.",
    "We prove that our bounds on {t} hold under mild assumptions on {t} and {t}.",
)

_CLOSINGS = (
    "These findings shed new light on {t} and {t} and suggest directions for {t}.",
    "Our {f} opens the way to {a} studies of {t}, {t}, and {t}.",
    "We discuss implications for {t} and {t} and outline open problems related to {t}.",
    "Code and data for {t}, {t}, and {t} are made available.",
)

_FIRST_NAMES = _words(
    "Aisha Alejandro Amara Anders Ananya Anika Beatriz Bruno Camille Chen Chiara "
    "Daniel Dariusz Dmitri Elena Emeka Esther Farah Fatima Felipe Florian Giulia "
    "Greta Hana Hiroshi Hugo Ines Ingrid Ivan Jae-won Javier Jia Jonas Kamal "
    "Katarzyna Keiko Kofi Lars Leila Liam Lucas Marta Mateo Mei Mira Nadia Nikhil "
    "Nils Noor Olga Omar Paulo Priya Rafael Rania Ravi Rosa Samuel Sana Sofia "
    "Stefan Tariq Thandiwe Tomas Valentina Wei Yara Yusuf Zara Zhen"
)

_LAST_NAMES = _words(
    "Abara Ahmadi Andersson Baranov Bauer Becker Bianchi Castillo Chandra Chen "
    "Costa Dubois Dvorak Eriksen Eze Fernandes Fischer Gallo Garcia Gupta Haddad "
    "Hansen Holm Horvath Ibrahim Ito Jansen Kaur Kim Kowalski Kruger Laurent Lee "
    "Lindqvist Liu Lopez Mahmoud Marino Mendes Mensah Moreau Muller Nakamura Nguyen "
    "Novak Nwosu Okafor Okonkwo Olsen Park Patel Petrov Popescu Quispe Rahman "
    "Rasmussen Reyes Rossi Sandoval Sato Schmidt Silva Singh Sokolov Suzuki Tanaka "
    "Torres Tran Varga Vance Vogel Wang Weber Yamamoto Yilmaz Zhang Zhou"
)

_AUTHOR_COUNT_WEIGHTS = (10, 22, 26, 20, 13, 9)
_SMALL_WORDS = frozenset(_words("a an the and or of for in on with via to from at by under as into de"))
_SLOT = re.compile(r"\{(\w)\}")
_MATH_SPAN = re.compile(r"(\$[^$]*\$)")
_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=[aeioAEIO])")
_ARTICLE_SLOT = re.compile(r"\b[Aa] \{")
_TITLE_MATH_RATE = 0.06
_ABSTRACT_MATH_RATE = 0.15
_CROSS_LIST_RATE = 0.3
_FOCUS_RATE = 0.7


def _cap(word: str) -> str:
    """Upper-case the first letter unless the word is a mixed-case token like fMRI."""
    if not word or word[1:2].isupper():
        return word
    return word[0].upper() + word[1:]


def _title_case(text: str) -> str:
    """Capitalize title words outside LaTeX spans, keeping short function words."""
    parts = _MATH_SPAN.split(text)
    out = []
    first = True
    for part in parts:
        if part.startswith("$"):
            out.append(part)
            first = False
            continue
        words = []
        for word in part.split(" "):
            if word and (first or word.lower() not in _SMALL_WORDS):
                word = _cap(word)
            first = first and not word
            words.append(word)
        out.append(" ".join(words))
    return "".join(out)


def _count_words(text: str) -> int:
    if "$" in text:
        text = _MATH_SPAN.sub("M", text)
    return len(text.split())


@functools.cache
def _parse(template: str) -> tuple[tuple[str, ...], bool]:
    """Split a template into literal text and slot names; flag a/an fix-ups."""
    return tuple(_SLOT.split(template)), bool(_ARTICLE_SLOT.search(template))


def _pick(rng: random.Random, items: Sequence[str]) -> str:
    return items[int(rng.random() * len(items))]


class _Writer:
    """Fills templates for one paper, favouring a small set of focus terms."""

    def __init__(self, rng: random.Random, topic: Topic) -> None:
        self.rng = rng
        self.all_terms = topic.terms
        self.focus = rng.sample(topic.terms, rng.randint(6, 10))
        self.math = _MATH[topic.category]

    def _term(self, used: set[str]) -> str:
        """A term not yet in `used`: usually a focus term, sometimes any topic term."""
        draw = self.rng.random
        for _ in range(8):
            u = draw()
            if u < _FOCUS_RATE:
                term = self.focus[int(u / _FOCUS_RATE * len(self.focus))]
            else:
                term = self.all_terms[int(draw() * len(self.all_terms))]
            if term not in used:
                break
        used.add(term)
        return term

    def fill(self, template: str) -> str:
        """Replace {t}/{T} terms, {a}/{A} adjectives, {n}/{N}, {f}/{F} and {m} math."""
        used: set[str] = set()
        pieces, fix_articles = _parse(template)
        parts = list(pieces)
        for i in range(1, len(parts), 2):
            key = parts[i]
            lower = key.lower()
            value = self._term(used) if lower == "t" else _pick(self.rng, _FILLERS.get(lower, self.math))
            parts[i] = _cap(value) if key != lower else value
        text = "".join(parts)
        if fix_articles:
            text = _BEFORE_VOWEL.sub(r"\1n ", text)
        return _cap(text)

    def title(self) -> str:
        """A 6-14 word title, occasionally with inline LaTeX."""
        rng = self.rng
        use_math = rng.random() < _TITLE_MATH_RATE
        templates = _MATH_TITLE_TEMPLATES if use_math else _TITLE_TEMPLATES
        while True:
            title = _title_case(self.fill(rng.choice(templates)))
            if 6 <= _count_words(title) <= 14:
                return title

    def abstract(self) -> str:
        """Several sentences totalling roughly 80-200 words."""
        rng = self.rng
        head = [rng.choice(_OPENINGS)]
        if rng.random() < 0.7:
            head.append(rng.choice(_GAPS))
        details = rng.sample(_DETAILS, rng.randint(1, 4))
        body = [rng.choice(_METHODS), *details]
        if rng.random() < _ABSTRACT_MATH_RATE:
            body.append(rng.choice(_MATH_SENTENCES))
        body += rng.sample(_RESULTS, rng.randint(1, 2))
        templates = head + body + [rng.choice(_CLOSINGS)]
        sentences = [self.fill(t) for t in templates]
        words = sum(map(_count_words, sentences))
        spare = [t for t in _DETAILS if t not in details]
        while words < 85 and spare:
            extra = self.fill(spare.pop(rng.randrange(len(spare))))
            sentences.insert(len(head) + 1, extra)
            words += _count_words(extra)
        while words > 195 and len(sentences) > 4:
            words -= _count_words(sentences.pop(len(head) + 1))
        return " ".join(sentences)


def _person(rng: random.Random) -> str:
    first = rng.choice(_FIRST_NAMES)
    last = rng.choice(_LAST_NAMES)
    style = rng.random()
    if style < 0.12:
        return f"{first[0]}. {last}"
    if style < 0.22:
        return f"{first} {rng.choice(_LAST_NAMES)[0]}. {last}"
    return f"{first} {last}"


def _authors(rng: random.Random, pool: list[str]) -> str:
    k = rng.choices(range(1, 7), weights=_AUTHOR_COUNT_WEIGHTS)[0]
    names = rng.sample(pool, k)
    if rng.random() < 0.2:
        names[-1] = _person(rng)
    return ", ".join(dict.fromkeys(names))


def _allocate(n_papers: int, rng: random.Random) -> list[int]:
    """Split n_papers over TOPICS unevenly, with a guaranteed floor per topic."""
    n_topics = len(TOPICS)
    floor = -(-n_papers // (4 * n_topics))
    if floor * n_topics > n_papers:
        floor = n_papers // n_topics
    weights = [_PROFILES[t.category][0] * rng.uniform(0.85, 1.15) for t in TOPICS]
    spare = n_papers - floor * n_topics
    quotas = [spare * w / sum(weights) for w in weights]
    counts = [floor + int(q) for q in quotas]
    by_remainder = sorted(range(n_topics), key=lambda i: int(quotas[i]) - quotas[i])
    for i in by_remainder[: n_papers - sum(counts)]:
        counts[i] += 1
    return counts


def _sample_date(rng: random.Random, growth: float) -> date:
    """Draw a date whose density grows like exp(growth * t) over the date range."""
    u = rng.random()
    t = u if abs(growth) < 1e-9 else math.log1p(u * math.expm1(growth)) / growth
    span = (LAST_DATE - FIRST_DATE).days + 1
    return FIRST_DATE + timedelta(days=min(int(t * span), span - 1))


def _categories(rng: random.Random, topic: Topic) -> str:
    if topic.cross_lists and rng.random() < _CROSS_LIST_RATE:
        return f"{topic.category} {rng.choice(topic.cross_lists)}"
    return topic.category


def generate_demo_records(n_papers: int = 3600, seed: int = 0) -> list[dict]:
    """Build the synthetic records in id order; raise ValueError for n_papers < 1."""
    if n_papers < 1:
        raise ValueError(f"n_papers must be at least 1, got {n_papers}")
    rng = random.Random(seed)
    drafts = []
    for topic, count in zip(TOPICS, _allocate(n_papers, rng), strict=True):
        growth = _PROFILES[topic.category][1]
        pool = [_person(rng) for _ in range(max(12, count // 3))]
        for _ in range(count):
            writer = _Writer(rng, topic)
            record = {
                "title": writer.title(),
                "abstract": writer.abstract(),
                "authors": _authors(rng, pool),
                "categories": _categories(rng, topic),
            }
            drafts.append((_sample_date(rng, growth), rng.random(), record))
    drafts.sort(key=lambda d: (d[0], d[1]))
    records = []
    per_month: dict[str, int] = {}
    for day, _, draft in drafts:
        yymm = day.strftime("%y%m")
        per_month[yymm] = per_month.get(yymm, 0) + 1
        paper_id = f"{DEMO_ID_PREFIX}{yymm}.{per_month[yymm]:05d}"
        records.append({"id": paper_id, **draft, "update_date": day.isoformat(), "synthetic": True})
    return records


def write_demo_corpus(path: str | os.PathLike, n_papers: int = 3600, seed: int = 0) -> int:
    """Write n_papers synthetic records as JSON lines (gzip if path ends with .gz); return count written."""
    records = generate_demo_records(n_papers, seed)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    payload = lines.encode("utf-8")
    target = Path(os.fspath(path))
    if target.name.endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return len(records)
