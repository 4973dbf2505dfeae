"""Wrong numbers never come without a warning: damaged indexes and stores, read-only stores, has: from the index.

Each test damages a copy of one small store (and its term index) built once per module:
bit flips in the index's largest file, a store cut in half or with corrupted blocks, an
index directory tantivy cannot lock, a rebuild that fails midway.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from conftest import FIXTURES, make_paper, store_with

from uptake import index as ix
from uptake.cli import main
from uptake.corpus import Corpus
from uptake.errors import IndexDamagedWarning, QueryError, StoreDamagedError
from uptake.store import Store

WORDS = ["grpo", "dense", "model", "policy", "optimization", "reward", "lora", "sparse", "attention"]
LINKS = ["", "", "", " Code: https://github.com/a/b", " Weights at https://huggingface.co/org/model",
         " Dataset: https://huggingface.co/datasets/x/y", " Demo at https://x.github.io/p", " Code will be released soon",
         " Code and data at https://github.com/a/b and https://huggingface.co/datasets/a/b"]


def _papers(n: int, seed: int = 3):  # type: ignore[no-untyped-def]
    r = random.Random(seed)
    return [make_paper(f"2501.{i:05d}", " ".join(r.choice(WORDS) for _ in range(4)),
                       " ".join(r.choice(WORDS) for _ in range(30)) + r.choice(LINKS),
                       categories=r.choice([("cs.LG",), ("cs.CL", "cs.LG"), ("stat.ML",)]),
                       published=f"202{r.randrange(5)}-{1 + r.randrange(12):02d}-{1 + r.randrange(28):02d}")
            for i in range(n)]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("damage") / "base.duckdb"
    store_with(path, _papers(1200))
    with Store.open(path, write=True) as store:
        ix.rebuild(store)
    return path


@pytest.fixture
def copy(base: Path, tmp_path: Path) -> Path:
    """A private copy of the base store and its index."""
    path = tmp_path / "s.duckdb"
    shutil.copy(base, path)
    shutil.copytree(ix.index_dir(base), ix.index_dir(path))
    return path


def _gen_dir(path: Path) -> Path:
    root = ix.index_dir(path)
    return root / (root / "CURRENT").read_text().strip()


def _flip_bits(path: Path, n: int, seed: int = 1) -> None:
    time.sleep(0.05)  # a later modification time than the build's, as any real damage has
    data = bytearray(path.read_bytes())
    r = random.Random(seed)
    for _ in range(n):
        i = r.randrange(len(data))
        data[i] ^= 1 << r.randrange(8)
    with open(path, "r+b") as fh:  # in place, as a failing disk or a stray write would
        fh.write(data)


def _scan_trend(path: Path, query: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with monkeypatch.context() as m:
        m.setenv("UPTAKE_NO_INDEX", "1")
        return Corpus(path).trend(query).to_pandas()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- 1. a damaged index is never trusted ------------------------------------------------------
def test_bit_flipped_index_answers_by_the_scan_with_a_warning(copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    largest = max((f for f in _gen_dir(copy).iterdir() if f.is_file()), key=lambda f: f.stat().st_size)
    _flip_bits(largest, 200)
    expected = _scan_trend(copy, "dense, grpo policy", monkeypatch)
    with pytest.warns(IndexDamagedWarning, match="uptake index --rebuild"):
        got = Corpus(copy).trend("dense, grpo policy").to_pandas()
    assert got.equals(expected)

    assert main(["trend", "dense", "--db", str(copy)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "integrity" in err and "Traceback" not in err

    assert main(["index", "--status", "--db", str(copy)]) == 1
    assert "DAMAGED" in capsys.readouterr().out
    assert main(["check", "--db", str(copy)]) == 1
    out = capsys.readouterr().out
    assert largest.name in out and "uptake index --rebuild" in out

    assert main(["index", "--db", str(copy)]) == 0  # repairs: a new generation from the store
    capsys.readouterr()
    assert main(["check", "--db", str(copy)]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", IndexDamagedWarning)
        assert Corpus(copy).trend("dense, grpo policy").to_pandas().equals(expected)


def test_index_month_counts_must_equal_the_stores(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The store changes behind the index's back without changing its position (doc, live count).
    with Store.open(copy, write=True) as store:
        store._con.execute("UPDATE papers SET month = month + 1 WHERE id = '2501.00007'")
    expected = _scan_trend(copy, "dense", monkeypatch)
    with pytest.warns(IndexDamagedWarning, match="per month differ"):
        got = Corpus(copy).trend("dense").to_pandas()
    assert got.equals(expected)


def test_import_repairs_a_damaged_index(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _flip_bits(max(_gen_dir(copy).iterdir(), key=lambda f: f.stat().st_size if f.is_file() else 0), 50)
    assert main(["import", str(FIXTURES / "kaggle_sample.jsonl"), "--db", str(copy)]) == 0
    capsys.readouterr()
    assert main(["check", "--db", str(copy)]) == 0


# -- 2. a damaged store: one line, exit 2, never a traceback, never an answer from its index --------------
def _half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _corrupt_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for k in range(len(data) // 3, 2 * len(data) // 3, 8192):
        data[k] ^= 0xFF
    path.write_bytes(data)


COMMANDS = [["stats"], ["trend", "dense"], ["papers", "dense"], ["papers", "dense has:code"],
            ["export", "-o", "{out}"], ["index", "--rebuild"], ["index"],
            ["import", str(FIXTURES / "kaggle_sample.jsonl")]]


@pytest.mark.parametrize("damage", [_half, _corrupt_middle], ids=["truncated", "corrupted"])
def test_damaged_store_is_one_line_exit_2(copy: Path, tmp_path: Path, damage, capsys) -> None:  # type: ignore[no-untyped-def]
    damage(copy)
    before = _digest(copy)
    gens_before = sorted(p.name for p in ix.index_dir(copy).iterdir())
    for argv in COMMANDS:
        argv = [a.replace("{out}", str(tmp_path / "export")) for a in argv]
        assert main([*argv, "--db", str(copy)]) == 2, argv
        err = capsys.readouterr().err
        assert "Traceback" not in err, argv
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: the store") and "damaged" in lines[0], (argv, err)
        assert "uptake check" in lines[0] and "re-import" in lines[0]
    assert _digest(copy) == before  # not made worse
    assert not Path(str(copy) + ".wal").exists()
    assert sorted(p.name for p in ix.index_dir(copy).iterdir()) == gens_before  # no orphan gen-N
    assert main(["check", "--db", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "store: PROBLEM" in out and "restore" in out


def test_damaged_store_raises_store_damaged_error(copy: Path) -> None:
    _corrupt_middle(copy)
    with pytest.raises(StoreDamagedError, match="uptake check"):
        Corpus(copy).stats()


# -- a rebuild that fails midway leaves nothing behind ----------------------------------------
def test_failed_rebuild_leaves_no_generation(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = ix.index_dir(copy)
    before = sorted(p.name for p in root.iterdir())
    current = (root / "CURRENT").read_text()

    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr(ix, "_add_rows", fail)
    with Store.open(copy, write=True) as store, pytest.raises(OSError):
        ix.rebuild(store)
    assert sorted(p.name for p in root.iterdir()) == before
    assert (root / "CURRENT").read_text() == current


# -- 3. a read-only store and index still use the index ----------------------------------------
def test_index_directory_tantivy_cannot_lock_is_still_used(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tantivy

    real = tantivy.Index

    def locked(schema, path=None, reuse=False):  # type: ignore[no-untyped-def]
        if reuse and ".index" in str(path):  # what tantivy says when it cannot create its lock file
            raise ValueError('Failed to acquire Lockfile: IoError(Os { code: 13, kind: PermissionDenied, '
                             'message: "Permission denied" }). None')
        return real(schema, path=path, reuse=reuse)

    monkeypatch.setattr(tantivy, "Index", locked)
    expected = _scan_trend(copy, "dense, has:code", monkeypatch)

    def no_scan(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("scanned although the index is fresh")

    monkeypatch.setattr(Store, "scan_trend", no_scan)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IndexDamagedWarning)
        assert Corpus(copy).trend("dense, has:code").to_pandas().equals(expected)


_READ_ONLY_PROBE = """
import sys, warnings
warnings.simplefilter("error")
from uptake.store import Store
from uptake import index as ix
try:
    open(sys.argv[1], "r+b")
    print("writable")
