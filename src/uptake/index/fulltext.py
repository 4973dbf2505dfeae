"""The full-text index: which papers' full texts contain these tokens, in which section roles.

One tantivy document per paper with a usable full text. Its text lives in one field per section role
(``f_method``, ``f_experiments``, ... folded; ``c_method``, ... exact), each the whitespace-joined
tokens of :mod:`uptake.text` of that role's paragraphs, so matching means exactly what it means on
abstracts. Paragraphs are separated by a token the tokenizer can never produce (``¶`` in the scan's strings,
``.`` in the index), so a phrase never spans two paragraphs. The title joins the ``abstract`` role. A further field, ``use``, holds the
sentences of method, experiments, appendix and captions paragraphs that cite no other work: a match
there is a paper *using* an idea, not describing someone else's (see :mod:`uptake.fulltext`).

Only the folded fields keep positions. The exact fields record which papers hold a token, not where (a
second copy of every position made the index larger than the text), and only for the tokens casefolding
changes (``LoRA``, ``We``), with a marker for the folded form they hide (:func:`case_terms`): most tokens are
written in lower case, and repeating them made the exact fields cost tantivy almost as much as the folded
ones. A case-sensitive term is still answered by the index alone (:meth:`FullTextIndex._exact_term`); a
case-sensitive phrase is the folded phrase with every exact token in the same role, confirmed on the stored
text of those papers (:meth:`FullTextIndex._exact_phrase`).

Generations, the ``CURRENT`` pointer and freshness follow the metadata index (:mod:`uptake.index`):
the index is used only when its state names the store's current full-text position and metadata
position (months and categories come from the metadata when the store has it).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tantivy

from ..errors import UsageError
from ..plans import EVERYTHING, AllOf, AnyOf, InCategory, Negate, Node, Phrase, SeriesPlan, any_series, categories_node
from ..records import QUERY_ROLES, USE_ROLES
from ..text import SEMANTICS_VERSION, exact_token_joins, exact_token_runs, phrase_key, token_strings
from ._case import case_terms, exact_phrase_candidates, exact_term_query
from . import (IndexInfo, _atomic_write, _cleanup, _dir_size, _read_current, _store_uuid, _threads, check_files,
               ensure_store_identity, write_manifest)

if TYPE_CHECKING:
    from ..store import Store

#: ft2: the exact (case-sensitive) fields hold which papers have a token, not where; ft3: they hold only the tokens
#: casefolding changes, with markers (:func:`case_terms`)
FORMAT = "ft3"
WRITER_HEAP = 256_000_000
#: A whole rebuild gets a larger indexing budget: tantivy flushes a segment whenever a thread's budget is full and
#: merges them as they pile up; at 20,000 papers 256 MB made segments that were merged into one (135.8 CPU-s of
#: build), 1 GB left two and no merge (125.4 CPU-s), for 0.2 GB more peak memory. tantivy takes memory as it fills.
REBUILD_HEAP = 1_000_000_000
#: Never produced by the tokenizer (not a letter or digit): phrases cannot match across it.
PARAGRAPH_BREAK = "¶"
_EPOCH = 719163  # date(1970, 1, 1).toordinal()
#: Where one sentence ends and the next begins (used for ``use`` and for the matched sentence shown to users).
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[^a-z])")
_SENTENCE = SENTENCE_BREAK
_CITES = re.compile(r"\[cite:[^\]]*\]")
#: Placeholders the extractors write for formulas, citations, cross-references and footnotes: never tokens, and a
#: phrase cannot match across one ("policy [formula] optimization" is not "policy optimization").
MARKERS = re.compile(r"\[(?:formula|ref|footnote|cite:[^\]]*)\]")


def fulltext_dir(store_path: str | Path) -> Path:
    return Path(str(store_path) + ".fulltext")


def _schema() -> Any:
    sb = tantivy.SchemaBuilder()
    for role in QUERY_ROLES:
        sb.add_text_field(f"f_{role}", tokenizer_name="whitespace", index_option="position")
        sb.add_text_field(f"c_{role}", tokenizer_name="whitespace", index_option="basic")
    sb.add_text_field("id", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("cat", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("fdoc", fast=True, indexed=False)
    sb.add_integer_field("month", fast=True, indexed=True)
    sb.add_integer_field("pub", fast=True, indexed=True)
    return sb.build()


def role_texts(title: str, paragraphs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """The raw text of each query role of one paper (``use`` included), paragraph by paragraph."""
    out: dict[str, list[str]] = {r: [] for r in QUERY_ROLES}
    if title:
        out["abstract"].append(title)
    for role, text in paragraphs:
        out.setdefault(role, []).append(text)
        if role in USE_ROLES:
            own = [s for s in _SENTENCE.split(text) if not _CITES.search(s)]
            if own:
                out["use"].append(" ".join(own))
    return out


def _fold(piece: str) -> str:
    """Casefold a space-joined exact token string token by token, as :func:`uptake.text.token_strings` does."""
    return piece.lower() if piece.isascii() else " ".join(t.casefold() for t in piece.split(" "))


def _role_exact(title: str, paragraphs: Sequence[tuple[str, str]], *, runs: bool = False) -> dict[str, list[str]]:
    """Per query role, the exact token strings of its marker-free pieces of text, in order: tokens joined by
    one space, or with ``runs`` separated by one or more (:func:`uptake.text.exact_token_runs`, for tantivy).

    A text is tokenized once: a method / experiments / appendix / captions paragraph that cites nothing is
    its own ``use`` text (only the white space between its sentences differs, and that never changes tokens).
    """
    pieces: list[str] = []  # every piece of text of the paper, tokenized in one call
    units: list[tuple[tuple[str, ...], int, int]] = []  # (roles, first piece, end)

    def add(roles: tuple[str, ...], text: str) -> None:
        parts = MARKERS.split(text) if "[" in text else [text]
        pieces.extend(parts)
        units.append((roles, len(pieces) - len(parts), len(pieces)))

    if title:
        add(("abstract",), title)
    for role, text in paragraphs:
        if role not in USE_ROLES:
            add((role,), text)
        elif _CITES.search(text) is None:
            add((role, "use"), text)
        else:
            add((role,), text)
            own = [s for s in _SENTENCE.split(text) if not _CITES.search(s)]
            if own:
                add(("use",), " ".join(own))
    exact = exact_token_runs(pieces) if runs else exact_token_joins(pieces)  # one tokenizer call per paper
    per_role: dict[str, list[str]] = {r: [] for r in QUERY_ROLES}
    for roles, start, end in units:
        for role in roles:
            per_role.setdefault(role, []).extend(exact[start:end])
    return per_role


_SEP = f" {PARAGRAPH_BREAK} "


def role_token_strings(title: str, paragraphs: Sequence[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Per query role, its (folded, exact) token strings with paragraph breaks (what the scan reads).

    The same strings as tokenizing each marker-free piece of :func:`role_texts` on its own.
    """
    return {role: (" " + _SEP.join(_fold(e) for e in ex) + " ", " " + _SEP.join(ex) + " ")
            for role, ex in _role_exact(title, paragraphs).items()}


