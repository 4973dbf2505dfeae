"""arXiv's category names as OAI ``oai_dc`` writes them (``Computer Science - Machine Learning``).

``oai_dc`` carries subjects as human-readable names, not codes; :func:`category_for_subject`
maps them back to codes (``cs.LG``), in both styles seen in the wild: ``Mathematics - Numerical
Analysis`` (arXiv's public feed) and the bare ``Numerical Analysis`` (arXiv's OAI server code),
whose archive comes from the record's sets. Names not listed here map to nothing: a code is never
guessed (``NA`` alone is not a category).
"""

from __future__ import annotations

_ARCHIVES: dict[str, tuple[str, dict[str, str]]] = {
    "cs": ("Computer Science", {
        "AI": "Artificial Intelligence", "AR": "Hardware Architecture", "CC": "Computational Complexity",
        "CE": "Computational Engineering, Finance, and Science", "CG": "Computational Geometry",
        "CL": "Computation and Language", "CR": "Cryptography and Security",
        "CV": "Computer Vision and Pattern Recognition", "CY": "Computers and Society", "DB": "Databases",
        "DC": "Distributed, Parallel, and Cluster Computing", "DL": "Digital Libraries",
        "DM": "Discrete Mathematics", "DS": "Data Structures and Algorithms", "ET": "Emerging Technologies",
        "FL": "Formal Languages and Automata Theory", "GL": "General Literature", "GR": "Graphics",
        "GT": "Computer Science and Game Theory", "HC": "Human-Computer Interaction", "IR": "Information Retrieval",
        "IT": "Information Theory", "LG": "Machine Learning", "LO": "Logic in Computer Science",
        "MA": "Multiagent Systems", "MM": "Multimedia", "MS": "Mathematical Software",
        "NA": "Numerical Analysis", "NE": "Neural and Evolutionary Computing", "NI": "Networking and Internet Architecture",
        "OH": "Other Computer Science", "OS": "Operating Systems", "PF": "Performance",
        "PL": "Programming Languages", "RO": "Robotics", "SC": "Symbolic Computation", "SD": "Sound",
        "SE": "Software Engineering", "SI": "Social and Information Networks", "SY": "Systems and Control",
    }),
    "math": ("Mathematics", {
        "AC": "Commutative Algebra", "AG": "Algebraic Geometry", "AP": "Analysis of PDEs",
        "AT": "Algebraic Topology", "CA": "Classical Analysis and ODEs", "CO": "Combinatorics",
        "CT": "Category Theory", "CV": "Complex Variables", "DG": "Differential Geometry",
        "DS": "Dynamical Systems", "FA": "Functional Analysis", "GM": "General Mathematics",
        "GN": "General Topology", "GR": "Group Theory", "GT": "Geometric Topology", "HO": "History and Overview",
        "IT": "Information Theory", "KT": "K-Theory and Homology", "LO": "Logic", "MG": "Metric Geometry",
        "MP": "Mathematical Physics", "NA": "Numerical Analysis", "NT": "Number Theory",
        "OA": "Operator Algebras", "OC": "Optimization and Control", "PR": "Probability",
        "QA": "Quantum Algebra", "RA": "Rings and Algebras", "RT": "Representation Theory",
        "SG": "Symplectic Geometry", "SP": "Spectral Theory", "ST": "Statistics Theory",
    }),
    "stat": ("Statistics", {
        "AP": "Applications", "CO": "Computation", "ME": "Methodology", "ML": "Machine Learning",
        "OT": "Other Statistics", "TH": "Statistics Theory",
    }),
    "eess": ("Electrical Engineering and Systems Science", {
        "AS": "Audio and Speech Processing", "IV": "Image and Video Processing", "SP": "Signal Processing",
        "SY": "Systems and Control",
    }),
    "econ": ("Economics", {"EM": "Econometrics", "GN": "General Economics", "TH": "Theoretical Economics"}),
    "q-bio": ("Quantitative Biology", {
        "BM": "Biomolecules", "CB": "Cell Behavior", "GN": "Genomics", "MN": "Molecular Networks",
        "NC": "Neurons and Cognition", "OT": "Other Quantitative Biology", "PE": "Populations and Evolution",
        "QM": "Quantitative Methods", "SC": "Subcellular Processes", "TO": "Tissues and Organs",
    }),
    "q-fin": ("Quantitative Finance", {
        "CP": "Computational Finance", "EC": "Economics", "GN": "General Finance", "MF": "Mathematical Finance",
        "PM": "Portfolio Management", "PR": "Pricing of Securities", "RM": "Risk Management",
        "ST": "Statistical Finance", "TR": "Trading and Market Microstructure",
    }),
    "physics": ("Physics", {
        "acc-ph": "Accelerator Physics", "ao-ph": "Atmospheric and Oceanic Physics",
        "app-ph": "Applied Physics", "atm-clus": "Atomic and Molecular Clusters", "atom-ph": "Atomic Physics",
        "bio-ph": "Biological Physics", "chem-ph": "Chemical Physics", "class-ph": "Classical Physics",
        "comp-ph": "Computational Physics", "data-an": "Data Analysis, Statistics and Probability",
        "ed-ph": "Physics Education", "flu-dyn": "Fluid Dynamics", "gen-ph": "General Physics",
        "geo-ph": "Geophysics", "hist-ph": "History and Philosophy of Physics", "ins-det": "Instrumentation and Detectors",
        "med-ph": "Medical Physics", "optics": "Optics", "plasm-ph": "Plasma Physics", "pop-ph": "Popular Physics",
        "soc-ph": "Physics and Society", "space-ph": "Space Physics",
    }),
    "astro-ph": ("Astrophysics", {
        "CO": "Cosmology and Nongalactic Astrophysics", "EP": "Earth and Planetary Astrophysics",
        "GA": "Astrophysics of Galaxies", "HE": "High Energy Astrophysical Phenomena",
        "IM": "Instrumentation and Methods for Astrophysics", "SR": "Solar and Stellar Astrophysics",
    }),
    "cond-mat": ("Condensed Matter", {
        "dis-nn": "Disordered Systems and Neural Networks", "mes-hall": "Mesoscale and Nanoscale Physics",
        "mtrl-sci": "Materials Science", "other": "Other Condensed Matter", "quant-gas": "Quantum Gases",
        "soft": "Soft Condensed Matter", "stat-mech": "Statistical Mechanics", "str-el": "Strongly Correlated Electrons",
        "supr-con": "Superconductivity",
    }),
    "nlin": ("Nonlinear Sciences", {
        "AO": "Adaptation and Self-Organizing Systems", "CD": "Chaotic Dynamics",
        "CG": "Cellular Automata and Lattice Gases", "PS": "Pattern Formation and Solitons",
        "SI": "Exactly Solvable and Integrable Systems",
    }),
}

