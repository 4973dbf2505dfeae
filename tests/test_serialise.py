"""`uptake.serialise`: the one JSON form of result values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import numpy as np
import pytest

from uptake.serialise import AsDict, fields_dict, to_jsonable


@dataclass(frozen=True)
class Inner:
    a: int

    def as_dict(self) -> dict[str, object]:
        return {"renamed": self.a}


@dataclass(frozen=True)
class Plain:
    when: date
    pair: tuple[float, float] | None
    inner: Inner
    items: tuple[Inner, ...]
    extra: dict[str, object]


@dataclass(frozen=True)
class Row(AsDict):
    label: str
    ci: tuple[float | None, float | None] | None = None


def test_fields_in_order_with_nested_types_in_json_form() -> None:
    p = Plain(date(2025, 5, 1), (0.1, 0.2), Inner(3), (Inner(1), Inner(2)), {"k": (1, date(2024, 1, 2))})
    assert fields_dict(p) == {
        "when": "2025-05-01", "pair": [0.1, 0.2], "inner": {"renamed": 3},
        "items": [{"renamed": 1}, {"renamed": 2}], "extra": {"k": [1, "2024-01-02"]},
    }
    assert list(fields_dict(p)) == ["when", "pair", "inner", "items", "extra"]


def test_mixin_numpy_and_datetimes() -> None:
    assert Row("x").as_dict() == {"label": "x", "ci": None}
    assert Row("x", (None, 2.0)).as_dict() == {"label": "x", "ci": [None, 2.0]}
    assert to_jsonable([np.int64(3), np.float64(0.5), np.array([1, 2]), True]) == [3, 0.5, [1, 2], True]
    assert type(to_jsonable(np.int64(3))) is int
    assert to_jsonable(datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc)) == "2025-01-02T03:04:00+00:00"


def test_refuses_what_has_no_json_form() -> None:
    with pytest.raises(TypeError):
        to_jsonable(object())
    with pytest.raises(TypeError):
        fields_dict(Row)