#: The paragraph break in the index's folded fields: like ``¶`` never a token of a query, but ASCII, so the
#: folded text of an ASCII paper stays ASCII (and ``str.lower`` fast).
INDEX_BREAK = "."
_INDEX_SEP = f" {INDEX_BREAK} "


def index_fields(title: str, paragraphs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(field, text) of one paper's tantivy document: per role the folded tokens with paragraph breaks
    (:data:`INDEX_BREAK`; positions indexed) and its :func:`case_terms` (which papers hold them, no positions)."""
    out = []
    for role, ex in _role_exact(title, paragraphs, runs=True).items():
        if not ex:
            continue
        joined = " ".join(ex)
        folded = _INDEX_SEP.join(ex).lower() if joined.isascii() else _INDEX_SEP.join(_fold(e) for e in ex)
        out.append((f"f_{role}", " " + folded + " "))
        cased = case_terms(joined)
        if cased:
            out.append((f"c_{role}", cased))
    return out


def _role_token_strings_reference(title: str, paragraphs: Sequence[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The straightforward definition of :func:`role_token_strings` (every piece of :func:`role_texts`
    tokenized on its own), kept for the tests."""
    out = {}
    for role, texts in role_texts(title, paragraphs).items():
        folded, exact = [], []
        for t in texts:
            for piece in MARKERS.split(t):
                f, e = token_strings(piece)
                folded.append(f.strip())
                exact.append(e.strip())
        sep = f" {PARAGRAPH_BREAK} "
        out[role] = (" " + sep.join(folded) + " ", " " + sep.join(exact) + " ")
    return out


class FullTextIndex:
    """An open, complete full-text index generation."""

    def __init__(self, root: Path, gen: str, state: dict[str, Any]) -> None:
        self.root = root
        self.gen = gen
        self.state = state
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(root / gen), reuse=True)
        self.searcher = self.index.searcher()
        #: The store it describes, open while queries run: case-sensitive phrases are confirmed on its text.
        self.store: Store | None = None
        self._exact: dict[Phrase, Any] = {}

    def is_fresh_for(self, store: Store) -> bool:
        return (self.state.get("format") == FORMAT and self.state.get("semantics") == SEMANTICS_VERSION
                and self.state.get("store_uuid") == _store_uuid(store)
                and list(self.state.get("position", [])) == list(store.fulltext_position())
                and list(self.state.get("papers", [])) == list(store.position()))

    def node_query(self, node: Node) -> Any:
        if isinstance(node, Phrase):
            if node.fields != ("title", "abstract"):
                raise UsageError("title: and abstract: (and --field) read the metadata; with --text full, "
                                 "name the sections instead, e.g. GRPO in:method or GRPO in:abstract")
            roles = node.roles or tuple(r for r in QUERY_ROLES if r != "use")
            if node.case_sensitive and len(node.tokens) > 1:
                return self._exact_phrase(node, roles)
            parts = []
            for role in roles:
                if node.case_sensitive:
                    parts.append(self._exact_term(role, node.tokens[0]))
                elif len(node.tokens) == 1:
                    parts.append(tantivy.Query.term_query(self.schema, f"f_{role}", node.tokens[0]))
                else:
                    parts.append(tantivy.Query.phrase_query(self.schema, f"f_{role}", list(node.tokens)))
            return parts[0] if len(parts) == 1 else tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, p) for p in parts])
        if isinstance(node, InCategory):
            return tantivy.Query.term_query(self.schema, "cat", node.code)
        if isinstance(node, Negate):
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()),
                                                (tantivy.Occur.MustNot, self.node_query(node.item))])
        if isinstance(node, AllOf):
            return self.all_of([self.node_query(i) for i in node.items])
        if isinstance(node, AnyOf):
            if not node.items:
                return tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()),
                                                    (tantivy.Occur.MustNot, tantivy.Query.all_query())])
            parts = [self.node_query(i) for i in node.items]
            return parts[0] if len(parts) == 1 else tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, p) for p in parts])
        raise UsageError("has: under --text full is answered by the exact scan (it reads the stored full-text openness), "
                         "not by the full-text index")

    def _exact_term(self, role: str, token: str) -> Any:
        """The papers whose ``role`` holds ``token`` exactly as written (see :func:`case_terms`)."""
        return exact_term_query(self.schema, f"f_{role}", f"c_{role}", token)

    def _exact_phrase(self, node: Phrase, roles: Sequence[str]) -> Any:
        """A case-sensitive phrase: the exact fields know which papers have each token but not where, so the
        papers with the folded phrase and every exact token in one of ``roles`` are read from the store and
        kept when their exact tokens hold the phrase (what the scan does); the answer is those papers' ids."""
        if node in self._exact:
            return self._exact[node]
        if self.store is None:
            raise UsageError("case-sensitive phrases over full text need the store open beside the index")
        candidates = exact_phrase_candidates(self.schema, [(f"f_{r}", f"c_{r}") for r in roles], node.tokens)
        n = int(self.searcher.search(candidates, 1, count=True).count)  # type: ignore[attr-defined]  # missing in tantivy.pyi
        found: list[str] = []
        if n:
            addrs = [a for _, a in self.searcher.search(candidates, n, count=False).hits]
            fdocs = [int(d) for d in self.searcher.fast_field_values("fdoc", addrs)]  # type: ignore[arg-type]
            ids = [str(r[0]) for r in self.store.fulltext_papers(fdocs, limit=len(fdocs), offset=0)]
            key = phrase_key(list(node.tokens))
            for batch in self.store.fulltext_documents(ids=ids):
                for _fdoc, pid, _m, _p, _c, title, paragraphs in batch:
                    held = role_token_strings(title, paragraphs)
                    if any(key in held[r][1] for r in roles if r in held):
                        found.append(pid)
        query = tantivy.Query.term_set_query(self.schema, "id", found) if found else tantivy.Query.empty_query()
        self._exact[node] = query
        return query

    def all_of(self, queries: Sequence[Any]) -> Any:
        qs = [q for q in queries if q is not None]
        if not qs:
            return tantivy.Query.all_query()
        if len(qs) == 1:
            return qs[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in qs])

    def month_counts(self, query: Any) -> dict[int, int]:
        result = self.searcher.aggregate(query, {"m": {"terms": {"field": "month", "size": 100_000}}})
        return {int(b["key"]): int(b["doc_count"]) for b in result["m"]["buckets"]}

    def trend_counts(self, plans: Sequence[SeriesPlan], *, categories: Sequence[str],
                     ) -> tuple[list[dict[int, int]], list[dict[int, int]]]:
        """Per series: full texts per month matching it, and full texts per month in its universe."""
        glob = self.node_query(categories_node(categories)) if categories else None
        counts, totals = [], []
        cache: dict[Any, dict[int, int]] = {}
        for plan in plans:
            counts.append(self.month_counts(self.all_of([self.node_query(plan.match), glob])))
            if plan.universe not in cache:
                parts = [glob] + ([self.node_query(plan.universe)] if plan.universe != EVERYTHING else [])
                cache[plan.universe] = self.month_counts(self.all_of(parts))
            totals.append(cache[plan.universe])
        return counts, totals

    def matching(self, plans: Sequence[SeriesPlan], *, categories: Sequence[str], lo: int, hi: int,
                 want: int) -> tuple[int, list[int]]:
        """(full texts matching any series in months lo..hi, the fdocs of the newest ``want``, ties included)."""
        month = tantivy.Query.range_query(self.schema, "month", tantivy.FieldType.Integer, lo, hi)
        glob = self.node_query(categories_node(categories)) if categories else None
        query = self.all_of([self.node_query(any_series(plans)), glob, month])
        total = int(self.searcher.search(query, 1, count=True).count)  # type: ignore[attr-defined]  # missing in tantivy.pyi
        if want <= 0 or total == 0:
            return total, []
        res = self.searcher.search(query, max(want, 1), count=False, order_by_field="pub", order=tantivy.Order.Desc)
        addrs = [a for _, a in res.hits]
        fdocs = [int(d) for d in self.searcher.fast_field_values("fdoc", addrs)]  # type: ignore[arg-type]
        if len(fdocs) < want or total == want:
            return total, fdocs
        last_pub = int(res.hits[-1][0])
        same = self.all_of([query, tantivy.Query.range_query(self.schema, "pub", tantivy.FieldType.Integer,
                                                             last_pub, last_pub)])
        n_same = int(self.searcher.search(same, 1, count=True).count)  # type: ignore[attr-defined]  # missing in tantivy.pyi
        more = self.searcher.search(same, max(n_same, 1), count=False)
        extra = [int(d) for d in self.searcher.fast_field_values("fdoc", [a for _, a in more.hits])]  # type: ignore[arg-type]
        keep = [d for (p, _), d in zip(res.hits, fdocs, strict=True) if int(p) > last_pub]
        return total, keep + extra


