"""Golden outputs: which commands, how the stores are built, how output is normalised.

Shared by ``tests/golden/make_golden.py`` (writes the golden files) and ``tests/test_golden.py``
(re-runs every command and compares bytes). Both must use exactly these functions, or the comparison
means nothing.

Two corpora:

- ``demo``: the store ``uptake demo`` builds (``uptake.demo.build_demo_store``, 6,000 synthetic papers,
  deterministic) plus ``extra_papers.jsonl`` (11 hand-written papers with code / weights / data / demo
  links and promises, imported through ``uptake import``), so openness, links and ``has:`` have something
  to find: the synthetic generator writes no links.
- ``real``: every ``*.jsonl.gz`` of ``../shared/data/arxiv-real`` imported with ``Corpus.import_files``,
  the same call as the ``real_corpus`` fixture in ``tests/conftest.py`` (the test reuses that fixture).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
REPO = GOLDEN.parents[1]
EXTRA_PAPERS = GOLDEN / "extra_papers.jsonl"
REAL_DATA = REPO.parent / "shared" / "data" / "arxiv-real"

# Files of a report folder kept as golden files (figure.png / figure.svg are not: their bytes depend on the
# matplotlib and font versions; data.csv and data.json are kept through their SHA-256 in the manifest).
REPORT_FILES = ("manifest.json", "README.md", "adoption.json")
IMPORT_GOLDEN = "import_extra.json"  # the demo's `uptake import --json extra_papers.jsonl` summary


@dataclass(frozen=True)
class Case:
    """One command. ``argv`` has ``{db}`` for the store (and ``{out}`` for a report folder)."""

    name: str  # golden file name (with extension), or folder name for a report
    argv: tuple[str, ...]

    @property
    def is_report(self) -> bool:
        return self.argv[0] == "report"

    def golden_files(self, corpus: str) -> list[Path]:
        base = GOLDEN / corpus
        if self.is_report:
            return [base / self.name / f for f in REPORT_FILES]
        return [base / self.name]


def _c(name: str, *argv: str) -> Case:
    return Case(name, tuple(argv))


DEMO_CASES: tuple[Case, ...] = (
    _c("stats.json", "stats", "--db", "{db}", "--format", "json"),
    # trend: several series, an OR, a phrase, cat:, quarters, case-sensitive, wildcard, arithmetic, smoothing
    _c("trend_multi.csv", "trend", 'GRPO, DPO | "direct preference optimization", PPO', "--db", "{db}",
       "--format", "csv"),
    _c("trend_multi.json", "trend", 'GRPO, DPO OR "direct preference optimization", PPO', "--from", "2024-01",
       "--db", "{db}", "--format", "json"),
    _c("trend_phrase_cat_quarter.csv", "trend", '"group relative policy optimization", GRPO cat:cs.CL, LoRa cat:cs.NI',
       "--by", "quarter", "--db", "{db}", "--format", "csv"),
    _c("trend_case.json", "trend", "=LoRA, =LoRa, =LORA, LoRA", "--by", "year", "--db", "{db}", "--format", "json"),
    _c("trend_wildcard.csv", "trend", "GR*O, \"* policy optimization\"", "--from", "2025-01", "--db", "{db}",
       "--format", "csv"),
    _c("trend_arithmetic.json", "trend", "GRPO / PPO, (GRPO + DPO + PPO), GRPO - DPO", "--by", "quarter",
       "--db", "{db}", "--format", "json"),
    _c("trend_smooth_count.csv", "trend", "GRPO, DPO", "--smooth", "3", "--measure", "count", "--from", "2024-06",
       "--db", "{db}", "--format", "csv"),
    _c("trend_category.csv", "trend", "LoRA, =LoRa", "--category", "cs", "--category", "eess.SP", "--db", "{db}",
       "--format", "csv"),
    _c("trend_boolean_field.csv", "trend", "(GRPO | DPO) AND NOT PPO, title:GRPO, GRPO has:code", "--from", "2025-01",
       "--db", "{db}", "--format", "csv"),
    _c("trend_field_abstract.json", "trend", "GRPO, LoRA", "--field", "abstract", "--by", "year", "--db", "{db}",
       "--format", "json"),
    # papers
    _c("papers_month.json", "papers", "GRPO", "--month", "2025-07", "--limit", "10", "--db", "{db}",
       "--format", "json"),
    _c("papers_range.json", "papers", '"direct preference optimization"', "--from", "2024-01", "--to", "2024-06",
       "--limit", "5", "--db", "{db}", "--format", "json"),
    _c("papers_has_code.json", "papers", "GRPO, DPO, LoRA", "--has", "code", "--db", "{db}", "--format", "json"),
    _c("papers_quarter.csv", "papers", "LoRa", "--by", "quarter", "--month", "2025-Q4", "--limit", "8",
       "--db", "{db}", "--format", "csv"),
    # analytics
    _c("adoption.json", "adoption", "GRPO, DPO, PPO, LoRA", "--db", "{db}", "--format", "json"),
    _c("adoption.csv", "adoption", "GRPO, LoRa", "--no-senses", "--db", "{db}", "--format", "csv"),
    _c("adoption_substitution.csv", "adoption", "GRPO, DPO, PPO", "--substitution", "--no-senses", "--db", "{db}",
       "--format", "csv"),
    _c("emerging.json", "emerging", "--db", "{db}", "--format", "json"),
    _c("emerging.csv", "emerging", "--db", "{db}", "--format", "csv"),
    _c("senses_lora.json", "senses", "LoRA", "--db", "{db}", "--format", "json"),
    _c("senses_grpo.json", "senses", "GRPO", "--db", "{db}", "--format", "json"),
    # openness, links, report
    _c("openness.csv", "openness", "GRPO, DPO, LoRA", "--by", "quarter", "--from", "2025-01", "--db", "{db}",
       "--format", "csv"),
    _c("openness_all.json", "openness", "--by", "year", "--db", "{db}", "--format", "json"),
    _c("links.json", "links", "GRPO | LoRA | DPO", "--from", "2025-06", "--limit", "10", "--db", "{db}",
       "--format", "json"),
    _c("links_has_weights.json", "links", "LoRA", "--has", "weights", "--db", "{db}", "--format", "json"),
    _c("report_grpo", "report", "GRPO, DPO, PPO", "--from", "2023-01", "--db", "{db}", "--out", "{out}"),
)

REAL_CASES: tuple[Case, ...] = (
    _c("stats.json", "stats", "--db", "{db}", "--format", "json"),
    _c("trend_multi.csv", "trend", 'GRPO, DPO | "direct preference optimization", PPO', "--from", "2024-01",
       "--db", "{db}", "--format", "csv"),
    _c("trend_multi.json", "trend", 'GRPO, DPO OR "direct preference optimization"', "--from", "2025-01",
       "--category", "cs", "--db", "{db}", "--format", "json"),
    _c("trend_phrase_cat_quarter.csv", "trend",
       '"group relative policy optimization", GRPO cat:cs.CL, "reward model" cat:cs.CV -cat:cs.CL',
       "--by", "quarter", "--from", "2023-01", "--db", "{db}", "--format", "csv"),
    _c("trend_case.json", "trend", "=LoRA, =LoRa, =LORA, LoRA", "--by", "year", "--from", "2015-01", "--db", "{db}",
       "--format", "json"),
    _c("trend_wildcard.csv", "trend", "GR*O, \"* policy optimization\"", "--from", "2025-01", "--db", "{db}",
       "--format", "csv"),
    _c("trend_arithmetic.json", "trend", "GRPO / PPO, (DPO + IPO + KTO), GRPO - PPO", "--from", "2025-01",
       "--by", "quarter", "--db", "{db}", "--format", "json"),
    _c("trend_smooth_count.csv", "trend", "GRPO, DPO", "--smooth", "3", "--measure", "count", "--from", "2025-01",
       "--db", "{db}", "--format", "csv"),
    _c("trend_category.csv", "trend", "GRPO, LoRA, =LoRa", "--category", "cs.CL", "--category", "eess.SP",
       "--from", "2025-01", "--db", "{db}", "--format", "csv"),
    _c("trend_boolean_field.csv", "trend", "RLHF AND NOT PPO, title:GRPO, GRPO has:code, GRPO -has:code",
       "--from", "2025-03", "--db", "{db}", "--format", "csv"),
    # papers
    _c("papers_month.json", "papers", "GRPO", "--month", "2025-05", "--limit", "10", "--db", "{db}",
       "--format", "json"),
    _c("papers_has_code.json", "papers", '"direct preference optimization"', "--month", "2026-03", "--has", "code",
       "--limit", "10", "--db", "{db}", "--format", "json"),
    _c("papers_early.csv", "papers", "GRPO", "--to", "2024-12", "--limit", "15", "--db", "{db}", "--format", "csv"),
    # analytics
    _c("adoption.json", "adoption", "GRPO, DPO, PPO", "--from", "2023-01", "--db", "{db}", "--format", "json"),
    _c("adoption_origin.csv", "adoption", "GRPO", "--origin", "2402.03300", "--no-senses", "--db", "{db}",
       "--format", "csv"),
    _c("emerging.json", "emerging", "--db", "{db}", "--format", "json"),
    _c("senses_lora.json", "senses", "LoRA", "--db", "{db}", "--format", "json"),
    _c("senses_grpo.json", "senses", "GRPO", "--db", "{db}", "--format", "json"),
    # openness, links, report
    _c("openness.csv", "openness", "GRPO, DPO, LoRA", "--category", "cs", "--by", "quarter", "--from", "2025-04",
       "--to", "2026-06", "--db", "{db}", "--format", "csv"),
    _c("openness_all.json", "openness", "--by", "year", "--from", "2023-01", "--db", "{db}", "--format", "json"),
    _c("links.json", "links", "GRPO", "--month", "2025-05", "--has", "weights", "--limit", "10", "--db", "{db}",
       "--format", "json"),
    _c("report_grpo", "report", "GRPO, PPO, DPO", "--from", "2025-01", "--category", "cs", "--db", "{db}",
       "--out", "{out}"),
)

CASES = {"demo": DEMO_CASES, "real": REAL_CASES}


# -- normalisation ---------------------------------------------------------------------------------------------------
_ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
_VOLATILE_KEYS = re.compile(
    r'^(?P<indent>[ ]*)"(?P<key>seconds|uptake_version|semantics_version|openness_version)": (?P<value>[^\n]*?)(?P<comma>,?)$',
    re.MULTILINE,
)
_STAGES = re.compile(r'"stages": \{[^{}]*\}')
_UNSTABLE_FILE_HASHES = re.compile(r'^(?P<head>[ ]*"(?:figure\.png|figure\.svg|README\.md)": )"[0-9a-f]{64}"', re.MULTILINE)


def normalise(text: str, paths: Sequence[tuple[str, str | Path]] = ()) -> str:
    """Remove from a command's output what legitimately differs between two runs, and nothing else.

    What it removes, and why:

    - absolute paths given in ``paths`` as (NAME, path) pairs (the store, the report folder, the repository)
      become ``<NAME>``:
      they are temporary folders, different on every run and machine (``stats`` prints the store path,
      a report's manifest records ``store``, ``import --json`` lists the files it read);
    - ISO date-times (``2026-11-30T14:31:28Z``) become ``<timestamp>``: a report's manifest and README
      say when they were made. Plain dates (``2025-05-03``) are data and stay;
    - the values of ``seconds`` and ``stages`` (``emerging``'s wall-clock timings) become ``"<timing>"``;
    - the values of ``uptake_version``, ``semantics_version`` and ``openness_version`` (a report's manifest;
      ``openness --format json`` has the last) become ``"<version>"``: a release may bump a version string
      without changing a number, and a change of what is matched or detected shows in the numbers anyway;
    - the SHA-256 of ``figure.png``, ``figure.svg`` and ``README.md`` in a manifest become ``"<sha256>"``:
      the figures' bytes depend on matplotlib and font versions, and README.md holds the creation time.
      The hashes of data.csv, data.json and adoption.json are numbers-only and are kept.

    Everything else is kept byte for byte: the edits are textual (the JSON is not parsed and re-written),
    so a change of float formatting, key order or indentation still shows.
    """
    for name, path in sorted(paths, key=lambda kv: -len(str(kv[1]))):  # longest first: nested folders
        text = text.replace(str(path), f"<{name}>")
    text = _ISO_DATETIME.sub("<timestamp>", text)
    text = _VOLATILE_KEYS.sub(lambda m: f'{m["indent"]}"{m["key"]}": "<{_kind(m["key"])}>"{m["comma"]}', text)
    text = _STAGES.sub('"stages": "<timing>"', text)
    return _UNSTABLE_FILE_HASHES.sub(r'\g<head>"<sha256>"', text)


def temp_paths(**named: Path) -> list[tuple[str, str | Path]]:
    """(NAME, path) pairs for :func:`normalise`, each path also as resolved (a report records ``store`` resolved,
    and /tmp may be a symlink)."""
    return [(name, p) for name, path in named.items() for p in dict.fromkeys((str(path), str(path.resolve())))]


def _kind(key: str) -> str:
    return "timing" if key == "seconds" else "version"


# -- running commands ------------------------------------------------------------------------------------------------
class CommandFailed(AssertionError):
    pass


def run_cli(argv: Sequence[str], *, in_process: bool = True) -> str:
    """Run ``uptake ARGV`` and return its standard output; fail unless it exits 0.

    In process (``uptake.cli.main(argv)`` with stdout captured) by default: it is what ``python -m uptake``
    runs, without a new interpreter per command. ``in_process=False`` runs ``python -m uptake`` instead.
    """
    if not in_process:
        done = subprocess.run([sys.executable, "-m", "uptake", *argv], capture_output=True, text=True,
                              encoding="utf-8", env={**os.environ, "COLUMNS": "200"}, check=False)
        if done.returncode != 0:
            raise CommandFailed(f"uptake {' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
        return done.stdout
    from uptake.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    if code != 0:
        raise CommandFailed(f"uptake {' '.join(argv)} exited {code}:\n{err.getvalue()}")
    return out.getvalue()


def run_case(case: Case, db: Path, workdir: Path, *, in_process: bool = True) -> dict[Path, str]:
    """Run ``case`` on the store ``db``; return {golden file path relative to tests/golden/<corpus>: text}.

    ``workdir`` is an empty temporary folder for a report. The texts are normalised.
    """
    out = workdir / case.name
    argv = [a.replace("{db}", str(db)).replace("{out}", str(out)) for a in case.argv]
    paths = temp_paths(STORE=db, OUT=out, REPO=REPO, TMP=workdir)
    stdout = run_cli(argv, in_process=in_process)
    if not case.is_report:
        return {Path(case.name): normalise(stdout, paths)}
    return {Path(case.name) / f: normalise((out / f).read_text(encoding="utf-8"), paths) for f in REPORT_FILES}


# -- building the stores ---------------------------------------------------------------------------------------------
def build_demo(path: Path) -> str:
    """The demo store plus the hand-written papers with links; returns the normalised import summary."""
    from uptake.demo import build_demo_store

    build_demo_store(path)
    summary = run_cli(["import", "--db", str(path), "--quiet", "--json", str(EXTRA_PAPERS)])
    return normalise(summary, temp_paths(STORE=path, REPO=REPO))


def real_files() -> list[Path]:
    return sorted(REAL_DATA.glob("*.jsonl.gz"))


def build_real(path: Path) -> None:
    """The shared real corpus, imported as ``tests/conftest.py``'s ``real_corpus`` fixture imports it."""
    from uptake.corpus import Corpus

    files = real_files()
    if not files:
        raise SystemExit(f"the shared real corpus is not at {REAL_DATA}")
    Corpus(path).import_files(files)