_STANDALONE = {
    "High Energy Physics - Experiment": "hep-ex", "High Energy Physics - Lattice": "hep-lat",
    "High Energy Physics - Phenomenology": "hep-ph", "High Energy Physics - Theory": "hep-th",
    "General Relativity and Quantum Cosmology": "gr-qc", "Mathematical Physics": "math-ph",
    "Nuclear Experiment": "nucl-ex", "Nuclear Theory": "nucl-th", "Quantum Physics": "quant-ph",
    "Astrophysics": "astro-ph", "Condensed Matter": "cond-mat",
}


#: Archives from before arXiv's reorganisation whose names old records still carry as categories.
_LEGACY = (
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "atom-ph", "bayes-an", "chao-dyn", "chem-ph", "cmp-lg",
    "comp-gas", "dg-ga", "funct-an", "mtrl-th", "patt-sol", "plasm-ph", "q-alg", "solv-int", "supr-con",
)

#: Categories that are two names for one subject; arXiv lists the second as canonical. A bare subject
#: name ("Numerical Analysis") that fits both is resolved by the record's set, else to the canonical one.
ALIASES = {"cs.NA": "math.NA", "cs.SY": "eess.SY", "math.IT": "cs.IT", "math.MP": "math-ph",
           "stat.TH": "math.ST", "q-fin.EC": "econ.GN"}