def open_fresh(store: Store) -> FullTextIndex | None:
    """The full-text index of ``store`` if it reflects the store exactly, else None (the scan answers)."""
    root = fulltext_dir(store.path)
    found = _read_current(root) if (root / "CURRENT").exists() else None
    if found is None:
        return None
    if check_files(root / found[0], require=False):  # damaged since written: the scan answers (check says more)
        return None
    try:
        idx = FullTextIndex(root, found[0], found[1])
    except (ValueError, OSError):
        return None
    if not idx.is_fresh_for(store):
        return None
    idx.store = store
    return idx


def integrity(store: Store) -> tuple[str | None, list[str], bool]:
    """(generation or None, what is wrong with it, whether it is fresh) — every file re-hashed against its
    manifest and, when fresh, its per-month counts compared with the store's. For ``uptake check``."""
    root = fulltext_dir(store.path)
    found = _read_current(root) if (root / "CURRENT").exists() else None
    if found is None:
        return None, [], False
    gen, state = found
    problems = check_files(root / gen, full=True, require=False)
    try:
        idx = FullTextIndex(root, gen, state)
    except (ValueError, OSError) as exc:
        return gen, [*problems, f"tantivy cannot open {gen}: {exc}"], False
    fresh = idx.is_fresh_for(store)
    if fresh:
        try:
            held = idx.month_counts(tantivy.Query.all_query())
        except Exception as exc:  # noqa: BLE001 - any engine failure here means damaged files
            problems.append(f"the full-text index cannot be read: {exc}")
        else:
            stored = store.fulltext_month_totals()
            if {m: n for m, n in held.items() if n} != {m: n for m, n in stored.items() if n}:
                problems.append("full texts per month differ from the store's")
    return gen, problems, fresh


