"""Deterministic synthetic arXiv-like corpus so a fresh checkout can run offline.

The records are invented but are meant to behave like real abstracts on a map and in search. Every paper draws on a
general academic vocabulary, on the vocabulary of its field (the machine-learning topics share machine-learning terms,
the physics-of-matter topics share physics terms, and so on) and on its topic's: the topic's core terms and one of
its subtopics. Some papers mix two related topics (and are cross-listed in both categories), a few are generalist
papers that belong nowhere in particular, topic sizes differ several-fold, authors are random combinations of first
and last names, and topics grow at different rates over time.
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
    """A synthetic research topic: its arXiv categories, its field, and its core and subtopic vocabularies."""

    name: str
    category: str
    cross_lists: tuple[str, ...]
    field: str
    core: tuple[str, ...]
    subtopics: tuple[tuple[str, ...], ...]

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term of the topic (core, then each subtopic's), once each."""
        return tuple(dict.fromkeys(self.core + sum(self.subtopics, ())))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _terms(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _topic(name: str, category: str, cross_lists: str, field: str, core: str, *subtopics: str) -> Topic:
    return Topic(name, category, tuple(cross_lists.split()), field, _terms(core), tuple(map(_terms, subtopics)))


# Words any abstract may use, whatever its field.
GENERAL_TERMS: tuple[str, ...] = _terms(
    """theoretical analysis, numerical experiments, empirical evidence, case studies, real-world data, simulations,
    open problems, prior work, existing methods, applications, performance, accuracy, efficiency, complexity,
    trade-offs, limitations, assumptions, robustness, interpretability, uncertainty, reproducibility, validation,
    approximations, algorithms, implementations, measurements, observations, predictions, comparisons,
    sensitivity analysis, error analysis, statistical significance, computational cost, large-scale studies,
    experimental results, design choices, parameters, models, data, generalizations, open questions,
    systematic comparisons, scalability, practical settings"""
)

# Each field's shared vocabulary: the topics of one field use it, so they sit near each other.
FIELDS: dict[str, tuple[str, ...]] = {
    "machine learning": _terms(
        """neural networks, deep learning, training data, loss functions, stochastic gradient descent, overfitting,
        generalization, benchmarks, baselines, ablations, hyperparameters, pretrained models, fine-tuning,
        transformers, attention mechanisms, embeddings, representation learning, self-supervised learning,
        transfer learning, few-shot learning, reinforcement learning, foundation models, scaling laws,
        inference cost, model compression, knowledge distillation, data augmentation, evaluation metrics,
        training dynamics, GPUs, labelled data, downstream tasks, distribution shift, contrastive learning,
        pretraining, encoder-decoder models"""
    ),
    "computer systems": _terms(
        """distributed systems, cloud computing, servers, protocols, network traffic, latency, throughput,
        fault tolerance, operating systems, storage systems, memory hierarchy, hardware, software engineering,
        deployments, system logs, configuration, APIs, open-source software, performance evaluation, microservices,
        data centers, multi-tenancy, consensus, replication, caching, compilers, concurrency, workloads,
        system design, formal verification, production systems"""
    ),
    "physics of matter": _terms(
        """phase transitions, order parameters, numerical simulations, temperature dependence, energy landscapes,
        symmetry breaking, fluctuations, correlation functions, mean-field theory, perturbation theory, Hamiltonians,
        ground states, excitations, lattice models, many-body systems, thermodynamic limit, finite-size scaling,
        Monte Carlo simulations, nonlinear dynamics, instabilities, dissipation, length scales, time scales,
        power laws, dimensionless parameters, critical points, spectra, boundary conditions, thermal equilibrium,
        magnetic fields, low temperatures, relaxation"""
    ),
    "gravitation and cosmology": _terms(
        """dark matter, dark energy, cosmology, gravity, general relativity, black holes, gravitational waves,
        cosmological simulations, dark matter halos, cosmic inflation, cosmic web, early universe,
        cosmological constant, large-scale structure, cosmic microwave background, Hubble tension,
        particle physics, axions, neutrinos, observational constraints, Einstein equations, curvature"""
    ),
    "mathematics and statistics": _terms(
        """theorems, proofs, lemmas, conjectures, inequalities, upper bounds, lower bounds, asymptotics,
        asymptotic formulas, error terms, convergence rates, limit theorems, explicit constructions,
        counterexamples, sharp constants, probability distributions, variance, expectations, Fourier analysis,
        generating functions, combinatorial arguments, functional equations, integrals, closed forms,
        recursions, operators, norms, convexity, existence and uniqueness, asymptotic normality, consistency,
        moments"""
    ),
    "neuroscience": _terms(
        """brain regions, behavior, cells, genes, proteins, biological systems, subjects, physiology, stimuli,
        organisms, mice, primates, human participants, cognition, disease, clinical data, biophysical models,
        tissue, evolution, ion channels, membrane potentials, animal experiments"""
    ),
}

TOPICS: list[Topic] = [
    _topic(
        "language models and machine translation",
        "cs.CL",
        "cs.LG cs.AI",
        "machine learning",
        """corpora, tokenization, tokenizers, vocabulary, language modeling, large language models, multilingual corpora,
        annotation, linguistics, utterances, text classification, sentence encoders, perplexity,
        low-resource languages, prompting""",
        """machine translation, translation, parallel corpora, BLEU scores, source languages, target languages,
        cross-lingual transfer, code-switching, transliteration, word alignment, decoders, encoders,
        back-translation, morphology, dialects, speech transcripts""",
        """reasoning, instruction tuning, in-context learning, hallucination, chain-of-thought, chatbots, dialogue,
        question answering, retrieval augmentation, preference optimization, reward models, factuality, tool use,
        long contexts, summarization, paraphrase""",
        """syntax, semantics, parsing, dependency parsing, treebanks, grammar, coreference, discourse, entailment,
        word senses, named entities, lexicon, sentiment, readability, span extraction, lexical overlap""",
    ),
    _topic(
        "object detection and image segmentation",
        "cs.CV",
        "cs.LG eess.IV",
        "machine learning",
        """images, pixels, convolutional networks, feature maps, backbones, vision transformers, image patches,
        video frames, cameras, visual features, receptive fields, pooling, upsampling""",
        """object detection, bounding boxes, anchor boxes, segmentation, instance segmentation,
        semantic segmentation, panoptic segmentation, keypoints, pose estimation, visual tracking, occlusion,
        small objects, detection heads, non-maximum suppression, remote sensing imagery, face recognition""",
        """depth estimation, optical flow, stereo matching, point clouds, lidar, camera calibration, homography,
        multi-view geometry, 3D reconstruction, neural radiance fields, photometric consistency,
        scene understanding, surface normals, novel view synthesis, meshes, Gaussian splatting""",
        """image synthesis, diffusion models, super-resolution, denoising, inpainting, image restoration, texture,
        illumination, style transfer, image editing, text-to-image generation, latent spaces, image captioning,
        visual grounding, saliency, generative adversarial networks""",
    ),
    _topic(
        "graph learning optimization and decision making",
        "cs.LG",
        "stat.ML cs.AI",
        "machine learning",
        """learning algorithms, neural architectures, training objectives, inductive bias, expressivity,
        sample complexity, minibatching, regularization, gradient descent, empirical risk, synthetic benchmarks,
        learning rates, model selection""",
        """graphs, nodes, edges, message passing, graph convolutions, adjacency matrices, node embeddings,
        link prediction, node classification, oversmoothing, oversquashing, Weisfeiler-Leman test,
        graph isomorphism, heterophily, graph transformers, molecular graphs, knowledge graphs, hypergraphs""",
        """loss landscapes, convergence guarantees, adaptive optimizers, Adam, momentum, implicit regularization,
        overparameterization, neural tangent kernels, double descent, PAC-Bayes bounds, Rademacher complexity,
        flat minima, weight decay, learning rate schedules, sharpness, lottery tickets""",
        """Markov decision processes, policy gradients, value functions, Q-learning, exploration,
        offline reinforcement learning, reward functions, actor-critic methods, multi-armed bandits, regret bounds,
        environment interactions, world models, sample efficiency, off-policy evaluation, credit assignment""",
        """federated learning, client drift, catastrophic forgetting, continual learning,
        uncertainty quantification, calibration, conformal prediction, Bayesian neural networks,
        out-of-distribution detection, active learning, label noise, domain adaptation, meta-learning, ensembles,
        tabular data""",
    ),
    _topic(
        "privacy and applied cryptography",
        "cs.CR",
        "cs.IT cs.DC",
        "computer systems",
        """adversaries, attackers, threat models, security, vulnerabilities, attacks, defenses, security audits,
        access control, leakage, countermeasures, security guarantees""",
        """encryption, ciphertexts, plaintexts, homomorphic encryption, secret sharing, zero-knowledge proofs,
        commitment schemes, signatures, key exchange, public keys, hash functions, post-quantum cryptography,
        lattice-based schemes, provable security, random oracles, multiparty computation""",
        """malware, intrusion detection, side channels, cache timing, exploits, fuzzing, sandboxing, firmware,
        phishing, botnets, ransomware, trusted execution, enclaves, memory safety, binaries,
        vulnerability detection""",
        """differential privacy, privacy budgets, membership inference, model extraction, data poisoning,
        backdoors, adversarial examples, secure aggregation, anonymity, watermarking, machine unlearning,
        privacy leakage, jailbreaks, deanonymization, synthetic data release""",
        """blockchains, smart contracts, cryptocurrencies, decentralized finance, wallets, mining pools,
        token standards, double spending, sybil attacks, layer-two protocols, validators, proof of stake""",
    ),
    _topic(
        "query processing and data management",
        "cs.DB",
        "cs.DS cs.DC",
        "computer systems",
        """queries, databases, SQL, schemas, tuples, predicates, relational algebra, storage engines, indexes,
        data management, query workloads""",
        """query optimization, query planners, joins, join ordering, cardinality estimation, selectivity,
        cost models, materialized views, B-trees, learned indexes, column stores, compression, buffer pools, OLAP,
        data warehouses, vector databases, similarity search""",
        """transactions, concurrency control, isolation levels, serializability, locking, write-ahead logging,
        crash recovery, durability, sharding, partitioning, distributed databases, key-value stores,
        stream processing, lakehouses""",
        """data integration, data cleaning, schema matching, entity resolution, provenance, data lakes,
        data quality, metadata, knowledge bases, table understanding, missing values, data discovery,
        record linkage, data versioning""",
    ),
    _topic(
        "robot motion planning and control",
        "cs.RO",
        "eess.SY cs.AI",
        "machine learning",
        """robots, robotic systems, manipulation, controllers, actuators, trajectories, real robots,
        hardware experiments, robot platforms, task execution, workspaces, onboard sensors, end effectors""",
        """motion planning, path planning, trajectory optimization, collision avoidance, obstacles, kinematics,
        inverse kinematics, rigid-body dynamics, torque, model predictive control, feedback control,
        sampling-based planners, configuration space, waypoints, compliance, legged robots, quadrupeds, humanoids,
        locomotion""",
        """localization, mapping, SLAM, odometry, laser scans, sensor fusion, navigation, autonomous vehicles,
        drones, quadrotors, swarms, multi-robot coordination, task allocation, occupancy grids, loop closure,
        GPS-denied environments, rough terrain""",
        """grasping, dexterity, tactile sensors, imitation learning, sim-to-real transfer, reward shaping,
        control policies, teleoperation, haptics, soft robots, exoskeletons, human-robot interaction,
        demonstrations, deformable objects, vision-language-action models""",
    ),
    _topic(
        "quantum computing and error correction",
        "quant-ph",
        "cs.IT cond-mat.mes-hall",
        "physics of matter",
        """qubits, quantum circuits, quantum gates, entanglement, decoherence, fidelity, quantum states,
        density matrices, unitary evolution, projective measurements, quantum channels, quantum information,
        superposition""",
        """error correction, surface codes, stabilizer codes, logical qubits, syndromes, syndrome decoders,
        fault tolerance, error thresholds, magic states, Clifford gates, transversal gates, bosonic codes,
        ancilla qubits, Pauli operators, erasure errors""",
        """trapped ions, superconducting qubits, photonic chips, Rydberg atoms, readout errors, crosstalk,
        coherence times, gate compilation, circuit depth, amplitude damping, depolarizing noise, quantum sensing,
        quantum memories, cavity QED, spin qubits, pulse shaping""",
        """variational algorithms, quantum annealing, adiabatic evolution, quantum advantage, quantum simulation,
        quantum key distribution, teleportation, Bell states, Bell inequalities, quantum networks, tomography,
        Kraus operators, purity, qudits, quantum walks, sampling complexity""",
    ),
    _topic(
        "unconventional superconductivity",
        "cond-mat.supr-con",
        "cond-mat.str-el cond-mat.mtrl-sci",
        "physics of matter",
        """superconductivity, superconductors, Cooper pairs, superconducting gap, critical temperature,
        pairing symmetry, quasiparticles, Fermi surfaces, phonons, electron-phonon coupling, doping, resistivity,
        specific heat""",
        """cuprates, nickelates, iron pnictides, heavy fermions, hydrides, high pressure, pseudogap,
        charge density waves, spin fluctuations, antiferromagnetism, nematicity, d-wave pairing,
        twisted bilayer graphene, moire superlattices, photoemission spectroscopy, muon spin rotation""",
        """Meissner effect, vortices, vortex lattices, flux pinning, critical currents, Josephson junctions,
        tunneling spectroscopy, penetration depth, coherence length, upper critical field, thin films,
        magnetization, Majorana modes, topological superconductors, Bogoliubov quasiparticles,
        Ginzburg-Landau theory, Eliashberg theory, BCS theory""",
    ),
    _topic(
        "nonequilibrium statistical mechanics",
        "cond-mat.stat-mech",
        "cond-mat.soft math-ph",
        "physics of matter",
        """entropy production, partition functions, free energy, Brownian motion, diffusion, Langevin dynamics,
        Fokker-Planck equation, master equations, detailed balance, stochastic dynamics, thermal noise,
        equilibrium ensembles""",
        """fluctuation theorems, thermodynamic uncertainty relations, stochastic thermodynamics, heat engines,
        work extraction, nonequilibrium steady states, particle currents, exclusion processes, large deviations,
        kinetic theory, Boltzmann equation, hydrodynamic limits, effective temperature, information engines""",
        """critical exponents, universality classes, renormalization group, Ising model, Potts model,
        spin glasses, percolation, glassy dynamics, jamming, coarsening, metastability, KPZ universality,
        interfaces, anomalous diffusion""",
        """active matter, self-propelled particles, motility-induced phase separation, flocking,
        collective motion, many-body localization, thermalization, ergodicity, integrability,
        eigenstate thermalization, quantum quenches, Lindblad dynamics, prethermalization, active nematics""",
    ),
    _topic(
        "galaxy formation and evolution",
        "astro-ph.GA",
        "astro-ph.CO astro-ph.SR",
        "gravitation and cosmology",
        """galaxies, stellar populations, star formation, interstellar medium, redshift, spectroscopy, photometry,
        emission lines, metallicity, stellar mass, sky surveys, telescopes, James Webb Space Telescope""",
        """galaxy mergers, quenching, starbursts, star formation rates, luminosity functions, mass functions,
        active galactic nuclei, supermassive black holes, quasars, outflows, galactic winds, stellar feedback,
        gas accretion, circumgalactic medium, dust attenuation, reionization, high-redshift galaxies""",
        """Milky Way, spiral arms, galactic bars, bulges, galactic discs, tidal streams, globular clusters,
        stellar kinematics, velocity dispersion, rotation curves, dwarf galaxies, satellite galaxies, Local Group,
        Gaia astrometry, molecular clouds, radio continuum, infrared emission""",
    ),
    _topic(
        "analytic number theory",
        "math.NT",
        "math.CA math.AG",
        "mathematics and statistics",
        """primes, prime numbers, number fields, integers, arithmetic functions, L-functions, Dirichlet characters,
        zeta functions, Riemann hypothesis, congruences, Dirichlet series, rational numbers""",
        """sieve methods, large sieve, exponential sums, character sums, Kloosterman sums, zero density estimates,
        Siegel zeros, subconvexity bounds, mean values, moments of L-functions, prime gaps, twin primes,
        Goldbach problem, circle method, divisor functions, Mobius function, multiplicative functions""",
        """modular forms, cusp forms, Hecke operators, Eisenstein series, elliptic curves, rational points,
        Galois representations, p-adic numbers, abelian varieties, height functions, automorphic forms,
        trace formulas, class numbers, quadratic forms, conductors, ideals""",
        """Diophantine equations, Diophantine approximation, continued fractions, transcendence,
        additive combinatorics, arithmetic progressions, integer partitions, lattice points,
        sum-product estimates, Waring problem, unit equations, irrationality measures""",
    ),
    _topic(
        "random walks and stochastic processes",
        "math.PR",
        "math.CO math-ph",
        "mathematics and statistics",
        """random walks, Markov chains, martingales, stochastic processes, probability measures, random variables,
        stopping times, hitting times, stationary distributions, coupling arguments, Poisson processes,
        heavy tails""",
        """random graphs, Erdos-Renyi graphs, first passage percolation, random trees, Galton-Watson trees,
        branching processes, random matrices, eigenvalue statistics, Gaussian fields, Schramm-Loewner evolution,
        scaling limits, urn models, random environments, cover times, local times""",
        """stochastic differential equations, Ito calculus, Levy processes, Brownian paths, Dirichlet forms,
        heat kernels, spectral gaps, mixing times, ergodic theorems, concentration inequalities,
        central limit theorems, large deviation principles, interacting particle systems, invariance principles,
        weak convergence, exchangeability, extreme values, transience, recurrence""",
    ),
    _topic(
        "neural coding and brain dynamics",
        "q-bio.NC",
        "cs.NE physics.bio-ph",
        "neuroscience",
        """neurons, spikes, spike trains, firing rates, synapses, neural circuits, neural populations, cortex,
        brain networks, neural activity, neural recordings, neural dynamics""",
        """population coding, receptive fields, tuning curves, visual cortex, place cells, grid cells,
        hippocampus, prefrontal cortex, working memory, decision making, perception, sensory processing,
        motor control, neural manifolds, latent dynamics, animal behavior""",
        """synaptic plasticity, Hebbian learning, learning rules, spiking networks, excitatory-inhibitory balance,
        inhibition, excitation, oscillations, gamma rhythms, theta rhythms, dendrites, dopamine,
        reward prediction errors, memory consolidation, sleep, neuromodulation, fMRI, EEG recordings,
        calcium imaging, local field potentials, functional connectivity, connectomes""",
    ),
    _topic(
        "causal inference in econometrics",
        "econ.EM",
        "stat.ME econ.GN",
        "mathematics and statistics",
        """estimators, identification, econometrics, treatment effects, standard errors, confidence intervals,
        hypothesis tests, empirical applications, policy evaluation, survey data, instrumental variables,
        endogeneity""",
        """average treatment effects, heterogeneous effects, difference-in-differences, regression discontinuity,
        synthetic controls, propensity scores, matching estimators, double machine learning,
        high-dimensional controls, lasso, labor markets, wages, randomized experiments, staggered adoption,
        clustered errors""",
        """time series, panel data, fixed effects, cointegration, unit roots, vector autoregressions,
        structural models, forecasting, volatility, inflation, macroeconomic shocks,
        generalized method of moments, weak instruments, local projections, bootstrap, quantile regression,
        nonparametric regression, bandwidth selection, demand estimation, auctions""",
    ),
    _topic(
        "string theory and holography",
        "hep-th",
        "gr-qc hep-ph",
        "gravitation and cosmology",
        """string theory, gauge theories, supersymmetry, quantum field theory, dualities, effective field theory,
        quantum gravity, spacetime, anomalies, renormalization, Yang-Mills theory""",
        """holography, AdS/CFT correspondence, anti-de Sitter space, conformal field theory, conformal bootstrap,
        entanglement entropy, Ryu-Takayanagi formula, wormholes, black hole entropy, Hawking radiation,
        information paradox, central charges, operator product expansion, SYK model""",
        """scattering amplitudes, amplituhedron, Feynman diagrams, loop integrals, Wilson loops, unitarity cuts,
        soft theorems, on-shell methods, celestial holography, gravitons, perturbative expansions,
        color-kinematics duality, de Sitter space, cosmological correlators""",
        """strings, branes, D-branes, compactification, Calabi-Yau manifolds, extra dimensions, supergravity,
        swampland conjectures, moduli spaces, S-duality, T-duality, instantons, solitons, monopoles,
        Chern-Simons theory, topological field theories, higher-form symmetries""",
    ),
    _topic(
        "turbulence and fluid dynamics",
        "physics.flu-dyn",
        "physics.comp-ph nlin.CD",
        "physics of matter",
        """turbulence, turbulent flows, Navier-Stokes equations, viscosity, Reynolds number, vortices, vorticity,
        flow fields, velocity fields, direct numerical simulation, pressure gradients, wall shear stress""",
        """boundary layers, shear flows, channel flows, pipe flows, wall turbulence, eddies, energy cascade,
        Kolmogorov scaling, large eddy simulation, drag reduction, wakes, jets, airfoils, flow control,
        reduced-order models, particle image velocimetry""",
        """Rayleigh-Benard convection, buoyancy, stratified flows, rotating flows, multiphase flows, bubbles,
        droplets, surface tension, wetting, porous media, particle-laden flows, sediment transport,
        free-surface flows, water waves, heat transfer, Nusselt number, Prandtl number""",
        """microfluidics, non-Newtonian fluids, rheology, swimming microorganisms, suspensions,
        viscoelastic flows, lattice Boltzmann methods, cavitation, compressible flows, shock waves,
        low Reynolds numbers, capillary flows, emulsions, biofluids""",
    ),
]

# Pairs of topics whose papers mix: an interdisciplinary paper of one is cross-listed in the other.
RELATED: tuple[tuple[str, str], ...] = (
    ("cs.LG", "cs.CL"),
    ("cs.LG", "cs.CV"),
    ("cs.LG", "cs.RO"),
    ("cs.CV", "cs.RO"),
    ("cs.LG", "cs.CR"),
    ("cs.LG", "cs.DB"),
    ("cs.CR", "cs.DB"),
    ("cs.LG", "q-bio.NC"),
    ("cs.LG", "econ.EM"),
    ("quant-ph", "cond-mat.supr-con"),
    ("quant-ph", "cs.CR"),
    ("quant-ph", "hep-th"),
    ("quant-ph", "cond-mat.stat-mech"),
    ("cond-mat.supr-con", "cond-mat.stat-mech"),
    ("cond-mat.stat-mech", "physics.flu-dyn"),
    ("cond-mat.stat-mech", "math.PR"),
    ("cond-mat.stat-mech", "q-bio.NC"),
    ("hep-th", "astro-ph.GA"),
    ("hep-th", "math.NT"),
    ("math.NT", "math.PR"),
    ("math.PR", "econ.EM"),
    ("astro-ph.GA", "physics.flu-dyn"),
)

# Per category: (relative share of papers, log growth over 2019-2025, share of topic words from the paper's focus).
# Shares differ about tenfold, like arXiv's categories; a low focus share makes a topic's region more diffuse.
_PROFILES: dict[str, tuple[float, float, float]] = {
    "cs.CL": (2.6, 2.2, 0.7),
    "cs.CV": (2.0, 0.6, 0.7),
    "cs.LG": (3.0, 0.9, 0.55),
    "cs.CR": (1.0, 0.5, 0.65),
    "cs.DB": (0.4, 0.0, 0.75),
    "cs.RO": (0.9, 1.1, 0.7),
    "quant-ph": (1.3, 1.0, 0.7),
    "cond-mat.supr-con": (0.45, -0.4, 0.8),
    "cond-mat.stat-mech": (0.6, -0.2, 0.6),
    "astro-ph.GA": (0.8, 0.2, 0.75),
    "math.NT": (0.35, -0.5, 0.8),
    "math.PR": (0.5, 0.0, 0.7),
    "q-bio.NC": (0.3, 0.4, 0.65),
    "econ.EM": (0.25, 0.8, 0.75),
    "hep-th": (0.9, -0.7, 0.75),
    "physics.flu-dyn": (0.45, 0.1, 0.65),
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
# Generalist papers draw on several unrelated topics and belong to none in particular.
NOISE_RATE = 0.07
# Every other paper takes a share of its topic words from a related topic: MAX_PARTNER_SHARE * u**2 (u uniform), so
# most papers borrow little and a continuum reaches across to the related topic. From MIXED_SHARE on, the paper is an
# interdisciplinary one, cross-listed in the related topic's category (a third of papers).
MAX_PARTNER_SHARE = 0.7
MIXED_SHARE = 0.3
# How often a term slot takes a general or a field word (abstract, title); the rest are topic terms.
_GENERAL_RATE = (0.12, 0.03)
_FIELD_RATE = (0.25, 0.1)
_NOISE_GENERAL_RATE = 0.3
# How often a title's term is one of its abstract's topical terms.
_TITLE_FROM_ABSTRACT = 0.8
# The first subtopic of a topic is its most common one, the next ones less so.
_SUBTOPIC_WEIGHTS = (1.0, 0.7, 0.5, 0.4)
_MIN_SHARE_OF_AVERAGE = 1 / 8

BY_CATEGORY: dict[str, Topic] = {topic.category: topic for topic in TOPICS}
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    topic.category: tuple(b if a == topic.category else a for a, b in RELATED if topic.category in (a, b)) for topic in TOPICS
}


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


@dataclass(frozen=True)
class _Source:
    """Where a paper's topic terms come from: one topic, with the focus terms of one of its subtopics."""

    focus: tuple[str, ...]
    terms: tuple[str, ...]
    focus_rate: float


def _source(rng: random.Random, topic: Topic) -> _Source:
    """Focus on one subtopic (the first ones more often) and a few core terms of the topic."""
    subtopic = rng.choices(topic.subtopics, weights=_SUBTOPIC_WEIGHTS[: len(topic.subtopics)])[0]
    focus = rng.sample(subtopic, rng.randint(4, 7)) + rng.sample(topic.core, rng.randint(2, 3))
    return _Source(tuple(focus), topic.terms, _PROFILES[topic.category][2])


class _Writer:
    """Fills templates for one paper: general words, its field's words, and mostly its topic's (or topics') terms."""

    def __init__(
        self, rng: random.Random, topic: Topic, partner: Topic | None = None, share: float = 0.0, strays: Sequence[Topic] = ()
    ) -> None:
        self.rng = rng
        self.math = _MATH[topic.category]
        self.abstract_terms: list[str] = []
        field = FIELDS[topic.field]
        self.field_focus = tuple(rng.sample(field, rng.randint(3, 5)))
        self.field = field
        if strays:
            # A generalist paper: a little of several unrelated topics, much general vocabulary, no subtopic focus.
            self.sources = [_Source((), t.terms, 0.0) for t in (topic, *strays)]
            self.weights = [1.0] * len(self.sources)
            self.general_rate = (_NOISE_GENERAL_RATE, _NOISE_GENERAL_RATE)
        elif partner is not None:
            # Topics overlap at their edges: `share` of the topic words come from one subtopic of a related topic.
            self.sources = [_source(rng, topic), _source(rng, partner)]
            self.weights = [1 - share, share]
            self.general_rate = _GENERAL_RATE
        else:
            self.sources = [_source(rng, topic)]
            self.weights = [1.0]
            self.general_rate = _GENERAL_RATE

    def _draw(self, title: bool) -> tuple[str, bool]:
        """One term and whether it is topical: general, of the field, or of a topic (its focus terms mostly).

        A title mostly takes the topical terms its abstract used most, as real titles name what the abstract is about.
        """
        draw = self.rng.random
        if title and self.abstract_terms and draw() < _TITLE_FROM_ABSTRACT:
            return _pick(self.rng, self.abstract_terms), True
        u = draw()
        general = self.general_rate[title]
        if u < general:
            return _pick(self.rng, GENERAL_TERMS), False
        if u < general + _FIELD_RATE[title]:
            return _pick(self.rng, self.field_focus if draw() < 0.6 else self.field), True
        source = self.sources[0] if len(self.sources) == 1 else self.rng.choices(self.sources, weights=self.weights)[0]
        if source.focus and draw() < source.focus_rate:
            return _pick(self.rng, source.focus), True
        return _pick(self.rng, source.terms), True

    def _fill(self, template: str, title: bool = False) -> tuple[str, list[str]]:
        """The filled template and its topical terms: {t}/{T} terms (each once), {a}/{A} adjectives, {n}/{N},
        {f}/{F} and {m} math."""
        used: set[str] = set()
        topical = []
        pieces, fix_articles = _parse(template)
        parts = list(pieces)
        for i in range(1, len(parts), 2):
            key = parts[i]
            lower = key.lower()
            if lower == "t":
                for _ in range(8):
                    value, is_topical = self._draw(title)
                    if value not in used:
                        break
                used.add(value)
                if is_topical:
                    topical.append(value)
            else:
                value = _pick(self.rng, _FILLERS.get(lower, self.math))
            parts[i] = _cap(value) if key != lower else value
        text = "".join(parts)
        if fix_articles:
            text = _BEFORE_VOWEL.sub(r"\1n ", text)
        return _cap(text), topical

    def fill(self, template: str, title: bool = False) -> str:
        """Replace the template's slots (see _fill)."""
        return self._fill(template, title)[0]

    def title(self) -> str:
        """A 6-14 word title, occasionally with inline LaTeX, written after the abstract (see _draw)."""
        rng = self.rng
        use_math = rng.random() < _TITLE_MATH_RATE
        templates = _MATH_TITLE_TEMPLATES if use_math else _TITLE_TEMPLATES
        while True:
            title = _title_case(self.fill(rng.choice(templates), title=True))
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
        sentences = [self._fill(t) for t in templates]
        words = sum(_count_words(text) for text, _ in sentences)
        spare = [t for t in _DETAILS if t not in details]
        while words < 85 and spare:
            extra = self._fill(spare.pop(rng.randrange(len(spare))))
            sentences.insert(len(head) + 1, extra)
            words += _count_words(extra[0])
        while words > 195 and len(sentences) > 4:
            words -= _count_words(sentences.pop(len(head) + 1)[0])
        self.abstract_terms = [term for _, terms in sentences for term in terms]
        return " ".join(text for text, _ in sentences)


def _person(rng: random.Random) -> str:
    first = rng.choice(_FIRST_NAMES)
    last = rng.choice(_LAST_NAMES)
    style = rng.random()
    if style < 0.12:
        return f"{first[0]}. {last}"
    if style < 0.22:
        return f"{first} {rng.choice(_LAST_NAMES)[0]}. {last}"
    return f"{first} {last}"


def _authors(rng: random.Random, pool: list[str], other: list[str] | None = None) -> str:
    """1-6 authors from the topic's pool; a mixed paper's last author from the related topic's pool."""
    k = rng.choices(range(1, 7), weights=_AUTHOR_COUNT_WEIGHTS)[0]
    names = rng.sample(pool, k)
    if other is not None and k > 1:
        names[-1] = rng.choice(other)
    elif rng.random() < 0.2:
        names[-1] = _person(rng)
    return ", ".join(dict.fromkeys(names))


def _allocate(n_papers: int, rng: random.Random) -> list[int]:
    """Split n_papers over TOPICS unevenly, with a guaranteed floor per topic."""
    n_topics = len(TOPICS)
    floor = math.ceil(n_papers * _MIN_SHARE_OF_AVERAGE / n_topics)
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


def _categories(rng: random.Random, topic: Topic, other: Topic | None = None) -> str:
    """The primary category, then the related topic's (mixed papers) or now and then one of the topic's cross-lists."""
    if other is not None:
        return f"{topic.category} {other.category}"
    if topic.cross_lists and rng.random() < _CROSS_LIST_RATE:
        return f"{topic.category} {rng.choice(topic.cross_lists)}"
    return topic.category


def _draft(rng: random.Random, topic: Topic, pools: dict[str, list[str]]) -> dict:
    """One paper of `topic`: plain, mixed with a related topic, or a generalist paper."""
    u = rng.random()
    if u < NOISE_RATE:
        others = [t for t in TOPICS if t.category != topic.category and t.category not in NEIGHBOURS[topic.category]]
        strays = rng.sample(others, 2)
        writer = _Writer(rng, topic, strays=strays)
        categories = _categories(rng, topic)
        authors = _authors(rng, pools[topic.category])
    elif NEIGHBOURS[topic.category]:
        partner = BY_CATEGORY[rng.choice(NEIGHBOURS[topic.category])]
        share = MAX_PARTNER_SHARE * rng.random() ** 2
        writer = _Writer(rng, topic, partner, share)
        if share >= MIXED_SHARE:
            categories = _categories(rng, topic, partner)
            authors = _authors(rng, pools[topic.category], pools[partner.category])
        else:
            categories = _categories(rng, topic)
            authors = _authors(rng, pools[topic.category])
    else:
        writer = _Writer(rng, topic)
        categories = _categories(rng, topic)
        authors = _authors(rng, pools[topic.category])
    abstract = writer.abstract()
    return {"title": writer.title(), "abstract": abstract, "authors": authors, "categories": categories}


def generate_demo_records(n_papers: int = 3600, seed: int = 0) -> list[dict]:
    """Build the synthetic records in id order; raise ValueError for n_papers < 1."""
    if n_papers < 1:
        raise ValueError(f"n_papers must be at least 1, got {n_papers}")
    rng = random.Random(seed)
    counts = _allocate(n_papers, rng)
    pools = {topic.category: [_person(rng) for _ in range(max(12, count // 3))] for topic, count in zip(TOPICS, counts, strict=True)}
    drafts = []
    for topic, count in zip(TOPICS, counts, strict=True):
        growth = _PROFILES[topic.category][1]
        for _ in range(count):
            record = _draft(rng, topic, pools)
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
