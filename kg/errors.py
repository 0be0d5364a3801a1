"""Errors the user sees: each names what was expected, what arrived, and what to do."""

from __future__ import annotations

__all__ = ["KGError", "InputError", "GraphError", "QueryError", "GoldError"]


class KGError(Exception):
    """Base class: the CLI prints ``kg: <message>`` and exits 2."""


class InputError(KGError):
    """An input path is missing or cannot be used."""


class GraphError(KGError):
    """A graph file cannot be read."""


class QueryError(KGError):
    """A SPARQL query cannot be found, parsed or bound."""


class GoldError(KGError):
    """A gold file does not follow gold/GUIDELINE.md."""
