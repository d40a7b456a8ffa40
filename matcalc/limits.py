"""matcalc's documented limits: what it refuses, and the message it refuses it with.

Every limit ends in a :class:`matcalc.LimitError` (a :class:`matcalc.MatcalcError`) whose
message names the limit and its value, never in a hang, a crash or a traceback.

=====================  ==========================  =============================================
limit                  value                       where it is checked
=====================  ==========================  =============================================
input size             ``MAX_INPUT`` = 100,000     :func:`matcalc.parse.parse_statements`, before
                       characters                  anything is read ("the program is … characters
                                                   long; matcalc reads at most 100,000")
nesting depth          ``MAX_DEPTH`` = 2,000       :func:`matcalc.shapes.typecheck`, on the parsed
                       levels                      and on the typed tree ("the expression nests …
                                                   levels deep; matcalc accepts at most 2000")
result size            ``MAX_RESULT_NODES`` =      :func:`matcalc.derive.derive`, on each result
                       200,000 distinct nodes      (its expression and the definitions it uses)
time budget            ``TIME_BUDGET`` = 20 s      :func:`matcalc.derive.derive`, cooperatively:
                       per call of derive          after each variable's derivative is found (a
                                                   derivation for several variables stops at the
                                                   first check past the budget)
number size            ``MAX_NUMBER_DIGITS`` = 400  :mod:`matcalc.parse` (a number literal)
=====================  ==========================  =============================================

The result-size and time limits are module attributes read at each call, so a caller (or a
test) may lower or raise them: ``matcalc.limits.TIME_BUDGET = 60``.
"""
from __future__ import annotations

import time

from .errors import LimitError
from .nodes import Expr, walk
from .parse import MAX_INPUT, MAX_NUMBER_DIGITS
from .shapes import MAX_DEPTH

__all__ = ["MAX_INPUT", "MAX_DEPTH", "MAX_NUMBER_DIGITS", "MAX_RESULT_NODES", "TIME_BUDGET",
           "result_size", "Checked"]

MAX_RESULT_NODES = 200_000
"""Largest derivative accepted, in distinct nodes of its expression and the definitions it uses."""

TIME_BUDGET = 20.0
"""Seconds one call of derive may take (checked after each variable's derivative)."""


def result_size(expr: Expr, definitions: dict | None = None) -> int:
    """Distinct nodes of a result: its expression and its definitions (shared nodes once)."""
    seen: set = set()
    for root in [expr, *(definitions or {}).values()]:
        seen.update(walk(root))
    return len(seen)


class Checked(dict):
    """The results of one derive call: every result stored is checked against the size limit,
    and every store checks the time budget (the clock starts when the dict is made)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = time.monotonic()

    def __setitem__(self, name, result) -> None:
        self._check(name, result)
        super().__setitem__(name, result)

    def update(self, *args, **kwargs) -> None:
        for name, result in dict(*args, **kwargs).items():
            self[name] = result

    def _check(self, name, result) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > TIME_BUDGET:
            raise LimitError(f"the derivative took {elapsed:.1f} s, beyond matcalc's time budget of "
                             f"{TIME_BUDGET:g} s for one derivation",
                             hint="differentiate with respect to fewer variables at a time, name repeated "
                                  "pieces with definitions, or raise matcalc.limits.TIME_BUDGET")
        expr = getattr(result, "expr", None)
        if expr is None:
            return
        size = result_size(expr, getattr(result, "definitions", None))
        if size > MAX_RESULT_NODES:
            raise LimitError(f"the derivative with respect to {name} has {size:,} nodes; matcalc's result "
                             f"size limit is {MAX_RESULT_NODES:,} nodes",
                             hint="name repeated pieces with definitions, or raise "
                                  "matcalc.limits.MAX_RESULT_NODES")