def _build() -> dict[str, str]:
    table: dict[str, str] = {}
    for archive, (archive_name, subjects) in _ARCHIVES.items():
        for code, name in subjects.items():
            table[f"{archive_name} - {name}".casefold()] = f"{archive}.{code}"
    for name, code in _STANDALONE.items():
        table[name.casefold()] = code
    return table


def _build_bare() -> dict[str, list[str]]:
    """Subject names without their archive ("Numerical Analysis"), as arXiv's own oai_dc writer emits them."""
    table: dict[str, list[str]] = {}
    for archive, (_, subjects) in _ARCHIVES.items():
        for code, name in subjects.items():
            table.setdefault(name.casefold(), []).append(f"{archive}.{code}")
    for name, code in _STANDALONE.items():
        table.setdefault(name.casefold(), []).append(code)
    return table


SUBJECT_TO_CATEGORY: dict[str, str] = _build()
BARE_SUBJECT_TO_CATEGORIES: dict[str, list[str]] = _build_bare()
#: Every category code uptake accepts from a record's subjects or sets.
CATEGORIES: frozenset[str] = frozenset(
    [f"{a}.{c}" for a, (_, subjects) in _ARCHIVES.items() for c in subjects] + list(_STANDALONE.values()) + list(_LEGACY)
)


def is_category(code: str) -> bool:
    return code in CATEGORIES


def category_for_subject(subject: str, archives: tuple[str, ...] | list[str] = ()) -> str | None:
    """``'Computer Science - Machine Learning'`` or ``'Machine Learning'`` -> a code; a code passes through.

    A bare name shared by several archives (``Machine Learning``: cs.LG, stat.ML) is resolved by
    ``archives`` (the record's sets, e.g. ``["stat"]``), then by :data:`ALIASES`; if still
    ambiguous, or unknown, the answer is None: uptake never invents a code.
    """
    text = " ".join(subject.split())
    found = SUBJECT_TO_CATEGORY.get(text.casefold())
    if found:
        return found
    if is_category(text):
        return text  # already a code such as cs.LG
    candidates = BARE_SUBJECT_TO_CATEGORIES.get(text.casefold(), [])
    if len(candidates) > 1 and archives:
        in_sets = [c for c in candidates if c.split(".")[0] in archives]
        candidates = in_sets or candidates
    if len(candidates) > 1:
        canonical = {ALIASES.get(c, c) for c in candidates}
        candidates = sorted(canonical) if len(canonical) == 1 else candidates
    return candidates[0] if len(candidates) == 1 else None


def category_for_set_spec(spec: str) -> str | None:
    """An OAI setSpec as a category when it names one: ``math:math:NA`` -> math.NA, ``physics:hep-th`` ->
    hep-th; a group or archive that is no category (``cs``, ``physics:cond-mat``... ``math``) -> None."""
    parts = [p for p in spec.strip().split(":") if p]
    if len(parts) >= 3:
        code = f"{parts[1]}.{parts[2]}"
    elif len(parts) == 2:
        code = parts[1]
    else:
        return None
    return code if is_category(code) else None


def archives_of_set_specs(specs: list[str]) -> list[str]:
    """The archives a record's setSpecs name: ``cs`` -> cs, ``physics:astro-ph`` -> astro-ph, ``math:math:NA`` -> math."""
    out = []
    for spec in specs:
        parts = [p for p in spec.strip().split(":") if p]
        if parts:
            archive = parts[1] if len(parts) >= 2 else parts[0]
            if archive not in out:
                out.append(archive)
    return out
