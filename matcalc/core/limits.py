"""matcalc's documented limits: what it refuses, and the message it refuses it with.

Every limit ends in a :class:`matcalc.LimitError` (a :class:`matcalc.MatcalcError`) whose
message names the limit and its value, never in a hang, a crash or a traceback.

=====================  ==========================  =============================================
limit                  value                       where it is checked
=====================  ==========================  =============================================
input size             ``MAX_INPUT`` = 100,000     :func:`matcalc.language.parse.parse_statements`, before
                       characters                  anything is read ("the program is … characters
                                                   long; matcalc reads at most 100,000"); the CLI
                                                   reads at most this much from a file or stdin
nesting depth          ``MAX_DEPTH`` = 2,000       :func:`matcalc.language.typecheck.typecheck`, on the parsed
                       levels                      and on the typed tree ("the expression nests …
                                                   levels deep; matcalc accepts at most 2000")
number size            ``MAX_NUMBER_DIGITS`` = 400  :mod:`matcalc.language.parse` (a number literal, a dim);
                                                   numbers that arithmetic makes are refused past
                                                   ``MAX_NUMBER_BITS`` = 14,000 bits (≈ 4,200 digits)
result size            ``MAX_RESULT_NODES`` =      :func:`matcalc.calculus.engine.derive` and ``hessian``, on
                       200,000 distinct nodes      each result (its expression and its definitions)
work                   ``MAX_WORK`` = 3,000,000    every loop that builds: substitution, the
                       nodes built per call        flattening of sums and products, the product
                                                   rules, the simplifier's passes, both passes of a
                                                   Hessian, verify's trials (:func:`spend`)
time budget            ``TIME_BUDGET`` = 20 s      one call of a public function (derive, hessian,
                       per call                    verify, evaluate, and a result's methods): a
                                                   deadline on the monotonic clock, read every
                                                   ``CHECK_EVERY`` checks by the backward pass,
                                                   the simplifier, substitution, evaluation
                                                   (:func:`check_time`)
array size             ``MAX_ELEMENTS`` =          evaluation (:mod:`matcalc.core.evaluate`) and the
                       50,000,000 entries          random points of verify and check_grad: an
                       (400 MB of float64)         array is refused before numpy allocates it, and
                                                   so is a call whose arrays add up to more
=====================  ==========================  =============================================

One call enters :func:`budget` (a context manager, left in a ``finally``): the deadline and the
counters live in a thread-local slot only while the call runs, a nested call (the derive
inside a Hessian or a verdict) shares its caller's, and nothing is left behind by a call that
fails. No thread is started. Outside any call the checks do nothing.

The limits are module attributes read at each call, so a caller (or a test) may lower or raise
them: ``matcalc.limits.TIME_BUDGET = 60``.
"""
from __future__ import annotations

import functools
import threading
import time
from contextlib import contextmanager

from .errors import EvaluationError, LimitError, MatcalcError
from .nodes import Expr, walk

__all__ = ["MAX_INPUT", "MAX_DEPTH", "MAX_NUMBER_DIGITS", "MAX_NUMBER_BITS", "MAX_RESULT_NODES", "MAX_WORK",
           "TIME_BUDGET", "MAX_ELEMENTS", "CHECK_EVERY", "result_size", "budget", "check_time", "spend",
           "check_elements", "check_number", "check_result", "call", "guarded", "TimeBudgetExceeded", "clock"]

MAX_INPUT = 100_000
"""Longest program accepted, in characters."""

MAX_NUMBER_DIGITS = 400
"""Longest numeric literal (digits and exponent) or dim accepted, to keep exact arithmetic cheap."""

MAX_NUMBER_BITS = 14_000
"""Largest numerator or denominator (in bits) that folding numbers together may make."""

MAX_DEPTH = 2000
"""Deepest expression tree accepted."""

MAX_RESULT_NODES = 200_000
"""Largest derivative accepted, in distinct nodes of its expression and the definitions it uses."""

MAX_WORK = 3_000_000
"""Nodes (and terms of flattened sums and products) one call may build."""

TIME_BUDGET = 20.0
"""Seconds one call of a public function may take."""

MAX_ELEMENTS = 50_000_000
"""Entries of the arrays one evaluation may compute (each, and all of them together)."""

CHECK_EVERY = 32
"""check_time reads the clock at every CHECK_EVERY-th call (a counter otherwise)."""

clock = time.monotonic
"""The clock the deadline is read on (a test may replace it)."""


