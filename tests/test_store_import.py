import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, make_paper
from uptake.errors import NoCorpusError, SchemaVersionError, StoreLockedError, StrictImportError
from uptake.ingest import import_files, upsert
from uptake.records import ImportSummary
from uptake.store import Store


def rows(path):
    with Store.open(path) as s:
        return s._rows("SELECT id, title, published, updated, categories FROM papers ORDER BY id")


def test_import_twice_changes_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store.open(db, write=True) as s:
        first = import_files(s, [FIXTURES / "normalised_with_errors.jsonl", FIXTURES / "kaggle_sample.jsonl"])
    before = rows(db)
    with Store.open(db, write=True) as s:
        second = import_files(s, [FIXTURES / "normalised_with_errors.jsonl", FIXTURES / "kaggle_sample.jsonl"])
    assert (first.inserted, first.updated, first.rejected) == (6, 0, 4)
    assert first.read == 10
    assert (second.inserted, second.updated, second.unchanged, second.rejected) == (0, 0, 6, 4)
    assert rows(db) == before
    assert [str(r) for r in first.rejections][0].endswith("normalised_with_errors.jsonl:2: missing published (first-version) date")


def test_newer_record_replaces_older_never_the_reverse(tmp_path):
    db = tmp_path / "s.duckdb"
    old = make_paper("2501.00001", "old title", published="2025-01-02", updated="2025-01-02")
    new = make_paper("2501.00001", "new title", published="2025-01-02", updated="2025-03-01")
    with Store.open(db, write=True) as s:
        s.begin(); assert upsert(s, [new]).inserted == 1; s.commit()
        s.begin(); c = upsert(s, [old]); s.commit()
        assert (c.inserted, c.updated, c.unchanged) == (0, 0, 1)
        assert s._rows("SELECT title FROM papers")[0][0] == "new title"
    db2 = tmp_path / "t.duckdb"
    with Store.open(db2, write=True) as s:
        s.begin(); upsert(s, [old]); s.commit()
        s.begin(); c = upsert(s, [new]); s.commit()
        assert (c.inserted, c.updated) == (0, 1)
        assert s._rows("SELECT title, count(*) OVER () FROM papers") == [("new title", 1)]


def test_same_date_tie_does_not_depend_on_import_order(tmp_path):
    a = make_paper("2501.00001", "version A", updated="2025-02-01")
    b = make_paper("2501.00001", "version B", updated="2025-02-01")
    titles = []
    for order in ([a, b], [b, a]):
        db = tmp_path / f"{order[0].title}.duckdb"
        with Store.open(db, write=True) as s:
            for p in order:
                s.begin(); upsert(s, [p]); s.commit()
            titles.append(s._rows("SELECT title FROM papers")[0][0])
    assert titles[0] == titles[1]


def test_strict_import_writes_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    with Store.open(db, write=True) as s:
        with pytest.raises(StrictImportError, match=r"normalised_with_errors.jsonl:2"):
            import_files(s, [FIXTURES / "kaggle_sample.jsonl", FIXTURES / "normalised_with_errors.jsonl"], strict=True)
        assert s.paper_count() == 0


