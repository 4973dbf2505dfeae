"""Parsing query text into a :class:`~uptake.query.ast.Query`, with positions for errors.

Grammar (whitespace separates tokens)::

    query   := series ("," series)*
    series  := or
    or      := and (("|" | "OR") and)*
    and     := unary (["AND"] unary)*        juxtaposed bare words form one phrase
    unary   := "NOT" unary | "-" atom | atom
    atom    := "(" or ")" | ["="] word | ["="] '"' phrase '"'
             | field ":" atom-text           field: title, abstract, cat
    postfix := term "in:" role | term "sense:" (word | '"' phrase '"')
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from ..errors import QueryError
from ..records import HAS_KINDS, QUERY_ROLES
from ..text import tokens
from .ast import And, Arith, Category, Expr, Formula, HasArtifact, Not, Operand, Or, Query, Series, Term, walk

TEXT_FIELDS = ("title", "abstract")
FILTER_FIELDS = ("cat", "has", "in", "sense")
KNOWN_FIELDS = TEXT_FIELDS + FILTER_FIELDS
MAX_QUERY_LENGTH = 2000
#: How deeply parentheses and NOTs may nest. Real queries use two or three levels; the bound keeps
#: the recursive parser (and everything that walks the tree) far from Python's recursion limit.
MAX_DEPTH = 32
_SPECIAL = set(',|()"')


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE COMMA PIPE LP RP AND NOT NEG EQ FIELD END
    text: str
    pos: int


def _lex(query: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
            continue
        if c == ",":
            out.append(_Tok("COMMA", c, i))
            i += 1
        elif c == "|":
            out.append(_Tok("PIPE", c, i))
            i += 1
        elif c == "(":
            out.append(_Tok("LP", c, i))
            i += 1
        elif c == ")":
            out.append(_Tok("RP", c, i))
            i += 1
        elif c == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError(
                    "unbalanced quote", query=query, position=i, hint='close the phrase with another " or remove this one'
                )
            out.append(_Tok("PHRASE", query[i + 1 : end], i))
            i = end + 1
        elif c in "-=" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] not in ",|)":
            out.append(_Tok("NEG" if c == "-" else "EQ", c, i))
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in _SPECIAL:
                j += 1
            word = query[i:j]
            head, sep, rest = word.partition(":")
            if word in ("+", "-", "/"):  # standalone (space around): arithmetic on series
                out.append(_Tok("OP", word, i))
            elif word == "AND":
                out.append(_Tok("AND", word, i))
            elif word == "NOT":
                out.append(_Tok("NOT", word, i))
            elif word == "OR":
                out.append(_Tok("PIPE", word, i))
            elif sep and head.isalpha():
                _check_field(query, head, i)
                out.append(_Tok("FIELD", head.lower(), i))
                if rest:
                    out.append(_Tok("WORD", rest, i + len(head) + 1))
            else:
                out.append(_Tok("WORD", word, i))
            i = j
    out.append(_Tok("END", "", n))
    return out


def _check_field(query: str, name: str, pos: int) -> None:
    if name.lower() in KNOWN_FIELDS:
        return
    close = difflib.get_close_matches(name.lower(), KNOWN_FIELDS, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]}:?" if close else f"fields are {', '.join(f + ':' for f in KNOWN_FIELDS)}"
    hint += ' To search for text with a colon, quote it: "a:b"'
    raise QueryError(f"unknown field {name}:", query=query, position=pos, hint=hint)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.toks = _lex(query)
        self.i = 0
        self.depth = 0

    def enter(self, tok: _Tok) -> None:
        """One level deeper (a parenthesis or a NOT); refuse to go past :data:`MAX_DEPTH`."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                f"nested more than {MAX_DEPTH} levels deep", tok.pos,
                hint="remove redundant parentheses or NOTs; (a | b) needs no extra ( ) around it",
            )

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, message: str, pos: int, hint: str | None = None) -> QueryError:
        return QueryError(message, query=self.query, position=pos, hint=hint)

    def parse(self) -> Query:
        series: list[Series] = []
        while True:
            start_tok = self.peek()
            if start_tok.kind in ("COMMA", "END"):
                raise self.error(
                    "empty series", start_tok.pos, hint="write a term between the commas, e.g. GRPO, DPO"
                )
            expr, formula = self.parse_series()
            end_tok = self.peek()
            label = self.query[start_tok.pos : end_tok.pos].strip()
            series.append(Series(label=label, expr=expr, position=start_tok.pos, formula=formula))
            if end_tok.kind == "COMMA":
                self.take()
                continue
            if end_tok.kind == "END":
                break
            if end_tok.kind == "RP":
                raise self.error("unmatched )", end_tok.pos, hint="remove it or add a ( before it")
            raise self.error(f"unexpected {end_tok.text!r}", end_tok.pos)
        return Query(text=self.query, series=tuple(series))

    # -- arithmetic on series: sum := prod (("+" | "-") prod)*; prod := operand ("/" operand)* --
    def parse_series(self) -> tuple[Expr, Formula | None]:
        node = self.parse_sum()
        if isinstance(node, Operand):
            wild = [t for t in _terms(node.expr) if t.wildcard]
            for t in wild:
                if sum("*" in w for w in t.text.split()) > 1:
                    raise self.error("only one wildcard word per term", t.position,
                                     hint='e.g. GR*O or "* policy optimization"')
                if not t.text.replace("*", "").strip():
                    # A lone * completes to every word in the corpus: "the", "of", "and" first.
                    raise self.error("a lone * would match every word", t.position,
                                     hint='give part of the word (GR*, *former) or words around it ("* policy optimization")')
            if len(wild) > 1:
                raise self.error("only one wildcard per series", wild[1].position,
                                 hint="put each wildcard in its own series, separated by commas")
            return node.expr, None
        leaves = list(_leaves(node))
        for leaf in leaves:
            for t in _terms(leaf.expr):
                if t.wildcard:
                    raise self.error("a wildcard cannot be used inside arithmetic", t.position,
                                     hint="a wildcard expands into several series; write the completions out")
        exprs = tuple(leaf.expr for leaf in leaves)
        return (exprs[0] if len(exprs) == 1 else Or(exprs)), node

    def parse_sum(self) -> Formula:
        left = self.parse_prod()
        while self.peek().kind == "OP" and self.peek().text in "+-":
            op = self.take()
            left = Arith(op.text, left, self.parse_prod(), op.pos)
        return left

    def parse_prod(self) -> Formula:
        left = self.parse_operand()
        while self.peek().kind == "OP" and self.peek().text == "/":
            op = self.take()
            left = Arith(op.text, left, self.parse_operand(), op.pos)
        return left

    def parse_operand(self) -> Formula:
        tok = self.peek()
        if tok.kind == "OP":
            raise self.error(f"{tok.text} needs a series on each side", tok.pos,
                             hint="e.g. GRPO / PPO or (DPO + IPO); a minus attached to a word (-PPO) means NOT")
        if tok.kind == "LP" and self._group_has_op():
            self.take()
            self.enter(tok)
            inner = self.parse_sum()
            self.depth -= 1
            close = self.take()
            if close.kind != "RP":
                raise self.error("unbalanced (", tok.pos, hint="close it with )")
            nxt = self.peek()
            if nxt.kind not in ("OP", "COMMA", "END", "RP"):
                raise self.error(f"unexpected {nxt.text!r} after an arithmetic group", nxt.pos,
                                 hint="combine series with + - / only; put AND/OR and filters inside each operand")
            return inner
        expr = self.parse_or()
        label = self.query[tok.pos : self.peek().pos].strip()
        return Operand(expr=expr, label=label, position=tok.pos)

    def _group_has_op(self, start: int | None = None) -> bool:
        """Whether the parenthesised group starting here is arithmetic: it holds an operator at its own
        level, or it only wraps another group that is (``((a + b))`` is ``(a + b)``)."""
        i = self.i if start is None else start
        depth = 0
        for j in range(i, len(self.toks)):
            t = self.toks[j]
            if t.kind == "LP":
                depth += 1
            elif t.kind == "RP":
                depth -= 1
                if depth == 0:
                    inner = i + 1
                    if self.toks[inner].kind != "LP" or self._close_of(inner) != j - 1:
                        return False
                    return self._group_has_op(inner)
            elif t.kind == "OP" and depth == 1:
                return True
            elif t.kind in ("END", "COMMA") and depth <= 1:
                return False
        return False

    def _close_of(self, start: int) -> int | None:
        """The index of the ``)`` that closes the ``(`` at ``start``, if any."""
        depth = 0
        for j in range(start, len(self.toks)):
            kind = self.toks[j].kind
            if kind == "LP":
                depth += 1
            elif kind == "RP":
                depth -= 1
                if depth == 0:
                    return j
            elif kind in ("END", "COMMA"):
                return None
        return None

    def parse_or(self) -> Expr:
        items = [self.parse_and()]
        while self.peek().kind == "PIPE":
            tok = self.take()
            if self.peek().kind in ("PIPE", "COMMA", "END", "RP"):
                raise self.error(f"nothing after {tok.text}", tok.pos, hint="write an alternative after it or remove it")
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Expr:
        items: list[Expr] = []
        while True:
            tok = self.peek()
            if tok.kind == "AND":
                self.take()
                if not items:
                    raise self.error("AND needs something before it", tok.pos)
                if self.peek().kind in ("PIPE", "COMMA", "END", "RP", "AND"):
                    raise self.error("AND needs something after it", tok.pos)
                items.append(self.parse_unary())
                continue
            if tok.kind == "FIELD" and tok.text == "in":
                self.take()
                if not items:
                    raise self.error("in: needs a term or a group before it", tok.pos,
                                     hint="e.g. GRPO in:method or (GRPO | DPO) in:experiments")
                items[-1] = self._in_role(tok, items[-1])
                continue
            if tok.kind == "FIELD" and tok.text == "sense":
                self.take()
                items[-1:] = [self._sense(tok, items[-1] if items else None)]
                continue
            if tok.kind in ("WORD", "PHRASE", "LP", "NOT", "NEG", "EQ", "FIELD"):
                item = self.parse_unary()
                prev = items[-1] if items else None
                if _is_bare(item) and _is_bare(prev):
                    assert isinstance(prev, Term) and isinstance(item, Term)
                    items[-1] = Term(text=f"{prev.text} {item.text}", position=prev.position)
                else:
                    items.append(item)
                continue
            break
        if not items:
            tok = self.peek()
            raise self.error(f"expected a term, found {tok.text or 'the end'!r}", tok.pos)
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Expr:
        tok = self.peek()
        if tok.kind == "NOT" or tok.kind == "NEG":
            self.take()
            if self.peek().kind in ("PIPE", "COMMA", "END", "RP", "AND"):
                raise self.error(f"nothing to negate after {tok.text}", tok.pos)
            self.enter(tok)
            inner = self.parse_unary() if tok.kind == "NOT" else self.parse_atom()
            self.depth -= 1
            return Not(inner)
        return self.parse_atom()

    def parse_atom(self) -> Expr:
        tok = self.take()
        if tok.kind == "LP":
            if self.peek().kind == "RP":
                raise self.error("empty parentheses", tok.pos)
            self.enter(tok)
            inner = self.parse_or()
            self.depth -= 1
            close = self.take()
            if close.kind != "RP":
                raise self.error("unbalanced (", tok.pos, hint="close it with )")
            return inner
        if tok.kind == "FIELD":
            nxt = self.peek()
            if tok.text in ("in", "sense"):
                raise self.error(f"{tok.text}: needs a term right before it", tok.pos,
                                 hint='e.g. GRPO in:method, GRPO sense:"group relative policy optimization"')
            if tok.text == "has":
                return self._has(tok, nxt)
            if tok.text == "cat":
                if nxt.kind != "WORD" or nxt.pos != tok.pos + 4:
                    raise self.error("cat: needs a category right after it", tok.pos, hint="e.g. cat:cs.CL or cat:cs")
                self.take()
                return Category(code=nxt.text, position=tok.pos)
            case = None
            if nxt.kind == "EQ":
                self.take()
                case = True
                nxt = self.peek()
            if nxt.kind not in ("WORD", "PHRASE"):
                raise self.error(f"{tok.text}: needs a word or a quoted phrase after it", tok.pos)
            self.take()
            return self._term(nxt, field=tok.text, case=case)
        if tok.kind == "EQ":
            nxt = self.take()
            if nxt.kind not in ("WORD", "PHRASE"):
                raise self.error("= needs a word or a quoted phrase right after it", tok.pos, hint="e.g. =LoRA")
            return self._term(nxt, case=True, position=tok.pos)
        if tok.kind in ("WORD", "PHRASE"):
            return self._term(tok)
        if tok.kind == "RP":
            raise self.error("unmatched )", tok.pos, hint="remove it or add a ( before it")
        raise self.error(f"expected a term, found {tok.text or 'the end'!r}", tok.pos)

    def _in_role(self, tok: _Tok, target: Expr) -> Expr:
        """``target in:ROLE``: every term of ``target`` must occur in full-text sections of that role."""
        nxt = self.peek()
        names = ", ".join(f"in:{r}" for r in QUERY_ROLES)
        if nxt.kind != "WORD" or nxt.pos != tok.pos + 3:
            raise self.error("in: needs a section role right after it", tok.pos, hint=f"one of {names}")
        self.take()
        role = nxt.text.lower()
        if role not in QUERY_ROLES:
            close = difflib.get_close_matches(role, QUERY_ROLES, n=1, cutoff=0.5)
            hint = f"did you mean in:{close[0]}?" if close else f"one of {names}"
            raise self.error(f"unknown section role {nxt.text!r}", nxt.pos, hint=hint)
        if not any(isinstance(n, Term) for n in walk(target)):
            raise self.error("in: applies to terms, not to cat: or has: filters", tok.pos)
        return _with_roles(target, (role,))

    def _sense(self, tok: _Tok, target: Expr | None) -> Term:
        """``ACRONYM sense:EXPANSION``: the papers that use the acronym in the sense its expansion names."""
        example = 'e.g. GRPO sense:"group relative policy optimization" (see `uptake senses GRPO`)'
        if not isinstance(target, Term) or target.wildcard or target.sense is not None:
            raise self.error("sense: needs one acronym right before it", tok.pos, hint=example)
        if len(tokens(target.text)) != 1:
            raise self.error("sense: applies to one acronym, not to a phrase", target.position, hint=example)
        nxt = self.peek()
        if nxt.kind not in ("WORD", "PHRASE") or nxt.pos != tok.pos + 6 or not tokens(nxt.text):
            raise self.error("sense: needs the expansion right after it", tok.pos, hint=example)
        self.take()
        return replace(target, sense=" ".join(tokens(nxt.text)))

    def _has(self, tok: _Tok, nxt: _Tok) -> HasArtifact:
        kinds = ", ".join(f"has:{k}" for k in HAS_KINDS)
        if nxt.kind != "WORD" or nxt.pos != tok.pos + 4:
            raise self.error("has: needs an artifact kind right after it", tok.pos, hint=f"one of {kinds}")
        self.take()
        kind = nxt.text.lower()
        if kind not in HAS_KINDS:
            close = difflib.get_close_matches(kind, HAS_KINDS, n=1, cutoff=0.5)
            hint = f"did you mean has:{close[0]}?" if close else f"one of {kinds}"
            raise self.error(f"unknown artifact kind {nxt.text!r}", nxt.pos, hint=hint)
        return HasArtifact(kind=kind, position=tok.pos)

    def _term(self, tok: _Tok, *, field: str = "any", case: bool | None = None, position: int | None = None) -> Term:
        if "*" in tok.text:
            _check_wildcard(self, tok)
        elif not tokens(tok.text, case_sensitive=True):
            what = "phrase" if tok.kind == "PHRASE" else "term"
            raise self.error(
                f"{what} {tok.text!r} has no letters or digits to match",
                tok.pos,
                hint="terms match whole words made of letters and digits",
            )
        return Term(
            text=tok.text,
            position=tok.pos if position is None else position,
            field=field,  # type: ignore[arg-type]
            case_sensitive=case,
            quoted=tok.kind == "PHRASE",
        )


