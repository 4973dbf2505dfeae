"""A deterministic synthetic corpus that looks like arXiv, with planted terms of known uptake.

Everything is drawn from one seeded generator, so the same arguments give the
same papers on every machine. Used by ``uptake demo``, the benchmarks and the
analytics tests, which compare what uptake measures with :attr:`SyntheticCorpus.truth`.

Papers are labelled ``source="synthetic"`` and every id carries the ``synth``
marker in its comments field so they are never mistaken for real records.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

import numpy as np

from .periods import month_label, month_start, parse_month
from .records import Paper

CurveKind = Literal["logistic", "bass", "constant"]

#: The size of arXiv that Bass market sizes are stated for.
FULL_SIZE = 2_800_000


@dataclass(frozen=True)
class PlantedTerm:
    """A term planted with a known curve.

    - ``logistic``: share of papers in ``categories`` is ``K / (1 + exp(-r (t - t0)))`` from ``onset`` on
      (``t`` and ``t0`` are month indices, ``year*12 + month - 1``).
    - ``bass``: papers adopting per month follow Bass diffusion with ``p``, ``q`` and market ``m``, from ``onset``;
      ``m`` is stated for a full-size corpus of :data:`FULL_SIZE` papers and scales with the corpus.
    - ``constant``: share ``K`` from ``onset``.

    ``burst`` = (first month, last month, factor) multiplies the share inside that window.
    ``volume_reference`` (Bass only; papers a month at :data:`FULL_SIZE`): when set, each month's adoptions
    scale with the month's eligible papers over this reference, as uptake's Bass fit with corpus volume as
    exposure assumes (None: adoptions do not depend on the corpus' volume).
    ``forms`` are the surface forms written into papers, chosen with ``form_weights``.
    """

    name: str
    forms: tuple[str, ...]
    curve: CurveKind = "logistic"
    K: float = 0.01
    r: float = 0.3
    t0: str = "2025-01"
    onset: str = "2024-01"
    p: float = 0.01
    q: float = 0.4
    m: float = 1000.0
    categories: tuple[str, ...] = ()  # archives or categories the term lives in; () = everywhere
    form_weights: tuple[float, ...] = ()
    title_rate: float = 0.25
    burst: tuple[str, str, float] | None = None
    companion: str | None = None  # a phrase written next to the term in some papers (its spelled-out form)
    companion_rate: float = 0.5
    #: How the companion is written: ``before`` "companion (form)", ``after`` "form (companion)".
    companion_style: Literal["before", "after"] = "before"
    #: Month-to-month overdispersion: each month's expected count is multiplied by a gamma factor of mean 1 and
    #: this variance (0: none), so monthly shares wander more than binomial sampling explains.
    dispersion: float = 0.0
    volume_reference: float | None = None

    def expected(self, month: int, n_papers: int, *, scale: float = 1.0) -> float:
        """Expected number of papers mentioning the term in ``month`` out of ``n_papers`` eligible ones."""
        onset = parse_month(self.onset)
        if month < onset or n_papers <= 0:
            return 0.0
        if self.curve == "bass":
            t = month - onset + 1
            n = self.m * scale * (_bass_cdf(t, self.p, self.q) - _bass_cdf(t - 1, self.p, self.q))
            if self.volume_reference:
                n *= n_papers / (self.volume_reference * scale)
            share_cap = n / n_papers
            value = min(1.0, share_cap) * n_papers
        elif self.curve == "constant":
            value = self.K * n_papers
        else:
            value = self.K / (1.0 + math.exp(-self.r * (month - parse_month(self.t0)))) * n_papers
        if self.burst is not None:
            lo, hi, factor = parse_month(self.burst[0]), parse_month(self.burst[1]), self.burst[2]
            if lo <= month <= hi:
                value *= factor
        return min(value, float(n_papers))


def _bass_cdf(t: float, p: float, q: float) -> float:
    if t <= 0:
        return 0.0
    e = math.exp(-(p + q) * t)
    return (1 - e) / (1 + (q / p) * e)


# The planted terms used by the demo and by default in benchmarks. GRPO's curve is
# made up to resemble the real one (introduced 2024-02, take-off after 2025-01).
DEFAULT_PLANTED: tuple[PlantedTerm, ...] = (
    PlantedTerm("GRPO", ("GRPO",), "logistic", K=0.06, r=0.32, t0="2025-07", onset="2024-02",
                categories=("cs",), companion="group relative policy optimization", companion_rate=0.4),
    PlantedTerm("DPO", ("DPO",), "logistic", K=0.03, r=0.22, t0="2024-03", onset="2023-05",
                categories=("cs",), companion="direct preference optimization", companion_rate=0.5),
    PlantedTerm("PPO", ("PPO",), "constant", K=0.012, onset="2017-07", categories=("cs",),
                companion="proximal policy optimization", companion_rate=0.3),
    PlantedTerm("LoRA", ("LoRA", "LORA", "lora"), "logistic", K=0.025, r=0.2, t0="2023-09", onset="2021-06",
                categories=("cs",), form_weights=(0.9, 0.06, 0.04), companion="low-rank adaptation"),
    PlantedTerm("LoRa", ("LoRa", "LoRaWAN"), "constant", K=0.04, onset="2016-01",
                categories=("eess.SP", "cs.NI"), form_weights=(0.8, 0.2)),
    PlantedTerm("DAPO", ("DAPO",), "bass", p=0.02, q=0.45, m=30_000, onset="2025-03", categories=("cs",)),
    PlantedTerm("mixture of agents", ("mixture of agents",), "logistic", K=0.004, r=0.5, t0="2025-10",
                onset="2025-04", categories=("cs",), burst=("2026-02", "2026-03", 3.0)),
)

CATEGORIES: tuple[tuple[str, float, float], ...] = (
    # (category, weight in the 1990s, weight in the 2020s)
    ("hep-th", 9, 2.5), ("hep-ph", 9, 2.5), ("astro-ph.GA", 8, 2.5), ("astro-ph.CO", 5, 2), ("gr-qc", 4, 1.5),
    ("cond-mat.str-el", 7, 2), ("cond-mat.mes-hall", 6, 2), ("quant-ph", 6, 4), ("math.AP", 5, 2.5),
    ("math.PR", 4, 2), ("math.CO", 4, 2), ("math.NA", 2, 1.8), ("math-ph", 3, 1), ("nucl-th", 3, 1),
    ("physics.optics", 2, 2), ("stat.ML", 0.5, 3), ("stat.ME", 1, 1.5), ("q-bio.QM", 0.5, 1), ("econ.EM", 0.1, 0.6),
    ("eess.SP", 0.2, 3), ("eess.IV", 0.1, 2), ("cs.NI", 0.5, 1.5), ("cs.LG", 0.5, 14), ("cs.CV", 0.5, 13),
    ("cs.CL", 0.5, 11), ("cs.AI", 0.5, 8), ("cs.RO", 0.3, 4), ("cs.CR", 0.3, 3), ("cs.SE", 0.3, 2.5),
    ("cs.IR", 0.2, 2), ("cs.DS", 0.5, 1.5), ("cs.IT", 0.5, 2), ("cs.HC", 0.2, 2), ("cs.DC", 0.3, 1.5),
)

_COMMON = (
    "the of and a in to we is for that this with on by as are be from an our which can model results "
    "method paper show data these it using based learning two new network approach problem also performance "
    "models propose between such used at not time function analysis its methods into has one framework over "
    "than have system both high work study different proposed large more task been first existing their "
    "experiments training applications via well may under show while state however each field structure"
).split()
_SYLLABLES = (
    "ka ro mi ne lu ta se po vi da ri no me sa tu lo fe zi ba gu ha ke li mo nu pe qui ra so te "
    "va wi xe yo ze ar en il on ur est ion ant ing ex al"
).split()
_TEMPLATES = (
    "We build on {t} and study its behaviour in detail.",
    "Our approach extends {t} to a wider class of settings.",
    "Compared with {t}, the proposed method is simpler.",
    "Experiments with {t} show consistent gains.",
    "We revisit {t} from a theoretical perspective.",
)


def _vocabulary(size: int, forbidden: set[str], rng: np.random.Generator) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    for w in _COMMON:
        if w not in seen:
            seen.add(w)
            words.append(w)
    syl = np.array(_SYLLABLES)
    while len(words) < size:
        k = rng.integers(2, 5, size=4096)
        picks = rng.integers(0, len(syl), size=(4096, 4))
        for n, row in zip(k, picks):
            w = "".join(syl[row[:n]])
            if w not in seen and w not in forbidden:
                seen.add(w)
                words.append(w)
                if len(words) >= size:
                    break
    return words


@dataclass
class SyntheticCorpus:
    """Parameters of a synthetic corpus; iterate :meth:`papers` to draw it.

    ``truth[name][month]`` is the exact number of generated papers that contain
    the planted term ``name`` (filled while :meth:`papers` runs). For the planted terms named in
    ``record``, ``planted_papers[name]`` maps each paper id carrying it to whether its companion (the
    spelled-out form) was written there.
    """

    n_papers: int = 10_000
    start: str = "1991-08"
    end: str = "2026-06"
    end_day: int = 14
    seed: int = 0
    planted: Sequence[PlantedTerm] = DEFAULT_PLANTED
    vocabulary_size: int = 200_000
    zipf_s: float = 1.07
    sentence_pool: int = 50_000
    truth: dict[str, dict[int, int]] = field(default_factory=dict)
    monthly: dict[int, int] = field(default_factory=dict)
    record: tuple[str, ...] = ()
    planted_papers: dict[str, dict[str, bool]] = field(default_factory=dict)
    #: ``{category: "YYYY-MM"}``: the category enters the corpus that month (a crawl by primary category that
    #: adds it later); before it, no paper has it as primary category (papers of held categories may still be
    #: cross-listed in it), and the month holds that many fewer papers (its share of the month's weights).
    category_start: dict[str, str] = field(default_factory=dict)

    def month_sizes(self) -> dict[int, int]:
        """Papers per month: exponential growth from about 2,000 (1990s) to about 24,000 (2025), scaled to ``n_papers``."""
        lo, hi = parse_month(self.start), parse_month(self.end)
        months = np.arange(lo, hi + 1)
        years = (months - parse_month("1992-01")) / 12.0
        weight = np.exp(np.log(12.0) * years / 33.0)  # x12 over 33 years, as arXiv's 2k -> 24k a month
        raw = weight / weight.sum() * self.n_papers
        sizes = np.floor(raw).astype(np.int64)
        short = self.n_papers - int(sizes.sum())
        order = np.argsort(-(raw - sizes), kind="stable")[:short]
        sizes[order] += 1
        return {int(m): int(s) for m, s in zip(months, sizes)}

    def papers(self) -> Iterator[Paper]:
        """Draw the papers, month by month; memory stays bounded by one month."""
        rng = np.random.default_rng(self.seed)
        forbidden = {w.casefold() for t in self.planted for f in t.forms + ((t.companion,) if t.companion else ())
                     for w in f.replace("-", " ").split()}
        vocab = _vocabulary(self.vocabulary_size, forbidden, rng)
        vocab_arr = np.array(vocab, dtype=object)
        ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
        probs = ranks ** (-self.zipf_s)
        probs /= probs.sum()
        cdf = np.cumsum(probs)

        def draw(n: int) -> np.ndarray:
            return np.minimum(np.searchsorted(cdf, rng.random(n)), len(vocab) - 1)

        pool_lens = rng.integers(8, 22, size=self.sentence_pool)
        flat = vocab_arr[draw(int(pool_lens.sum()))]
        sentences: list[str] = []
        pos = 0
        for n in pool_lens:
            words = flat[pos : pos + n]
            pos += n
            s = " ".join(words)
            sentences.append(s[0].upper() + s[1:] + ".")
        sentence_arr = np.array(sentences, dtype=object)

        cats = [c for c, _, _ in CATEGORIES]
        w_old = np.array([a for _, a, _ in CATEGORIES])
        w_new = np.array([b for _, _, b in CATEGORIES])
        archive_of = [c.split(".")[0] for c in cats]
        sizes = self.month_sizes()
        self.monthly = dict(sizes)
        self.truth = {t.name: {} for t in self.planted}
        self.planted_papers = {name: {} for name in self.record}
        last_month = parse_month(self.end)
        counters: dict[tuple[str, int], int] = {}
        for month, n in sizes.items():
            if n == 0:
                continue
            frac = min(1.0, max(0.0, (month - _ERA_START) / (_ERA_END - _ERA_START)))
            weights = w_old * (1 - frac) + w_new * frac
            weights = weights / weights.sum()
            cross_weights = weights
            if self.category_start:  # a category not yet held has no primary papers; cross-lists to it stay
                held = np.array([c not in self.category_start or month >= parse_month(self.category_start[c])
                                 for c in cats])
                kept = float((weights * held).sum())
                n = int(round(n * kept))
                self.monthly[month] = n
                if n == 0:
                    continue
                weights = weights * held / kept
            primary = rng.choice(len(cats), size=n, p=weights)
            cross = rng.random(n) < 0.35
            second = rng.choice(len(cats), size=n, p=cross_weights)
            paper_cats = [
                (cats[a],) if not c or a == b else (cats[a], cats[b]) for a, b, c in zip(primary, second, cross)
            ]
            max_day = (month_start(month + 1) - timedelta(days=1)).day
            if month == last_month:
                max_day = min(max_day, self.end_day)
            days = np.sort(rng.integers(1, max_day + 1, size=n))
            n_title = rng.integers(5, 13, size=n)
            title_words = vocab_arr[draw(int(n_title.sum()))]
            n_sent = rng.integers(6, 12, size=n)
            sent_idx = rng.integers(0, len(sentences), size=int(n_sent.sum()))
            extra_title: list[list[str]] = [[] for _ in range(n)]
            extra_abs: list[list[str]] = [[] for _ in range(n)]
            recorded: dict[int, list[tuple[str, bool]]] = {}
            for term in self.planted:
                eligible = np.array(
                    [i for i, pc in enumerate(paper_cats) if _in_categories(pc, term.categories)], dtype=np.int64
                ) if term.categories else np.arange(n)
                expected = term.expected(month, len(eligible), scale=self.n_papers / FULL_SIZE)
                if expected <= 0 or len(eligible) == 0:
                    continue
                if term.dispersion > 0:  # drawn only for such terms, so other corpora keep their random stream
                    expected *= float(rng.gamma(1.0 / term.dispersion, term.dispersion))
                k = int(min(len(eligible), rng.poisson(expected)))
                if k == 0:
                    continue
                chosen = rng.choice(eligible, size=k, replace=False)
                self.truth[term.name][month] = self.truth[term.name].get(month, 0) + k
                fw = np.array(term.form_weights or (1.0,) * len(term.forms))
                forms = rng.choice(len(term.forms), size=k, p=fw / fw.sum())
                in_title = rng.random(k) < term.title_rate
                companion = rng.random(k) < term.companion_rate
                templates = rng.integers(0, len(_TEMPLATES), size=k)
                for j, i in enumerate(chosen):
                    form = term.forms[forms[j]]
                    if in_title[j]:
                        extra_title[i].append(form)
                    text = form
                    if term.companion and companion[j]:
                        text = f"{term.companion} ({form})" if term.companion_style == "before" \
                            else f"{form} ({term.companion})"
                    if term.name in self.planted_papers:
                        recorded.setdefault(int(i), []).append((term.name, bool(term.companion and companion[j])))
                    extra_abs[i].append(_TEMPLATES[templates[j]].format(t=text))
            tpos = 0
            spos = 0
            m_first = month_start(month)
            for i in range(n):
                tw = title_words[tpos : tpos + n_title[i]]
                tpos += n_title[i]
                title = " ".join(tw)
                title = title[0].upper() + title[1:]
                if extra_title[i]:
                    title = f"{' and '.join(extra_title[i])}: {title}"
                sents = list(sentence_arr[sent_idx[spos : spos + n_sent[i]]])
                spos += n_sent[i]
                if extra_abs[i]:
                    for s in extra_abs[i]:
                        sents.insert(int(rng.integers(0, len(sents) + 1)), s)
                abstract = " ".join(sents)
                published = m_first + timedelta(days=int(days[i]) - 1)
                archive = archive_of[primary[i]]
                key = (archive if month < _NEW_STYLE else "", month)
                counters[key] = counters.get(key, 0) + 1
                pid = _arxiv_id(archive, month, counters[key])
                for name, defined in recorded.get(i, ()):
                    self.planted_papers[name][pid] = self.planted_papers[name].get(pid, False) or defined
                yield Paper(
                    id=pid,
                    title=title,
                    abstract=abstract,
                    categories=paper_cats[i],
                    published=published,
                    updated=published,
                    authors=(f"Author {int(rng.integers(1, 50000))}",),
                    comments="synthetic paper generated by uptake",
                    source="synthetic",
                )


def _in_categories(paper_cats: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    for c in paper_cats:
        for w in wanted:
            if c == w or c.startswith(w + "."):
                return True
    return False


_ERA_START = 1992 * 12  # category mix moves from its 1990s weights to its 2020s weights over these years
_ERA_END = 2025 * 12
_NEW_STYLE = 2007 * 12 + 3  # 2007-04: arXiv's YYMM.NNNNN ids, one sequence per month


def _arxiv_id(archive: str, month: int, serial: int) -> str:
    y, m = month // 12, month % 12 + 1
    if month >= _NEW_STYLE:
        return f"{y % 100:02d}{m:02d}.{serial:05d}"
    return f"{archive}/{y % 100:02d}{m:02d}{serial:03d}"


def write_jsonl(corpus: SyntheticCorpus, path: str, *, gzip_level: int = 1) -> int:
    """Write the corpus as uptake's normalised JSON Lines (gzip'd when the name ends in .gz)."""
    import gzip

    import orjson

    opener = (lambda p: gzip.open(p, "wb", compresslevel=gzip_level)) if path.endswith(".gz") else (lambda p: open(p, "wb"))
    n = 0
    with opener(path) as f:
        for paper in corpus.papers():
            f.write(orjson.dumps({
                "id": paper.id, "title": paper.title, "abstract": paper.abstract,
                "categories": list(paper.categories), "published": paper.published.isoformat(),
                "authors": list(paper.authors), "comments": paper.comments, "source": paper.source,
            }) + b"\n")
            n += 1
    return n


# -- full texts ---------------------------------------------------------------------------------------------

#: The body sections of a synthetic full text: (heading, section number, role, share of the body's characters).
FULLTEXT_SECTIONS: tuple[tuple[str, str, str, float], ...] = (
    ("Introduction", "1", "introduction", 0.12),
    ("Related Work", "2", "related", 0.13),
    ("Method", "3", "method", 0.25),
    ("Experiments", "4", "experiments", 0.25),
    ("Discussion", "5", "discussion", 0.10),
    ("Additional Results", "A", "appendix", 0.15),
)


@dataclass(frozen=True)
class PlantedFullTextTerm:
    """A term planted in full texts: ``rate`` of the papers mention it; a mentioning paper has it in each role
    with the probability ``roles[role]`` (roles: abstract, the body roles of :data:`FULLTEXT_SECTIONS`,
    references); in method / experiments / appendix its sentence cites a reference with ``cite_rate``."""

    name: str
    rate: float
    roles: tuple[tuple[str, float], ...]
    cite_rate: float = 0.3


DEFAULT_FULLTEXT_PLANTED: tuple[PlantedFullTextTerm, ...] = (
    PlantedFullTextTerm("GRPO", 0.04, (("abstract", 0.3), ("introduction", 0.8), ("related", 0.6), ("method", 0.5),
                                       ("experiments", 0.6), ("discussion", 0.3), ("appendix", 0.3),
                                       ("references", 0.7))),
    PlantedFullTextTerm("PPO", 0.06, (("abstract", 0.1), ("introduction", 0.5), ("related", 0.8), ("method", 0.3),
                                      ("experiments", 0.4), ("discussion", 0.2), ("appendix", 0.2),
                                      ("references", 0.3))),
    PlantedFullTextTerm("DPO", 0.05, (("abstract", 0.2), ("introduction", 0.6), ("related", 0.7), ("method", 0.4),
                                      ("experiments", 0.5), ("discussion", 0.3), ("appendix", 0.2),
                                      ("references", 0.5))),
    PlantedFullTextTerm("LoRA", 0.08, (("abstract", 0.1), ("introduction", 0.3), ("related", 0.3), ("method", 0.5),
                                       ("experiments", 0.3), ("discussion", 0.1), ("appendix", 0.6),
                                       ("references", 0.5))),
)

_USE_ROLES = ("method", "experiments", "appendix")


@dataclass
class SyntheticFullTexts:
    """Deterministic arXiv-like full texts in unArXive's JSON layout, with planted terms in chosen roles.

    The papers' ids, titles, categories and dates are those of ``SyntheticCorpus(n_papers, start=start,
    seed=seed)``; each gets an abstract, the sections of :data:`FULLTEXT_SECTIONS` (about ``chars``
    characters of body text drawn from the same Zipf vocabulary, a citation every few sentences) and a
    bibliography of ``n_refs`` entries. ``truth[(term, role)]`` counts the papers with the term in that role
    (``"use"``: in a method / experiments / appendix sentence without a citation; ``"any"``: anywhere), and
    ``text_bytes`` the UTF-8 size of all abstract, body and bibliography text (filled while :meth:`records`
    runs).
    """

    n_papers: int = 1000
    seed: int = 0
    start: str = "2023-01"
    chars: int = 26_000
    n_refs: int = 30
    planted: Sequence[PlantedFullTextTerm] = DEFAULT_FULLTEXT_PLANTED
    truth: dict[tuple[str, str], int] = field(default_factory=dict)
    text_bytes: int = 0

    def records(self) -> Iterator[dict[str, object]]:
        """One unArXive-style JSON object per paper."""
        base = SyntheticCorpus(n_papers=self.n_papers, start=self.start, seed=self.seed, planted=(),
                               vocabulary_size=50_000, sentence_pool=20_000)
        rng = np.random.default_rng(self.seed + 1)
        self.truth = {(t.name, r): 0 for t in self.planted for r in (*(x for x, _ in t.roles), "use", "any")}
        self.text_bytes = 0
        # the vocabulary's syllables can spell a planted name ("lo"+"ra"): such words never appear by chance
        names = re.compile(r"(?i)\b(?:" + "|".join(re.escape(t.name) for t in self.planted) + r")\b") \
            if self.planted else None
        pool: list[str] = []  # sentences of the base corpus's abstracts, a sliding window of them
        for paper in base.papers():
            if names is not None and (names.search(paper.abstract) or names.search(paper.title)):
                paper = replace(paper, title=names.sub("kavo", paper.title), abstract=names.sub("kavo", paper.abstract))
            pool.extend(s.strip() + "." for s in paper.abstract.split(".") if len(s) > 20)
            if len(pool) > 20_000:
                pool = pool[-20_000:]
            yield self._one(paper, pool, rng)

    def _one(self, paper: Paper, pool: list[str], rng: np.random.Generator) -> dict[str, object]:
        refs = [f"r{self.seed}x{i}" for i in range(self.n_refs)]
        # cut at a word boundary: a cut word could spell a planted name ("loravi" -> "lora")
        bib = {k: {"bib_entry_raw": " ".join(pool[int(j)] for j in rng.integers(0, len(pool), 2))[:160]
                   .rsplit(" ", 1)[0]} for k in refs}
        planted: dict[str, list[tuple[str, bool]]] = {}  # role -> [(sentence, cites)]
        for term in self.planted:
            if rng.random() >= term.rate:
                continue
            used = mentioned = False
            for role, prob in term.roles:
                if rng.random() >= prob:
                    continue
                mentioned = True
                self.truth[(term.name, role)] += 1
                if role == "references":  # an entry of its own, cited once in the related work
                    k = f"r{self.seed}x{term.name}"
                    bib[k] = {"bib_entry_raw": f"A. Author. {term.name}: a method. 2024."}
                    continue
                cites = role not in _USE_ROLES or rng.random() < term.cite_rate
                used |= role in _USE_ROLES and not cites
                planted.setdefault(role, []).append((f"We train the model with {term.name} on the data.", cites))
            if used:
                self.truth[(term.name, "use")] += 1
            if mentioned:  # (a paper drawn to mention it whose every role draw failed does not)
                self.truth[(term.name, "any")] += 1
        abstract = paper.abstract
        for sent, _ in planted.pop("abstract", []):
            abstract = f"{abstract} {sent}"
        body = []
        for heading, number, role, share in FULLTEXT_SECTIONS:
            budget = int(self.chars * share)
            mine = planted.get(role, [])
            sentences: list[str] = []
            size = 0
            for j in rng.integers(0, len(pool), max(8, budget // 60)):
                s = pool[int(j)]
                if rng.random() < 0.15:
                    s = s[:-1] + " {{cite:" + refs[int(rng.integers(0, len(refs)))] + "}}."
                sentences.append(s)
                size += len(s) + 1
                if size >= budget:
                    break
            for sent, cites in mine:
                if cites:
                    sent = sent[:-1] + " {{cite:" + refs[int(rng.integers(0, len(refs)))] + "}}."
                sentences.insert(int(rng.integers(0, len(sentences) + 1)), sent)
            per = max(1, len(sentences) // 4)  # four paragraphs per section
            for i in range(0, len(sentences), per):
                text = " ".join(sentences[i : i + per])
                self.text_bytes += len(text.encode())
                body.append({"section": heading, "sec_number": number, "sec_type": "section",
                             "content_type": "paragraph", "text": text, "cite_spans": [], "ref_spans": []})
        self.text_bytes += len(abstract.encode()) + sum(len(str(b["bib_entry_raw"]).encode()) for b in bib.values())
        created = f"{paper.published:%a, %d %b %Y} 12:00:00 GMT"
        return {"paper_id": paper.id, "metadata": {"id": paper.id, "title": paper.title,
                                                    "categories": " ".join(paper.categories),
                                                    "versions": [{"version": "v1", "created": created}]},
                "abstract": {"text": abstract}, "body_text": body, "bib_entries": bib, "ref_entries": {}}


def write_fulltexts_jsonl(texts: SyntheticFullTexts, path: str, *, gzip_level: int = 1) -> int:
    """Write ``texts`` as unArXive JSON Lines (gzip'd when the name ends in .gz), for ``uptake fulltext import``."""
    import gzip

    import orjson

    opener = (lambda p: gzip.open(p, "wb", compresslevel=gzip_level)) if path.endswith(".gz") else (lambda p: open(p, "wb"))
    n = 0
    with opener(path) as f:
        for rec in texts.records():
            f.write(orjson.dumps(rec) + b"\n")
            n += 1
    return n


__all__ = [
    "DEFAULT_FULLTEXT_PLANTED",
    "DEFAULT_PLANTED",
    "PlantedFullTextTerm",
    "PlantedTerm",
    "SyntheticCorpus",
    "SyntheticFullTexts",
    "date",
    "month_label",
    "write_fulltexts_jsonl",
    "write_jsonl",
]
