"""One JSON form for uptake's result values.

:func:`to_jsonable` turns a value into JSON's types: a dataclass into a dict (through its own
``as_dict()`` when it has one, so a type that renames or drops fields keeps doing so when nested),
tuples and lists into lists, dict values converted, dates into ISO strings, numpy scalars and arrays
into Python numbers and lists. :func:`fields_dict` is the plain form of one dataclass, field by field
in declaration order; :class:`AsDict` gives a dataclass that form as its ``as_dict()``.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any


def to_jsonable(value: object) -> Any:
    """``value`` in JSON's types (see the module docstring)."""
    if value is None or isinstance(value, (str, int, float)):  # bool is an int; numpy's float64 is a float
        return value
    if is_dataclass(value) and not isinstance(value, type):
        own = getattr(value, "as_dict", None)
        return own() if callable(own) else fields_dict(value)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy scalars and arrays, without importing numpy
        return to_jsonable(value.tolist())
    raise TypeError(f"no JSON form for {type(value).__name__}: {value!r}")


def fields_dict(obj: object) -> dict[str, Any]:
    """The fields of dataclass instance ``obj``, in declaration order, each through :func:`to_jsonable`."""
    if not is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"fields_dict needs a dataclass instance, not {type(obj).__name__}")
    return {f.name: to_jsonable(getattr(obj, f.name)) for f in fields(obj)}


class AsDict:
    """Mixin for result dataclasses whose JSON form is exactly their fields (see :func:`fields_dict`)."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        return fields_dict(self)
