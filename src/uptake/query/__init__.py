"""The query language: parsing text into series and planning them against the store."""

from .ast import And, Category, Not, Or, Query, Series, Term
from .parse import parse_query, restrict_roles

__all__ = ["And", "Category", "Not", "Or", "Query", "Series", "Term", "parse_query", "restrict_roles"]