def _check_wildcard(parser: _Parser, tok: _Tok) -> None:
    """A wildcard is one word of letters, digits and ``*`` (``GR*O``, ``*``); one per term."""
    import re

    from ..text import normalize

    words = tok.text.split()
    starred = [w for w in words if "*" in w]
    offset = tok.pos + (1 if tok.kind == "PHRASE" else 0)
    if len(starred) > 1:
        pos = offset + tok.text.find(starred[1], tok.text.find(starred[0]) + len(starred[0]))
        raise parser.error("only one wildcard word per term", pos, hint='e.g. GR*O or "* policy optimization"')
    w = starred[0]
    if not re.fullmatch(r"(?:[^\W_]|\*)+", normalize(w)) or w.replace("*", "") == "" and len(w) > 1:
        raise parser.error(f"wildcard {w!r} must be letters, digits and one or more *", offset + tok.text.find(w),
                           hint="a wildcard stands for the rest of one word, e.g. GR*O, LLa*, or * in a phrase")
    if any(not tokens(x) for x in words if x != w):
        bad = next(x for x in words if x != w and not tokens(x))
        raise parser.error(f"{bad!r} has no letters or digits to match", offset + tok.text.find(bad))


def _leaves(node: Formula):  # type: ignore[no-untyped-def]
    if isinstance(node, Operand):
        yield node
    else:
        yield from _leaves(node.left)
        yield from _leaves(node.right)