def _add(writer: Any, store: Store, *, after_fdoc: int = 0, ids: Sequence[str] | None = None,
         delete_old: bool) -> int:
    with store.scan_memory_capped():  # at 200,000 papers this took the build from 4.6 to 3.2 GB of peak RSS
        return _add_documents(writer, store, after_fdoc=after_fdoc, ids=ids, delete_old=delete_old)


def _add_documents(writer: Any, store: Store, *, after_fdoc: int, ids: Sequence[str] | None, delete_old: bool) -> int:
    added = 0
    for batch in store.fulltext_documents(after_fdoc=after_fdoc, ids=ids):
        for fdoc, pid, month, pub, cat_str, title, paragraphs in batch:
            if delete_old:
                writer.delete_documents_by_term("id", pid)
            d = tantivy.Document()
            for field, text in index_fields(title, paragraphs):
                d.add_text(field, text)
            d.add_text("id", pid)
            seen: set[str] = set()
            for c in cat_str.split():
                for code in (c, c.split(".", 1)[0]):
                    if code not in seen:
                        seen.add(code)
                        d.add_text("cat", code)
            d.add_integer("fdoc", fdoc)
            d.add_integer("month", month)
            d.add_integer("pub", (pub.toordinal() - _EPOCH) if pub is not None else 0)
            writer.add_document(d)
            added += 1
    return added


