"""The shape of the package, read from the source with ``ast`` (nothing is imported).

Every ``import``/``from ... import`` statement under ``src/uptake`` becomes an edge of one of
three kinds:

- ``runtime``:  at module level (also inside ``try``/``if`` blocks and class bodies);
- ``deferred``: inside a function (runs when the function is called);
- ``typing``:   under ``if TYPE_CHECKING:`` (never runs).

Relative imports are resolved; ``from pkg import name`` is an edge to ``pkg.name`` when that is a
module, else to ``pkg``. Importing ``a.b.c`` also runs ``a.b``'s ``__init__``: such implicit edges
to an intermediate package are added unless the importer lives inside that package (it is then
already being imported) or the package is the root ``uptake`` (the facade, run first whatever is
imported). Dynamic imports (``importlib.import_module``) are not seen.

Rules checked:

1. no cycle among runtime imports;
2. no cycle that needs a deferred import either (an allowlist with a reason per entry);
3. drivers (duckdb, matplotlib, fastapi/starlette/uvicorn, tantivy, pyspark) only in their package;
4. layers import only downward (same layer or lower); ``typing`` imports are exempt;
5. SQL (``SELECT ``, ``INSERT INTO``, ``CREATE TABLE`` ... in string literals) only in ``store/``.

Where today's tree breaks a rule, the violations are listed below as data ("known today"). Each rule
has two tests: a strict one (no violation at all), marked ``xfail(strict=True)`` while its known list
is not empty, and a ratchet (``..._matches_known_list``) that fails when a new violation appears and
when a known one disappears, so the lists only shrink. Fix a violation, delete its entry; when a list
is empty its xfail lifts by itself.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "uptake"
ROOT = "uptake"

# --------------------------------------------------------------------------------------------------
# Layers, lowest first. A module may import modules of its own layer or of a lower one.
#
# Decisions:
# - the ground floor holds the values everyone shares and no I/O: errors, records, text, periods,
#   deadline, scope (the question's options) and plans (the compiled form of a query, which the
#   store's exact scan and the term index consume; query/plan.py is the one compiler producing them).
# - ``synthetic`` is a source of Paper records (needs only periods and records): layer "sources".
# - ``demo`` composes synthetic + store + Corpus + outputs.plot into a ready-made figure and is
#   called by the CLI: its own layer between outputs and the faces.
# - the root ``uptake/__init__.py`` is the library's facade: a face. The version lives in
#   ``uptake._version`` (ground) so nothing inside the package imports the facade.
# --------------------------------------------------------------------------------------------------
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ground", ("uptake.errors", "uptake.records", "uptake.text", "uptake.periods", "uptake.deadline",
                "uptake.scope", "uptake.plans", "uptake._version", "uptake.sections",
                "uptake.serialise", "uptake._crashpoint")),
    ("sources", ("uptake.sources", "uptake.synthetic")),
    ("store", ("uptake.store",)),
    ("index", ("uptake.index",)),
    ("query", ("uptake.query",)),
    ("analytics", ("uptake.analytics",)),
    ("library", ("uptake.corpus", "uptake.ingest", "uptake.harvest", "uptake.fulltext", "uptake.fetch")),
    ("outputs", ("uptake.outputs",)),
    ("demo", ("uptake.demo",)),
    # ``uptake.spark`` runs the library's pipeline on a Spark cluster and has its own entry point
    # (``python -m uptake.spark``, what spark-submit runs): a face.
    ("faces", ("uptake.cli", "uptake.web", "uptake.__main__", "uptake.spark", "uptake")),
)

# Third-party drivers and the only places allowed to import them (module prefixes).
DRIVERS: dict[str, tuple[str, ...]] = {
    "duckdb": ("uptake.store",),
    "matplotlib": ("uptake.outputs",),
    "fastapi": ("uptake.web", "uptake.cli.serve"),
    "starlette": ("uptake.web", "uptake.cli.serve"),
    "uvicorn": ("uptake.web", "uptake.cli.serve"),
    "tantivy": ("uptake.index",),
    "pyspark": ("uptake.spark",),
}

# Deferred (function-level) imports allowed to close a cycle, each with the reason. Keep it empty.
ALLOWED_DEFERRED_CYCLE_EDGES: dict[tuple[str, str], str] = {}

# --------------------------------------------------------------------------------------------------
# Known today: none. Each entry would be (importer, imported) module names; a new one is a defect to fix.
# --------------------------------------------------------------------------------------------------
KNOWN_RUNTIME_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset()

# Deferred imports lying on a cycle of runtime + deferred imports.
KNOWN_DEFERRED_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset()

KNOWN_UPWARD_IMPORTS: frozenset[tuple[str, str]] = frozenset()

KNOWN_DRIVER_IMPORTS: frozenset[tuple[str, str]] = frozenset()

# Modules with SQL in a string literal outside store/.
KNOWN_SQL_OUTSIDE_STORE: frozenset[str] = frozenset()


# ------------------------------------------------------------------------------- reading the source
@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    kind: str  # runtime | deferred | typing
    file: str
    line: int
    implicit: bool = False  # an intermediate package __init__ run by importing a submodule

    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ExternalImport:
    importer: str
    top: str  # top-level distribution name, e.g. "duckdb"
    kind: str
    file: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk_imports(tree: ast.Module):  # type: ignore[no-untyped-def]
    """Yield (import node, kind) for every import statement, with its kind."""

    def visit(node: ast.AST, in_function: bool, in_typing: bool):  # type: ignore[no-untyped-def]
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, "typing" if in_typing else "deferred" if in_function else "runtime"
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, True, in_typing)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), in_function, True)
                for stmt in child.orelse:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), in_function, in_typing)
            else:
                yield from visit(child, in_function, in_typing)

    yield from visit(tree, False, False)


def _resolve(importer: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Absolute names this statement imports (modules or objects; filtered later)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        base = node.module or ""
    else:
        package = importer if _is_package(importer) else importer.rpartition(".")[0]
        parts = package.split(".")
        if node.level - 1:
            parts = parts[: -(node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]


def _internal_target(name: str) -> str | None:
    """The uptake module ``name`` denotes: itself, else its longest module prefix."""
    mods = modules()
    while name:
        if name in mods:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def graph() -> tuple[tuple[Edge, ...], tuple[ExternalImport, ...]]:
    edges: list[Edge] = []
    external: list[ExternalImport] = []
    for mod, path in modules().items():
        rel = str(path.relative_to(SRC.parent))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for node, kind in _walk_imports(tree):
            names = _resolve(mod, node)
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                    node.module.split(".")[0] != ROOT:
                external.append(ExternalImport(mod, node.module.split(".")[0], kind, rel, node.lineno))
                continue
            if isinstance(node, ast.Import):
                for n in names:
                    if n.split(".")[0] != ROOT:
                        external.append(ExternalImport(mod, n.split(".")[0], kind, rel, node.lineno))
                names = [n for n in names if n.split(".")[0] == ROOT]
            # ``from pkg import a, b``: each name is a module (pkg.a) or an object of pkg.
            targets: set[str] = set()
            if isinstance(node, ast.ImportFrom):
                base, members = names[0], names[1:]
                member_modules = {m for m in members if m in modules()}
                targets |= member_modules
                if not member_modules or len(member_modules) < len(members):
                    t = _internal_target(base)
                    if t:
                        targets.add(t)
            else:
                targets |= {t for n in names if (t := _internal_target(n))}
            for target in sorted(targets):
                if target == mod:
                    continue
                edges.append(Edge(mod, target, kind, rel, node.lineno))
                # Intermediate packages whose __init__ runs on the way to ``target``.
                parts = target.split(".")
                for i in range(2, len(parts)):
                    pkg = ".".join(parts[:i])
                    if pkg != mod and not mod.startswith(pkg + "."):
                        edges.append(Edge(mod, pkg, kind, rel, node.lineno, implicit=True))
    return tuple(edges), tuple(external)


# ------------------------------------------------------------------------------------ graph helpers
def _adjacency(kinds: set[str]) -> dict[str, set[str]]:
    adj: dict[str, set[str]] = defaultdict(set)
    for e in graph()[0]:
        if e.kind in kinds:
            adj[e.importer].add(e.imported)
    return adj


def _sccs(adj: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[set[str]] = []
    counter = 0
    nodes = sorted(set(adj) | {w for vs in adj.values() for w in vs})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(adj.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(adj.get(w, ())))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def _path(adj: dict[str, set[str]], start: str, goal: str) -> list[str]:
    """A shortest import path start -> ... -> goal (BFS)."""
    prev: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        if v == goal:
            break
        for w in sorted(adj.get(v, ())):
            if w not in prev:
                prev[w] = v
                queue.append(w)
    if goal not in prev:
        return []
    out = [goal]
    while (p := prev[out[-1]]) is not None:
        out.append(p)
    return out[::-1]


def _edge_sites(importer: str, imported: str, kinds: set[str]) -> str:
    sites = sorted({e.where() for e in graph()[0]
                    if e.importer == importer and e.imported == imported and e.kind in kinds})
    return ", ".join(sites)


def _cycle_edges(kinds: set[str]) -> set[tuple[str, str]]:
    """Edges of the given kinds that lie on a cycle of the graph of those kinds."""
    adj = _adjacency(kinds)
    comp_of = {m: i for i, comp in enumerate(_sccs(adj)) for m in comp}
    return {(a, b) for a, bs in adj.items() for b in bs if comp_of[a] == comp_of[b]}


def _describe_cycles(edges: set[tuple[str, str]], kinds: set[str]) -> str:
    adj = _adjacency(kinds)
    lines = []
    for a, b in sorted(edges):
        loop = _path(adj, b, a)
        lines.append(f"  {a} -> {b}  [{_edge_sites(a, b, kinds)}]\n      cycle: {' -> '.join([a, *loop])}")
    return "\n".join(lines)


def _ratchet(found: set, known: frozenset, what: str) -> None:  # type: ignore[type-arg]
    new, gone = found - known, known - found
    msg = []
    if new:
        msg.append(f"new {what} (fix them; do not add them to the known list):\n" +
                   "\n".join(f"  {x}" for x in sorted(new)))
    if gone:
        msg.append(f"fixed {what}: delete these entries from the known list in {Path(__file__).name}:\n" +
                   "\n".join(f"  {x}" for x in sorted(gone)))
    assert not msg, "\n".join(msg)


def _xfail_while(known: frozenset, what: str):  # type: ignore[no-untyped-def,type-arg]
    return pytest.mark.xfail(bool(known), strict=True,
                             reason=f"known today: {len(known)} {what} (listed in {Path(__file__).name})")


# --------------------------------------------------------------------------------------- the parser
def test_the_graph_sees_known_imports() -> None:
    """Sanity: the reader finds relative, deferred and TYPE_CHECKING imports where they are."""
    edges = {(e.importer, e.imported, e.kind) for e in graph()[0]}
    assert ("uptake.periods", "uptake.errors", "runtime") in edges
    assert ("uptake.store", "uptake.errors", "runtime") in edges
    assert ("uptake.sources.detect", "uptake.sources.atom", "deferred") in edges  # inside a function
    assert ("uptake.outputs.plot", "uptake.analytics.trends", "typing") in edges
    assert ("uptake.cli.core", "uptake.outputs.plot", "deferred") in edges  # matplotlib only when plotting
    # ``from . import index`` names the module uptake.index, not only the package it sits in.
    assert ("uptake.cli.index", "uptake.index", "deferred") in edges
    # Importing uptake.query.ast runs uptake/query/__init__.py first.
    assert any(e.importer == "uptake.analytics.derived" and e.imported == "uptake.query" and e.implicit
               for e in graph()[0])
    drivers = {(x.importer, x.top) for x in graph()[1]}
    assert ("uptake.store", "duckdb") in drivers
    assert ("uptake.web.app", "fastapi") in drivers


def test_graph_helpers_on_a_toy_graph() -> None:
    adj = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    comps = _sccs(adj)
    assert {"a", "b", "c"} in comps and {"d"} in comps
    assert _path(adj, "b", "a") == ["b", "c", "a"]
    with pytest.raises(AssertionError, match="new x"):
        _ratchet({1, 2}, frozenset({1}), "x")
    with pytest.raises(AssertionError, match="fixed x"):
        _ratchet({1}, frozenset({1, 2}), "x")
    _ratchet({1}, frozenset({1}), "x")
    assert _layer("uptake.query.parse") == 4 and _layer("uptake") == len(LAYERS) - 1
    assert _layer("uptake.cli.serve") == _layer("uptake.web.app")


def test_every_module_has_a_layer() -> None:
    missing = [m for m in modules() if _layer(m) is None]
    assert not missing, f"modules with no layer in LAYERS: {missing}"


# -------------------------------------------------------------------------------------------- cycles
@_xfail_while(KNOWN_RUNTIME_CYCLE_EDGES, "runtime import cycle edges")
def test_no_runtime_import_cycle() -> None:
    found = _cycle_edges({"runtime"})
    assert not found, "module-level imports form a cycle:\n" + _describe_cycles(found, {"runtime"})


def test_runtime_import_cycles_match_known_list() -> None:
    _ratchet(_cycle_edges({"runtime"}), KNOWN_RUNTIME_CYCLE_EDGES, "runtime import cycle edges")


def _deferred_cycle_edges() -> set[tuple[str, str]]:
    """Deferred imports lying on a cycle of runtime + deferred imports, minus the allowlist."""
    kinds = {"runtime", "deferred"}
    deferred = {(e.importer, e.imported) for e in graph()[0] if e.kind == "deferred"}
    on_cycle = _cycle_edges(kinds) & deferred
    runtime = {(e.importer, e.imported) for e in graph()[0] if e.kind == "runtime"}
    return {e for e in on_cycle if e not in runtime} - set(ALLOWED_DEFERRED_CYCLE_EDGES)


@_xfail_while(KNOWN_DEFERRED_CYCLE_EDGES, "deferred imports closing a cycle")
def test_no_cycle_through_deferred_imports() -> None:
    found = _deferred_cycle_edges()
    assert not found, ("function-level imports close import cycles (a deferred import hides the cycle, "
                       "it does not remove it):\n" + _describe_cycles(found, {"runtime", "deferred"}))


def test_deferred_import_cycles_match_known_list() -> None:
    _ratchet(_deferred_cycle_edges(), KNOWN_DEFERRED_CYCLE_EDGES, "deferred imports closing a cycle")


def test_allowlist_entries_are_used_and_explained() -> None:
    deferred = {(e.importer, e.imported) for e in graph()[0] if e.kind == "deferred"}
    on_cycle = _cycle_edges({"runtime", "deferred"})
    for edge, reason in ALLOWED_DEFERRED_CYCLE_EDGES.items():
        assert reason.strip(), f"{edge}: give the reason"
        assert edge in deferred and edge in on_cycle, f"{edge} no longer closes a cycle: remove it"


# ------------------------------------------------------------------------------------------- drivers
def _owner_ok(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _driver_violations() -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for x in graph()[1]:
        if x.top in DRIVERS and not _owner_ok(x.importer, DRIVERS[x.top]):
            out[(x.importer, x.top)].append(f"{x.file}:{x.line} ({x.kind})")
    return out


@_xfail_while(KNOWN_DRIVER_IMPORTS, "driver imports outside their package")
def test_drivers_only_in_their_package() -> None:
    found = _driver_violations()
    assert not found, "drivers imported outside their package:\n" + "\n".join(
        f"  {imp} imports {top}: {', '.join(sites)} (allowed only in {', '.join(DRIVERS[top])})"
        for (imp, top), sites in sorted(found.items()))


def test_driver_imports_match_known_list() -> None:
    _ratchet(set(_driver_violations()), KNOWN_DRIVER_IMPORTS, "driver imports outside their package")


def test_driver_owners_exist_or_are_future() -> None:
    """Owners named in DRIVERS are real modules (uptake.spark may come later)."""
    for top, owners in DRIVERS.items():
        for owner in owners:
            if owner == "uptake.spark":
                continue
            assert owner in modules(), f"{top}: owner {owner} does not exist; update DRIVERS"


# -------------------------------------------------------------------------------------------- layers
def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for rank, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[0]):
                best = (len(p), rank)
    return None if best is None else best[1]


def _upward() -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for e in graph()[0]:
        if e.kind == "typing" or e.implicit:
            continue  # TYPE_CHECKING imports never run; implicit package edges are judged by their target
        lo, hi = _layer(e.importer), _layer(e.imported)
        if lo is not None and hi is not None and hi > lo:
            out[(e.importer, e.imported)].append(f"{e.where()} ({e.kind})")
    return out


@_xfail_while(KNOWN_UPWARD_IMPORTS, "upward imports")
def test_layers_import_only_downward() -> None:
    found = _upward()
    names = [n for n, _ in LAYERS]
    assert not found, "upward imports (layers: " + " < ".join(names) + "):\n" + "\n".join(
        f"  {a} [{names[_layer(a) or 0]}] -> {b} [{names[_layer(b) or 0]}]: {', '.join(sites)}"
        for (a, b), sites in sorted(found.items()))


def test_upward_imports_match_known_list() -> None:
    _ratchet(set(_upward()), KNOWN_UPWARD_IMPORTS, "upward imports")


# ----------------------------------------------------------------------------------------------- SQL
SQL = re.compile(
    r"\bSELECT\s|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b|\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?"
    r"(?:TABLE|INDEX|VIEW|SEQUENCE|MACRO)\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\bDROP\s+(?:TABLE|INDEX|VIEW)\b"
    r"|\bALTER\s+TABLE\b|\bGROUP\s+BY\b|\bORDER\s+BY\b"
)


def _docstring_nodes(tree: ast.Module) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def sql_sites() -> dict[str, list[str]]:
    """Module -> 'file:line: text' of string literals (f-string parts too) that hold SQL; docstrings are prose."""
    out: dict[str, list[str]] = defaultdict(list)
    for mod, path in modules().items():
        rel = str(path.relative_to(SRC.parent))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstring_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                m = SQL.search(node.value)
                if m:
                    out[mod].append(f"{rel}:{node.lineno}: {node.value.strip()[:60]!r}")
    return out


def _sql_outside_store() -> dict[str, list[str]]:
    return {m: s for m, s in sql_sites().items() if not _owner_ok(m, ("uptake.store",))}


def test_sql_detector_sees_the_store() -> None:
    assert "uptake.store" in sql_sites()
    assert not SQL.search("select the papers, then group them by month")  # prose in lower case is not SQL


@_xfail_while(KNOWN_SQL_OUTSIDE_STORE, "modules with SQL outside store/")
def test_sql_only_in_store() -> None:
    found = _sql_outside_store()
    assert not found, "SQL written outside uptake/store/:\n" + "\n".join(
        f"  {m}:\n" + "\n".join(f"    {s}" for s in sites) for m, sites in sorted(found.items()))


def test_sql_outside_store_matches_known_list() -> None:
    _ratchet(set(_sql_outside_store()), KNOWN_SQL_OUTSIDE_STORE, "modules with SQL outside store/")
