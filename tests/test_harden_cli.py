"""Issue 14 (command line): interrupt messages, bad paths, full disk, argparse strictness, tables."""

from __future__ import annotations

import pytest

from conftest import make_paper, store_with
from uptake.cli import main


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "c.duckdb"
    store_with(path, [make_paper(f"2501.{i:05d}", "GRPO and DPO", published=f"2025-0{1 + i % 6}-10") for i in range(30)])
    return path


@pytest.mark.parametrize("command, module, name", [
    ("adoption", "uptake.adoption", "adoption"),
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
