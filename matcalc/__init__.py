"""matcalc: symbolic matrix calculus that prints what a textbook would."""
from __future__ import annotations

from .errors import (
    DerivativeError, EvaluationError, LimitError, MatcalcError, MissingRuleError, ParseError,
    ShapeError, SymbolError,
)
from .evaluate import evaluate, evaluate_expr
from .parse import parse_statements
from .shapes import Program, typecheck


def parse(text: str | Program) -> Program:
    """A typed program from text. Raises ParseError, ShapeError, … (all MatcalcError)."""
    if isinstance(text, Program):
        return text
    return typecheck(parse_statements(text), text)
