"""The term index: answers trend and papers queries from postings instead of scanning the store.

Design (chosen by measuring, see docs/index.md): a tantivy index (a Rust
search-engine library) fed with *uptake's own tokens*. Every paper becomes one
index document with two token fields with positions (``t``, ``a``), the whitespace-joined folded tokens
that :mod:`uptake.text` produced at import time (the store's ``title_tok`` and ``abstract_tok`` strings,
as read through ``store._scan.TOKEN_SQL``: folded strings of ASCII text are derived there), split again by
tantivy's whitespace tokenizer, which neither lowercases, stems, nor drops long
tokens; and two exact fields without positions (``tc``, ``ac``) holding only the tokens casefolding
changes, with marks (:mod:`uptake.index._case`): case-sensitive terms are answered from both, and
case-sensitive phrases are confirmed on the store's exact token strings. So the index's notion of a token is exactly uptake's, and a phrase is a
tantivy phrase query over positions (title and abstract are separate fields, so
a phrase never spans them). ``month`` and ``pub`` (published date ordinal) are
fast fields for per-month aggregation and newest-first listing; ``cat`` holds
each category and its archive (``cs.CL`` and ``cs``), which is exactly the
store's ``cat:`` semantics; ``id`` lets an updated paper's old version be deleted.

Consistency with the store:

- The index lives next to the store, in ``<store>.index/``. ``CURRENT`` names the
  live generation directory (``gen-N``); it is replaced atomically (write a
  temporary file, ``os.replace``), so a rebuild interrupted at any point leaves the
  old complete generation in use.
- Inside a generation, tantivy commits atomically (its ``meta.json`` is replaced
  in one step) and ``state.json`` (the store position the index reflects: highest
  ``doc``, live paper count, per-month totals) is written after the commit, also
  by atomic replace. A crash between the two leaves ``state.json`` behind the
  index; the next :func:`sync` re-adds those papers, deleting by id first, which
  is idempotent.
- Readers use the index only when it is *fresh*: its ``state.json`` names the
  store's current highest ``doc`` and live paper count (and the same matching
  semantics). Otherwise they fall back to the exact SQL scan.

Integrity (see docs/reliability.md): after each commit the generation's
``manifest.json`` records every file's size, modification time and SHA-1. On
open a reader compares sizes and times (microseconds) and re-hashes any file whose
time changed; it also checks that the index's per-month document counts equal the
store's month totals. An index failing either check is not used: the scan answers,
with an :class:`~uptake.errors.IndexDamagedWarning`, and the next ``uptake index``
or import rebuilds it. ``uptake check`` re-hashes every file.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import os
import shutil
import time
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import tantivy

from ..errors import IndexDamagedWarning, IndexNotUsedWarning, NoCorpusError, UsageError
from ..plans import (
    EVERYTHING, AllOf, AmongPapers, AnyOf, HasKind, InCategory, Negate, Node, Phrase, SeriesPlan, any_series, categories_node,
)
from ..serialise import AsDict
from ..text import SEMANTICS_VERSION, phrase_key
from ._case import CASED_MARK, case_terms, exact_phrase_candidates, exact_term_query

if TYPE_CHECKING:
    from ..store import Store

Field = Literal["any", "title", "abstract"]

#: Bumped when the index layout changes; an index of another format is rebuilt.
INDEX_FORMAT = "3"  # 2: the has field (artifact links), manifest.json; 3: exact fields hold case terms only
#: Papers read from the store per chunk while indexing.
CHUNK = 20_000
#: tantivy writer memory (bytes, split across threads).
WRITER_HEAP = 256_000_000

_TEXT_FIELDS = {("title", False): "t", ("abstract", False): "a", ("title", True): "tc", ("abstract", True): "ac"}
_SOURCE_COLUMNS = {"t": "title_tok", "a": "abstract_tok", "tc": "title_tok_cs", "ac": "abstract_tok_cs"}

ProgressFn = Callable[[int, int], None]


def available() -> bool:
    """Whether the index engine is installed (it is a required dependency: always true)."""
    return True


def index_dir(store_path: str | Path) -> Path:
    """Where the index of the store at ``store_path`` lives."""
    return Path(str(store_path) + ".index")


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in ("t", "a"):
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    for name in ("tc", "ac"):  # which papers hold a token casefolding changes (:mod:`uptake.index._case`)
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="basic")
    sb.add_text_field("id", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("cat", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("has", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("doc", fast=True, indexed=False)
    sb.add_integer_field("month", fast=True, indexed=True)
    sb.add_integer_field("pub", fast=True, indexed=True)
    return sb.build()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # pragma: no cover - directories cannot be fsynced everywhere
        pass


def _store_position(store: Store) -> tuple[int, int]:
    """(highest doc ever stored, live papers) of the store."""
    return store.position()


def _store_uuid(store: Store) -> str | None:
    return store.get_meta("store_uuid")


def ensure_store_identity(store: Store) -> str:
    """Give ``store`` (open for writing) the random id its index records; returns it."""
    return _ensure_store_uuid(store)


def _ensure_store_uuid(store: Store) -> str:
    value = store.get_meta("store_uuid")
    if value is None:
        value = uuid.uuid4().hex
        store.set_meta("store_uuid", value)
    return value


@dataclass(frozen=True)
class IndexInfo(AsDict):
    """What ``uptake index`` reports."""

    path: str
    generation: str | None
    papers: int
    max_doc: int
    fresh: bool
    size_bytes: int
    seconds: float | None = None
    action: str = "status"
    #: What failed the integrity checks (empty: nothing); a damaged index is never used.
    problems: tuple[str, ...] = ()
    #: Why it is not fresh (None when it is).
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "generation": self.generation, "papers": self.papers, "max_doc": self.max_doc,
            "fresh": self.fresh, "size_bytes": self.size_bytes, "seconds": self.seconds, "action": self.action,
            "problems": list(self.problems), "reason": self.reason,
        }


class TermIndex:
    """An open, complete index generation. Get one from :func:`open_index` or :func:`open_fresh`."""

    def __init__(self, root: Path, gen: str, state: dict[str, Any]) -> None:
        self.root = root
        self.gen = gen
        self.state = state
        self.schema = _schema()
        self.index = _open_tantivy(self.schema, root / gen)
        self._searcher: tantivy.Searcher | None = None
        #: The store, open for this question: case-sensitive phrases are confirmed on its text (:meth:`with_store`).
        self.store: Store | None = None
        self._exact: dict[Phrase, tantivy.Query] = {}

    def with_store(self, store: Store) -> TermIndex:
        """This index answering one question beside ``store`` (open meanwhile), which case-sensitive phrases of
        several tokens need: the copy shares the open index; the original, which other threads may be using,
        is not changed."""
        bound = copy.copy(self)
        bound.store = store
        bound._exact = {}
        return bound

    # -- opening -------------------------------------------------------------
    @property
    def searcher(self) -> tantivy.Searcher:
        if self._searcher is None:
            self._searcher = self.index.searcher()
        return self._searcher

    @property
    def papers(self) -> int:
        return int(self.state["live"])

    def span(self) -> tuple[Any, Any]:
        """(first, last) published date of the live papers, as the store's :meth:`Store.span`."""

        f, last = self.state.get("first"), self.state.get("last")
        return (_dt.date.fromisoformat(f) if f else None, _dt.date.fromisoformat(last) if last else None)

    def require_papers(self) -> int:
        if self.papers == 0:
            raise NoCorpusError("the store has no papers yet: import some with `uptake import FILE`")
        return self.papers

    def known_categories(self) -> list[str]:
        return list(self.state.get("categories", []))

    def is_fresh_for(self, store: Store) -> bool:
        return not self.stale_reason(store)

    def stale_reason(self, store: Store) -> str | None:
        """Why this index does not reflect ``store`` (None: it does)."""
        if self.state.get("format") != INDEX_FORMAT:
            return "it was built by another uptake version (index format changed)"
        if self.state.get("semantics") != SEMANTICS_VERSION:
            return "it was built with other matching semantics"
        if self.state.get("store_uuid") != _store_uuid(store):
            return "it belongs to another store"
        if self.state.get("openness") != store.get_meta("openness_version"):
            return "the store's code/weights/data flags were recomputed since"
        if (int(self.state["max_doc"]), int(self.state["live"])) != _store_position(store):
            return "papers were imported since it was updated"
        return None

    def all_month_counts(self) -> dict[int, int]:
        """Documents per month as the index itself holds them (not its state.json)."""
        return self.month_counts(tantivy.Query.all_query())

    # -- query building ------------------------------------------------------
    def node_query(self, node: Node) -> tantivy.Query:
        """The tantivy query of one plan node (:mod:`uptake.plans`)."""
        if isinstance(node, Phrase):
            if node.case_sensitive and len(node.tokens) > 1:
                return self._exact_phrase(node)
            parts = []
            for f in node.fields:
                name = _TEXT_FIELDS[(f, False)]
                if node.case_sensitive:
                    parts.append(exact_term_query(self.schema, name, _TEXT_FIELDS[(f, True)], node.tokens[0]))
                elif len(node.tokens) == 1:
                    parts.append(tantivy.Query.term_query(self.schema, name, node.tokens[0]))
                else:
                    parts.append(tantivy.Query.phrase_query(self.schema, name, list(node.tokens)))
            if len(parts) == 1:
                return parts[0]
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, p) for p in parts])
        if isinstance(node, InCategory):
            return tantivy.Query.term_query(self.schema, "cat", node.code)
        if isinstance(node, HasKind):
            return tantivy.Query.term_query(self.schema, "has", node.kind)
        if isinstance(node, AmongPapers):
            if not node.ids:
                return self.node_query(AnyOf(()))
            return tantivy.Query.term_set_query(self.schema, "id", list(node.ids))
        if isinstance(node, Negate):
            inner = self.node_query(node.item)
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, inner)]
            )
        if isinstance(node, AllOf):
            return self.all_of([self.node_query(e) for e in node.items])
        if isinstance(node, AnyOf):
            if not node.items:
                return tantivy.Query.boolean_query(
                    [(tantivy.Occur.Must, tantivy.Query.all_query()),
                     (tantivy.Occur.MustNot, tantivy.Query.all_query())])
            parts = [self.node_query(e) for e in node.items]
            return parts[0] if len(parts) == 1 else tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, p) for p in parts])
        raise TypeError(f"the term index cannot answer {node!r}")

    def _exact_phrase(self, node: Phrase) -> tantivy.Query:
        """A case-sensitive phrase: the exact fields know which papers hold each token but not where, so the
        papers with the folded phrase and every exact token in one field are read from the store and kept when
        that field's exact tokens hold the phrase (what the scan does); the answer is those papers' ids."""
        if node in self._exact:
            return self._exact[node]
        if self.store is None:
            raise RuntimeError("a case-sensitive phrase needs the store beside the index: use with_store()")
        candidates = exact_phrase_candidates(
            self.schema, [(_TEXT_FIELDS[(f, False)], _TEXT_FIELDS[(f, True)]) for f in node.fields], node.tokens)
        docs = [d for _, d in self.docs(candidates, self.count(candidates))]
        key = phrase_key(list(node.tokens))
        columns = [f"{f}_tok_cs" for f in node.fields]
        found = [str(row[0]) for row in self.store.token_rows(EVERYTHING, columns=["id", *columns], docs=docs)
                 if any(key in text for text in row[1:])] if docs else []
        query = tantivy.Query.term_set_query(self.schema, "id", found) if found else tantivy.Query.empty_query()
        self._exact[node] = query
        return query

    def any_category(self, codes: Sequence[str]) -> tantivy.Query | None:
        return self.node_query(categories_node(codes)) if codes else None

    def all_of(self, queries: Iterable[tantivy.Query | None]) -> tantivy.Query:
        qs = [q for q in queries if q is not None]
        if not qs:
            return tantivy.Query.all_query()
        if len(qs) == 1:
            return qs[0]
        # A pure negation needs something to subtract from: MustNot-only booleans match nothing.
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in qs])

    def month_range(self, lo: int, hi: int) -> tantivy.Query:
        return tantivy.Query.range_query(self.schema, "month", tantivy.FieldType.Integer, lo, hi)

    # -- answering -----------------------------------------------------------
    def month_counts(self, query: Any) -> dict[int, int]:
        """Papers per month matching ``query`` (a tantivy query; ``None`` means every paper)."""
        if query is None:
            return {int(k): int(v) for k, v in self.state["months"].items()}
        try:
            result = self.searcher.aggregate(query, {"m": {"terms": {"field": "month", "size": 100_000}}})
        except Exception as exc:  # a damaged segment file surfaces as an error of the engine
            raise IndexReadError(f"the term index {self.root / self.gen} cannot be read: {exc}") from exc
        return {int(b["key"]): int(b["doc_count"]) for b in result["m"]["buckets"]}

    def count(self, query: Any) -> int:
        try:
            return int(self.searcher.search(query, 1, count=True).count)  # type: ignore[attr-defined]  # missing in tantivy.pyi
        except Exception as exc:
            raise IndexReadError(f"the term index {self.root / self.gen} cannot be read: {exc}") from exc

    def docs(self, query: Any, limit: int, *, newest_first: bool = True) -> list[tuple[int, int]]:
        """Up to ``limit`` (pub, store doc) pairs matching ``query``, newest first."""
        if limit <= 0:
            return []
        try:
            res = self.searcher.search(
                query, limit, count=False, order_by_field="pub",
                order=tantivy.Order.Desc if newest_first else tantivy.Order.Asc,
            )
            addrs = [a for _, a in res.hits]
            docs = self.searcher.fast_field_values("doc", addrs)
        except Exception as exc:
            raise IndexReadError(f"the term index {self.root / self.gen} cannot be read: {exc}") from exc
        return [(int(k), int(d)) for (k, _), d in zip(res.hits, docs)]  # type: ignore[arg-type]  # "doc" is set on every paper

    def docs_in_months(self, query: Any, limit: int, lo: int, hi: int) -> list[int]:
        """Store docs of the (up to ``limit``) papers matching ``query`` whose month is in lo..hi."""
        if limit <= 0:
            return []
        try:
            addrs = [a for _, a in self.searcher.search(query, limit, count=False, order_by_field="pub").hits]
            docs = self.searcher.fast_field_values("doc", addrs)
            months = self.searcher.fast_field_values("month", addrs)
        except Exception as exc:
            raise IndexReadError(f"the term index {self.root / self.gen} cannot be read: {exc}") from exc
        return [int(d) for d, m in zip(docs, months) if lo <= int(m) <= hi]  # type: ignore[arg-type]  # set on every paper

    def pub_equals(self, value: int) -> tantivy.Query:
        return tantivy.Query.range_query(self.schema, "pub", tantivy.FieldType.Integer, value, value)

    def vocabulary(self, prefix: str, *, case_sensitive: bool, field: Field = "any") -> dict[str, int]:
        """Tokens beginning with ``prefix`` and their document frequency (summed over the fields searched).

        Frequencies come from tantivy's term dictionary and may still count
        papers replaced since the last merge; they rank wildcard completions,
        whose counts are then computed exactly. Case-sensitively, a token casefolding changes is counted in
        the exact field; a token that is its own casefold is held as written by the papers whose folded field
        holds it, less those whose exact field marks it as held only in other cases (``~token``).
        """
        fields = ["title", "abstract"] if field == "any" else [field]
        out: dict[str, int] = {}
        for f in fields:
            if not case_sensitive:
                for term, n in self.searcher.terms_with_prefix(_TEXT_FIELDS[(f, False)], prefix):
                    out[term] = out.get(term, 0) + int(n)
                continue
            exact = _TEXT_FIELDS[(f, True)]
            for term, n in self.searcher.terms_with_prefix(exact, prefix):
                if term.casefold() != term:
                    out[term] = out.get(term, 0) + int(n)
            if prefix.casefold() == prefix:  # the folded field holds only tokens that are their own casefold
                hidden = dict(self.searcher.terms_with_prefix(exact, CASED_MARK + prefix))
                for term, n in self.searcher.terms_with_prefix(_TEXT_FIELDS[(f, False)], prefix):
                    held = int(n) - int(hidden.get(CASED_MARK + term, 0))
                    if held > 0 and term.casefold() == term:
                        out[term] = out.get(term, 0) + held
        return out


