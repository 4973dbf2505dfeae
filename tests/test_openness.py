"""Artifact-link detection on messy arXiv text, the has: filters, and stores made before openness existed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_paper, store_with
from uptake.errors import QueryError, StoreError, UsageError
from uptake.analytics.openness import clean_url, detect
from uptake.query import parse_query
from uptake.query.ast import And, HasArtifact, Term
from uptake.ingest import refresh_openness
from uptake.store import OPENNESS_COLUMNS, Store


def labels(abstract: str, comments: str | None = None) -> list[str]:
    return detect(abstract, comments).link_labels()


# -- the easy cases, as they appear in comments fields -------------------------------------
def test_comment_with_code_and_project_page() -> None:
    o = detect("We study X.", "Accepted to ICCV 2025. Code: https://github.com/tau-lab/BlendNet "
                              "Project page: https://tau-lab.github.io/BlendNet/")
    assert o.link_labels() == ["code:https://github.com/tau-lab/BlendNet", "demo:https://tau-lab.github.io/BlendNet/"]
    assert (o.has_code, o.has_demo, o.has_weights, o.has_data, o.promise) == (True, True, False, False, False)


def test_each_artifact_host() -> None:
    o = detect(
        "Corpus data, trained model, and code are available at https://huggingface.co/datasets/jdoe/pashto-corpus, "
        "https://huggingface.co/jdoe/xlmr-pashto, and https://github.com/jdoe/pashto-corpus. "
        "Try it at https://huggingface.co/spaces/jdoe/pashto-demo."
    )
    assert o.link_labels() == [
        "data:https://huggingface.co/datasets/jdoe/pashto-corpus",
        "weights:https://huggingface.co/jdoe/xlmr-pashto",
        "code:https://github.com/jdoe/pashto-corpus",
        "demo:https://huggingface.co/spaces/jdoe/pashto-demo",
    ]
    assert o.flags() == {"code": True, "weights": True, "data": True, "demo": True, "code-released": True, "promise": False}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dataset available: https://doi.org/10.5281/zenodo.17364038", "data:https://doi.org/10.5281/zenodo.17364038"),
        ("Code: https://github.com/kurath/spaghetti (code archived at doi:10.5281/zenodo.21033174)",
         "code:https://doi.org/10.5281/zenodo.21033174"),
        ("The dataset is available at kaggle : https://www.kaggle.com/datasets/itijjani/sesame-plant-detection",
         "data:https://www.kaggle.com/datasets/itijjani/sesame-plant-detection"),
        ("Survey data at https://doi.org/10.17605/OSF.IO/PV6R3", "data:https://doi.org/10.17605/OSF.IO/PV6R3"),
        ("OSF pre-registration: https://doi.org/10.17605/OSF.IO/PV6R3", "other:https://doi.org/10.17605/OSF.IO/PV6R3"),
        ("Data are on figshare: https://figshare.com/articles/dataset/tremor/2471", "data:https://figshare.com/articles/dataset/tremor/2471"),
        ("Replication files: https://dataverse.harvard.edu/dataset.xhtml?persistentId=doi:10.7910/DVN/XYZ",
         "data:https://dataverse.harvard.edu/dataset.xhtml?persistentId=doi:10.7910/DVN/XYZ"),
        ("Weights: https://www.modelscope.cn/models/damo/polylm_13b", "weights:https://www.modelscope.cn/models/damo/polylm_13b"),
        ("Our tool is at https://gitlab.inria.fr/mimesis/sofa-tool", "code:https://gitlab.inria.fr/mimesis/sofa-tool"),
        ("Package: https://pypi.org/project/uptake-demo/", "code:https://pypi.org/project/uptake-demo/"),
        ("For anonymous review: https://anonymous.4open.science/r/XYZ-12AB", "code:https://anonymous.4open.science/r/XYZ-12AB"),
    ],
)
def test_hosts_classify(text: str, expected: str) -> None:
    assert expected in labels(text)


# -- what arXiv text really does to links ----------------------------------------------------
def test_latex_url_and_trailing_punctuation() -> None:
    assert labels(r"The code is available on \url{https://github.com/sgchr/FisherMask}.") == [
        "code:https://github.com/sgchr/FisherMask"
    ]


def test_latex_href_with_its_own_text() -> None:
    text = (r"Code is available at: \href{https://github.com/arturxe2/AdaSpot}{https://github.com/arturxe2/AdaSpot}. "
            r"Project page: $\href{https://context-ar.github.io/}{https://context-ar.github.io/.}$")
    assert labels(text) == ["code:https://github.com/arturxe2/AdaSpot", "demo:https://context-ar.github.io/"]


def test_footnote_markers_and_footnotes() -> None:
    text = (r"Audio samples are on the demo page\footnote{[Online] Available: https://lxy102.github.io/Demo/}. "
            r"Our code is public at https://github.com/acme/tts$^{\dagger}$ and https://github.com/acme/vocoder$^1$.")
    assert labels(text) == [
        "demo:https://lxy102.github.io/Demo/",
        "code:https://github.com/acme/tts",
        "code:https://github.com/acme/vocoder",
    ]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("Our code can be found in https://github. com/wujunjie1998/Ref-Long.", "https://github.com/wujunjie1998/Ref-Long"),
        ("Code has been released at https:// github.com/YanJiang/ALEX.", "https://github.com/YanJiang/ALEX"),
        ("The code is available at: https://github.com/CAIR- LAB- WFUSM/NSVQ-TransVQ.git", "https://github.com/CAIR-LAB-WFUSM/NSVQ-TransVQ.git"),
        ("Our code are available at https://github.com/lcy80366872/ knowledgeable-r1.", "https://github.com/lcy80366872/knowledgeable-r1"),
        ("Code is available at https://github.com/erfan-nourbakhsh/KD- OCT.", "https://github.com/erfan-nourbakhsh/KD-OCT"),
        ("Code at github.com/meowatthemoon/MDLT.", "github.com/meowatthemoon/MDLT"),
        ("Website:https://github.com/acme/glued-label", "https://github.com/acme/glued-label"),
    ],
)
def test_broken_code_links_are_repaired(text: str, url: str) -> None:
    assert labels(text) == [f"code:{url}"]


def test_broken_project_pages_are_repaired() -> None:
    assert labels("Project page: https://huajian- zeng.github. io/projects/gmt/.") == [
        "demo:https://huajian-zeng.github.io/projects/gmt/"
    ]
    assert labels("More details and videos can be found at https://assistantx-agent. github.io/AssistantX/.") == [
        "demo:https://assistantx-agent.github.io/AssistantX/"
    ]
    # a project page the words say holds code and data counts for those too
    assert labels("The code and dataset are available at: https://iitp-cse.github.io/ ArogyaSutra/") == [
        "code+data+demo:https://iitp-cse.github.io/ArogyaSutra/"
    ]
    assert labels("Videos on our project page https://x-lab.github.io/robot/ show the code in action.") == [
        "demo:https://x-lab.github.io/robot/"
    ]


def test_a_following_word_is_not_glued_to_a_link() -> None:
    # a complete link followed by an ordinary word, and a sentence ending in a link
    assert labels("Accepted at HCAIE 2023: https://ethics-ai.eu/hcaie2023/ Revised version in Journal X.") == [
        "other:https://ethics-ai.eu/hcaie2023/"
    ]
    assert labels("See https://github.com/DAGroup-PKU/ReVidgen/ Project website: https://dagroup-pku.github.io/rv/") == [
        "code:https://github.com/DAGroup-PKU/ReVidgen/", "demo:https://dagroup-pku.github.io/rv/"
    ]


def test_clean_url_keeps_balanced_brackets() -> None:
    assert clean_url("https://en.wikipedia.org/wiki/Mamba_(software)).") == "https://en.wikipedia.org/wiki/Mamba_(software)"
    assert clean_url("(https://github.com/a/b),") == "https://github.com/a/b"
    assert clean_url("doi:10.5281/zenodo.123") == "https://doi.org/10.5281/zenodo.123"


def test_broken_and_empty_links_flag_nothing() -> None:
    o = detect("Code will be at https:// soon. Our page is https://github.com/ and http://.")
    assert not o.has_code and not o.has_demo
    assert all(not lab.startswith("code:") for lab in o.link_labels())


# -- false friends -------------------------------------------------------------------------
def test_mentions_without_links_are_not_links() -> None:
    o = detect("We compare against GitHub Copilot and models hosted on Hugging Face, and we discuss Zenodo-style "
               "archiving. Contact: jane.doe@github.com or team@huggingface.co.")
    assert o.links == ()
    assert not any(o.flags().values())


def test_cited_work_is_kept_but_not_flagged() -> None:
    o = detect("Our framework is built on LLaVA (https://github.com/haotian-liu/LLaVA) and we use the checkpoints "
               "from https://huggingface.co/meta-llama/Llama-2-7b. Notably, our agent ranks first on the "
               "leaderboard https://huggingface.co/spaces/open-llm/leaderboard.")
    # the cue nearest to each link decides: "built on", "we use", "leaderboard" come after "our"
    assert o.link_labels() == [
        "cited-code:https://github.com/haotian-liu/LLaVA",
        "cited-weights:https://huggingface.co/meta-llama/Llama-2-7b",
        "cited-demo:https://huggingface.co/spaces/open-llm/leaderboard",
    ]
    assert not any(o.flags().values())


def test_own_cue_nearer_than_cited_cue() -> None:
    o = detect("Our implementation is based on our library for LLM defenses at "
               r"\url{https://github.com/yw617/llm-defense}, and we publicly release the code used for training "
               "(https://github.com/acme/train).")
    assert o.link_labels() == ["code:https://github.com/yw617/llm-defense", "code:https://github.com/acme/train"]


def test_cited_rule_without_own_words() -> None:
    o = detect("The model is based on DINOv2 (https://github.com/facebookresearch/dinov2). "
               "We evaluated on the public data split provided by https://zenodo.org/records/1234567.")
    assert o.link_labels() == [
        "cited-code:https://github.com/facebookresearch/dinov2",
        "cited-data:https://zenodo.org/records/1234567",
    ]
    assert not o.has_code and not o.has_data


def test_publisher_and_paper_links_are_other() -> None:
    o = detect("x", "Published in JMAA, see https://www.sciencedirect.com/science/article/pii/S0022247X22008447 and "
                    "https://huggingface.co/papers/2501.00001")
    assert [lab.split(":")[0] for lab in o.link_labels()] == ["other", "other"]
    assert not any(o.flags().values())


# -- placeholders and ambiguous pages -----------------------------------------------------------
def test_arxiv_placeholder_takes_kind_from_words_before_it() -> None:
    assert detect("The full code is available at this https URL.").has_code
    o = detect("We release the model weights on HuggingFace (this https URL) and Ollama.")
    assert o.has_weights and not o.has_code
    assert not any(detect("A revised version is at this https URL.").flags().values())


def test_hugging_face_organisation_and_collection_pages() -> None:
    assert detect("Our models are available at https://huggingface.co/collections/acme/tiny-68b9ae").has_weights
    o = detect("We release the dataset at https://huggingface.co/collections/NLP-X/e3c-to-crf-67b98")
    assert o.has_data and not o.has_weights


def test_hugging_face_page_after_another_link_uses_the_sentence() -> None:
    o = detect("Our code and data are available at https://github.com/j991/mirb and "
               "https://huggingface.co/collections/hcju/mirb-6827001711")
    assert o.link_labels() == [
        "code+data:https://github.com/j991/mirb", "data:https://huggingface.co/collections/hcju/mirb-6827001711"
    ]
    assert not o.has_weights


def test_curated_reading_lists_are_not_code() -> None:
    o = detect("We are maintaining a \\href{https://github.com/fbg/Awesome-DL-for-Segmentation}{GitHub Repository} "
               "to track innovations. Code for our experiments: https://github.com/fbg/seg-bench")
    assert o.link_labels() == ["other:https://github.com/fbg/Awesome-DL-for-Segmentation", "code:https://github.com/fbg/seg-bench"]
    assert not detect("A list of papers: https://github.com/x/awesome-llm-agents").has_code


# -- promises ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Code and dataset will be released upon acceptance.",
        "The code for this paper will be released soon.",
        "Data are available upon reasonable request to the authors.",
        "We will open-source our models and training scripts.",
        "Code: coming soon",
        "Codes will be open sourced soon at FaceChain.",
    ],
)
def test_promises(text: str) -> None:
    o = detect(text)
    assert o.promise and o.links == ()
    assert not o.has_code


@pytest.mark.parametrize(
    "text",
    [
        "A revised version of this article will be published at ICAART 2026.",
        "Results will be presented at the workshop.",
        "The approach is available upon request of the user in the interface.",  # no artifact word
    ],
)
def test_not_promises(text: str) -> None:
    assert not detect(text).promise


def test_promise_and_link_together() -> None:
    o = detect("Code will be made publicly available at https://github.com/acme/later.")
    assert o.promise and o.has_code


# -- the query language and the store -----------------------------------------------------------
def test_parse_has() -> None:
    q = parse_query("GRPO has:weights, has:code")
    assert q.series[0].expr == And((Term("GRPO", 0), HasArtifact("weights", 5)))
    assert q.series[1].expr == HasArtifact("code", 18)
    with pytest.raises(QueryError, match="did you mean has:weights"):
        parse_query("GRPO has:weight")
    with pytest.raises(QueryError, match="needs an artifact kind"):
        parse_query("has: code")


def _papers():
    return [
        make_paper("2505.00001", "GRPO for math", "We train with GRPO. Code: https://github.com/a/grpo-math.",
                   published="2025-05-03"),
        make_paper("2505.00002", "GRPO models", "GRPO again.", published="2025-05-10",
                   comments="Weights at https://huggingface.co/acme/grpo-7b"),
        make_paper("2505.00003", "DPO study", "DPO. Code will be released upon acceptance.", published="2025-05-12"),
        make_paper("2505.00004", "Other", "Built on https://github.com/others/tool with GRPO.", published="2025-05-20"),
        make_paper("2506.00001", "GRPO data", "GRPO. Dataset: https://huggingface.co/datasets/acme/g",
                   published="2025-06-02"),
    ]


def test_store_fills_columns_and_filters(tmp_path: Path) -> None:
    corpus = store_with(tmp_path / "s.duckdb", _papers())
    with Store.open(corpus.path) as store:
        rows = dict(store._rows("SELECT id, has_code FROM papers"))
        links = dict(store._rows("SELECT id, links FROM papers"))
    assert rows == {"2505.00001": True, "2505.00002": False, "2505.00003": False, "2505.00004": False,
                    "2506.00001": False}
    assert links["2505.00004"] == ["cited-code:https://github.com/others/tool"]
    t = corpus.trend("GRPO, GRPO has:code, has:weights, has:promise", start="2025-05", end="2025-06")
    counts = {s.label: [p.count for p in s.points] for s in t.series}
    assert counts == {"GRPO": [3, 1], "GRPO has:code": [1, 0], "has:weights": [1, 0], "has:promise": [1, 0]}
    assert [p.total for p in t.series[1].points] == [4, 1]  # has: does not shrink the total
    got = corpus.papers("GRPO", has="weights")
    assert [p.id for p in got.papers] == ["2505.00002"]
    assert corpus.papers("GRPO", has=["code", "weights"]).total == 0
    with pytest.raises(UsageError, match="--has must be one of"):
        corpus.papers("GRPO", has="wieghts")


def test_openness_table(tmp_path: Path) -> None:
    corpus = store_with(tmp_path / "s.duckdb", _papers())
    table = corpus.openness("GRPO, DPO", start="2025-05", end="2025-06")
    c = table.cell("2025-05", "GRPO")
    assert (c.papers, c.counts["code"], c.counts["weights"], c.counts["data"]) == (3, 1, 1, 0)
    assert c.share("code") == pytest.approx(1 / 3)
    assert table.cell("2025-05", "DPO").counts["promise"] == 1
    allp = table.cell("2025-05", "all papers")
    assert (allp.papers, allp.counts["code"]) == (4, 1)
    assert table.cell("2025-06", "GRPO").counts["data"] == 1
    assert table.to_csv().splitlines()[0].startswith("period,series,papers,code,code_share,weights")


def test_links_behind_the_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from uptake.cli import main

    corpus = store_with(tmp_path / "s.duckdb", _papers())
    total, rows = corpus.links("GRPO", period="2025-05")
    assert total == 3
    assert [(r.id, r.flags["code"], r.links) for r in rows] == [
        ("2505.00004", False, ("cited-code:https://github.com/others/tool",)),
        ("2505.00002", False, ("weights:https://huggingface.co/acme/grpo-7b",)),
        ("2505.00001", True, ("code:https://github.com/a/grpo-math",)),
    ]
    assert main(["links", "GRPO", "--db", str(corpus.path), "--has", "weights"]) == 0
    out = capsys.readouterr().out
    assert "2505.00002" in out and "weights:https://huggingface.co/acme/grpo-7b" in out and "2505.00001" not in out


def test_store_made_before_openness(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    store_with(path, _papers())
    with Store.open(path, write=True) as store:  # make it look like a store from before openness existed
        for col in OPENNESS_COLUMNS:
            store._con.execute(f"ALTER TABLE papers DROP COLUMN {col}")
        store._con.execute("DELETE FROM meta WHERE key = 'openness_version'")
    # the con above re-added nothing: dropping happened after the open-time upgrade
    from uptake.corpus import Corpus

    corpus = Corpus(path)
    with Store.open(path) as store:
        assert not store.has_openness()
    assert corpus.trend("GRPO", start="2025-05", end="2025-06").series[0].points[0].count == 3  # plain queries work
    with pytest.raises(StoreError, match="openness --refresh"):
        corpus.trend("GRPO has:code")
    with pytest.raises(StoreError, match="openness --refresh"):
        corpus.papers("GRPO", has="code")
    with Store.open(path, write=True) as store:  # a writable open adds the columns, but unfilled they don't count
        assert not store.has_openness()
    with pytest.raises(StoreError, match="openness --refresh"):
        corpus.papers("GRPO", has="code")
    with Store.open(path, write=True) as store:  # what `uptake openness --refresh` (and every import) does
        assert refresh_openness(store) == len(_papers())
        assert store.has_openness()
        assert store.get_meta("openness_version") is not None
    assert corpus.papers("GRPO", has="code").total == 1


def test_cli_papers_has_and_openness(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from uptake.cli import main

    db = str(tmp_path / "s.duckdb")
    store_with(Path(db), _papers())
    assert main(["papers", "GRPO", "--has", "code", "--db", db, "-f", "csv"]) == 0
    out = capsys.readouterr().out
    assert "2505.00001" in out and "2505.00002" not in out
    assert main(["openness", "GRPO", "--db", db, "--from", "2025-05", "--to", "2025-05", "-f", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[1].startswith("2025-05,GRPO,3,1,0.3333333333333333,1,")
    assert main(["trend", "GRPO has:kode", "--db", db]) == 2
    assert "did you mean has:code" in capsys.readouterr().err


# -- the shared real corpus: papers inspected by hand ----------------------------------------
HAND_CHECKED = {  # id -> (code, weights), read by hand from the abstract and comments
    "2606.03570": (True, False), "2606.08151": (True, True), "2606.15937": (True, True),
    "2606.20250": (True, False), "2606.22546": (True, True), "2606.24530": (True, False),
    "2606.29024": (True, True), "2607.18149": (True, False),
    "2606.29792": (False, False),  # "... Deep Learning Models - https://neurips.cc/...": a workshop page
}


@pytest.mark.acceptance
def test_real_papers_checked_by_hand() -> None:
    import gzip

    import orjson

    from conftest import real_data_files

    part = [f for f in real_data_files() if f.name.endswith("part02.jsonl.gz")]
    if not part:
        pytest.skip("part02 of the shared real corpus is not there")
    got: dict[str, tuple[bool, bool]] = {}
    flagged = total = 0
    with gzip.open(part[0]) as f:
        for line in f:
            rec = orjson.loads(line)
            o = detect(rec["abstract"], rec.get("comments"))
            total += 1
            flagged += o.has_code
            if rec["id"] in HAND_CHECKED:
                got[rec["id"]] = (o.has_code, o.has_weights)
    assert got == HAND_CHECKED
    assert 0.10 < flagged / total < 0.20  # 14.7% of the 14,523 papers of part02 link their own code


@pytest.mark.parametrize(
    "text",
    [
        "https://github.com/a/" + " b/" * 30_000,  # a link that seems to go on forever
        "https://x-" + " y-" * 30_000,
        " https://github.com/a/b" * 20_000,
        "Code is at" + " this https URL" * 20_000,
        " code will be released." * 20_000,
        "our code " * 50_000 + " https://github.com/a/b",
        "$^" * 50_000 + " https://x.org",
    ],
)
def test_pathological_text_stays_fast(text: str) -> None:
    import time

    # CPU time of this thread, not the wall clock: a loaded machine stretches the wall clock, not the work.
    # Each case costs well under a second of CPU; the quadratic behaviour this guards against took minutes.
    t0 = time.thread_time()
    detect(text, text[:1000])
    assert time.thread_time() - t0 < 10.0
