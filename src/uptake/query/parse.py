"""Parsing query text into a :class:`~uptake.query.ast.Query`, with positions for errors.

Grammar (whitespace separates tokens)::

    query   := series ("," series)*
    series  := or
    or      := and (("|" | "OR") and)*
    and     := unary (["AND"] unary)*        juxtaposed bare words form one phrase
    unary   := "NOT" unary | "-" atom | atom
    atom    := "(" or ")" | ["="] word | ["="] '"' phrase '"'
             | field ":" atom-text           field: title, abstract, cat
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..errors import QueryError
from ..text import tokens
from .ast import And, Category, Expr, HasArtifact, Not, Or, Query, Series, Term

TEXT_FIELDS = ("title", "abstract")
FILTER_FIELDS = ("cat", "has")
KNOWN_FIELDS = TEXT_FIELDS + FILTER_FIELDS
MAX_QUERY_LENGTH = 2000
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
            if word == "AND":
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
            expr = self.parse_or()
            end_tok = self.peek()
            label = self.query[start_tok.pos : end_tok.pos].strip()
            series.append(Series(label=label, expr=expr, position=start_tok.pos))
            if end_tok.kind == "COMMA":
                self.take()
                continue
            if end_tok.kind == "END":
                break
            if end_tok.kind == "RP":
                raise self.error("unmatched )", end_tok.pos, hint="remove it or add a ( before it")
            raise self.error(f"unexpected {end_tok.text!r}", end_tok.pos)
        return Query(text=self.query, series=tuple(series))

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
            inner = self.parse_unary() if tok.kind == "NOT" else self.parse_atom()
            return Not(inner)
        return self.parse_atom()

    def parse_atom(self) -> Expr:
        tok = self.take()
        if tok.kind == "LP":
            if self.peek().kind == "RP":
                raise self.error("empty parentheses", tok.pos)
            inner = self.parse_or()
            close = self.take()
            if close.kind != "RP":
                raise self.error("unbalanced (", tok.pos, hint="close it with )")
            return inner
        if tok.kind == "FIELD":
            nxt = self.peek()
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

    def _has(self, tok: _Tok, nxt: _Tok) -> HasArtifact:
        from ..openness import HAS_KINDS

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
        if not tokens(tok.text, case_sensitive=True):
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


def _is_bare(expr: Expr | None) -> bool:
    return isinstance(expr, Term) and not expr.quoted and expr.field == "any" and expr.case_sensitive is None


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
