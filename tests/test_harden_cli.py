"""Issue 14 (command line): interrupt messages, bad paths, full disk, argparse strictness, tables."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_paper, store_with
from uptake.cli import main


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "c.duckdb"
    store_with(path, [make_paper(f"2501.{i:05d}", "GRPO and DPO", published=f"2025-0{1 + i % 6}-10") for i in range(30)])
    return path


@pytest.mark.parametrize("command, module, name", [
    ("adoption", "uptake.corpus", "Corpus.adoption"),
    ("trend", "uptake.corpus", "Corpus.trend"),
])
def test_ctrl_c_message_fits_the_command(db, capsys, monkeypatch, command, module, name):
    import importlib

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    target = importlib.import_module(module)
    if "." in name:
        cls, attr = name.split(".")
        monkeypatch.setattr(getattr(target, cls), attr, interrupted)
    else:
        monkeypatch.setattr(target, name, interrupted)
    assert main([command, "GRPO", "--db", str(db)]) == 130
    err = capsys.readouterr().err
    assert "nothing was changed" in err and "import" not in err and "committed" not in err


# -- item 5: full disk, bad paths ------------------------------------------------------------------------------
SAMPLE = '{"id": "2501.%05d", "title": "GRPO %d", "abstract": "", "categories": ["cs.LG"], "published": "2025-01-15"}\n'


def _records(path, n=30, start=0):
    path.write_text("".join(SAMPLE % (i, i) for i in range(start, start + n)))
    return path


def test_full_disk_during_import_is_one_line_and_keeps_committed_batches(tmp_path, capsys, monkeypatch):
    """DuckDB reports a full disk as a FatalException (or IOException) from the write; simulate it at COMMIT."""
    from uptake.store import Store, duckdb

    db = tmp_path / "full.duckdb"
    assert main(["import", "--db", str(db), "-q", str(_records(tmp_path / "a.jsonl", 10))]) == 0

    def commit(self):
        raise duckdb.FatalException("Could not write file: No space left on device")

    monkeypatch.setattr(Store, "commit", commit)
    capsys.readouterr()
    assert main(["import", "--db", str(db), "-q", str(_records(tmp_path / "b.jsonl", 30, start=100))]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "FatalException" not in err and "disk is probably full" in err
    assert "free space" in err and err.count("error:") == 1
    monkeypatch.undo()
    with Store.open(db) as s:
        assert s._rows("SELECT count(*) FROM papers") == [(10,)]  # what was committed before is intact


def test_rollback_tolerates_an_invalidated_connection():
    from uptake.store import Store, duckdb

    class Con:
        def execute(self, sql):
            raise duckdb.FatalException("database has been invalidated")

    Store(Con(), None, writable=True).rollback()  # type: ignore[arg-type]
    assert Store.write_failure(duckdb.IOException("No space left on device"))


def test_an_index_path_that_is_a_file_is_a_clear_error(tmp_path, capsys):
    db = tmp_path / "i.duckdb"
    (tmp_path / "i.duckdb.index").write_text("not a folder")
    assert main(["import", "--db", str(db), "-q", str(_records(tmp_path / "r.jsonl"))]) == 2
    assert main(["index", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "FileExistsError" not in err and err.count("is a file") == 2 and "move or delete" in err


def test_importing_a_missing_file_creates_no_store(tmp_path, capsys):
    db = tmp_path / "new.duckdb"
    assert main(["import", "--db", str(db), str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not db.exists() and not list(tmp_path.iterdir())


# -- item 7: folders and export snapshots ---------------------------------------------------------------------
def test_import_of_an_export_folder_verifies_checksums(tmp_path, capsys):
    src = tmp_path / "src.duckdb"
    assert main(["import", "--db", str(src), "-q", str(_records(tmp_path / "r.jsonl", 25))]) == 0
    snap = tmp_path / "snap"
    assert main(["export", "--db", str(src), "--out", str(snap)]) == 0
    for n, argv in enumerate(([str(snap)], sorted(str(p) for p in snap.iterdir()))):  # `snap/` and `snap/*`
        db = tmp_path / f"copy{n}.duckdb"
        capsys.readouterr()
        assert main(["import", "--db", str(db), "-q", "--json", *argv]) == 0
        assert json.loads(capsys.readouterr().out)["inserted"] == 25
    parquet = next(snap.glob("*.parquet"))
    parquet.write_bytes(parquet.read_bytes() + b"tampered")
    bad = tmp_path / "bad.duckdb"
    assert main(["import", "--db", str(bad), "-q", str(snap)]) == 2
    err = capsys.readouterr().err
    assert "SHA256SUMS" in err and "nothing was imported" in err and not bad.exists()
    # the same tampered file named on its own (`snap/*`, or just that file) is refused too
    for argv in (sorted(str(p) for p in snap.iterdir()), [str(parquet)]):
        assert main(["import", "--db", str(bad), "-q", *argv]) == 2
        err = capsys.readouterr().err
        assert parquet.name in err and "SHA256SUMS" in err and not bad.exists()


def test_import_of_a_plain_folder(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _records(folder / "a.jsonl", 5)
    _records(folder / "b.jsonl", 5, start=5)
    db = tmp_path / "f.duckdb"
    assert main(["import", "--db", str(db), "-q", "--json", str(folder)]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 10


# -- item 8: incomplete periods in CSV and openness tables ----------------------------------------------------
def test_trend_csv_appends_a_complete_column(db, capsys):
    assert main(["trend", "GRPO", "--db", str(db), "--format", "csv", "--from", "2025-05", "--to", "2025-07"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "period,series,count,total,share,complete"
    assert [r.rsplit(",", 1)[1] for r in rows[1:]] == ["true", "false", "false"]  # the corpus ends 2025-06-10


def test_openness_table_marks_incomplete_periods(db, capsys):
    assert main(["openness", "GRPO", "--db", str(db), "--by", "quarter"]) == 0
    out = capsys.readouterr().out
    assert "2025-Q1 " in out and "2025-Q1 *" not in out and "2025-Q2 *" in out and "* incomplete period" in out
    assert main(["openness", "GRPO", "--db", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["incomplete_periods"] == ["2025-06"]


# -- item 7: newcomer defects ----------------------------------------------------------------------------------
SIX = "GRPO, DPO, PPO, LoRA, RLHF, transformer"


def test_piped_tables_are_never_truncated(db, capsys):
    twelve = ", ".join(f"longer series name {i}" for i in range(12))
    for q in (SIX, twelve):
        assert main(["trend", q, "--db", str(db), "--measure", "count"]) == 0
        out = capsys.readouterr().out
        assert "…" not in out and "2025-06 *" in out and all(f"{s.strip()}" in out for s in q.split(","))


def test_a_narrow_terminal_gets_the_long_layout(db, monkeypatch, capsys):
    from rich.console import Console

    import uptake.cli.core as core
    from uptake.corpus import Corpus

    monkeypatch.setattr(core, "console", lambda: Console(width=60, force_terminal=True, highlight=False))
    core._print_trend_table(Corpus(db).trend(SIX, measure="count"))
    out = capsys.readouterr().out
    assert "…" not in out and "series" in out and "transformer" in out


@pytest.mark.parametrize("argv, needle", [
    (["trend", ", ".join(f"t{i}" for i in range(300))], "the limit is 12"),
    (["trend", "GRPO", "--category", "cs.CL,cs.LG"], "--category cs.CL --category cs.LG"),
    (["trend", "GRPO", "DPO"], "'GRPO, DPO'"),
    (["trend", "GRPO", "--form", "2025-01"], "unrecognized option --form"),
    (["plot", "GRPO", "--o", "x.png"], "unrecognized option --o"),
])
def test_usage_mistakes_get_one_clear_line(db, capsys, argv, needle):
    with pytest.raises(SystemExit) if argv[2:3] in (["DPO"],) or "--form" in argv or "--o" in argv else _nothing():
        assert main([*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_the_series_limit_lives_in_the_library(db):
    from uptake.corpus import MAX_SERIES, Corpus
    from uptake.errors import UsageError

    with pytest.raises(UsageError, match=f"limit is {MAX_SERIES}"):
        Corpus(db).trend(", ".join(f"t{i}" for i in range(MAX_SERIES + 1)))


def test_report_refuses_to_overwrite_unless_forced(db, tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "GRPO", "--db", str(db), "--out", str(out), "--json"]) == 0
    assert main(["report", "GRPO", "--db", str(db), "--out", str(out), "--json"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["report", "GRPO", "--db", str(db), "--out", str(out), "--json", "--force"]) == 0


def test_to_pandas_without_pandas_names_the_install(db, monkeypatch):
    import sys

    from uptake.corpus import Corpus
    from uptake.errors import MissingDependencyError

    trend = Corpus(db).trend("GRPO")
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match="pip install pandas"):
        trend.to_pandas()


def test_demo_csv_keeps_the_contract_and_says_synthetic_beside_it(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["demo", "--db", str(tmp_path / "demo.duckdb"), "--out", str(out), "--papers", "600"]) == 0
    assert (out / "grpo.csv").read_text().splitlines()[0] == "period,series,count,total,share,complete"
    assert "SYNTHETIC" in (out / "grpo.README.txt").read_text()
    assert "SYNTHETIC" in capsys.readouterr().out


def _figure_texts(ax):
    return [t.get_text() for t in ax.figure.texts]


def test_figures_label_quarters_years_case_and_ratio_axis(make_store):
    from conftest import make_paper as mp
    from uptake.outputs.plot import plot_trend

    corpus = make_store([mp(f"25{m:02d}.{i:05d}", t, published=f"2025-{m:02d}-10")
                         for m in range(1, 13) for i, t in enumerate(["LoRA adapters", "LoRa radio", "PPO GRPO"])])
    q = corpus.trend("=LoRA, =LoRa", by="quarter")
    ax = plot_trend(q)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    caption = " ".join(_figure_texts(ax))
    assert "case-insensitive" not in caption and "case-sensitive (=LoRA, =LoRa)" in caption
    mixed = plot_trend(corpus.trend("=LoRA, GRPO"))
    assert "case-sensitive for =LoRA; other terms case-insensitive" in " ".join(_figure_texts(mixed))
    y = plot_trend(corpus.trend("GRPO", by="year"))
    y.figure.canvas.draw()
    assert [t.get_text() for t in y.get_xticklabels()] == ["2025"]
    r = plot_trend(corpus.trend("GRPO / PPO"))
    r.figure.canvas.draw()
    (label,) = [a.yaxis.label for a in r.figure.axes if a.get_ylabel() == "Ratio of paper counts"]
    assert label.get_window_extent().x1 <= r.figure.bbox.x1  # drawn inside the figure, not cut off


def _all_parsers(parser):
    import argparse

    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _all_parsers(child)


def test_no_parser_accepts_abbreviations():
    from uptake.cli import build_parser

    parsers = list(_all_parsers(build_parser()))
    assert len(parsers) > 15 and all(p.allow_abbrev is False for p in parsers)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(st.data())
def test_any_prefix_of_a_long_option_is_refused(data):
    """The class of input behind `--form`: a strict prefix of a real option is an error, never the option."""
    from uptake.cli import build_parser

    parsers = [p for p in _all_parsers(build_parser()) if p.prog.split()[-1] in ("trend", "plot", "import", "papers")
               and not any(a.required and a.option_strings for a in p._actions)]  # e.g. spark trend's --input
    parser = data.draw(st.sampled_from(parsers))
    longs = sorted({o for a in parser._actions for o in a.option_strings if o.startswith("--") and len(o) > 4})
    option = data.draw(st.sampled_from(longs))
    prefix = option[: data.draw(st.integers(min_value=3, max_value=len(option) - 1))]
    if prefix in longs:
        return
    _, extra = parser.parse_known_args(["f.jsonl", prefix] if parser.prog.endswith("import") else ["GRPO", prefix])
    assert prefix in extra  # left over (the CLI then reports it), not taken for the option it abbreviates


def test_api_trend_out_of_range_period_is_a_400(db):
    from fastapi.testclient import TestClient

    from uptake.web import create_app

    client = TestClient(create_app(db), raise_server_exceptions=False)
    r = client.get("/api/trend", params={"q": "GRPO", "to": "9999-12"})
    assert r.status_code == 400 and "out of range" in r.text
