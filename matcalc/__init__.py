"""matcalc: symbolic matrix calculus that prints what a textbook would.

    >>> import matcalc
    >>> str(matcalc.derive("u^T f(W x + b)", wrt="W"))
    "(u ⊙ f'(W x + b)) x^T"

The house: ``core`` (nodes, the operation table, shapes, evaluation), ``language`` (grammar,
parse, typecheck, printing), ``calculus`` (the rule table, the engine, the simplifier,
verdicts), ``views`` (steps, code, graphs, the gallery); :mod:`matcalc.api` holds the public
functions and :mod:`matcalc.cli` the command line.
"""
from __future__ import annotations

from ._requirements import check as _check_requirements

_check_requirements()  # a missing dependency is one clear line (and exit 2 on the command line)

from .api import derive, evaluate, explain_types, grad, graph, hessian, parse, verify
from .calculus.verify import Verdict
from .core.errors import (
    DerivativeError, EvaluationError, LimitError, MatcalcError, MissingRuleError, ParseError,
    ShapeError, SymbolError,
)
from .core.evaluate import evaluate_expr
from .core.program import Program
from .results import Derivative, Gradients
from .views.graph import Graph

__all__ = [
    "parse", "derive", "grad", "hessian", "explain_types", "evaluate", "evaluate_expr", "Program", "Derivative", "Gradients",
    "MatcalcError", "ParseError", "ShapeError", "SymbolError", "EvaluationError", "DerivativeError",
    "MissingRuleError", "LimitError", "verify", "Verdict", "graph", "Graph",
]