class IndexReadError(RuntimeError):
    """The index engine failed while reading a generation (a damaged file); callers fall back to the scan."""


#: Files tantivy creates while opening or writing; never part of a generation's content.
_NOT_CONTENT = (".tantivy-meta.lock", ".tantivy-writer.lock", "manifest.json", "state.json")
_MIRRORS: list[tempfile.TemporaryDirectory[str]] = []


def _open_tantivy(schema: Any, gen_dir: Path) -> Any:
    """Open the tantivy index in ``gen_dir`` for reading, also when that directory is not writable.

    tantivy takes a lock file inside the index directory even to read. When it cannot (a read-only
    copy, a store and index made read-only with chmod), the generation's files are linked into a
    private temporary directory and opened there: same bytes, same answers, no write to the original.
    """
    try:
        return tantivy.Index(schema, path=str(gen_dir), reuse=True)
    except ValueError as exc:
        if "lock" not in str(exc).lower() and "permission" not in str(exc).lower():
            raise
    mirror = tempfile.TemporaryDirectory(prefix="uptake-index-")
    _MIRRORS.append(mirror)  # removed when the process exits
    for child in gen_dir.iterdir():
        if child.is_file() and child.name not in (".tantivy-meta.lock", ".tantivy-writer.lock"):
            os.symlink(child.resolve(), Path(mirror.name) / child.name)
    return tantivy.Index(schema, path=mirror.name, reuse=True)


