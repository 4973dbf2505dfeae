"""Issue 16: kinds lost when a link appears in both fields, cue words read in the link's clause, host-aware
kind rules, released versus promised links, and ``uptake links --format csv``.

The texts are written for these tests in the shapes real arXiv abstracts and comments take (lists, line breaks
inside links, LaTeX, footnote markers); docs/openness.md cites the real papers behind each rule.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from uptake.analytics.openness import ARTIFACT_KINDS, HAS_KINDS, detect
from uptake.store import HAS_COLUMNS
from uptake.query import parse_query
from uptake.query.ast import HasArtifact
from uptake.store import OPENNESS_COLUMNS


def kinds_of(abstract: str | None, comments: str | None = None) -> set[str]:
    o = detect(abstract, comments)
    return {k for k in ARTIFACT_KINDS if o.has(k)}


# -- the same link in both fields: each occurrence keeps its own words ---------------------------
def test_project_page_in_comments_does_not_hide_what_the_abstract_says() -> None:
    o = detect(
        "We present NeRF-X, a fast radiance field.\nCode, pretrained checkpoints and additional\nresults are "
        "available at https://acme-lab.github.io/\nnerf-x/.",
        "CVPR 2026. Project page: https://acme-lab.github.io/nerf-x/",
    )
    assert o.link_labels() == ["code+weights+demo:https://acme-lab.github.io/nerf-x/"]
    assert o.links[0].field == "comments+abstract"
    assert (o.has_code, o.has_weights, o.has_demo, o.has_data) == (True, True, True, False)


def test_same_link_on_an_unknown_host_unions_its_kinds() -> None:
    comments = r"12 pages. Dataset: \url{https://vision.example.edu/~kim/city3d}"
    abstract = ("Our code$^{1}$ is available at https://vision.example.edu/~kim/city3d, together with the "
                "benchmark.")
    assert kinds_of(abstract, comments) == {"code", "data"}
    assert kinds_of(None, comments) == {"data"}


def test_cited_and_own_copies_of_a_link_are_both_kept() -> None:
    o = detect("We build on https://github.com/big/llm-kit for training.",
               "Our fork with the code: https://github.com/big/llm-kit")
    assert sorted(o.link_labels()) == ["cited-code:https://github.com/big/llm-kit", "code:https://github.com/big/llm-kit"]
    assert o.has_code


# -- cue words come from the clause, not from a fixed window -------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the subject is ~60 characters before the link
        ("All resources of this study, including code and datasets, will be publicly available at "
         "https://lab.example.org/resources.", {"code", "data"}),
        # the first item of a list
        ("Code, data and pretrained weights are available at this https URL.", {"code", "data", "weights"}),
        ("The source code, the annotated corpus, as well as the fine-tuned models can be downloaded from "
         "https://nlp.example.org/tools/x", {"code", "data", "weights"}),
        # a long first clause about experiments does not lend its "datasets" to the link
        ("Extensive experiments on three public benchmark datasets show consistent gains, and the code is "
         "available at https://lab.example.org/x.", {"code"}),
        # a line break in the middle of the list
        ("Our implementation\nand checkpoints are released at\nhttps://lab.example.org/ckpt", {"code", "weights"}),
    ],
)
def test_clause_cues(text: str, expected: set[str]) -> None:
    assert kinds_of(text) == expected


def test_a_list_of_links_shares_one_clause() -> None:
    o = detect("Our code and data are available at https://github.com/acme/mirb and "
               "https://huggingface.co/collections/acme/mirb-66ab and this https URL.")
    assert o.link_labels() == ["code+data:https://github.com/acme/mirb",
                               "data:https://huggingface.co/collections/acme/mirb-66ab", "code+data:this https URL"]


# -- host-aware rules ------------------------------------------------------------------------------
def test_hugging_face_organisation_takes_its_kind_from_the_words() -> None:
    assert detect("Our dataset is released at https://huggingface.co/acme-nlp .").link_labels() == [
        "data:https://huggingface.co/acme-nlp"]
    assert detect("The models are at https://huggingface.co/acme-nlp").link_labels() == [
        "weights:https://huggingface.co/acme-nlp"]
    o = detect("Follow our work at https://huggingface.co/acme-nlp")
    assert o.link_labels() == ["other:https://huggingface.co/acme-nlp"]  # no words: no kind
    assert not (o.has_weights or o.has_data)


def test_model_on_a_non_hub_host_is_not_weights() -> None:
    o = detect("Samples from our model can be found at https://tts-demo.github.io/voice/.")
    assert o.link_labels() == ["demo:https://tts-demo.github.io/voice/"]
    o = detect("Generated videos of our model are available at https://www.example.com/videos")
    assert not o.has_weights
    assert detect("Trained models are available at https://www.example.com/zoo").has_weights
    assert detect("Model checkpoints: https://drive.example.com/abc").has_weights


def test_model_hubs_give_weights_by_url_shape() -> None:
    assert kinds_of("Demo videos: https://huggingface.co/acme/vid-gen-7b") == {"weights"}
    assert kinds_of("See https://www.modelscope.cn/models/acme/qwen-x and https://ollama.com/acme/tiny") == {"weights"}
    assert kinds_of("Data: https://www.kaggle.com/datasets/acme/birds") == {"data"}


def test_a_repository_holding_only_a_dataset_is_data() -> None:
    assert kinds_of("Our dataset is publicly available at https://github.com/acme/city-scenes.") == {"data"}
    assert kinds_of("The code and dataset are available at https://github.com/acme/city-scenes.") == {"code", "data"}
    assert kinds_of("Our benchmark is available at https://github.com/acme/bench.") == {"code", "data"}
    assert kinds_of("Code: https://github.com/acme/city-scenes") == {"code"}


def test_archives_follow_the_words() -> None:
    assert kinds_of("The source code is archived at https://doi.org/10.5281/zenodo.1234567") == {"code"}
    assert kinds_of("Replication data: https://zenodo.org/records/1234567") == {"data"}
    assert kinds_of("52 pages, Agda formalization available at https://doi.org/10.5281/zenodo.15602617") == set()
    assert kinds_of("Original version in Japanese is available at Zenodo (https://doi.org/10.5281/zenodo.1812)") == set()
    assert kinds_of("Raw data are available on Dryad https://datadryad.org/stash/dataset/doi:10.5061/dryad.x1") == {"data"}


# -- released versus promised ----------------------------------------------------------------------
def test_promised_link_is_code_but_not_released_code() -> None:
    o = detect("Code will be made available at \\url{https://github.com/acme/later}$^\\dagger$.")
    assert o.link_labels() == ["promised-code:https://github.com/acme/later"]
    assert (o.has_code, o.has_code_released, o.promise) == (True, False, True)
    o = detect("Accepted at ICLR. Code: https://github.com/acme/now")
    assert (o.has_code, o.has_code_released, o.promise) == (True, True, False)


def test_promise_after_the_link() -> None:
    o = detect("Code: https://github.com/acme/x-net (coming soon). Data: https://huggingface.co/datasets/acme/x")
    assert o.link_labels() == ["promised-code:https://github.com/acme/x-net", "data:https://huggingface.co/datasets/acme/x"]
    assert not o.has_code_released


def test_a_promise_elsewhere_does_not_make_a_link_promised() -> None:
    o = detect("Our code is available at https://github.com/acme/y. The dataset will be released upon acceptance.")
    assert (o.has_code_released, o.promise) == (True, True)


# -- property: combining the fields loses nothing ----------------------------------------------------
_LEADS = st.sampled_from([
    "Code is available at ", "Project page: ", "Our dataset is released at ", "Code, models and data are available at ",
    "Pretrained checkpoints can be downloaded from ", "We build on ", "See ", "Demo and code: ",
    "The full benchmark, including scripts and annotations, is hosted at ", "Code will be released at ",
    "Samples from our model can be found at ", "",
])
_URLS = st.sampled_from([
    "https://github.com/acme/x", "https://acme.github.io/x/", "https://huggingface.co/acme",
    "https://huggingface.co/acme/x-7b", "https://lab.example.org/x", "https://zenodo.org/records/99",
    "https://huggingface.co/datasets/acme/x",
])
_FILLER = st.sampled_from(["", "We study X. ", "Accepted to ACL 2026. 9 pages, 4 figures. ",
                           "Experiments on five datasets show gains.\n"])


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_FILLER, _LEADS, _FILLER, _LEADS, _URLS)
def test_combining_fields_never_loses_a_kind(f1: str, lead1: str, f2: str, lead2: str, url: str) -> None:
    abstract = f"{f1}{lead1}{url}. More text."
    comments = f"{f2}{lead2}{url}"
    both, a, c = detect(abstract, comments), detect(abstract), detect(None, comments)
    for kind in (*ARTIFACT_KINDS, "promise"):
        assert both.has(kind) >= (a.has(kind) or c.has(kind)), (kind, abstract, comments)


# -- has: kinds, store column, links CSV --------------------------------------------------------------
def test_has_kinds_and_columns_agree() -> None:
    assert "code-released" in HAS_KINDS and HAS_COLUMNS["code-released"] == "code_released"
    assert set(HAS_COLUMNS) == set(HAS_KINDS)
    assert {c for c in HAS_COLUMNS.values()} <= set(OPENNESS_COLUMNS)
    assert parse_query("GRPO has:code-released").series[0].expr.items[1] == HasArtifact("code-released", 5)


def _papers():
    return [
        make_paper("2505.00001", "GRPO released", "We train with GRPO. Code: https://github.com/a/grpo-math.",
                   published="2025-05-03"),
        make_paper("2505.00002", "GRPO promised", "GRPO. Code will be released at https://github.com/a/later.",
                   published="2025-05-10", comments="Project page: https://a.github.io/later/"),
        make_paper("2505.00003", "GRPO plain", "GRPO without links.", published="2025-05-12"),
    ]


def test_store_and_queries_tell_released_from_promised(tmp_path: Path) -> None:
    corpus = store_with(tmp_path / "s.duckdb", _papers())
    t = corpus.trend("has:code, has:code-released, has:code -has:code-released", start="2025-05", end="2025-05")
    assert [s.points[0].count for s in t.series] == [2, 1, 1]
    assert [p.id for p in corpus.papers("GRPO", has="code-released").papers] == ["2505.00001"]
    cell = corpus.openness("GRPO", start="2025-05", end="2025-05").cell("2025-05", "GRPO")
    assert (cell.counts["code"], cell.counts["code-released"], cell.counts["promise"]) == (2, 1, 1)


def test_links_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from uptake.cli import main

    corpus = store_with(tmp_path / "s.duckdb", _papers())
    assert main(["links", "GRPO", "--db", str(corpus.path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    got = [(r["id"], r["link_kinds"], r["link_promised"], r["link_url"], r["code-released"]) for r in rows]
    assert got == [
        ("2505.00003", "", "", "", "false"),
        ("2505.00002", "demo", "false", "https://a.github.io/later/", "false"),  # comments first
        ("2505.00002", "code", "true", "https://github.com/a/later", "false"),
        ("2505.00001", "code", "false", "https://github.com/a/grpo-math", "true"),
    ]
    assert main(["links", "GRPO", "--db", str(corpus.path), "--has", "code-released", "-f", "csv"]) == 0
    assert [r["id"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))] == ["2505.00001"]


def test_models_as_a_list_item_are_weights_but_our_model_alone_is_not() -> None:
    assert kinds_of("Our codes, models, and datasets are available on this https URL.") == {"code", "weights", "data"}
    assert kinds_of("Code and models are publicly available at https://mlens.github.io/x/.") == {"code", "weights", "demo"}
    assert kinds_of("Our model is available at https://github.com/acme/b") == {"code"}
    assert kinds_of("Code and model outputs are available at https://github.com/acme/b") == {"code"}


def test_slash_lists() -> None:
    assert kinds_of("We make our code/data/models publicly available at https://llavar.github.io/.") == {
        "code", "weights", "data", "demo"}


def test_models_named_as_released() -> None:
    assert kinds_of("All the models are available through this https URL") == {"weights"}
    assert kinds_of("We are open-sourcing all models, data, results, and logs at https://github.com/acme/f") == {
        "code", "weights", "data"}
    assert kinds_of("Our Bench and Be.FM-1.5 models can be accessed via https://acme.github.io/bench/.") == {
        "weights", "demo"}
    assert kinds_of("The described LLMs are available in the open repository https://huggingface.co/acme .") == {"weights"}
    assert kinds_of("Large language models are available at https://lab.example.org/x") == set()


def test_data_as_a_modifier_of_code_is_not_data() -> None:
    assert kinds_of("Our data-construction code is available at https://github.com/acme/flora") == {"code"}
    assert kinds_of("Our data processing scripts are available at https://github.com/acme/flora") == {"code"}


def test_first_list_item_at_the_end_of_a_long_piece() -> None:
    o = detect("We are pleased to release our model and dataset via this link: https://huggingface.co/acme-lab.")
    assert o.link_labels() == ["weights+data:https://huggingface.co/acme-lab"]
    assert kinds_of("We test five public benchmark datasets from three domains, and the code is at https://lab.example.org/x") == {"code"}


def test_openness_command_shows_released_and_promised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from uptake.cli import main

    corpus = store_with(tmp_path / "s.duckdb", _papers())
    assert main(["openness", "GRPO", "--db", str(corpus.path), "--from", "2025-05", "--to", "2025-05"]) == 0
    out = capsys.readouterr().out
    assert "code-released" in out and "promise" in out
    assert "code 67%" in out and "code-released 33%" in out
    assert main(["papers", "GRPO", "--has", "code-released", "--db", str(corpus.path), "-f", "csv"]) == 0
    out = capsys.readouterr().out
    assert "2505.00001" in out and "2505.00002" not in out


def test_store_from_version_4_is_upgraded(tmp_path: Path) -> None:
    from uptake.corpus import Corpus
    from uptake.errors import StoreError
    from uptake.ingest import refresh_openness
    from uptake.store import Store

    path = tmp_path / "v4.duckdb"
    store_with(path, _papers())
    with Store.open(path, write=True) as store:  # a version 4 store: no code_released column
        store._con.execute("ALTER TABLE papers DROP COLUMN code_released")
        store.set_meta("openness_version", "4")
    corpus = Corpus(path)
    with pytest.raises(StoreError, match="openness --refresh"):
        corpus.papers("GRPO", has="code-released")
    with Store.open(path, write=True) as store:  # a writable open adds the column; the refresh fills it
        assert not store.has_openness()
        assert refresh_openness(store) == len(_papers())
        assert store.has_openness()
    assert [p.id for p in corpus.papers("GRPO", has="code-released").papers] == ["2505.00001"]
