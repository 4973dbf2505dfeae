import json
import subprocess
import sys

import pytest

from conftest import FIXTURES
from uptake.cli import main


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.duckdb"
    assert main(["import", "--db", str(path), "--quiet", str(FIXTURES / "kaggle_sample.jsonl"),
                 str(FIXTURES / "normalised_with_errors.jsonl")]) == 0
    return path


def test_import_summary(tmp_path, capsys):
    path = tmp_path / "x.duckdb"
    assert main(["import", "--db", str(path), "-q", str(FIXTURES / "normalised_with_errors.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "read 7 · inserted 3 · updated 0 · unchanged 0 · rejected 4" in " ".join(out.split())
    assert "normalised_with_errors.jsonl:3: not valid JSON" in out
    assert main(["import", "--db", str(path), "-q", "--json", str(FIXTURES / "normalised_with_errors.jsonl")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["inserted"], summary["unchanged"], summary["rejected"]) == (0, 3, 4)


def test_trend_csv_json_table(db, capsys):
    assert main(["trend", "GRPO", "--db", str(db), "--measure", "count", "--format", "csv", "--from", "2025-05", "--to", "2025-06"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "period,series,count,total,share,complete", "2025-05,GRPO,2,3,0.6666666666666666,true", "2025-06,GRPO,0,0,,false",
    ]
    assert main(["trend", "GRPO, LoRA", "--db", str(db), "--format", "json", "--category", "cs", "--to", "2025-06"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["label"] for s in data["series"]] == ["GRPO", "LoRA"]
    assert data["filters"]["category"] == ["cs"]
    assert data["series"][0]["points"][-1]["complete"] is False
    assert main(["trend", "GRPO", "--db", str(db), "--from", "2025-01", "--to", "2025-06"]) == 0
    out = capsys.readouterr().out
    assert "2025-06 *" in out and "2025-05 *" not in out and "incomplete period" in out


def test_plot_png_and_svg(db, tmp_path, capsys):
    png, svg = tmp_path / "g.png", tmp_path / "g.svg"
    assert main(["plot", "GRPO, DPO", "--db", str(db), "-o", str(png)]) == 0
    assert main(["plot", "GRPO, DPO", "--db", str(db), "-o", str(svg), "--measure", "count"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image  # matplotlib depends on Pillow

    assert Image.open(png).size == (1200, 600)
    assert b"<svg" in svg.read_bytes()[:500]


def test_papers(db, capsys):
    assert main(["papers", "GRPO", "--db", str(db), "--month", "2025-05", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in data["papers"]] == ["2505.00004", "2505.00001"]
    assert data["papers"][0]["url"] == "https://arxiv.org/abs/2505.00004"
    assert main(["papers", "GRPO", "--db", str(db), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "id,date,primary_category,title"


def test_stats(db, capsys):
    assert main(["stats", "--db", str(db), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["papers"] == 6 and sum(m["total"] for m in data["months"]) == 6
    assert main(["stats", "--db", str(db)]) == 0
    assert "cs.LG" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["trend", 'GRPO, "abc'], "unbalanced quote"),
        (["trend", "GRPO", "--from", "2025-06", "--to", "2025-01"], "after --to"),
        (["trend", "GRPO", "--from", "2025-13"], "YYYY-MM"),
        (["trend", "GRPO", "--category", "cs.XY"], "category 'cs.XY'"),
        (["import", "/nonexistent/file.jsonl"], "no such file"),
        (["plot", "GRPO", "-o", "x.pdf"], ".png or .svg"),
    ],
)
def test_errors_are_one_line_with_exit_2(db, capsys, argv, message):
    assert main([*argv[:1], "--db", str(db), *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert message in " ".join(err.split())
    assert "Traceback" not in err


def test_no_corpus_yet(tmp_path, capsys):
    assert main(["trend", "GRPO", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "uptake import" in capsys.readouterr().err


def test_unrecognised_file_names_formats(tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("just words\n")
    assert main(["import", "--db", str(tmp_path / "d.duckdb"), str(f)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Kaggle" in err and "--format" in err


def test_demo_writes_figure_and_csv_in_its_own_store(tmp_path):
    demo_db = tmp_path / "demo.duckdb"
    out = tmp_path / "out"
    assert main(["demo", "--db", str(demo_db), "--out", str(out), "--papers", "1500"]) == 0
    assert (out / "grpo.png").stat().st_size > 10_000
    rows = (out / "grpo.csv").read_text().splitlines()
    assert rows[0] == "period,series,count,total,share,complete"
    # the demo refuses to overwrite a store that is not a demo store
    real = tmp_path / "real.duckdb"
    assert main(["import", "--db", str(real), "-q", str(FIXTURES / "kaggle_sample.jsonl")]) == 0
    assert main(["demo", "--db", str(real), "--out", str(out)]) == 2


def test_console_script_runs():
    proc = subprocess.run([sys.executable, "-m", "uptake", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "trend" in proc.stdout