def restrict_roles(query: Query, roles: tuple[str, ...]) -> Query:
    """``query`` with every term that names no section role looking only in ``roles`` (``--by use``)."""
    return Query(text=query.text, series=tuple(replace(s, expr=_with_roles(s.expr, roles)) for s in query.series))


def _with_roles(expr: Expr, roles: tuple[str, ...]) -> Expr:
    """``expr`` with ``roles`` given to every term in it (an inner in: keeps its own, narrower roles)."""
    if isinstance(expr, Term):
        return replace(expr, roles=expr.roles or roles)
    if isinstance(expr, (And, Or)):
        return type(expr)(tuple(_with_roles(e, roles) for e in expr.items))
    if isinstance(expr, Not):
        return Not(_with_roles(expr.item, roles))
    return expr


def _terms(expr: Expr):  # type: ignore[no-untyped-def]

    return (n for n in walk(expr) if isinstance(n, Term))


def _is_bare(expr: Expr | None) -> bool:
    return (isinstance(expr, Term) and not expr.quoted and expr.field == "any" and expr.case_sensitive is None
            and expr.sense is None)


def with_sense(query: Query, sense: str) -> Query:
    """``query`` with ``sense:SENSE`` given to every series that is one acronym without a sense of its own
    (``--sense``); a :class:`UsageError` when no series is one acronym."""
    from ..errors import UsageError

    words = tokens(sense)
    if not words:
        raise UsageError("--sense needs an expansion, e.g. --sense 'group relative policy optimization'")
    out, hit = [], False
    for s in query.series:
        e = s.expr
        if isinstance(e, Term) and not e.wildcard and e.sense is None and len(tokens(e.text)) == 1:
            s = replace(s, expr=replace(e, sense=" ".join(words)), label=f'{s.label} sense:"{" ".join(words)}"')
            hit = True
        out.append(s)
    if not hit:
        raise UsageError("--sense applies to series that are one acronym, e.g. uptake adoption GRPO "
                         "--sense 'group relative policy optimization'")
    return Query(text=query.text, series=tuple(out))


def parse_query(text: str) -> Query:
    """Parse ``text``; raise :class:`QueryError` with the position and a hint when it is malformed.

    >>> [s.label for s in parse_query('GRPO, DPO | "direct preference optimization"').series]
    ['GRPO', 'DPO | "direct preference optimization"']
    """
    if text is None or not text.strip():
        raise QueryError("empty query", query=text or "", position=0, hint='write one or more terms, e.g. "GRPO, DPO"')
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"query is {len(text)} characters long; the limit is {MAX_QUERY_LENGTH}",
            query=text[:80],
            position=0,
        )
    return _Parser(text).parse()
