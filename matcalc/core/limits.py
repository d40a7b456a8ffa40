"""matcalc's documented limits: what it refuses, and the message it refuses it with.

Every limit ends in a :class:`matcalc.LimitError` (a :class:`matcalc.MatcalcError`) whose
message names the limit and its value, never in a hang, a crash or a traceback.

=====================  ==========================  =============================================
limit                  value                       where it is checked
=====================  ==========================  =============================================
input size             ``MAX_INPUT`` = 100,000     :func:`matcalc.language.parse.parse_statements`, before
                       characters                  anything is read ("the program is … characters
                                                   long; matcalc reads at most 100,000")
nesting depth          ``MAX_DEPTH`` = 2,000       :func:`matcalc.language.typecheck.typecheck`, on the parsed
                       levels                      and on the typed tree ("the expression nests …
                                                   levels deep; matcalc accepts at most 2000")
result size            ``MAX_RESULT_NODES`` =      :func:`matcalc.calculus.engine.derive`, on each result
                       200,000 distinct nodes      (its expression and the definitions it uses)
time budget            ``TIME_BUDGET`` = 20 s      :func:`matcalc.calculus.engine.derive`: a timer marks
                       per call of derive          the derivation as out of time; the backward
                                                   pass and the simplifier check the mark at every
                                                   node (:func:`check_time`) and raise the
                                                   LimitError there; each result stored is checked
                                                   against the clock too
number size            ``MAX_NUMBER_DIGITS`` = 400  :mod:`matcalc.language.parse` (a number literal)
=====================  ==========================  =============================================

The limits are module attributes read at each call, so a caller (or a
test) may lower or raise them: ``matcalc.limits.TIME_BUDGET = 60``.
"""
from __future__ import annotations

import threading
import time

from .errors import LimitError
from .nodes import Expr, walk

__all__ = ["MAX_INPUT", "MAX_DEPTH", "MAX_NUMBER_DIGITS", "MAX_RESULT_NODES", "TIME_BUDGET",
           "result_size", "Checked", "TimeBudgetExceeded", "check_time"]

MAX_INPUT = 100_000
"""Longest program accepted, in characters."""

MAX_NUMBER_DIGITS = 400
"""Longest numeric literal accepted (digits and exponent), to keep exact arithmetic cheap."""

MAX_DEPTH = 2000
"""Deepest expression tree accepted."""

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


def _time_message(elapsed: float | None = None) -> str:
    took = f"took {elapsed:.1f} s, " if elapsed is not None else "ran out of time, "
    return f"the derivative {took}beyond matcalc's time budget of {TIME_BUDGET:g} s for one derivation"


_TIME_HINT = ("differentiate with respect to fewer variables at a time, name repeated pieces with "
              "definitions, or raise matcalc.limits.TIME_BUDGET")


class TimeBudgetExceeded(LimitError):
    """A derivation past its time budget (raised where :func:`check_time` finds it out of time)."""

    def __init__(self, message: str | None = None, source=None, span=None, hint=None):
        super().__init__(message or _time_message(), source, span, hint or _TIME_HINT)


class _Timer:
    """Marks ``owner`` as out of time after ``seconds`` (a daemon timer thread; it raises nothing)."""

    def __init__(self, owner: "Checked", seconds: float):
        self.owner = owner
        self.timer = threading.Timer(seconds, self.fire)
        self.timer.daemon = True
        self.timer.start()

    def fire(self) -> None:
        self.owner.expired = True

    def cancel(self) -> None:
        self.timer.cancel()


_current = threading.local()


def check_time() -> None:
    """Raise TimeBudgetExceeded if the derivation running in this thread is out of time.

    Called at every node of the backward pass and of the simplifier: a flag read, no clock."""
    owner = getattr(_current, "owner", None)
    if owner is not None and owner.expired:
        owner.done()
        raise TimeBudgetExceeded()


class Checked(dict):
    """The results of one derive call: every result stored is checked against the size limit and
    the clock, and a timer marks a derivation that overruns the time budget (see the table)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = time.monotonic()
        self.expired = False
        self.outer = getattr(_current, "owner", None)  # a derive inside a derive (a Hessian)
        _current.owner = self
        self.watchdog = _Timer(self, TIME_BUDGET) if 0 < TIME_BUDGET < float("inf") else None

    def __setitem__(self, name, result) -> None:
        self._check(name, result)
        super().__setitem__(name, result)

    def __getitem__(self, name):
        self.done()  # derive reads its results only at the end
        return super().__getitem__(name)

    def done(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        if getattr(_current, "owner", None) is self:
            _current.owner = self.outer

    def __del__(self):
        self.done()

    def update(self, *args, **kwargs) -> None:
        for name, result in dict(*args, **kwargs).items():
            self[name] = result

    def _size(self, expr: Expr, definitions: dict) -> int:
        """Nodes of a result, counting each definition's own nodes (walked once per call, as
        the gradients of one call share their definitions): linear in the program, not quadratic."""
        sizes = self.__dict__.setdefault("sizes", {})
        total = len(walk(expr))
        for value in definitions.values():
            if id(value) not in sizes:
                sizes[id(value)] = (value, len(walk(value)))  # keep value alive: ids stay unique
            total += sizes[id(value)][1]
        return total

    def _check(self, name, result) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > TIME_BUDGET:
            self.done()
            raise TimeBudgetExceeded(_time_message(elapsed))
        expr = getattr(result, "expr", None)
        if expr is None:
            return
        size = self._size(expr, getattr(result, "definitions", None) or {})
        if size > MAX_RESULT_NODES:
            raise LimitError(f"the derivative with respect to {name} has {size:,} nodes; matcalc's result "
                             f"size limit is {MAX_RESULT_NODES:,} nodes",
                             hint="name repeated pieces with definitions, or raise "
                                  "matcalc.limits.MAX_RESULT_NODES")