def test_summary_lists_first_20_and_counts_all(tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = '{"id": "2501.00001", "title": "t", "abstract": "", "categories": [], "published": "2025-01-01"}\n'
    bad.write_text(good + "not json\n" * 35)
    with Store.open(tmp_path / "s.duckdb", write=True) as s:
        summary = import_files(s, [bad])
    assert summary.rejected == 35 and len(summary.rejections) == ImportSummary.KEEP_REJECTIONS
    assert summary.rejections[0].line == 2 and summary.rejections[-1].line == 21


def test_interrupted_import_resumes_without_duplicates(tmp_path):
    data = tmp_path / "many.jsonl"
    data.write_text("".join(
        f'{{"id": "2501.{i:05d}", "title": "t{i}", "abstract": "GRPO", "categories": ["cs.LG"], "published": "2025-01-02"}}\n'
        for i in range(3000)
    ))
    db = tmp_path / "s.duckdb"
    # Kill an import right after its second committed batch, then run it again.
    code = (
        "import os, sys\n"
        "import uptake.store as st\n"
        "from uptake.ingest import import_files\n"
        "orig = st.Store.commit\n"
        "n = [0]\n"
        "def commit(self):\n"
        "    orig(self); n[0] += 1\n"
        "    if n[0] == 2: os._exit(9)\n"
        "st.Store.commit = commit\n"
        f"s = st.Store.open({str(db)!r}, write=True)\n"
        f"import_files(s, [{str(data)!r}], batch_size=1000)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == 9
    with Store.open(db) as s:
        assert s.paper_count() == 2000  # two batches committed before the kill
    with Store.open(db, write=True) as s:
        summary = import_files(s, [data])
        assert (summary.inserted, summary.unchanged) == (1000, 2000)
        assert s._rows("SELECT count(*), count(DISTINCT id) FROM papers") == [(3000, 3000)]


def test_no_corpus_and_newer_schema(tmp_path):
    with pytest.raises(NoCorpusError, match="uptake import"):
        Store.open(tmp_path / "missing.duckdb")
    db = tmp_path / "s.duckdb"
    with Store.open(db, write=True) as s:
        s.set_meta("schema_version", "99")
    with pytest.raises(SchemaVersionError, match="newer uptake"):
        Store.open(db)


def test_locked_by_another_writer(tmp_path):
    db = tmp_path / "s.duckdb"
    Store.open(db, write=True).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"ok"
        with pytest.raises(StoreLockedError, match="another uptake process"):
            Store.open(db, write=True, wait=0.3)
    finally:
        holder.kill()
        holder.wait()


def test_parallel_tokenising_gives_the_same_store(tmp_path):
    from uptake.synthetic import SyntheticCorpus, write_jsonl

    data = tmp_path / "synth.jsonl"
    write_jsonl(SyntheticCorpus(n_papers=3000, start="2024-01", end="2025-06", seed=3, vocabulary_size=3000,
                                sentence_pool=500), str(data))
    with open(data, "a") as f:  # a duplicate id with a later update and a bad line, so batches differ in shape
        f.write('{"id": "2401.00001", "title": "GRPO again", "abstract": "Code: https://github.com/a/b", '
                '"categories": ["cs.LG"], "published": "2024-01-02", "updated": "2025-01-01"}\nnot json\n')
    stores = []
    for workers in (1, 2):
        db = tmp_path / f"w{workers}.duckdb"
        with Store.open(db, write=True) as s:
            summary = import_files(s, [data], batch_size=700, workers=workers)
        assert (summary.read, summary.inserted, summary.updated, summary.rejected) == (3002, 3000, 1, 1)
        stores.append(rows_all(db))
    assert stores[0] == stores[1]


def _messy_json_lines(tmp_path, *, gzipped=False, cut=False):
    """Synthetic papers with what changes batches: blank lines, bad JSON, records that cannot be papers, and the
    same ids again, older and newer, in the same batch and in later ones; gzip'd and cut short if asked."""
    import gzip
    import random

    import orjson

    from uptake.synthetic import SyntheticCorpus

    rng = random.Random(5)
    lines = []
    for paper in SyntheticCorpus(n_papers=900, start="2024-01", end="2025-06", seed=8, vocabulary_size=2000,
                                 sentence_pool=300).papers():
        record = {"id": paper.id, "title": paper.title, "abstract": paper.abstract,
                  "categories": list(paper.categories), "published": paper.published.isoformat()}
        lines.append(orjson.dumps(record))
        roll = rng.random()
        if roll < 0.05:
            lines.append(b"   ")
        elif roll < 0.09:
            lines.append(b'{"id": "2401.9999", "title": ')
        elif roll < 0.12:
            lines.append(orjson.dumps({**record, "title": ""}))
        elif roll < 0.2:  # the same id later: sometimes newer, sometimes the same date with other text
            later = {**record, "abstract": record["abstract"] + " Revised.",
                     "updated": "2025-12-01" if rng.random() < 0.5 else record["published"]}
            lines.insert(rng.randrange(max(0, len(lines) - 300), len(lines) + 1), orjson.dumps(later))
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / ("messy.jsonl.gz" if gzipped else "messy.jsonl")
    if gzipped:
        data = gzip.compress(data, compresslevel=1)
        if cut:
            data = data[: len(data) * 2 // 3]
    path.write_bytes(data)
    return path


def _reference_import(db, path, batch_size):
    """What an import of JSON Lines does, from the record iterator and the one-by-one reference derivation: a
    batch is every ``batch_size`` non-blank lines, rejected ones included, each committed on its own."""
    from uptake.ingest import derive_one_by_one
    from uptake.records import Rejection
    from uptake.sources import read_records

    summary = ImportSummary(files=[str(path)])
    batch, lines = [], 0
    with Store.open(db, write=True) as s:
        def flush():
            s.begin()
            c = s.upsert(batch, derive_one_by_one(batch))
            s.commit()
            summary.inserted += c.inserted
            summary.updated += c.updated
            summary.unchanged += c.unchanged
            summary.uncategorised += sum(1 for p in batch if not p.categories)
            batch.clear()

        for _, item in read_records(path):
            summary.read += 1
            if isinstance(item, Rejection):
                summary.reject(item)
                if "ends early" in item.reason:
                    continue
            else:
                batch.append(item)
            lines += 1
            if lines % batch_size == 0 and batch:
                flush()
        if batch:
            flush()
    return summary


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("shape", ["plain", "gzip", "gzip cut short"])
def test_json_lines_import_equals_the_record_by_record_reference(tmp_path, workers, shape):
    """The import parses JSON Lines in chunks (in worker processes when there are workers): the store, every
    paper's doc number and the summary are what the record iterator and the reference derivation give."""
    data = _messy_json_lines(tmp_path, gzipped=shape != "plain", cut=shape == "gzip cut short")
    expected = _reference_import(tmp_path / "ref.duckdb", data, 97)
    with Store.open(tmp_path / "s.duckdb", write=True) as s:
        got = import_files(s, [data], batch_size=97, workers=workers)
    assert got.as_dict() == expected.as_dict()
    assert expected.rejected >= 30 and expected.updated + expected.unchanged >= 30
    if shape == "gzip cut short":  # the file's end is reported once, after every line before it
        assert got.read == lines_before_the_cut(data) + 1 and got.read < 1000
    assert rows_with_doc(tmp_path / "s.duckdb") == rows_with_doc(tmp_path / "ref.duckdb")


def lines_before_the_cut(path):
    import zlib

    data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(path.read_bytes())
    return sum(1 for line in data.split(b"\n")[:-1] if line.strip())  # the last piece is cut mid-line or empty


def rows_with_doc(path):
    with Store.open(path) as s:
        return s._rows("SELECT * FROM papers ORDER BY doc")


def rows_all(path):
    with Store.open(path) as s:
        return s._rows("SELECT * EXCLUDE (doc) FROM papers ORDER BY id")


def _children(pid):
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _sigint_state(pid):
    """'ignored' once the process ignores SIGINT, 'dead' once it has exited, else 'starting'."""
    import signal

    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "dead"
    for line in status:
        if line.startswith("State:") and line.split()[1] in ("Z", "X"):
            return "dead"
    for line in status:
        if line.startswith("SigIgn:"):
            return "ignored" if int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)) else "starting"
    return "starting"


def _interrupt_children_until_they_ignore_it(pid):
    """SIGINT every child of ``pid`` again and again until each ignores SIGINT (its startup is over).

    This hits a worker all through its interpreter startup (the old race: it died, or printed a
    KeyboardInterrupt traceback) however fast or slow the machine is. With the fix each signal
    stays pending under the mask the worker was started with and is discarded once it ignores it.
    """
    import signal
    import time

    deadline = time.monotonic() + 120  # only a hang guard: the loop ends when the workers' startup does
    while time.monotonic() < deadline:
        states = {k: _sigint_state(k) for k in _children(pid)}
        assert "dead" not in states.values(), f"a child process died of SIGINT during its startup: {states}"
        if states and all(v == "ignored" for v in states.values()):
            return
        for k, state in states.items():
            if state == "starting":
                try:
                    os.kill(k, signal.SIGINT)
                except ProcessLookupError:
                    pass
    raise AssertionError("the worker processes never finished starting")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads worker signal state from /proc (Linux)")
def test_ctrl_c_during_a_parallel_import_is_clean_and_a_rerun_completes(tmp_path):
    """Ctrl-C at two points the import reaches for certain, whatever the machine's speed.

    ``UPTAKE_TEST_PAUSE=point:FILE`` makes the import create FILE at ``point`` and wait there; the
    signal goes to the whole process group (as from a terminal) only once FILE exists. At
    ``workers-starting`` the worker processes are still booting (the old race); at
    ``batch-committed`` a batch is in the store and the workers are busy.
    """
    import signal
    import time

    from uptake.synthetic import SyntheticCorpus, write_jsonl

    data = tmp_path / "synth.jsonl"
    n = write_jsonl(SyntheticCorpus(n_papers=10_500, start="2023-01", end="2025-06", seed=4, vocabulary_size=5000,
                                    sentence_pool=2000), str(data))
    db = tmp_path / "s.duckdb"
    argv = [sys.executable, "-m", "uptake", "import", "-q", "--workers", "2", "--db", str(db), str(data)]
    for point in ("workers-starting", "batch-committed"):
        marker = tmp_path / f"{point}.{time.monotonic_ns()}"
        env = {**os.environ, "UPTAKE_TEST_PAUSE": f"{point}:{marker}"}
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env)
        while not marker.exists():  # the import reaches the point for certain; no sleep decides anything
            assert proc.poll() is None, proc.communicate()[1].decode()
            time.sleep(0.01)
        if point == "workers-starting":
            _interrupt_children_until_they_ignore_it(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err.decode()
        assert b"Traceback" not in err and b"KeyboardInterrupt" not in err, err.decode()
        assert b"run the same command again" in err
    done = subprocess.run(argv[:-1] + ["--json", str(data)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    import json

    summary = json.loads(done.stdout)
    assert summary["inserted"] + summary["unchanged"] == n and summary["unchanged"] >= 5000
    with Store.open(db) as s:
        assert s._rows("SELECT count(*), count(DISTINCT id) FROM papers") == [(n, n)]


def test_papers_without_categories_are_kept_and_counted(tmp_path):
    import json

    from uptake.corpus import Corpus
    from uptake.outputs.report import export_corpus

    data = tmp_path / "uncategorised.jsonl"
    records = [{"id": f"2505.{i:05d}", "title": f"Paper {i}", "abstract": "Text.", "categories": cats,
                "published": "2025-05-02", "authors": ["A"]}
               for i, cats in enumerate([["cs.LG"], [], ["cs.CL", "cs.LG"], []])]
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    with Store.open(tmp_path / "a.duckdb", write=True) as s:
        summary = import_files(s, [data])
    assert (summary.inserted, summary.rejected, summary.uncategorised) == (4, 0, 2)
    assert summary.as_dict()["without_categories"] == 2
    # The same papers through the columnar path (re-importing an export) are counted the same way.
    export_corpus(Corpus(tmp_path / "a.duckdb"), tmp_path / "snap")
    with Store.open(tmp_path / "b.duckdb", write=True) as s:
        again = import_files(s, sorted((tmp_path / "snap").glob("*.parquet")))
    assert (again.inserted, again.uncategorised) == (4, 2)


def test_cli_says_how_many_papers_have_no_category(tmp_path, capsys):
    import json

    from uptake.cli import main

    data = tmp_path / "uncategorised.jsonl"
    data.write_text(json.dumps({"id": "2505.00001", "title": "T", "abstract": "A.", "categories": [],
                                "published": "2025-05-02", "authors": []}) + "\n")
    assert main(["import", str(data), "--db", str(tmp_path / "s.duckdb")]) == 0
    assert "1 paper(s) have no category" in capsys.readouterr().out


def test_kill_9_during_a_parallel_json_lines_import_then_rerun_gives_the_same_store(tmp_path):
    """SIGKILL (the importing process and its workers) once the first batch the workers parsed is committed; the
    rerun completes the import and the store equals one imported without interruption."""
    import signal
    import time

    data = _messy_json_lines(tmp_path)
    db = tmp_path / "killed.duckdb"
    marker = tmp_path / "committed"
    code = (
        "from uptake.ingest import import_files\n"
        "from uptake.store import Store\n"
        f"with Store.open({str(db)!r}, write=True) as s:\n"
        f"    import_files(s, [{str(data)!r}], batch_size=97, workers=2)\n"
    )
    env = {**os.environ, "UPTAKE_TEST_PAUSE": f"batch-committed:{marker}", "UPTAKE_NO_INDEX": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    while not marker.exists():  # the import reaches the point for certain; no sleep decides anything
        assert proc.poll() is None, proc.communicate()[1].decode()
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    with Store.open(db) as s:
        partial = s.paper_count()
    expected = _reference_import(tmp_path / "ref.duckdb", data, 97)
    papers = expected.inserted
    assert 0 < partial < papers
    with Store.open(db, write=True) as s:
        rerun = import_files(s, [data], batch_size=97, workers=2)
    assert rerun.inserted == papers - partial and rerun.rejected == expected.rejected
    assert rows_all(db) == rows_all(tmp_path / "ref.duckdb")
    with Store.open(db) as s:
        assert s._rows("SELECT count(*), count(DISTINCT id), count(DISTINCT doc) FROM papers") == [(papers,) * 3]
