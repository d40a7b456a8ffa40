"""matcalc: symbolic matrix calculus that prints what a textbook would.

    >>> import matcalc
    >>> str(matcalc.derive("u^T f(W x + b)", wrt="W"))
    "(u ⊙ f'(W x + b)) x^T"
"""
from __future__ import annotations

from .core.errors import (
    DerivativeError, EvaluationError, LimitError, MatcalcError, MissingRuleError, ParseError,
    ShapeError, SymbolError,
)
from .language.parse import parse_statements
from .core.program import Program
from .language.typecheck import typecheck
from .core.evaluate import evaluate as _evaluate, evaluate_expr
from .calculus import engine as _engine
from .calculus.engine import Derivative, Gradients
from .calculus import verify as _checks
from .calculus.verify import Verdict
from .views.graph import Graph, graph

__all__ = [
    "parse", "derive", "hessian", "evaluate", "evaluate_expr", "Program", "Derivative", "Gradients",
    "MatcalcError", "ParseError", "ShapeError", "SymbolError", "EvaluationError", "DerivativeError",
    "MissingRuleError", "LimitError", "verify", "Verdict", "graph", "Graph",
]


def parse(text: str | Program) -> Program:
    """A typed program from text. Raises ParseError, ShapeError, … (all MatcalcError)."""
    if isinstance(text, Program):
        return text
    return typecheck(parse_statements(text), text)


def derive(program: str | Program, wrt, layout: str = "shape") -> Derivative | Gradients:
    """∂F/∂wrt for the program's function F; a list of names gives several from one pass."""
    return _engine.derive(parse(program), wrt, layout)


def evaluate(program: str | Program, env: dict):
    """The value of the program's function at env (name -> array, number or callable)."""
    return _evaluate(program, env)


def hessian(program: str | Program, wrt: str, layout: str = "shape") -> Derivative:
    """Second derivatives of a scalar function with respect to one variable."""
    return _engine.hessian(parse(program), wrt, layout)


def verify(program: str | Program, wrt: str, claim: str, layout: str = "shape") -> Verdict:
    """Is ``claim`` (a hand derivation in the language) ∂F/∂wrt? Verdict.ok, Verdict.message say."""
    return _checks.verify(parse(program), wrt, claim, layout)