def _sha1(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha1").hexdigest()


def write_manifest(gen_dir: Path) -> None:
    """Record size, modification time and SHA-1 of every file of a committed generation."""
    files: dict[str, list[Any]] = {}
    readable = gen_dir.stat().st_mode & 0o444  # who may read the directory (the umask applied) may read its files
    for child in sorted(gen_dir.iterdir()):
        if child.is_file() and child.name not in _NOT_CONTENT and not child.name.endswith(".tmp"):
            st = child.stat()
            if st.st_mode & readable != readable:  # tantivy writes meta.json and .managed.json owner-only
                os.chmod(child, st.st_mode | readable)
                st = child.stat()
            files[child.name] = [st.st_size, st.st_mtime_ns, _sha1(child)]
    _atomic_write(gen_dir / "manifest.json", json.dumps({"files": files}))


def check_files(gen_dir: Path, *, full: bool = False, require: bool = True) -> list[str]:
    """What is wrong with the files of the generation in ``gen_dir`` against its manifest (empty: nothing).

    Sizes are always compared; a file is re-hashed when its modification time changed, or always with
    ``full`` (what ``uptake check`` does). Measured: stat of every file takes well under a millisecond;
    hashing runs at about 0.5 GB/s (0.03 s for a 20,000-paper index).
    """
    try:
        manifest = json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        return [f"{gen_dir.name} has no manifest.json (written by an older uptake, or damaged)"] if require else []
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{gen_dir.name}/manifest.json cannot be read (damaged)"]
    problems = []
    for name, (size, mtime_ns, digest) in manifest.items():
        path = gen_dir / name
        try:
            st = path.stat()
        except OSError:
            problems.append(f"{gen_dir.name}/{name} is missing")
            continue
        if st.st_size != size:
            problems.append(f"{gen_dir.name}/{name} has {st.st_size:,} bytes, {size:,} when written")
        elif (full or st.st_mtime_ns != mtime_ns) and _sha1(path) != digest:
            problems.append(f"{gen_dir.name}/{name} changed since it was written (its SHA-1 differs)")
    return problems


def check_counts(idx: TermIndex, store: Store) -> list[str]:
    """What is wrong between the index's own per-month document counts and the store's month totals."""
    try:
        held = idx.all_month_counts()
        docs = int(idx.searcher.num_docs)
    except (IndexReadError, ValueError, OSError) as exc:
        return [f"the index cannot be read: {exc}"]
    stored = store.month_totals()
    problems = []
    if docs != sum(stored.values()):
        problems.append(f"the index holds {docs:,} papers, the store {sum(stored.values()):,}")
    differ = sorted(m for m in set(held) | set(stored) if held.get(m, 0) != stored.get(m, 0))
    if differ:
        from ..periods import month_label

        shown = ", ".join(f"{month_label(m)}: {held.get(m, 0):,} vs {stored.get(m, 0):,}" for m in differ[:3])
        problems.append(f"papers per month differ from the store's in {len(differ)} months ({shown})")
    return problems


def _damaged_message(root: Path, problems: Sequence[str]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return (f"the term index {root} failed its integrity check: {problems[0]}{more}; this answer comes from "
            f"the exact scan (same counts, slower). Run `uptake index --rebuild` to repair it "
            f"(any import also does), `uptake check` for details")


# -- opening -------------------------------------------------------------------------
def _read_current(root: Path) -> tuple[str, dict[str, Any]] | None:
    try:
        gen = (root / "CURRENT").read_text(encoding="utf-8").strip()
        state = json.loads((root / gen / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not gen.startswith("gen-") or not (root / gen / "meta.json").exists():
        return None
    return gen, state


def open_index(store_path: str | Path) -> TermIndex | None:
    """The current complete index of the store at ``store_path``, or None when there is none."""
    root = index_dir(store_path)
    if not (root / "CURRENT").exists() or not available():
        return None
    found = _read_current(root)
    if found is None:
        return None
    if found[1].get("format") != INDEX_FORMAT:  # written by another uptake version: tantivy could not open it
        warnings.warn(f"the term index {root} was built by another uptake version (index format "
                      f"{found[1].get('format')}, this one reads {INDEX_FORMAT}): answers come from the exact scan "
                      f"(same counts, slower) until `uptake index` rebuilds it (any import does too)",
                      IndexNotUsedWarning, stacklevel=2)
        return None
    try:
        return TermIndex(root, found[0], found[1])
    except (ValueError, OSError) as exc:
        if "permission denied" in str(exc).lower():
            warnings.warn(f"the term index {root} cannot be read by this user ({exc}); this answer comes from the "
                          f"exact scan (same counts, slower). Make it readable (chmod -R a+rX {root}) or ask its "
                          f"owner to run `uptake index --rebuild`", IndexNotUsedWarning, stacklevel=2)
        else:
            warnings.warn(_damaged_message(root, [f"tantivy cannot open {found[0]} ({exc})"]), IndexDamagedWarning,
                          stacklevel=2)
        return None


def _signature(store_path: Path) -> tuple[Any, ...] | None:
    """What changes whenever the store or its index changes: stat of the store, its WAL and the index state."""
    root = index_dir(store_path)
    out: list[Any] = []
    for p in (Path(store_path), Path(str(store_path) + ".wal"), root / "CURRENT"):
        try:
            st = os.stat(p)
            out.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    try:
        gen = (root / "CURRENT").read_text(encoding="utf-8").strip()
        st = os.stat(root / gen / "state.json")
        out.append((gen, st.st_ino, st.st_size, st.st_mtime_ns))
    except OSError:
        return None
    return tuple(out)


#: Indexes this process found fresh, by store path, with the signature they were verified under.
_VERIFIED: dict[str, tuple[tuple[Any, ...], TermIndex]] = {}


def open_fresh(store: Store) -> TermIndex | None:
    """The index of ``store`` if it reflects the store exactly, else None (callers then scan)."""
    if os.environ.get("UPTAKE_NO_INDEX"):
        return None
    if not (index_dir(store.path) / "CURRENT").exists() or not available():
        return None
    sig = _signature(store.path)  # taken before checking, so a change during the check invalidates it
    idx = open_index(store.path)
    if idx is None or not idx.is_fresh_for(store):
        _VERIFIED.pop(str(store.path), None)
        return None
    problems = check_files(idx.root / idx.gen) or check_counts(idx, store)
    if problems:
        _VERIFIED.pop(str(store.path), None)
        warnings.warn(_damaged_message(idx.root, problems), IndexDamagedWarning, stacklevel=2)
        return None
    if sig is not None and not store.writable:
        _VERIFIED[str(store.path)] = (sig, idx)
    return idx


def verified_index(store_path: str | Path) -> TermIndex | None:
    """An index this process already found fresh, if neither the store nor the index changed since.

    Lets repeated library calls answer without opening the store at all: any
    commit to the store changes its file or its write-ahead log, and any index
    update replaces ``state.json``, so an unchanged signature means unchanged data.
    """
    if os.environ.get("UPTAKE_NO_INDEX"):
        return None
    held = _VERIFIED.get(str(store_path))
    if held is None:
        return None
    if _signature(Path(store_path)) != held[0]:
        _VERIFIED.pop(str(store_path), None)
        return None
    return held[1]


def report_failure(idx: TermIndex, exc: BaseException) -> None:
    """Warn that ``idx`` failed while answering (the caller then scans) and stop trusting it in this process."""
    for key, (_, held) in list(_VERIFIED.items()):
        if held.index is idx.index:  # idx itself, or a copy of it bound to a store (:meth:`TermIndex.with_store`)
            _VERIFIED.pop(key, None)
    warnings.warn(_damaged_message(idx.root, [str(exc)]), IndexDamagedWarning, stacklevel=3)


# -- writing -------------------------------------------------------------------------
def _month_totals(store: Store) -> dict[str, int]:
    return {str(m): n for m, n in store.month_totals().items()}


def _add_rows(writer: Any, store: Store, after_doc: int, *, delete_old: bool, progress: ProgressFn | None,
              total: int) -> int:
    """Add every live paper with ``doc > after_doc``; returns how many."""
    reader = store.index_batches(after_doc, CHUNK)
    epoch = _dt.date(1970, 1, 1).toordinal()
    Document = tantivy.Document
    added = 0
    for batch in reader:
        cols = batch.to_pydict()
        for doc, pid, month, pub, cat_str, t, a, tc, ac, has in zip(
            cols["doc"], cols["id"], cols["month"], cols["published"], cols["cat_str"],
            cols["title_tok"], cols["abstract_tok"], cols["title_tok_cs"], cols["abstract_tok_cs"], cols["has_str"],
        ):
            if delete_old:
                writer.delete_documents_by_term("id", pid)
            d = Document()
            d.add_text("t", t)
            d.add_text("a", a)
            for name, exact in (("tc", tc), ("ac", ac)):
                cased = case_terms(exact)
                if cased:
                    d.add_text(name, cased)
            d.add_text("id", pid)
            seen = set()
            for c in cat_str.split():
                if c not in seen:
                    seen.add(c)
                    d.add_text("cat", c)
                arch = c.split(".", 1)[0]
                if arch != c and arch not in seen:
                    seen.add(arch)
                    d.add_text("cat", arch)
            for kind in (has or "").split():
                d.add_text("has", kind)
            d.add_integer("doc", doc)
            d.add_integer("month", month)
            d.add_integer("pub", pub.toordinal() - epoch)
            writer.add_document(d)
            added += 1
        if progress:
            progress(added, total)
    return added


def _write_state(gen_dir: Path, store: Store, store_uuid: str, live: int, max_doc: int) -> dict[str, Any]:
    first, last = store.span()
    state = {
        "format": INDEX_FORMAT, "semantics": SEMANTICS_VERSION, "store_uuid": store_uuid,
        "max_doc": max_doc, "live": live, "months": _month_totals(store), "written": time.time(),
        "first": first.isoformat() if first else None, "last": last.isoformat() if last else None,
        "categories": store.known_categories(), "openness": store.get_meta("openness_version"),
    }
    _atomic_write(gen_dir / "state.json", json.dumps(state))
    return state


def _threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def rebuild(store: Store, *, progress: ProgressFn | None = None) -> IndexInfo:
    """Build a complete new index generation from ``store`` and switch to it atomically.

    ``store`` must be open for writing (so no import runs meanwhile). The old
    generation stays in use until the switch; an interrupted rebuild leaves it.
    """
    if not available():
        raise UsageError("the term index needs the tantivy package: pip install tantivy "
                         "(without it every query scans the store, with the same counts)")
    t0 = time.perf_counter()
    root = index_dir(store.path)
    root.mkdir(parents=True, exist_ok=True)
    store_uuid = _ensure_store_uuid(store)
    max_doc, live = _store_position(store)
    current = _read_current(root)
    n = int(current[0].split("-")[1]) + 1 if current else 1
    while (root / f"gen-{n}").exists():
        n += 1
    gen = f"gen-{n}"
    gen_dir = root / gen
    gen_dir.mkdir()
    try:
        index = tantivy.Index(_schema(), path=str(gen_dir), reuse=False)
        writer = index.writer(WRITER_HEAP, _threads())
        _add_rows(writer, store, 0, delete_old=False, progress=progress, total=live)
        writer.commit()
        writer.wait_merging_threads()
        del writer, index
        write_manifest(gen_dir)
        _write_state(gen_dir, store, store_uuid, live, max_doc)
    except BaseException:  # a failed or interrupted rebuild leaves no half-built generation behind
        shutil.rmtree(gen_dir, ignore_errors=True)
        raise
    _atomic_write(root / "CURRENT", gen)
    _cleanup(root, keep=gen)
    return IndexInfo(path=str(root), generation=gen, papers=live, max_doc=max_doc, fresh=True,
                     size_bytes=_dir_size(gen_dir), seconds=time.perf_counter() - t0, action="rebuilt")


def sync(store: Store, *, create: bool = True, progress: ProgressFn | None = None) -> IndexInfo | None:
    """Bring the index up to date with ``store`` (open for writing) after an import.

    Adds papers stored since the index was written, deleting their older
    versions by id. Builds the index when there is none (``create``), and
    rebuilds when the store changed in a way the index cannot follow
    (another store, papers deleted, a new matching semantics).
    """
    if not available():
        return None
    root = index_dir(store.path)
    current = _read_current(root) if (root / "CURRENT").exists() else None
    if current is None:
        return rebuild(store, progress=progress) if create else None
    gen, state = current
    store_uuid = _ensure_store_uuid(store)
    if (state.get("format") != INDEX_FORMAT or state.get("semantics") != SEMANTICS_VERSION
            or state.get("store_uuid") != store_uuid or state.get("openness") != store.get_meta("openness_version")):
        return rebuild(store, progress=progress)
    if check_files(root / gen):  # damaged since it was written: repair by building it again
        return rebuild(store, progress=progress)
    max_doc, live = _store_position(store)
    if int(state["max_doc"]) == max_doc and int(state["live"]) == live:
        try:
            damaged = bool(check_counts(TermIndex(root, gen, state), store))
        except (ValueError, OSError):
            damaged = True
        if damaged:
            return rebuild(store, progress=progress)
        _cleanup(root, keep=gen)
        return IndexInfo(path=str(root), generation=gen, papers=live, max_doc=max_doc, fresh=True,
                         size_bytes=_dir_size(root / gen), action="up to date")
    if int(state["max_doc"]) > max_doc:
        return rebuild(store, progress=progress)
    t0 = time.perf_counter()
    gen_dir = root / gen
    index = tantivy.Index(_schema(), path=str(gen_dir), reuse=True)
    writer = index.writer(WRITER_HEAP, _threads())
    _add_rows(writer, store, int(state["max_doc"]), delete_old=True, progress=progress, total=live)
    writer.commit()
    writer.wait_merging_threads()
    del writer
    index.reload()
    indexed = index.searcher().num_docs
    if indexed != live:  # papers deleted or changed outside imports: start over
        return rebuild(store, progress=progress)
    write_manifest(gen_dir)
    _write_state(gen_dir, store, store_uuid, live, max_doc)
    _cleanup(root, keep=gen)
    return IndexInfo(path=str(root), generation=gen, papers=live, max_doc=max_doc, fresh=True,
                     size_bytes=_dir_size(gen_dir), seconds=time.perf_counter() - t0, action="updated")


def status(store: Store, *, full: bool = False) -> IndexInfo:
    """Whether the index exists, is fresh and passes its integrity checks (``full``: re-hash every file)."""
    root = index_dir(store.path)
    found = _read_current(root) if (root / "CURRENT").exists() else None
    if found is None:
        return IndexInfo(path=str(root), generation=None, papers=0, max_doc=0, fresh=False, size_bytes=0, action="none")
    gen, state = found
    problems = check_files(root / gen, full=full)
    idx = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IndexDamagedWarning)
            idx = TermIndex(root, gen, state)
    except (ValueError, OSError) as exc:
        problems.append(f"tantivy cannot open {gen}: {exc}")
    reason = idx.stale_reason(store) if idx is not None else "it cannot be opened"
    if idx is not None and reason is None:
        problems += check_counts(idx, store)
    return IndexInfo(path=str(root), generation=gen, papers=int(state.get("live", 0)),
                     max_doc=int(state.get("max_doc", 0)), fresh=reason is None and not problems,
                     size_bytes=_dir_size(root / gen), problems=tuple(problems), reason=reason)


def _cleanup(root: Path, *, keep: str) -> None:
    """Remove generations other than ``keep`` (left by finished or interrupted rebuilds)."""
    for child in root.iterdir():
        if child.is_dir() and child.name.startswith("gen-") and child.name != keep:
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(".CURRENT.") and child.name.endswith(".tmp"):
            child.unlink(missing_ok=True)


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


# -- answering corpus questions ----------------------------------------------------------
def series_queries(idx: TermIndex, plan: SeriesPlan, *, categories: Sequence[str]) -> tuple[Any, Any]:
    """(match, universe) tantivy queries of one series plan; universe None = every paper."""
    glob = idx.any_category(categories)
    universe_parts = [idx.node_query(plan.universe)] if plan.universe != EVERYTHING else []
    if glob is not None:
        universe_parts.append(glob)
    universe = idx.all_of(universe_parts) if universe_parts else None
    match = idx.all_of([idx.node_query(plan.match), glob])
    return match, universe


def trend_counts(idx: TermIndex, plans: Sequence[SeriesPlan], *, categories: Sequence[str],
                 ) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
    """Per series: papers per month matching it, and papers per month in its universe."""
    counts: list[dict[int, int]] = []
    totals: list[dict[int, int]] = []
    cache: dict[Any, dict[int, int]] = {}
    for plan in plans:
        match, universe = series_queries(idx, plan, categories=categories)
        counts.append(idx.month_counts(match))
        if plan.universe not in cache:
            cache[plan.universe] = idx.month_counts(universe)
        totals.append(cache[plan.universe])
    return counts, totals


#: A node matching at most this many papers in all months is read whole and its months filtered here: cheaper
#: than tantivy's month-range query, which costs a scan of the month column (about 6 ms at 2.8 M papers).
SMALL_NODE = 20_000


def node_docs(idx: TermIndex, nodes: Sequence[Node], *, categories: Sequence[str], lo: int, hi: int,
              ) -> list[list[int]]:
    """For each plan node, the store docs of every paper matching it in months lo..hi (and ``categories``):
    what the emerging-terms recount tallies by month, primary category and co-occurrence."""
    glob = idx.any_category(categories)
    months = idx.month_range(lo, hi)
    out = []
    for node in nodes:
        query = idx.all_of([idx.node_query(node), glob])
        total = idx.count(query)
        if total <= SMALL_NODE:
            out.append(idx.docs_in_months(query, total, lo, hi))
            continue
        query = idx.all_of([query, months])
        out.append([d for _, d in idx.docs(query, idx.count(query))])
    return out


def matching_docs(idx: TermIndex, plans: Sequence[SeriesPlan], *, categories: Sequence[str], lo: int, hi: int,
                  want: int) -> tuple[int, list[int]]:
    """(papers matching any series in months lo..hi, store docs holding the newest ``want`` of them).

    The docs returned include every match published on or after the date of the
    ``want``-th newest, so ordering them by (published, id) gives the exact page.
    """
    query = idx.all_of([idx.node_query(any_series(plans)), idx.any_category(categories), idx.month_range(lo, hi)])
    total = idx.count(query)
    if want <= 0 or total == 0:
        return total, []
    hits = idx.docs(query, want)
    if len(hits) < want or total == want:
        return total, [d for _, d in hits]
    last_pub = hits[-1][0]
    docs = [d for p, d in hits if p > last_pub]
    same_day = idx.all_of([query, idx.pub_equals(last_pub)])
    docs.extend(d for _, d in idx.docs(same_day, idx.count(same_day)))
    return total, docs