except OSError:
    pass
with Store.open(sys.argv[1]) as store:
    print("index" if ix.open_fresh(store) is not None else "scan")
"""


def test_read_only_store_and_index_use_the_index(copy: Path) -> None:
    """For real: store and index made read-only with chmod (root drops the capability that ignores it)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
                  "--inh-caps", "-dac_override,-dac_read_search"]
    paths = [copy, *ix.index_dir(copy).rglob("*"), ix.index_dir(copy)]
    for p in paths:
        p.chmod(p.stat().st_mode & ~0o222)
    try:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        done = subprocess.run([*prefix, sys.executable, "-c", _READ_ONLY_PROBE, str(copy)], env=env,
                              capture_output=True, text=True, timeout=60, check=False)
    finally:
        for p in paths:
            p.chmod(p.stat().st_mode | 0o200)
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip("setpriv cannot drop capabilities here")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["index"]


# -- 4. has: from the index equals the scan ---------------------------------------------------
HAS_QUERIES = ["has:code", "dense has:code", "has:weights, has:data, has:demo, has:promise",
               "grpo -has:code", "(has:code OR has:data) policy", "has:code has:data", "cat:cs.CL has:weights",
               "lora | has:demo", "-has:promise -has:code"]


@pytest.mark.parametrize("query", HAS_QUERIES)
def test_has_from_the_index_equals_the_scan(base: Path, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = Corpus(base)
    with monkeypatch.context() as m:
        m.setenv("UPTAKE_NO_INDEX", "1")
        trend = corpus.trend(query).to_pandas()
        papers = corpus.papers(query, limit=7, offset=3)
        narrow = corpus.trend(query, category="cs.LG", start="2021-03", end="2023-08").to_pandas()
    with monkeypatch.context() as m:
        def no_scan(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise AssertionError("has: was answered by the scan although the index is fresh")

        m.setattr(Store, "scan_trend", no_scan)
        m.setattr(Store, "scan_papers", no_scan)
        assert corpus.trend(query).to_pandas().equals(trend)
        assert corpus.papers(query, limit=7, offset=3) == papers
        assert corpus.trend(query, category="cs.LG", start="2021-03", end="2023-08").to_pandas().equals(narrow)
    assert trend["count"].sum() > 0


def test_recomputed_openness_flags_make_the_index_stale(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(copy, write=True) as store:
        store.set_meta("openness_version", "some-other-version")
        assert not ix.status(store).fresh
    called = []
    real = Store.scan_trend

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        called.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "scan_trend", spy)
    Corpus(copy).trend("has:code")
    assert called


# -- 5. wildcard expansion is bounded ---------------------------------------------------------
@pytest.mark.parametrize("query", ["*", "=*", "* has:code C++"])
def test_bare_wildcard_is_a_clear_error(base: Path, query: str) -> None:
    started = time.process_time()  # CPU of every thread, not the wall clock: refused before any expansion work
    with pytest.raises(QueryError, match="every word"):
        Corpus(base).trend(query)
    assert time.process_time() - started < 5


def test_bounded_wildcards_still_expand(base: Path) -> None:
    t = Corpus(base).trend('"* optimization", gr*')
    assert t.filters["expanded"]


# -- a full disk: one line, nothing half-built ---------------------------------------------------
def test_full_disk_during_index_rebuild_is_one_line(copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = ix.index_dir(copy)
    before = sorted(p.name for p in root.iterdir())

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("An IO error occurred: 'No space left on device (os error 28) at path \"x/.tmp1\"'")

    monkeypatch.setattr(ix, "_add_rows", full)
    assert main(["index", "--rebuild", "--db", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "No space left" in err and "uptake index --rebuild" in err
    assert sorted(p.name for p in root.iterdir()) == before


def test_full_disk_while_committing_is_a_store_error_not_damage(tmp_path: Path) -> None:
    import duckdb

    from uptake.errors import StoreError
    from uptake.store import damage_error

    exc = duckdb.TransactionException('TransactionContext Error: Failed to commit: Could not write file '
                                      '"s.duckdb.wal": No space left on device')
    mapped = damage_error(tmp_path / "s.duckdb", exc)
    assert isinstance(mapped, StoreError) and not isinstance(mapped, StoreDamagedError)
    assert "disk is full" in str(mapped) and "committed before is kept" in str(mapped)


# -- the full-text index: check re-hashes it, and a damaged one is not used --------------------------
def test_check_reports_a_bit_flipped_fulltext_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_fulltext import build, make_texts

    from uptake.index import fulltext

    path = tmp_path / "ft.duckdb"
    texts, _ = make_texts(1, 40)
    build(path, texts)
    assert main(["check", "--db", str(path)]) == 0
    root = fulltext.fulltext_dir(path)
    gen = root / (root / "CURRENT").read_text().strip()
    largest = max((f for f in gen.iterdir() if f.is_file()), key=lambda f: f.stat().st_size)
    _flip_bits(largest, 50, seed=2)
    capsys.readouterr()
    assert main(["check", "--db", str(path)]) == 1
    out = capsys.readouterr().out
    assert "full-text index: PROBLEM" in out and largest.name in out
    with Store.open(path) as store:
        assert fulltext.open_fresh(store) is None  # the scan answers full-text queries instead