def result_size(expr: Expr, definitions: dict | None = None) -> int:
    """Distinct nodes of a result: its expression and its definitions (shared nodes once)."""
    seen: set = set()
    for root in [expr, *(definitions or {}).values()]:
        seen.update(walk(root))
    return len(seen)


_TIME_HINT = ("differentiate with respect to fewer variables at a time, name repeated pieces with "
              "definitions, or raise matcalc.limits.TIME_BUDGET")


class TimeBudgetExceeded(LimitError):
    """A call past its time budget (raised where :func:`check_time` finds it out of time)."""

    def __init__(self, message: str | None = None, source=None, span=None, hint=None):
        super().__init__(message or f"the call ran out of time, beyond matcalc's time budget of "
                                    f"{TIME_BUDGET:g} s for one call", source, span, hint or _TIME_HINT)


class _Budget:
    """The deadline and the counters of one call."""

    __slots__ = ("deadline", "elements", "max_work", "started", "ticks", "what", "work")

    def __init__(self, what: str):
        self.what = what
        self.started = clock()
        self.deadline = self.started + TIME_BUDGET if TIME_BUDGET >= 0 else float("inf")
        self.ticks = 0
        self.work = 0
        self.max_work = MAX_WORK
        self.elements = 0

    def out_of_time(self, now: float):
        return TimeBudgetExceeded(f"the {self.what} took {now - self.started:.1f} s, beyond matcalc's time "
                                  f"budget of {TIME_BUDGET:g} s for one call")


_local = threading.local()


def _current() -> _Budget | None:
    return getattr(_local, "budget", None)


@contextmanager
def budget(what: str = "derivation"):
    """One call's deadline and counters (shared with the calls it makes); gone when it ends."""
    outer = _current()
    if outer is not None:
        yield outer
        return
    b = _Budget(what)
    _local.budget = b
    try:
        yield b
    finally:
        _local.budget = None


def check_time() -> None:
    """Raise TimeBudgetExceeded if the call running in this thread is past its deadline.

    Called at every node of the loops that can run long; it reads the clock every
    CHECK_EVERY calls, and does nothing outside a call."""
    b = getattr(_local, "budget", None)
    if b is None:
        return
    b.ticks += 1
    if b.ticks >= CHECK_EVERY:
        b.ticks = 0
        now = clock()
        if now > b.deadline:
            raise b.out_of_time(now)


def remembered(table: dict, key, compute, where: str, max_entries: int):
    """``compute()``'s value, remembered in ``table`` under ``key`` (None: not to be remembered) with
    the work it counted. A remembered value counts that work against the current call, as computing
    afresh would, and one whose work would run out the call is computed afresh, to run out where it
    does: the limits fall where they would without the memo. The table is emptied at once past
    ``max_entries``. Returns (value, whether it was remembered)."""
    b = _current()
    value, work = table.get(key, (None, None)) if key is not None else (None, None)
    if value is not None and b is not None:
        if work is None or b.work + work > b.max_work:
            value = None
        else:
            spend(work, where)
    if value is not None:
        return value, True
    before = b.work if b is not None else 0
    value = compute()
    if key is not None:
        if len(table) >= max_entries:
            table.clear()
        table[key] = (value, b.work - before if b is not None else None)
    return value, False


def spend(units: int, where: str = "building the result") -> None:
    """Count ``units`` nodes built against MAX_WORK (and check the time now and then)."""
    b = getattr(_local, "budget", None)
    if b is None:
        return
    b.work += units
    if b.work > b.max_work:
        raise LimitError(f"the {b.what} built more than {b.max_work:,} nodes ({where}); matcalc's work limit "
                         f"is {b.max_work:,} nodes per call",
                         hint="name repeated pieces with definitions, differentiate with respect to fewer "
                              "variables at a time, or raise matcalc.limits.MAX_WORK")
    check_time()


def check_elements(count: int, what: str) -> None:
    """Refuse an array of ``count`` entries (``what`` says which) before it is allocated."""
    if count > MAX_ELEMENTS:
        raise LimitError(f"{what} would have {count:,} entries; matcalc's array size limit is "
                         f"{MAX_ELEMENTS:,} entries", hint="use smaller dims, or raise matcalc.limits.MAX_ELEMENTS")
    b = _current()
    if b is None:
        return
    b.elements += count
    if b.elements > MAX_ELEMENTS:
        raise LimitError(f"the arrays of this {b.what} add up to more than {MAX_ELEMENTS:,} entries "
                         f"(at {what}); matcalc's array size limit is {MAX_ELEMENTS:,} entries",
                         hint="use smaller dims, or raise matcalc.limits.MAX_ELEMENTS")


