"""Full-text sources: section roles, unarXive JSONL, LaTeX e-prints, bulk tarballs, PDFs, bad inputs.

Self-contained fixtures are built in tmp dirs; the real-sample tests read ../shared/data/fulltext
and skip when it is absent.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from uptake.records import FORMULA, FullText
from uptake.sections import RULES, normalize_heading, role_of
from uptake.sources.eprint import (
    ExtractionSummary,
    extract_eprint,
    id_year_month,
    iter_bulk_tar,
    iter_eprints,
    paper_id_from_name,
    read_eprint,
    sniff,
)
from uptake.sources.latex import Limits, extract_latex, strip_comments
from uptake.sources.unarxive import read_unarxive

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "fulltext"  # ../shared beside the checkout


# ------------------------------------------------------------------------------------------------ roles


@pytest.mark.parametrize(
    ("heading", "role"),
    [
        ("1 Introduction", "introduction"),
        ("2. Related Work", "related"),
        ("Background", "related"),
        ("3.1 Preliminaries", "method"),
        ("Methodology", "method"),
        ("Our Approach", "method"),
        ("4 Experiments", "experiments"),
        ("Experimental Setup", "experiments"),
        ("Results and Discussion", "experiments"),
        ("Ablation Studies", "experiments"),
        ("V. Conclusions and Future Work", "discussion"),
        ("Limitations", "discussion"),
        ("References", "references"),
        ("Bibliography", "references"),
        ("Appendix A: Proofs", "appendix"),
        ("Supplementary Material", "appendix"),
        ("Acknowledgements", "other"),
        ("Proof of Theorem 2", "other"),
        ("\\textbf{Evaluation} on $\\mathcal{D}$", "experiments"),
        ("Abstract", "abstract"),
    ],
)
def test_role_of_headings(heading: str, role: str) -> None:
    assert role_of(heading) == role


def test_role_inheritance_appendix_and_overrides() -> None:
    assert role_of("Training details", parent="method") == "method"
    assert role_of("Main results", parent="method") == "experiments"  # own heading decisive
    assert role_of("Hyperparameters", parent=None) == "other"
    assert role_of("Training details", parent="experiments") == "experiments"
    assert role_of("RL and Sequence-Level Training for ASR", parent="related") == "related"
    assert role_of("Related work", parent="introduction") == "related"
    assert role_of("Experimental setup", parent="other") == "experiments"
    assert role_of("Experiments", in_appendix=True) == "appendix"
    assert role_of("References", in_appendix=True) == "references"
    assert role_of("The density model") == "method"
    assert role_of("The density model", overrides={"the density model": "other"}) == "other"
    mine = (("experiments", ("numerics",)), *RULES)
    assert role_of("Numerics", rules=mine) == "experiments"
    assert normalize_heading("3.1.2.  Related  {{formula:abc}} Work") == "related work"
    assert normalize_heading("IV. RESULTS") == "results"


# ------------------------------------------------------------------------------------------------ unarXive


def _unarxive_obj(pid: str = "2212.00001") -> dict:
    return {
        "paper_id": pid,
        "metadata": {"id": pid, "title": "A  test\n paper", "categories": "cs.LG stat.ML",
                     "versions": [{"version": "v1", "created": "Thu, 22 Dec 2022 17:01:56 GMT"}]},
        "abstract": {"section": "Abstract", "text": "We study $x^2$ with GRPO.", "cite_spans": []},
        "body_text": [
            {"section": "Introduction", "sec_number": "1", "sec_type": "section", "content_type": "paragraph",
             "text": "GRPO {{cite:b1}} improves {{formula:f1}} over PPO {{cite:b2}}.{{figure:fig1}}",
             "cite_spans": [], "ref_spans": []},
            {"section": "Method", "sec_number": "2", "sec_type": "section", "content_type": "paragraph",
             "text": "We train with DPO.", "cite_spans": [], "ref_spans": []},
            {"section": "Training details", "sec_number": "2.1", "sec_type": "subsection",
             "content_type": "paragraph", "text": "Learning rate {{formula:f2}}.", "cite_spans": [], "ref_spans": []},
            {"section": "Extra proofs", "sec_number": "A", "sec_type": "section", "content_type": "paragraph",
             "text": "Proof details.", "cite_spans": [], "ref_spans": []},
        ],
        "bib_entries": {"b1": {"bib_entry_raw": "Shao et al. DeepSeekMath. 2024."},
                        "b2": {"bib_entry_raw": "Schulman et al. PPO. 2017."}},
        "ref_entries": {"f1": {"latex": "x", "type": "formula"}, "f2": {"latex": "y", "type": "formula"},
                        "fig1": {"caption": "Reward curves of GRPO.", "type": "figure"},
                        "tab1": {"caption": "Unreferenced table.", "type": "table"}},
    }


def test_unarxive_reader_resolves_markers_and_roles(tmp_path: Path) -> None:
    path = tmp_path / "sample.jsonl.gz"
    s2orc = {"paper_id": "s2-1", "title": "S2ORC paper", "abstract": [{"text": "An abstract."}],
             "body_text": [{"section": "Experiments", "text": "As shown by Smith [1], it works.",
                            "cite_spans": [{"start": 28, "end": 31, "text": "[1]", "ref_id": "BIBREF0"}]}],
             "bib_entries": {"BIBREF0": {"title": "A title", "authors": [{"first": "J", "last": "Smith"}], "year": 2020}}}
    lines = [json.dumps(_unarxive_obj()), "{not json", "[1, 2]", json.dumps({"body_text": []}), "", json.dumps(s2orc)]
    with gzip.open(path, "wt") as f:
        f.write("\n".join(lines) + "\n")
    items = list(read_unarxive(path))
    texts = [r for _, r in items if isinstance(r, FullText)]
    rejected = [r for _, r in items if not isinstance(r, FullText)]
    assert [r.line for r in rejected] == [2, 3, 4]
    assert all(str(r).startswith("sample.jsonl.gz:") for r in rejected)
    ft, s2 = texts
    assert ft.status == "ok" and ft.title == "A test paper" and ft.categories == ("cs.LG", "stat.ML")
    assert ft.published is not None and ft.published.isoformat() == "2022-12-22"
    assert ft.abstract == f"We study {FORMULA} with GRPO."
    by_role = {p.role: p for p in ft.paragraphs}
    intro = by_role["introduction"]
    assert intro.cites == ("b1", "b2") and "[cite:b1]" in intro.text and FORMULA in intro.text
    assert "{{" not in intro.text
    assert [p.section for p in ft.paragraphs if p.role == "method"] == ["Method", "Training details"]
    assert [p.role for p in ft.paragraphs if p.section == "Training details"] == ["method"]  # inherits from 2
    assert [p.role for p in ft.paragraphs if p.section == "Extra proofs"] == ["appendix"]
    captions = [p.text for p in ft.paragraphs if p.role == "captions"]
    assert captions == ["Reward curves of GRPO.", "Unreferenced table."]
    assert {b.key for b in ft.bibliography} == {"b1", "b2"}
    exp = [p for p in s2.paragraphs if p.role == "experiments"]
    assert s2.id == "s2-1" and exp[0].cites == ("BIBREF0",) and "Smith" in s2.bibliography[0].text
    refs = [p for p in s2.paragraphs if p.role == "references"]
    assert [(p.cites, p.section) for p in refs] == [(("BIBREF0",), "References")]


# ------------------------------------------------------------------------------------------------ LaTeX


MAIN = r"""
\documentclass{article}
\usepackage{amsmath}
\newcommand{\grpo}{GRPO}
\newcommand{\both}[2]{#1 and #2}
\def\lora{LoRA}
\title{Training \grpo{} Models}
\begin{document}
\maketitle
\begin{abstract}
We use \grpo\ and \lora.
\end{abstract}
\section{Introduction}
Policy optimisation \cite{shao2024, schulman2017} is popular. 50\% of papers % \cite{hidden}
use it\footnote{As of 2025 \citep[see][]{ppo}.}.
\begin{comment}
secret text
\end{comment}

Second paragraph with $x^2$ and \[ y = 1 \] math.
\input{sections/method}
\include{results.tex}
\input{missing_file}
\begin{appendices}
\section{More details}
Extra \both{PPO}{DPO} details.
\begin{figure}[t]
\centering
\includegraphics{fig.png}
\caption{Reward of \grpo{} over time \cite{ppo}.}
\end{figure}
\begin{thebibliography}{9}
\bibitem{shao2024} Z. Shao et al. \emph{DeepSeekMath}. 2024.
\bibitem[Schulman(2017)]{schulman2017} J. Schulman. Proximal policy optimization. 2017.
\bibitem{ppo} Another entry.
\end{thebibliography}
\end{appendices}
\end{document}
"""

METHOD = r"""
\section{Method}
We optimise with \grpo.
\begin{equation}
L = \sum_i r_i
\end{equation}
\subsection{Training details}
We train for 3 epochs.
\input{sections/loop}
"""

LOOP = r"""\input{sections/method}Loop text."""

RESULTS = r"""
\section{Experiments}
\subsection{Main results}
Our model wins.
\begin{table}\caption{Scores.}\begin{tabular}{cc}1 & 2\end{tabular}\end{table}
"""

STANDALONE = r"""\documentclass{standalone}
\begin{document}\input{sections/method}\end{document}"""


def _tree() -> dict[str, bytes]:
    return {"main.tex": MAIN.encode(), "sections/method.tex": METHOD.encode(), "sections/loop.tex": LOOP.encode(),
            "results.tex": RESULTS.encode(), "figs/standalone.tex": STANDALONE.encode()}


def _targz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_latex_tree_structure_cites_math_macros() -> None:
    ft = extract_latex(_tree(), "2502.00001")
    assert ft.title == "Training GRPO Models"
    assert ft.abstract == "We use GRPO and LoRA."
    assert ft.status == "partial"
    assert any("missing_file" in p and "1 \\input file(s) missing" in p for p in ft.problems)
    assert any("cycle" in p for p in ft.problems)
    roles = [(p.role, p.section) for p in ft.paragraphs]
    assert ("introduction", "Introduction") in roles
    assert ("method", "Training details") in roles  # subsection inherits method
    assert ("experiments", "Main results") in roles
    assert ("appendix", "More details") in roles
    intro = [p for p in ft.paragraphs if p.role == "introduction"]
    assert "hidden" not in " ".join(p.text for p in ft.paragraphs)
    assert "secret" not in " ".join(p.text for p in ft.paragraphs)
    # a footnote is a paragraph of its own right after the one it is anchored in, same role and section
    assert intro[0].text.endswith("50% of papers use it.")
    assert intro[0].cites == ("shao2024", "schulman2017")
    assert (intro[1].text, intro[1].cites) == ("[footnote] As of 2025 [cite:ppo].", ("ppo",))
    assert FORMULA in intro[2].text and "x^2" not in intro[2].text
    method = " ".join(p.text for p in ft.paragraphs if p.section == "Method")
    assert "GRPO" in method and FORMULA in method and "sum" not in method
    appendix = " ".join(p.text for p in ft.paragraphs if p.role == "appendix")
    assert "PPO and DPO" in appendix
    caps = [p for p in ft.paragraphs if p.role == "captions"]
    assert [c.text for c in caps] == ["Scores.", "Reward of GRPO over time [cite:ppo]."]
    assert caps[1].cites == ("ppo",) and caps[1].section == "More details"
    assert [b.key for b in ft.bibliography] == ["shao2024", "schulman2017", "ppo"]
    assert "DeepSeekMath" in ft.bibliography[0].text


def test_latex_bbl_and_bib_fallbacks() -> None:
    body = r"""\documentclass{article}\begin{document}\section{Introduction}Text \citep[see][]{a}.
\bibliography{refs}\end{document}"""
    bbl = r"""\begin{thebibliography}{1}\bibitem[A(2020)]{a} A. Author. \newblock Title A. 2020.\end{thebibliography}"""
    bib = "@article{a, title={Title {A}}, author={Author, A.}, year=2020}\n@misc{b, title={Never cited}}"
    with_bbl = extract_latex({"paper.tex": body.encode(), "paper.bbl": bbl.encode()}, "x")
    assert with_bbl.status == "ok" and with_bbl.bibliography[0].key == "a" and "Title A" in with_bbl.bibliography[0].text
    with_bib = extract_latex({"paper.tex": body.encode(), "refs.bib": bib.encode()}, "x")
    assert [b.key for b in with_bib.bibliography] == ["a"]  # only the cited entries of the .bib
    nothing = extract_latex({"paper.tex": body.encode()}, "x")
    assert nothing.status == "partial" and any("no bibliography" in p for p in nothing.problems)


def test_comments_keep_escaped_percent() -> None:
    assert strip_comments("a 5\\% b % gone\nc\\\\% gone too\n") == "a 5\\% b \nc\\\\\n"


def test_latex_pathological_inputs_do_not_hang() -> None:
    recursive = r"""\documentclass{article}\def\a{\a x}\begin{document}\section{Introduction}Start \a end.
\end{document}"""
    ft = extract_latex({"m.tex": recursive.encode()}, "r", limits=Limits(max_macro_expansions=1000, max_tex_chars=100_000))
    assert ft.status in ("partial", "failed") and any("recursive macro" in p or "cut" in p for p in ft.problems)
    unclosed = r"""\documentclass{article}\begin{document}\section{Introduction}Text {never closed
\begin{itemize}\item one
\section{Method} more text"""
    ft = extract_latex({"m.tex": unclosed.encode()}, "u")
    assert ft.status == "partial"
    assert any("brace" in p for p in ft.problems) and any("never closed" in p for p in ft.problems)
    assert "Text" in " ".join(p.text for p in ft.paragraphs)
    deep = r"\documentclass{article}\begin{document}\section{Introduction}" + "{" * 5000 + "x" + "}" * 5000 + r"\end{document}"
    ft = extract_latex({"m.tex": deep.encode()}, "d")
    assert ft.status in ("ok", "partial", "failed")


def test_two_documentclass_files_and_no_extension_inputs() -> None:
    files = {
        "old_version.tex": rb"\documentclass{article}\begin{document}\section{Introduction}Old.\end{document}",
        "main.tex": rb"\documentclass{article}\begin{document}\input{intro}\end{document}",
        "intro.tex": rb"\section{Introduction}New text \cite{k}.",
        "main.bbl": rb"\begin{thebibliography}{1}\bibitem{k} K.\end{thebibliography}",
    }
    ft = extract_latex(files, "two")
    assert "New text" in " ".join(p.text for p in ft.paragraphs)
    assert ft.status == "ok"


# ------------------------------------------------------------------------------------------------ e-prints


def test_paper_ids_and_months() -> None:
    assert paper_id_from_name("2502.01234.tar.gz") == "2502.01234"
    assert paper_id_from_name("2502.01234v3.gz") == "2502.01234"
    assert paper_id_from_name("cond-mat_0104295.gz") == "cond-mat/0104295"
    assert paper_id_from_name("9901/hep-th9901001.gz") == "hep-th/9901001"
    assert paper_id_from_name("README.md") is None
    assert id_year_month("2502.01234") == (2025, 2)
    assert id_year_month("0704.0001") == (2007, 4)
    assert id_year_month("hep-th/9108001") == (1991, 8)
    assert id_year_month("cond-mat/0104295") == (2001, 4)
    assert id_year_month("2513.00001") is None and id_year_month("nonsense") is None


def _pdf_with_text(path: Path, lines: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8.5, 11))
    y = 0.97
    for line in lines:
        fig.text(0.08, y, line, fontsize=9)
        y -= 0.022
    fig.savefig(path, format="pdf")
    plt.close(fig)


def _pdf_image_only(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig = plt.figure(figsize=(4, 4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(np.random.default_rng(0).random((32, 32)))
    ax.axis("off")
    fig.savefig(path, format="pdf")
    plt.close(fig)


PDF_LINES = [
    "Group Relative Policy Optimisation in Practice",
    "Abstract",
    "We train language models with GRPO and compare with PPO.",
    "1 Introduction",
    "Reinforcement learning from human feedback is common [1]. Many methods exist,",
    "and GRPO removes the critic [2, 3].",
    "",
    "2 Method",
    "We use GRPO with group size 8.",
    "2.1 Training details",
    "We train for three epochs on one node.",
    "3 Experiments",
    "GRPO beats PPO on all benchmarks.",
    "References",
    "[1] L. Ouyang et al. Training language models to follow instructions. 2022.",
    "[2] Z. Shao et al. DeepSeekMath. 2024.",
    "[3] J. Schulman et al. Proximal policy optimization",
    "algorithms. 2017.",
]


def test_pdf_text_layer_headings_and_references(tmp_path: Path) -> None:
    path = tmp_path / "2502.00009.pdf"
    _pdf_with_text(path, PDF_LINES)
    ft = read_eprint(path)
    assert ft.source_kind == "pdf" and ft.status in ("ok", "partial"), ft.problems
    assert ft.title.startswith("Group Relative")
    assert "GRPO" in ft.abstract
    roles = {(p.role, p.section) for p in ft.paragraphs}
    assert ("introduction", "1 Introduction") in roles
    assert ("method", "2.1 Training details") in roles
    assert ("experiments", "3 Experiments") in roles
    assert [b.key for b in ft.bibliography] == ["1", "2", "3"]
    assert "Proximal policy optimization algorithms" in ft.bibliography[2].text
    intro = [p for p in ft.paragraphs if p.role == "introduction"]
    assert {"1", "2", "3"} <= {c for p in intro for c in p.cites}


def test_bad_inputs_in_one_batch_each_counted_with_reason(tmp_path: Path) -> None:
    good = _targz(_tree())
    (tmp_path / "2502.00001.tar.gz").write_bytes(good)
    (tmp_path / "2502.00002.gz").write_bytes(gzip.compress(b"\\documentclass{article}")[:-12])  # corrupt gzip
    (tmp_path / "2502.00003.tar.gz").write_bytes(_targz({"fig.png": b"\x89PNG", "README": b"hello"}))
    (tmp_path / "2502.00004.gz").write_bytes(gzip.compress(
        rb"\documentclass{article}\begin{document}\section{Introduction} Text {never \textbf{closed" b"\n"))
    (tmp_path / "2502.00005.gz").write_bytes(gzip.compress(b"\\documentclass{article}\n" + b"%" * 3_000_000))
    _pdf_image_only(tmp_path / "2502.00006.pdf")
    (tmp_path / "2502.00007.gz").write_bytes(gzip.compress(b"<!DOCTYPE html><html><body>No source</body></html>"))
    (tmp_path / "2502.00008").write_bytes(b"")
    (tmp_path / "MANIFEST.tsv").write_text("not an e-print\n")
    limits = Limits(max_bytes=1_000_000)
    texts = {ft.id: ft for ft in iter_eprints(tmp_path, limits=limits)}
    assert len(texts) == 8
    assert texts["2502.00001"].status == "partial" and texts["2502.00001"].paragraphs
    expect = {
        "2502.00002": ("failed", "corrupt gzip"),
        "2502.00003": ("failed", "no .tex file"),
        "2502.00004": ("partial", "brace"),
        "2502.00005": ("failed", "size limit"),
        "2502.00006": ("failed", "no text layer (scanned?)"),
        "2502.00007": ("failed", "HTML"),
        "2502.00008": ("failed", "empty file"),
    }
    for pid, (status, reason) in expect.items():
        ft = texts[pid]
        assert ft.status == status, (pid, ft.problems)
        assert any(reason in p for p in ft.problems), (pid, ft.problems)
    summary = ExtractionSummary.of(texts.values())
    assert summary.statuses == {"failed": 6, "partial": 2}
    assert len(summary.reasons) == 8


def test_gzip_bomb_is_stopped_by_the_size_limit() -> None:
    bomb = gzip.compress(b"\\documentclass{article}" + b" " * 50_000_000)
    ft = extract_eprint(bomb, "2502.00010", limits=Limits(max_bytes=2_000_000))
    assert ft.status == "failed" and "size limit" in ft.problems[0]
    assert sniff(b"%PDF-1.4") == "pdf" and sniff(b"  ") == "empty" and sniff(b"\x00\x01garbage") == "unknown"


def test_bulk_tarball_streams_member_by_member(tmp_path: Path) -> None:
    path = tmp_path / "arXiv_src_2502_001.tar"
    members = {
        "2502/2502.00001.gz": _targz(_tree()),
        "2502/2502.00002.gz": gzip.compress(rb"\documentclass{article}\begin{document}\section{Introduction}One.\end{document}"),
        "9901/hep-th9901001.gz": gzip.compress(rb"\documentclass{article}\begin{document}\section{Results}Old.\end{document}"),
        "2502/2502.00003.gz": b"\x1f\x8bgarbage",
    }
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    out = list(iter_eprints(path))
    assert [ft.id for ft in out] == ["2502.00001", "2502.00002", "hep-th/9901001", "2502.00003"]
    assert [ft.status for ft in out] == ["partial", "partial", "partial", "failed"]
    assert out[2].paragraphs[0].role == "experiments"
    assert out[1].source == "arXiv_src_2502_001.tar:2502/2502.00002.gz"
    with path.open("rb") as f:  # also from an open stream (e.g. read from S3 with fsspec)
        assert len(list(iter_bulk_tar(f))) == 4


# ------------------------------------------------------------------------------------------------ real samples

needs_samples = pytest.mark.skipif(not (SHARED / "arxiv-src").is_dir(),
                                   reason="real samples not present: ../shared/data/fulltext (see its README)")


@pytest.fixture(scope="module")
def real_eprints() -> dict[str, FullText]:
    return {ft.id: ft for ft in iter_eprints(SHARED / "arxiv-src")}


@needs_samples
def test_real_eprints_extract_with_sections_and_bibliography(real_eprints: dict[str, FullText]) -> None:
    assert len(real_eprints) == 17
    for pid, ft in real_eprints.items():
        assert ft.status in ("ok", "partial"), (pid, ft.problems)
        if ft.status == "partial":
            assert ft.problems, pid
        assert len(ft.sections()) >= 5, pid
        assert "introduction" in ft.roles() and "references" in ft.roles(), pid
        assert len(ft.bibliography) >= 15, pid
        assert ft.text_chars() > 20_000, pid
        assert ft.abstract, pid
        assert ft.title, pid
        cited = {c for p in ft.paragraphs for c in p.cites}
        keys = {b.key for b in ft.bibliography}
        assert len(cited & keys) >= 0.5 * min(len(cited), len(keys)), pid
    assert real_eprints["2402.04249"].title.startswith("HarmBench")
    assert "appendix" in real_eprints["2512.11150"].roles()


@needs_samples
def test_real_unarxive_sample_reads_intact() -> None:
    items = list(read_unarxive(SHARED / "unarxive-sample" / "arXiv_src_2212_086.jsonl.gz"))
    texts = [r for _, r in items if isinstance(r, FullText)]
    assert len(texts) == 49 and len(items) == 49
    n_cites = 0
    for ft in texts:
        assert ft.status in ("ok", "partial"), (ft.id, ft.problems)
        assert ft.title and ft.categories and ft.published is not None
        for p in ft.paragraphs:
            assert not re.search(r"\{\{(cite|formula|figure|table):", p.text), (ft.id, p.text[:80])
        keys = {b.key for b in ft.bibliography}
        for p in ft.paragraphs:
            for c in p.cites:
                n_cites += 1
                assert c in keys, (ft.id, c)
    assert n_cites > 1000
    assert sum("introduction" in ft.roles() for ft in texts) >= 40
    assert sum(ft.status == "ok" for ft in texts) >= 40


# ------------------------------------------------------------------------------------------------ hand labels

LABELS = Path(__file__).parent / "data" / "fulltext_labels.json"


def _mention_roles(ft: FullText, term: str) -> set[str]:
    from uptake.text import tokens

    return {p.role for p in ft.paragraphs if term.lower() in tokens(p.text)}


def test_labels_file_is_well_formed() -> None:
    data = json.loads(LABELS.read_text())
    assert {"what", "mention", "roles", "uses"} <= set(data["_rules"])
    assert len(data["papers"]) >= 12
    from uptake.records import ROLES

    for pid, paper in data["papers"].items():
        assert paper_id_from_name(pid.replace("/", "_")) == pid
        for term, lab in paper["terms"].items():
            assert term in ("GRPO", "PPO", "DPO", "LoRA")
            assert set(lab["roles"]) <= set(ROLES) and lab["uses"] in ("yes", "no", "partial")


@needs_samples
def test_extracted_roles_agree_with_hand_labels(real_eprints: dict[str, FullText]) -> None:
    """Every (paper, term, role) a human found is found in the extraction, and nothing is found in unlabelled papers."""
    data = json.loads(LABELS.read_text())
    missed, extra = [], []
    for pid, paper in data["papers"].items():
        if paper.get("synthetic"):  # hand-written e-prints of tests/data/fulltext_synthetic (bench/fulltext_eval.py)
            continue
        ft = real_eprints[pid]
        for term in ("GRPO", "PPO", "DPO", "LoRA"):
            want = set(paper["terms"].get(term, {}).get("roles", []))
            got = _mention_roles(ft, term)
            missed += [(pid, term, r) for r in want - got]
            extra += [(pid, term, r) for r in got - want]
    assert not missed, missed
    assert not extra, extra


def test_module_doctests() -> None:
    import doctest

    from uptake import sections
    from uptake.sources import eprint

    for mod in (sections, eprint):
        result = doctest.testmod(mod)
        assert result.failed == 0 and result.attempted > 0, mod.__name__


def test_unarxive_truncated_gzip_keeps_lines_before(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    lines = [json.dumps(_unarxive_obj(f"2212.0000{i}")) for i in range(1, 4)]
    data = gzip.compress(("\n".join(lines) + "\n").encode() * 20)
    path.write_bytes(data[: len(data) * 2 // 3])
    items = list(read_unarxive(path))
    texts = [r for _, r in items if isinstance(r, FullText)]
    rejected = [r for _, r in items if not isinstance(r, FullText)]
    assert texts and len(rejected) == 1 and "corrupt" in rejected[0].reason


def test_section_named_after_the_system_is_method_by_position() -> None:
    tex = rb"""\documentclass{article}\begin{document}
\section{Introduction} Intro text.
\section{SearchSkill} We train with GRPO.
\subsection{Evaluation protocol} Scored by exact match.
\section{Experiments} Results text.
\section{Acknowledgements} Thanks.
\end{document}"""
    ft = extract_latex({"m.tex": tex}, "p")
    roles = {p.section: p.role for p in ft.paragraphs}
    assert roles == {"Introduction": "introduction", "SearchSkill": "method", "Evaluation protocol": "experiments",
                     "Experiments": "experiments", "Acknowledgements": "other"}
    obj = _unarxive_obj()
    obj["body_text"].insert(1, {"section": "SearchSkill", "sec_number": "2", "sec_type": "section",
                                "content_type": "paragraph", "text": "We train with GRPO.", "cite_spans": []})
    obj["body_text"].insert(2, {"section": "Experiments", "sec_number": "3", "sec_type": "section",
                                "content_type": "paragraph", "text": "Results.", "cite_spans": []})
    from uptake.sources.unarxive import fulltext_from_json

    ua = fulltext_from_json(obj)
    assert [p.role for p in ua.paragraphs if p.section == "SearchSkill"] == ["method"]


def test_deadline_gives_partial_with_reason() -> None:
    ft = extract_latex(_tree(), "t", limits=Limits(max_seconds=0))
    assert ft.status == "partial"
    assert any("time limit" in p for p in ft.problems) and any("skipped (size or time limit)" in p for p in ft.problems)