def _write_state(gen_dir: Path, store: Store, uuid: str) -> dict[str, Any]:
    state = {"format": FORMAT, "semantics": SEMANTICS_VERSION, "store_uuid": uuid,
             "position": list(store.fulltext_position()), "papers": list(store.position()),
             "categories": store.fulltext_categories(), "written": time.time()}
    _atomic_write(gen_dir / "state.json", json.dumps(state))
    return state


def rebuild(store: Store) -> IndexInfo:
    """Build a new full-text index generation from ``store`` (open for writing) and switch to it atomically."""
    t0 = time.perf_counter()
    root = fulltext_dir(store.path)
    root.mkdir(parents=True, exist_ok=True)
    uuid = ensure_store_identity(store)
    current = _read_current(root)
    n = int(current[0].split("-")[1]) + 1 if current else 1
    while (root / f"gen-{n}").exists():
        n += 1
    gen_dir = root / f"gen-{n}"
    gen_dir.mkdir()
    try:
        index = tantivy.Index(_schema(), path=str(gen_dir), reuse=False)
        writer = index.writer(REBUILD_HEAP, _threads())
        added = _add(writer, store, delete_old=False)
        writer.commit()
        writer.wait_merging_threads()
        del writer, index
        write_manifest(gen_dir)
        _write_state(gen_dir, store, uuid)
    except BaseException:
        import shutil

        shutil.rmtree(gen_dir, ignore_errors=True)  # a failed build leaves no orphan generation
        raise
    _atomic_write(root / "CURRENT", gen_dir.name)
    _cleanup(root, keep=gen_dir.name)
    max_fdoc, _ = store.fulltext_position()
    return IndexInfo(path=str(root), generation=gen_dir.name, papers=added, max_doc=max_fdoc, fresh=True,
                     size_bytes=_dir_size(gen_dir), seconds=time.perf_counter() - t0, action="rebuilt")