def check_number(value) -> None:
    """Refuse a Fraction that arithmetic on numbers made too large (see MAX_NUMBER_BITS)."""
    if value.numerator.bit_length() > MAX_NUMBER_BITS or value.denominator.bit_length() > MAX_NUMBER_BITS:
        raise LimitError(f"a number in the result has more than {MAX_NUMBER_BITS:,} bits; matcalc's number "
                         f"size limit is {MAX_NUMBER_BITS:,} bits (about {int(MAX_NUMBER_BITS * 0.30103):,} digits)",
                         hint="write large constants as a symbol (α : scalar) and multiply by it")


class _SizeCounter:
    """Nodes of results, counting each definition's own nodes once per call (the gradients of one
    call share their definitions): linear in the program, not quadratic."""

    def __init__(self):
        self.sizes: dict = {}

    def __call__(self, expr: Expr, definitions: dict) -> int:
        total = len(walk(expr))
        for value in definitions.values():
            if id(value) not in self.sizes:
                self.sizes[id(value)] = (value, len(walk(value)))  # keep value alive: ids stay unique
            total += self.sizes[id(value)][1]
        return total


def check_result(name: str, result, counter: _SizeCounter | None = None) -> None:
    """Refuse a result (anything with .expr and .definitions) beyond MAX_RESULT_NODES; check the time."""
    b = _current()
    if b is not None and clock() > b.deadline:
        raise b.out_of_time(clock())
    expr = getattr(result, "expr", None)
    if expr is None:
        return
    size = (counter or _SizeCounter())(expr, getattr(result, "definitions", None) or {})
    if size > MAX_RESULT_NODES:
        raise LimitError(f"the derivative with respect to {name} has {size:,} nodes; matcalc's result "
                         f"size limit is {MAX_RESULT_NODES:,} nodes",
                         hint="name repeated pieces with definitions, or raise matcalc.limits.MAX_RESULT_NODES")


class Checked(dict):
    """The results of one derive call: every result stored is checked against the size limit and
    the clock (see :func:`check_result`). Plain data: it holds no state outside itself."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.counter = _SizeCounter()
        self.update(*args, **kwargs)

    def __setitem__(self, name, result) -> None:
        check_result(name, result, self.counter)
        super().__setitem__(name, result)

    def update(self, *args, **kwargs) -> None:
        for name, result in dict(*args, **kwargs).items():
            self[name] = result


# ---------------------------------------------------------------- the boundary of a public call

class call:
    """One public call: its budget (see :func:`budget`), and every failure a MatcalcError.

    Python's own limits become LimitErrors that name them: recursion, memory, the digits of an
    int made into a string; a number beyond float64's range an EvaluationError. Anything else
    that escapes is a bug and is left as it is, to be seen.

    A context manager (``with limits.call("derivation"):``) written as a class, not a generator:
    every public call enters one or more, and a generator's set-up costs microseconds."""

    __slots__ = ("owner", "what")

    def __init__(self, what: str = "derivation"):
        self.what = what
        self.owner = False

    def __enter__(self) -> _Budget:
        outer = _current()
        if outer is not None:  # a nested call shares its caller's budget
            return outer
        b = _Budget(self.what)
        _local.budget = b
        self.owner = True
        return b

    def __exit__(self, kind, error, tb) -> bool:
        if self.owner:
            _local.budget = None
            self.owner = False
        if error is None:
            return False
        translated = _translated(error, self.what)
        if translated is not None:
            raise translated from None
        return False


def _translated(error: BaseException, what: str) -> MatcalcError | None:
    """The MatcalcError that one of Python's own limits becomes (None: leave the error as it is)."""
    if isinstance(error, MatcalcError):
        return None
    if isinstance(error, RecursionError):
        return LimitError(f"the {what} nests too deeply for matcalc (Python's recursion limit)",
                          hint="name inner pieces with definitions (z = …; …) to make the expression shallower")
    if isinstance(error, MemoryError):
        return LimitError(f"the {what} ran out of memory",
                          hint="use smaller dims or a smaller program; see matcalc.limits")
    if isinstance(error, OverflowError):
        return EvaluationError(f"a number in the {what} is beyond the range of float64 (about 1.8e308)",
                               hint="write very large or small constants as a symbol (α : scalar)")
    if isinstance(error, ValueError) and "integer string conversion" in str(error):
        return LimitError(f"a number has more digits than Python prints (4,300), in the {what}",
                          hint="write large constants as a symbol (α : scalar) and multiply by it")
    return None


def guarded(what: str):
    """The decorator form of :func:`call`, for a public function or method."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            with call(what):
                return fn(*args, **kwargs)

        return inner

    return wrap
