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

from .core.errors import (
    DerivativeError, EvaluationError, LimitError, MatcalcError, MissingRuleError, ParseError,
    ShapeError, SymbolError,
)

# the public names are loaded when first used (PEP 562): `matcalc grad …` then imports only what
# a derivation needs, not verify, graphs, code generation (start-up: issue 14)
_LAZY = {
    "parse": "api", "derive": "api", "grad": "api", "hessian": "api", "explain_types": "api",
    "evaluate": "api", "verify": "api", "graph": "api", "Verdict": "calculus.verify",
    "evaluate_expr": "core.evaluate", "Program": "core.program", "Derivative": "results",
    "Gradients": "results", "Graph": "views.graph",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'matcalc' has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "parse", "derive", "grad", "hessian", "explain_types", "evaluate", "evaluate_expr", "Program", "Derivative", "Gradients",
    "MatcalcError", "ParseError", "ShapeError", "SymbolError", "EvaluationError", "DerivativeError",
    "MissingRuleError", "LimitError", "verify", "Verdict", "graph", "Graph",
]
