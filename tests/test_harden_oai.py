"""Issue 14 (OAI-PMH): refused sets, oai_dc subjects and comments, arXiv-format dates."""

from __future__ import annotations

from pathlib import Path

import pytest

from oai_server import FixtureRepository, OAIServer
from test_harvest import run, states
from uptake.cli import main
from uptake.errors import HarvestRefusedError


def test_a_refused_set_does_not_stop_the_others(tmp_path: Path) -> None:
    with OAIServer(FixtureRepository()) as server:
        with pytest.raises(HarvestRefusedError, match="nonsense.*badArgument.*other sets were harvested") as info:
            run(tmp_path / "x.duckdb", server, ["nonsense", "cs"])
    by_set = {s.set_spec: s for s in info.value.summary.sets}  # type: ignore[attr-defined]
    assert by_set["nonsense"].refused and not by_set["nonsense"].complete
    assert by_set["cs"].complete and by_set["cs"].inserted > 0 and by_set["cs"].refused is None
    assert {s["set_spec"] for s in states(tmp_path / "x.duckdb") if s.get("last_datestamp")} == {"cs"}


def test_cli_says_what_is_wrong_instead_of_run_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with OAIServer(FixtureRepository()) as server:
        code = main(["harvest", "--db", str(tmp_path / "h.duckdb"), "--endpoint", server.url, "--delay", "0",
                     "--contact", "t@example.org", "--set", "cs", "--set", "nonsense", "--set", "stat"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "set nonsense" in out and "refused by the server" in out
    nonsense_line = next(line for line in out.splitlines() if "set nonsense" in line)
    assert "run again to resume" not in nonsense_line
    assert "check --set" in err and "Traceback" not in err