def sync(store: Store) -> IndexInfo | None:
    """Bring the full-text index up to date with ``store`` (open for writing): add full texts stored since,
    re-add those whose metadata changed, rebuild when it cannot follow. None when the store has no full text."""
    if not store.has_fulltext():
        return None
    root = fulltext_dir(store.path)
    current = _read_current(root) if (root / "CURRENT").exists() else None
    if current is None:
        return rebuild(store)
    gen, state = current
    uuid = ensure_store_identity(store)
    if state.get("format") != FORMAT or state.get("semantics") != SEMANTICS_VERSION or state.get("store_uuid") != uuid:
        return rebuild(store)
    if check_files(root / gen, require=False):  # damaged since it was written: build it again
        return rebuild(store)
    old_fdoc, old_n = (int(x) for x in state["position"])
    old_doc, _ = (int(x) for x in state["papers"])
    max_fdoc, n = store.fulltext_position()
    max_doc, live = store.position()
    if (max_fdoc, n) == (old_fdoc, old_n) and list(state["papers"]) == [max_doc, live]:
        return IndexInfo(path=str(root), generation=gen, papers=n, max_doc=max_fdoc, fresh=True,
                         size_bytes=_dir_size(root / gen), action="up to date")
    if max_fdoc < old_fdoc or max_doc < old_doc:
        return rebuild(store)
    t0 = time.perf_counter()
    index = tantivy.Index(_schema(), path=str(root / gen), reuse=True)
    writer = index.writer(WRITER_HEAP, _threads())
    _add(writer, store, after_fdoc=old_fdoc, delete_old=True)
    changed = store.ids_updated_since(old_doc) if max_doc > old_doc else []
    if changed:  # their metadata (month, categories) changed: index those full texts again
        _add(writer, store, ids=changed, delete_old=True)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    usable = sum(store.fulltext_month_totals().values())
    if index.searcher().num_docs != usable:
        return rebuild(store)
    write_manifest(root / gen)
    _write_state(root / gen, store, uuid)
    return IndexInfo(path=str(root), generation=gen, papers=usable, max_doc=max_fdoc, fresh=True,
                     size_bytes=_dir_size(root / gen), seconds=time.perf_counter() - t0, action="updated")
