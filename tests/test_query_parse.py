import pytest

from uptake.errors import QueryError
from uptake.query import And, Category, Not, Or, Term, parse_query


def labels(q):
    return [s.label for s in parse_query(q).series]


def test_series_labels_as_written():
    assert labels('GRPO, DPO | "direct preference optimization"') == ["GRPO", 'DPO | "direct preference optimization"']
    assert labels("  GRPO ,PPO  ") == ["GRPO", "PPO"]


def test_structure():
    (s,) = parse_query('(GRPO | DAPO) AND reasoning').series
    assert isinstance(s.expr, And) and isinstance(s.expr.items[0], Or)
    (s,) = parse_query("RLHF AND NOT PPO").series
    assert s.expr == And((Term("RLHF", 0), Not(Term("PPO", 13))))
    (s,) = parse_query("LoRA cat:cs.LG -cat:eess.SP").series
    assert s.expr.items[1] == Category("cs.LG", 5) and s.expr.items[2] == Not(Category("eess.SP", 16))
    (s,) = parse_query("direct preference optimization").series
    assert s.expr == Term("direct preference optimization", 0)
    a, b = parse_query("=LoRA, =LoRa").series
    assert a.expr.case_sensitive is True and b.expr.text == "LoRa"
    (s,) = parse_query('abstract:"reward model"').series
    assert s.expr.field == "abstract" and s.expr.quoted


@pytest.mark.parametrize(
    "query, position, fragment",
    [
        ('GRPO, "direct preference', 6, "unbalanced quote"),
        ("GRPO,, DPO", 5, "empty series"),
        ("(GRPO | DPO", 0, "unbalanced ("),
        ("GRPO)", 4, "unmatched )"),
        ("titel:GRPO", 0, "did you mean title:"),
        ("GRPO |", 5, "nothing after |"),
        ("   ", 0, "empty query"),
        ("GRPO, ---", 7, "expected a term"),
        ('"--"', 0, "no letters or digits"),
    ],
)
def test_errors_carry_position_and_hint(query, position, fragment):
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert info.value.position == position
    assert fragment in str(info.value)
    caret = info.value.caret().splitlines()
    assert caret[1].index("^") - 2 == position


@pytest.mark.parametrize(("text", "plain"), [("((a + b))", "a + b"), ("(((a + b)))", "a + b"),
                                           ("((a + b)) / c", "(a + b) / c"), ("(((a + b)) / c)", "(a + b) / c")])
def test_redundant_parentheses_around_arithmetic_change_nothing(text: str, plain: str) -> None:
    """``((a + b))`` is ``(a + b)``: once refused as "unbalanced (" because the outer group held no operator."""
    from uptake.query.ast import Arith, Operand

    def shape(node: object) -> object:
        if isinstance(node, Operand):
            return node.label
        assert isinstance(node, Arith)
        return (node.op, shape(node.left), shape(node.right))

    got, want = parse_query(text).series[0], parse_query(plain).series[0]
    assert got.formula is not None and shape(got.formula) == shape(want.formula)
    assert [t.text for t in got.expr.items] == [t.text for t in want.expr.items]  # type: ignore[union-attr]
