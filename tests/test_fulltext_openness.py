"""Openness read in full texts: links and footnotes survive LaTeX extraction, availability statements are found
with their place (abstract, first page, availability section, footnote, body), the store keeps them, and
``openness --text full`` / ``links --text full`` / ``has:`` under ``--text full`` answer from them.

Fixtures are hand-written LaTeX and unarXive records in the shapes real papers use; the real samples in
../shared/data/fulltext are checked against expectations read by hand from the papers."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from uptake.analytics.fulltext_openness import detect_fulltext, is_availability_section
from uptake.analytics.openness import detect
from uptake.cli import main
from uptake.corpus import Corpus
from uptake.errors import StoreError
from uptake.fulltext import read_eprints, read_structured, store_fulltexts
from uptake.records import HAS_KINDS
from uptake.sources.latex import extract_latex
from uptake.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "fulltext"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data/fulltext (the real samples)")

# ------------------------------------------------------------------------------------------------ extraction

PAPER = r"""
\documentclass{article}
\newcommand{\repo}{\href{https://github.com/acme/x\_net}{here}}
\title{X-Net: Fast Things\thanks{Code and checkpoints: \url{https://github.com/acme/x\_net}.}}
\author{Ann Author \\ Univ. of Somewhere \\ \texttt{ann@somewhere.edu} \\
  \textbf{Project page:} \texttt{\url{https://acme.github.io/x-net/}}}
\begin{document}
\maketitle
\begin{abstract}
We present X-Net\footnote{\url{https://github.com/acme/x\_net}}, a fast network.
\end{abstract}
\section{Introduction}
Our implementation is available \repo{} and as \href{https://pypi.org/project/xnet/}{a package}.
We compare with \href{mailto:bob@example.org}{Bob} and \href{https://www.example.org/~bob}{https://www.example.org/~bob}.
GGchem\footnote{\url{https://github.com/pw31/GGchem}} computes the chemistry \cite{ggchem}.
\section{Method}
We train on the TinyData corpus\footnote{The TinyData corpus is available at
\url{https://huggingface.co/datasets/tiny/data}.} for three epochs.
\section{Conclusion}
Our code and the trained models will be released at \url{https://github.com/acme/x-net-train} upon acceptance.
\section*{Code availability}
The code for this paper is at \url{https://gitlab.com/acme/x-net-paper}.
\section*{Data availability}
The annotated dataset is available at \url{https://github.com/acme/x-net-data}.
\begin{thebibliography}{9}
\bibitem{ggchem} P. Woitke et al. GGchem. \url{https://github.com/pw31/GGchem}. 2018.
\end{thebibliography}
\end{document}
"""


def _paper() -> object:
    return extract_latex({"main.tex": PAPER.encode()}, "2501.00001")


def test_latex_keeps_links_footnotes_and_the_title_page() -> None:
    ft = _paper()
    paras = [(p.role, p.section, p.text) for p in ft.paragraphs]  # type: ignore[attr-defined]
    texts = [t for _, _, t in paras]
    assert ft.title == "X-Net: Fast Things"  # type: ignore[attr-defined]
    # \thanks and the author block's link line are first-page notes; names and e-mails are not kept
    assert ("other", "", "[footnote] Code and checkpoints: https://github.com/acme/x_net.") in paras
    assert ("other", "", "[footnote] Project page: https://acme.github.io/x-net/") in paras
    assert not any("ann@somewhere.edu" in t or "Ann Author" in t for t in texts)
    # a footnote that is only a link stays where its mark is, so the sentence says what it is
    assert ("abstract", "Abstract", "We present X-Net ([footnote] https://github.com/acme/x_net), a fast network.") \
        in paras
    intro = [t for r, _, t in paras if r == "introduction"]
    # \href keeps its link (after a macro expanded it), an e-mail address is not a link, a text that spells
    # the link is not repeated
    assert intro[0].startswith("Our implementation is available here (https://github.com/acme/x_net) and as "
                               "a package (https://pypi.org/project/xnet/).")
    assert "We compare with Bob and https://www.example.org/~bob." in intro[0]
    assert "GGchem ([footnote] https://github.com/pw31/GGchem) computes the chemistry [cite:ggchem]." in intro[0]
    # a footnote with words is a paragraph of its own, after its paragraph, in its section
    method = [(s, t) for r, s, t in paras if r == "method"]
    assert method == [("Method", "We train on the TinyData corpus for three epochs."),
                      ("Method", "[footnote] The TinyData corpus is available at "
                                 "https://huggingface.co/datasets/tiny/data.")]


def test_footnote_marker_is_no_token() -> None:
    from uptake.index.fulltext import role_token_strings

    roles = role_token_strings("", [("method", "[footnote] The corpus is at https://x.org/a.")])
    assert " footnote " not in roles["method"][0] and " corpus " in roles["method"][0]


# ------------------------------------------------------------------------------------------------ detection


def test_places_and_body_rules_on_the_extracted_paper() -> None:
    ft = _paper()
    found = detect_fulltext([(p.role, p.section, p.text) for p in ft.paragraphs])  # type: ignore[attr-defined]
    got = {(o.label(), o.where()) for o in found.links}
    assert ("code:https://github.com/acme/x_net", "abstract") not in got  # the abstract's link is a footnote
    assert ("code:https://github.com/acme/x_net", "first page") in got
    assert ("code+weights:https://github.com/acme/x_net", "first page") in got  # "Code and checkpoints:"
    assert ("demo:https://acme.github.io/x-net/", "first page") in got
    assert ("code:https://github.com/acme/x_net", "body in §Introduction") in got  # "Our implementation"
    assert ("cited-code:https://github.com/pw31/GGchem", "footnote in §Introduction") in got  # a tool it cites
    # a corpus named in the third person in a footnote: not the paper's own
    assert ("cited-data:https://huggingface.co/datasets/tiny/data", "footnote in §Method") in got
    # a promise with a link in the conclusion
    assert ("promised-code+weights:https://github.com/acme/x-net-train", "body in §Conclusion") in got
    assert ("code:https://gitlab.com/acme/x-net-paper", "availability in §Code availability") in got
    # a repository that its words say holds only a dataset is data, not code
    assert ("data:https://github.com/acme/x-net-data", "availability in §Data availability") in got
    # the bibliography's links are never read
    assert not any(o.role == "references" for o in found.links)
    assert found.flags() == {"code": True, "weights": True, "data": True, "demo": True, "code-released": True,
                             "promise": True}
    assert found.places("weights") == ("first page", "body in §Conclusion")
    assert found.places("promise") == ("body in §Conclusion",)


def test_same_rules_as_abstracts() -> None:
    """The full text's abstract paragraph gives exactly what detect() gives for the same abstract."""
    abstracts = [
        "Code, models and additional results are available at https://github.com/acme/m. Project page: "
        "https://acme.github.io/m/",
        "We build on LLaVA (https://github.com/haotian-liu/LLaVA) and release our data at "
        "https://huggingface.co/datasets/acme/d.",
        "Code will be made available at https://github.com/acme/p upon acceptance.",
        "The dataset is available at https://github.com/acme/only-data.",
        "Our models are at https://huggingface.co/acme and the benchmark at https://huggingface.co/acme.",
    ]
    for a in abstracts:
        assert detect_fulltext([("abstract", "Abstract", a)]).flags() == detect(a).flags(), a


@pytest.mark.parametrize(("section", "text", "want"), [
    # unarXive glues a footnote's link to the word it follows; without first-person words it is a tool
    ("Model spectra", "We used the open-source radiative transfer code "
     "petitRADTRANShttps://petitradtrans.readthedocs.io/en/latest/ [cite:abc].", {}),
    ("Implementation Details", "The Julia codes can be found at https://gitlab.com/acme/mpark-julia", {"code"}),
    ("Setup", "The qutip source code is available at https://github.com/qutip/qutip.", {}),
    ("Setup", "The source code is available at https://github.com/acme/opennu.", {"code"}),
    ("Experiments", "In our experiments, we compare methods with open-source code "
     "([footnote] https://github.com/other/bench) as ranked by the benchmark.", {}),
    ("Experiments", "Our training code was adopted from the EasyLM codebase "
     "([footnote] https://github.com/other/EasyLM) [cite:geng].", {}),
    ("Methodology", "Code and data are available at https://github.com/acme/persona.", {"code", "data"}),
    ("Conclusion", "Our code will be released upon publication.", {"promise"}),
    ("Conclusion", "The results will be published in a longer version.", {}),
    ("Data availability", "Data available on request from the authors.", {"promise"}),
    ("Code availability", "The DAQ program is freely available for academic use from Github at "
     "https://github.com/acme/daq.", {"code"}),
])
def test_body_statements(section: str, text: str, want: set[str]) -> None:
    role = "other" if "availability" in section.lower() else "method"
    found = detect_fulltext([(role, section, text)])
    flags = {k for k, v in found.flags().items() if v} - {"code-released"}
    want = set(want)
    assert flags == want, [o.label() for o in found.links]


def test_availability_headings() -> None:
    yes = ["Code availability", "Data Availability Statement", "Data and Software Availability", "Code",
           "4 Code and data", "Reproducibility Statement", "Data, Code, and Simulation details",
           "Replicability Measures", "Open-source release"]
    no = ["Data reduction and processing", "Model spectra", "Introduction", "Training data", "Source separation"]
    assert [h for h in yes if not is_availability_section(h)] == []
    assert [h for h in no if is_availability_section(h)] == []


# ------------------------------------------------------------------------------------------------ store + faces

UNARXIVE = {
    "paper_id": "2212.99999",
    "metadata": {"id": "2212.99999", "title": "A Solver", "categories": "cs.LG", "abstract": "We study solvers.",
                 "versions": [{"version": "v1", "created": "Thu, 22 Dec 2022 10:00:00 GMT"}]},
    "abstract": {"section": "Abstract", "text": "We study solvers.", "cite_spans": [], "ref_spans": []},
    "body_text": [
        {"section": "Introduction", "sec_number": "1", "text": "Solvers matter {{cite:aaa}}.",
         "cite_spans": [], "ref_spans": []},
        {"section": "Method", "sec_number": "2", "text": "We use GGchemhttps://github.com/pw31/GGchem for it.",
         "cite_spans": [], "ref_spans": []},
        {"section": "Code availability", "sec_number": None,
         "text": "The code is freely available at https://github.com/acme/solver.", "cite_spans": [], "ref_spans": []},
    ],
    "bib_entries": {"aaa": {"bib_entry_raw": "A. Author. Solvers. 2020.", "contained_arXiv_ids": []}},
    "ref_entries": {},
}


def _sources(tmp_path: Path) -> tuple[Path, Path]:
    jl = tmp_path / "u.jsonl.gz"
    with gzip.open(jl, "wt") as fh:
        fh.write(json.dumps(UNARXIVE) + "\n")
    tgz = tmp_path / "2501.00001.tar.gz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = PAPER.encode()
        info = tarfile.TarInfo("main.tex")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    tgz.write_bytes(buf.getvalue())
    return jl, tgz


@pytest.fixture
def ft_store(tmp_path: Path) -> Path:
    jl, tgz = _sources(tmp_path)
    db = tmp_path / "ft.duckdb"
    with Store.open(db, write=True) as store:
        store_fulltexts(store, read_structured([jl]))
        store_fulltexts(store, read_eprints([tgz]))
    return db


def test_stored_at_import_and_compared(ft_store: Path) -> None:
    cmp = Corpus(ft_store).openness_compare(by="year")
    cells = {c.period: c for c in cmp.cells if c.papers}
    assert set(cells) == {"2022", "2025"}
    # no metadata in this store: the abstract side is each full text's abstract paragraph
    assert cells["2022"].with_metadata == 0 and cells["2022"].abstract["code"] == 0
    assert cells["2022"].fulltext["code"] == 1
    assert cells["2025"].abstract["code"] == 0  # the abstract's link is a footnote: the first page, not the abstract
    assert cells["2025"].fulltext == {"code": 1, "weights": 1, "data": 1, "demo": 1, "code-released": 1, "promise": 1}
    diffs = {(d.id, d.kind): (d.side, d.places) for d in cmp.differences}
    assert diffs[("2212.99999", "code")] == ("full text only", ("availability in §Code availability",))
    assert diffs[("2501.00001", "data")] == ("full text only", ("availability in §Data availability",))
    # a query narrows the comparison to the full texts it matches (index and scan alike)
    narrowed = Corpus(ft_store).openness_compare("solver", by="year")
    assert [(c.period, c.papers) for c in narrowed.cells if c.papers] == [("2022", 1)]


def test_metadata_is_the_abstract_side(ft_store: Path) -> None:
    from conftest import make_paper

    from uptake.ingest import upsert

    with Store.open(ft_store, write=True) as store:
        store.begin()
        upsert(store, [make_paper("2212.99999", abstract="A solver. Code: https://github.com/acme/solver",
                                  published="2022-12-22")])
        store.commit()
    cmp = Corpus(ft_store).openness_compare(by="year")
    c = next(c for c in cmp.cells if c.period == "2022")
    assert (c.with_metadata, c.abstract["code"], c.fulltext["code"], c.both["code"]) == (1, 1, 1, 1)
    assert not [d for d in cmp.differences if d.id == "2212.99999"]


def test_has_under_full_text_equals_a_brute_force_reading(ft_store: Path) -> None:
    corpus = Corpus(ft_store)
    with Store.open(ft_store) as store:
        expected = {}
        for batch in store.fulltext_documents():
            for fdoc, pid, *_rest in batch:
                found = detect_fulltext(store.fulltext_paragraphs(fdoc))
                expected[pid] = found.flags()
    for kind in HAS_KINDS:
        got = {p.id for p in corpus.papers(f"has:{kind}", text="full", limit=100).papers}
        assert got == {pid for pid, f in expected.items() if f[kind]}, kind
    assert {p.id for p in corpus.papers("solver -has:data", text="full").papers} == {"2212.99999"}


def test_links_and_openness_from_the_command_line(ft_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["links", "solver", "--text", "full", "--db", str(ft_store), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    paper = out["papers"][0]
    assert paper["fulltext_flags"]["code"] is True
    assert [(o["label"], o["where"]) for o in paper["fulltext_links"]] == [
        ("cited-code:https://github.com/pw31/GGchem", "body in §Method"),
        ("code:https://github.com/acme/solver", "availability in §Code availability")]
    assert main(["openness", "--text", "full", "--db", str(ft_store), "--by", "year"]) == 0
    text = capsys.readouterr().out
    assert "2212.99999 code, code-released: full text only — availability in §Code availability" in text
    assert main(["openness", "--text", "full", "--db", str(ft_store), "--by", "year", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "period,kind,papers,with_metadata,abstract,fulltext,both,abstract_share,fulltext_share"
    assert "2022,code,1,0,0,1,0,0.0,1.0" in rows


def test_old_store_refreshed_on_demand(ft_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(ft_store, write=True) as store:  # as a store made before full-text openness existed
        store._con.execute("DROP TABLE fulltext_links")
        store._con.execute("DROP TABLE fulltext_openness")
        store._con.execute("DELETE FROM meta WHERE key = 'fulltext_openness_version'")
    with pytest.raises(StoreError, match="openness --refresh"):
        Corpus(ft_store).openness_compare()
    with pytest.raises(StoreError, match="openness --refresh"):
        Corpus(ft_store).papers("has:code", text="full")
    assert main(["openness", "--refresh", "--db", str(ft_store)]) == 0
    assert "openness read in 2 full texts (2 read now)" in capsys.readouterr().out
    assert Corpus(ft_store).openness_compare(by="year").cells


def test_rules_changed_means_recomputed(ft_store: Path) -> None:
    from uptake.fulltext import refresh_fulltext_openness

    with Store.open(ft_store, write=True) as store:
        store.set_meta("fulltext_openness_version", "0.ft0")
        store._con.execute("UPDATE fulltext_openness SET has_code = false")
    with pytest.raises(StoreError, match="older rules"):
        Corpus(ft_store).openness_compare()
    with Store.open(ft_store, write=True) as store:
        assert refresh_fulltext_openness(store) == 2
        assert refresh_fulltext_openness(store) == 0  # nothing left to do
    assert sum(c.fulltext["code"] for c in Corpus(ft_store).openness_compare(by="year").cells) == 2


def test_replaced_text_replaces_its_links(tmp_path: Path, ft_store: Path) -> None:
    changed = json.loads(json.dumps(UNARXIVE))
    changed["body_text"][2]["text"] = "No code here."
    jl = tmp_path / "changed.jsonl.gz"
    with gzip.open(jl, "wt") as fh:
        fh.write(json.dumps(changed) + "\n")
    with Store.open(ft_store, write=True) as store:
        store_fulltexts(store, read_structured([jl]))
        assert store.fulltext_flags_of(["2212.99999"])["2212.99999"][0] is False
        assert [r[5] for r in store.fulltext_links_of(["2212.99999"])["2212.99999"]] == [
            "https://github.com/pw31/GGchem"]


# ------------------------------------------------------------------------------------------------ real samples

#: Read by hand in the papers (the statement, where it stands); every own link the rules find must be here.
REAL_OWN = {
    "2212.11766": {("code:https://github.com/yanxiaodong128/datareconstruction", "availability in §Code availability")},
    "2212.11863": {("code:https://doi.org/10.5281/zenodo.7445811", "availability in §Data availability")},
    "2212.11826": {("code+data:https://github.com/incud/QuantumPathKernel",
                    "availability in §Data, Code, and Simulation details")},
    "2212.11850": {("code:https://github.com/NIoSaT/DYST", "availability in §Replicability Measures")},
    "2212.11808": {("code:https://github.com/JesseGuerrero/Mutation-Based-Text-Detection",
                    "body in §Approach: Use a finite set of operators for research customization")},
    "2212.11849": {("code:https://gitlab.com/bburnett6/mpark-julia", "body in §Implementation Details")},
    "2212.11816": set(),  # petitRADTRANS, GGchem, batman: tools it uses
    "2406.18510": {("code:https://github.com/allenai/wildteaming", "first page"),
                   ("data:https://huggingface.co/datasets/allenai/wildjailbreak", "first page")},
    "2410.02736": {("demo:https://llm-judge-bias.github.io/", "first page")},
    "2406.15513": {("data:https://huggingface.co/datasets/PKU-Alignment/PKU-SafeRLHF", "first page")},
    "2508.20357": {("data:https://github.com/gpierobon/OpenNu", "availability in §Data Availability Statement"),
                   ("code:https://github.com/gpierobon/OpenNu", "footnote in §Full numerical solutions")},
    "2605.12850": {("code+data:https://github.com/bastoscostadavi/persona-moral-collapse-in-emergent-misalignment",
                    "body in §Methodology"),
                   ("code:https://anonymous.4open.science/r/emergent-misalignment-moral-metrics-CA2F",
                    "body in §NeurIPS Paper Checklist")},
    "2402.04249": {("code:https://github.com/centerforaisafety/HarmBench", "abstract")},
    "2510.24256": {("code:https://github.com/goodfire-ai/memorization_kfac", "first page")},
    # the JOSS review of its own package; its package's documentation pages that serve the data
    "2111.08717": {("code:https://doi.org/10.21105/joss.03998", "abstract"),
                   ("data:https://legwork.readthedocs.io/en/latest/api/legwork.source.VerificationBinaries",
                    "body in §LISA verification binaries"),
                   ("other:https://legwork.readthedocs.io/en/latest/api/legwork.source.Source",  # sets no flag
                    "body in §LISA verification binaries")},
    "2305.01582": {("code:github.com/MilesCranmer/PySR", "first page"),
                   ("code:github.com/MilesCranmer/SymbolicRegression.jl", "first page"),
                   ("code:https://github.com/MilesCranmer/PySR", "footnote in §Contribution."),
                   ("code:https://github.com/MilesCranmer/SymbolicRegression.jl", "footnote in §Contribution.")},
    "2402.10260": {("code+data:https://strong-reject.readthedocs.io/", "abstract")},
    "2512.11150": {("code+data:https://github.com/cimo-labs/cje-arena-experiments", "body in §Compute.")},
    "2507.02757": {("demo+data:https://3i-atlas.github.io/data.html",
                    "availability in §Data and Software Availability")},
    # the last one is an error of the rules: "Data is available here: <link>" in a footnote is another
    # group's data (lmsys), said with a bare subject like the paper's own
    "2403.13787": {("data:https://huggingface.co/datasets/allenai/reward-bench-results", "footnote in §Introduction"),
                   ("data:https://huggingface.co/datasets/allenai/preference-test-sets",
                    "footnote in §RewardBench Dataset"),
                   ("demo+data:https://huggingface.co/spaces/lmsys/mt-bench/blob/main/data/mt_bench/model_judgment/"
                    "gpt-4_single.jsonl", "footnote in §MT Bench (Easy, Medium)")},
}


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SHARED.is_dir():
        pytest.skip("needs ../shared/data/fulltext (the real samples)")
    db = tmp_path_factory.mktemp("ftreal") / "real.duckdb"
    with Store.open(db, write=True) as store:
        store_fulltexts(store, read_structured(sorted((SHARED / "unarxive-sample").glob("*.jsonl.gz"))))
        store_fulltexts(store, read_eprints(sorted((SHARED / "arxiv-src").glob("*gz"))))
    return db


@needs_shared
def test_real_samples_hand_checked(real_store: Path) -> None:
    with Store.open(real_store) as store:
        occ = store.fulltext_links_of(list(REAL_OWN))
    from uptake.analytics.fulltext_openness import where_of

    for pid, want in REAL_OWN.items():
        got = set()
        for _n, _para, place, _role, section, url, kinds, own, promised, _phrase in occ.get(pid, []):
            if url is not None and own and not promised:
                got.add((f"{'+'.join(kinds)}:{url}", where_of(place, section)))
        assert got == want, pid


@needs_shared
def test_real_samples_footnote_links_reach_the_text(real_store: Path) -> None:
    """Links written in \\footnote{\\url{}}, \\href{}{} and \\texttt{\\url{}} in the e-prints are in the text."""
    with Store.open(real_store) as store:
        rows = store._con.execute(
            "SELECT f.id, string_agg(p.text, ' ') FROM paragraphs p JOIN fulltexts f USING (fdoc) "
            "WHERE f.id IN ('2305.01582', '2406.18510', '2410.02736', '2508.20357') GROUP BY 1").fetchall()
    text = dict(rows)
    assert "https://github.com/MilesCranmer/PySR" in text["2305.01582"]  # \footnote{\myhref{url}{text}}
    assert "https://github.com/allenai/wildteaming" in text["2406.18510"]  # \texttt{\url{}} in the author block
    assert "https://llm-judge-bias.github.io/" in text["2410.02736"]
    assert "[footnote] The qutip source code is available at https://github.com/qutip/qutip" in text["2508.20357"]


@needs_shared
def test_real_samples_compared(real_store: Path) -> None:
    cmp = Corpus(real_store).openness_compare(by="year")
    assert sum(c.papers for c in cmp.cells) == 66  # 49 unarXive papers + 17 e-prints
    assert sum(c.with_metadata for c in cmp.cells) == 0
    with Store.open(real_store) as store:
        flagged = {r[1] for r in store.fulltext_openness_rows() if r[4]}
    assert flagged == {pid for pid, want in REAL_OWN.items() if any("code" in lab.split(":")[0] for lab, _ in want)}
    with Store.open(real_store) as store:
        owning = {pid for pid, rows in store.fulltext_links_of([r[1] for r in store.fulltext_openness_rows()]).items()
                  if any(r[5] is not None and r[7] for r in rows)}
    assert owning == {pid for pid, want in REAL_OWN.items() if want}  # every paper with an own link was read
    assert sum(c.fulltext["code"] for c in cmp.cells) == len(flagged)


def test_module_doctests() -> None:
    import doctest

    from uptake.analytics import fulltext_openness

    result = doctest.testmod(fulltext_openness)
    assert result.failed == 0 and result.attempted > 0
