"""Hypothesis strategies for random, well-shaped *programs* as text (shared by the fuzz tests).

``programs()`` draws a :class:`GeneratedProgram`: declarations that fix every shape over the
distinct dims n, m, k (and the integer 1 of row vectors), optional placeholder definitions
(``t1 = …``, sometimes used twice, so the derivative sees a DAG), and a final expression whose
output is a scalar, a vector, a row or a matrix. Every operation of SPEC §1 appears:

* products (matrix-vector, matrix-matrix, inner ``x^T y``, outer ``x y^T``, ``r x`` with a row),
  scaling by a scalar (``α x``, ``α * x``), division by a scalar, sums, differences, negation,
  a scalar broadcast into a vector or matrix (``1 + x``, ``α + x``);
* transposes in every spelling (``^T``, ``'``, ``^⊤``, ``^\\top``), inverses (``^{-1}``, ``^-1``,
  ``inv(·)``, ``^{-T}``);
* Hadamard products (``.*``, ``⊙``, ``\\odot``), quotients ``./``, elementwise powers ``.^ p``
  (integer, fractional, negative and symbolic exponents), scalar powers ``c^p``;
* every elementwise function (exp log sin cos tanh sigmoid σ relu softplus sqrt abs), a generic
  ``f``, and every matrix function (sum norm ‖·‖ tr det logdet diag(v) diag(M) inv softmax
  logsoftmax max min); and the batch operations of issue 12: mean, var, max/min of one argument,
  a dim's size, row and column broadcasting, row-wise softmax/logsoftmax/logsumexp, rowsum,
  matrix powers, vec, Kronecker products, concatenation and its rows/cols.

Inputs stay in each function's domain: the argument of log, sqrt, a fractional or symbolic
power and of every denominator is built positive (``exp(·)``, ``1 + e.^2``, ``1 + softplus(·)``,
``sigmoid(·)``, softmax, or a symbol declared positive); inv and det get well-conditioned
matrices (``E^T E + I``, an spd symbol, or a plain square symbol, which
:func:`matcalc.verify.random_value` draws as noise + n I); logdet gets symmetric positive
definite ones. relu, abs, max and min are left to the differential test, which skips points where
finite differences at two step sizes disagree (a kink).

``GeneratedProgram.domains`` is the per-symbol domain map for :func:`matcalc.verify.random_env`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from hypothesis import strategies as st

DIMS = ("n", "m", "k")

# symbols by (shape, domain); shapes are tuples of dim names ("1" for a row's first dim)
SYMBOLS: dict[tuple, dict[str, tuple[str, ...]]] = {
    (): {"any": ("α", "β", "δ_1"), "positive": ("γ",)},
    ("n",): {"any": ("x", "y"), "positive": ("p",)},
    ("m",): {"any": ("z", "u"), "positive": ("q",)},
    ("k",): {"any": ("w",), "positive": ("v",)},
    ("1", "n"): {"any": ("r",)},
    ("1", "m"): {"any": ("o",)},
    ("n", "n"): {"any": ("A", "B"), "spd": ("S",)},
    ("m", "m"): {"any": ("C",), "spd": ("R",)},
    ("k", "k"): {"any": ("D",), "spd": ("Q",)},
    ("n", "m"): {"any": ("W", "X")},
    ("m", "n"): {"any": ("U",)},
    ("n", "k"): {"any": ("K",)},
    ("k", "n"): {"any": ("L",)},
    ("m", "k"): {"any": ("M",)},
    ("k", "m"): {"any": ("G",)},  # G is also the engine's cotangent name: it must pick another
}

ELEMENTWISE = ("exp", "sin", "cos", "tanh", "sigmoid", "σ", "relu", "softplus", "abs", "f")
POSITIVE_ONLY = ("log", "sqrt")
TRANSPOSES = ("^T", "'", "^⊤", "^\\top", "^{T}")
HADAMARDS = ("⊙", ".*", "\\odot")
INVERSES = ("^{-1}", "^-1", "inv")


@dataclass
class GeneratedProgram:
    """A random program: its text and what a test needs to run it."""
    declarations: dict[str, str]        # symbol -> "n x m" / "n" / "scalar"
    definitions: list[tuple[str, str]]  # (placeholder, text) in order
    expression: str
    output: tuple                       # the shape of the function, as dim names
    domains: dict[str, str] = field(default_factory=dict)
    named: str | None = None            # the function's name if the last statement defines it

    @property
    def text(self) -> str:
        decls = [f"{name} : {shape}" for name, shape in self.declarations.items()]
        defs = [f"{n} = {t}" for n, t in self.definitions]
        last = f"{self.named} = {self.expression}" if self.named else self.expression
        sep = "\n" if len(self.definitions) % 2 else "; "
        return sep.join(decls + defs + [last])

    def __str__(self) -> str:
        return self.text


def _declared(shape: tuple) -> str:
    if shape == ():
        return "scalar"
    return " x ".join(shape)


class _Builder:
    """Draws one program: expr(shape, depth) returns text that is safe as an operand."""

    def __init__(self, pick, integer, max_depth: int, placeholders: bool, degenerate: bool = False):
        self.pick = pick          # pick(options): one of them
        self.integer = integer    # integer(lo, hi): lo..hi inclusive
        self.degenerate = degenerate
        self.max_depth = max_depth
        self.placeholders = placeholders
        self.used: dict[str, tuple] = {}
        self.domains: dict[str, str] = {}
        self.defs: list[tuple[str, str, tuple, bool]] = []  # name, text, shape, positive

    # ------------------------------------------------------------ helpers
    def choice(self, options):
        return self.pick(options)

    def coin(self, p_true: float = 0.5) -> bool:
        return self.integer(0, 99) < p_true * 100

    def symbol(self, shape: tuple, domain: str = "any") -> str:
        pool = SYMBOLS[shape]
        names = pool.get(domain) or pool["any"]
        name = self.choice(names)
        self.used[name] = shape
        self.domains[name] = domain if domain in pool else "any"
        return name

    def t(self, e: str) -> str:
        """The transpose of an operand."""
        spelling = self.choice(TRANSPOSES)
        return f"{e}{spelling}"

    def hadamard(self) -> str:
        return self.choice(HADAMARDS)

    def maybe_define(self, text: str, shape: tuple, positive: bool) -> str:
        if not self.placeholders or len(self.defs) >= 4 or not self.coin(0.15):
            return text
        name = f"t{len(self.defs) + 1}"
        self.defs.append((name, text, shape, positive))
        return name

    def reuse(self, shape: tuple, positive: bool) -> str | None:
        found = [n for n, _, s, pos in self.defs if s == shape and (pos or not positive)]
        if found and self.coin(0.3):
            return self.choice(found)
        return None

    def dim(self) -> str:
        return self.choice(DIMS)

    # ------------------------------------------------------------ expressions of a shape
    def expr(self, shape: tuple, depth: int) -> str:
        if depth <= 0:
            return self.leaf(shape)
        again = self.reuse(shape, False)
        if again:
            return again
        if shape == ():
            text = self.scalar(depth)
        elif len(shape) == 1:
            text = self.vector(shape, depth)
        elif shape[0] == "1":
            text = self.row(shape, depth)
        else:
            text = self.matrix(shape, depth)
        return self.maybe_define(text, shape, False)

    def leaf(self, shape: tuple) -> str:
        if shape == () and self.coin(0.25):
            return self.choice(("2", "3", "0.5", "(1/2)", "1.5"))
        if shape in SYMBOLS:
            return self.symbol(shape)
        # a row of a dim with no declared row: the transpose of a vector
        return self.t(self.symbol((shape[1],)))

    def common(self, shape: tuple, depth: int) -> list:
        """Productions that every shape has."""
        d = depth - 1
        h = self.hadamard
        return [
            lambda: self.leaf(shape),
            lambda: f"({self.expr(shape, d)} + {self.expr(shape, d)})",
            lambda: self.binary("({a} - {b})", "({a} + {b})", shape, d),
            lambda: f"(-{self.expr(shape, d)})",
            lambda: f"({self.expr((), d)} {self.expr(shape, d)})",
            lambda: f"({self.expr((), d)} * {self.expr(shape, d)})",
            lambda: f"({self.expr(shape, d)} / {self.positive((), d)})",
            lambda: f"{self.choice(ELEMENTWISE)}({self.expr(shape, d)})",
            lambda: f"{self.choice(POSITIVE_ONLY)}({self.positive(shape, d)})",
            lambda: self.binary(self.choice(("max({a}, {b})", "min({a}, {b})")), "max({a}, 0)", shape, d),
            lambda: f"{self.choice(('max', 'min'))}({self.expr(shape, d)}, {self.choice(('0', '1', '-1'))})",
            lambda: f"({self.expr(shape, d)} {h()} {self.expr(shape, d)})" if shape else
            f"({self.expr(shape, d)} {self.expr(shape, d)})",
            lambda: f"({self.expr(shape, d)} ./ {self.positive(shape, d)})" if shape else
            f"({self.expr(shape, d)} / {self.positive(shape, d)})",
            lambda: self.power(shape, d),
        ]

    def binary(self, form: str, instead: str, shape: tuple, d: int) -> str:
        """form with two operands; ``instead`` where they come out the same text (a - a, max(a, a))
        unless the builder may draw degenerate programs (see KNOWN_BUGS in the tests)."""
        a, b = self.expr(shape, d), self.expr(shape, d)
        if a == b and not self.degenerate:
            return instead.format(a=a, b=b)
        return form.format(a=a, b=b)

    def power(self, shape: tuple, d: int) -> str:
        op = ".^" if shape else "^"
        kind = self.choice(("int", "frac", "neg", "sym"))
        if kind == "int":
            return f"({self.expr(shape, d)}{op} {self.choice(('2', '3', '{2}'))})" if shape else \
                f"({self.expr(shape, d)}^{self.choice(('2', '3', '{2}'))})"
        base = self.positive(shape, d)
        if kind == "frac":
            return f"({base}{op}{self.choice(('0.5', '{1/2}', '1.5', '{3/2}'))})"
        if kind == "neg":
            return f"({base}{op}{self.choice(('{-2}', '(-1)', '{-1/2}'))})" if shape else \
                f"({base}^{self.choice(('{-2}', '{-1/2}'))})"
        return f"({base}{op}{self.symbol((), 'positive')})"

    def positive(self, shape: tuple, depth: int) -> str:
        """An expression with every entry > 0 (bounded away from 0 where it matters)."""
        again = self.reuse(shape, True)
        if again:
            return again
        d = max(depth - 1, 0)
        options = [
            lambda: self.symbol(shape, "positive") if "positive" in SYMBOLS.get(shape, {}) else
            f"exp({self.expr(shape, d)})",
            lambda: f"exp({self.expr(shape, d)})",
            lambda: (f"(1 + {self.expr(shape, d)} .^ 2)" if shape else f"(1 + {self.expr(shape, d)}^2)"),
            lambda: f"(1 + softplus({self.expr(shape, d)}))",
            lambda: f"sigmoid({self.expr(shape, d)})",
        ]
        if shape == ():
            options += [lambda: f"(1 + norm({self.expr(self.any_shape(), d)}))",
                        lambda: f"(1 + ‖{self.expr(self.any_shape(), d)}‖)",
                        lambda: f"sum(exp({self.expr(self.any_shape(), d)}))"]
        if len(shape) == 1:
            options += [lambda: f"softmax({self.expr(shape, d)})"]
        text = self.choice(options)()
        return self.maybe_define(text, shape, True)

    def any_shape(self) -> tuple:
        return self.choice(((), ("n",), ("m",), ("n", "m"), ("k", "k"), ("1", "n")))

    def scalar(self, depth: int) -> str:
        d = depth - 1
        a = self.dim()
        b = self.dim()
        options = self.common((), depth) + [
            lambda: f"({self.t(self.expr((a,), d))} {self.expr((a,), d)})",
            lambda: f"({self.t(self.expr((a,), d))} {self.expr((a, b), d)} {self.expr((b,), d)})",
            lambda: f"({self.expr(('1', 'n'), d)} {self.expr(('n',), d)})",
            lambda: f"sum({self.expr(self.any_shape(), d)})",
            lambda: f"norm({self.expr(self.choice(((a,), (a, b), ('1', 'n'))), d)})",
            lambda: f"tr({self.expr((a, a), d)})",
            lambda: f"det({self.well_conditioned(a, d)})",
            lambda: f"logdet({self.spd(a, d)})",
            lambda: f"sum({self.choice(('softmax', 'logsoftmax'))}({self.expr((a,), d)}))",
            # batches, reductions and structure (issue 12)
            lambda: f"{self.choice(('mean', 'var', 'max', 'min'))}({self.expr(self.choice(((a,), (a, b))), d)})",
            lambda: f"(sum({self.expr((a,), d)}) / {a})",
            lambda: f"tr({self.expr((a, a), d)}^{self.choice(('2', '3'))})",
            lambda: f"sum(logsumexp({self.expr((a, b), d)}))",
            lambda: f"sum(exp(vec({self.expr((a, b), d)})))",
            lambda: f"([{self.expr((a,), d)}; {self.expr((b,), d)}]^T [{self.expr((a,), d)}; {self.expr((b,), d)}])",
            lambda: f"(kron({self.expr((a,), d)}, {self.expr((b,), d)})^T kron({self.expr((a,), d)}, "
                    f"{self.expr((b,), d)}))",
        ]
        return self.choice(options)()

    def vector(self, shape: tuple, depth: int) -> str:
        d = depth - 1
        a = shape[0]
        b = self.dim()
        options = self.common(shape, depth) + [
            lambda: f"({self.expr((a, b), d)} {self.expr((b,), d)})",
            lambda: f"({self.expr((a, b), d)} * {self.expr((b,), d)})",
            lambda: self.t(f"({self.expr(('1', a), d)})") if a == "n" else self.leaf(shape),
            lambda: f"diag({self.expr((a, a), d)})",
            lambda: f"{self.choice(('softmax', 'logsoftmax'))}({self.expr(shape, d)})",
            lambda: f"({self.expr((), d)} + {self.expr(shape, d)})",
            lambda: f"({self.choice(('1', '2'))} + {self.expr(shape, d)})",
            lambda: f"({self.inverse(a, d)} {self.expr(shape, d)})",
            lambda: f"logsumexp({self.expr((a, b), d)})",
            lambda: f"rowsum({self.expr((a, b), d)})",
            lambda: f"rows([{self.expr(shape, d)}; {self.expr((b,), d)}], 1, {a})",
        ]
        return self.choice(options)()

    def row(self, shape: tuple, depth: int) -> str:
        d = depth - 1
        c = shape[1]
        b = self.dim()
        options = [
            lambda: self.leaf(shape),
            lambda: self.t(self.expr((c,), d)),
            lambda: f"({self.t(self.expr((b,), d))} {self.expr((b, c), d)})",
            lambda: f"({self.expr(shape, d)} + {self.expr(shape, d)})",
            lambda: f"({self.expr((), d)} {self.expr(shape, d)})",
            lambda: f"{self.choice(ELEMENTWISE)}({self.expr(shape, d)})",
            lambda: f"({self.expr(shape, d)} {self.hadamard()} {self.expr(shape, d)})",
        ]
        return self.choice(options)()

    def matrix(self, shape: tuple, depth: int) -> str:
        d = depth - 1
        a, c = shape
        b = self.dim()
        options = self.common(shape, depth) + [
            lambda: f"({self.expr((a, b), d)} {self.expr((b, c), d)})",
            lambda: self.t(self.expr((c, a), d)),
            lambda: f"({self.expr((a,), d)} {self.t(self.expr((c,), d))})",
            lambda: f"({self.expr((), d)} + {self.expr(shape, d)})",
            lambda: f"({self.expr(shape, d)} + {self.expr((a,), d)})",           # a column to each column
            lambda: f"({self.expr(shape, d)} + {self.t(self.expr((c,), d))})",   # a row to each row
            lambda: f"({self.t(self.expr((c,), d))} {self.hadamard()} {self.expr(shape, d)})",
            lambda: f"{self.choice(('softmax', 'logsoftmax'))}({self.expr(shape, d)})",  # row by row
            lambda: f"cols([{self.expr((a, b), d)}, {self.expr(shape, d)}], {b} + 1, {b} + {c})",
        ]
        if a == c:
            options += [lambda: f"{self.expr(shape, d)}^{self.choice(('2', '3'))}"]
        if a == c:
            options += [
                lambda: self.inverse(a, d),
                lambda: f"diag({self.expr((a,), d)})",
                lambda: f"({self.expr(shape, d)} + I)",
                lambda: f"({self.expr(shape, d)} - {self.expr((), d)} I)",
                lambda: f"{self.well_conditioned(a, d)}^{{-T}}",
            ]
        return self.choice(options)()

    def inverse(self, a: str, d: int) -> str:
        m = self.well_conditioned(a, d)
        spelling = self.choice(INVERSES)
        return f"inv({m})" if spelling == "inv" else f"{m}{spelling}"

    def well_conditioned(self, a: str, d: int) -> str:
        """A square a x a matrix far from singular."""
        options = [
            lambda: self.symbol((a, a)),
            lambda: self.spd(a, d),
            lambda: f"({self.symbol((a, a))} + {self.expr((a, a), max(d - 1, 0))} / 10)",
        ]
        return self.choice(options)()

    def spd(self, a: str, d: int) -> str:
        """A symmetric positive definite a x a matrix (smallest eigenvalue >= 1)."""
        b = self.dim()
        options = [
            lambda: self.symbol((a, a), "spd"),
            lambda: f"({self.t(self._wrap(self.expr((b, a), d)))} {self._wrap_last()} + I)",
            lambda: f"(I + diag({self.positive((a,), d)}))",
            lambda: f"({self.symbol((a, a), 'spd')} + {self._outer_spd(a, d)})",
        ]
        return self.choice(options)()

    # E^T E needs the same E twice: remember the last operand
    def _wrap(self, e: str) -> str:
        self._last = e
        return e

    def _wrap_last(self) -> str:
        return self._last

    def _outer_spd(self, a: str, d: int) -> str:
        e = self.expr((a,), d)
        return f"{e} {self.t(e)}"


OUTPUTS = ((), (), (), ("n",), ("m",), ("n", "m"), ("1", "n"))


@st.composite
def programs(draw, max_depth: int = 3, outputs: tuple = OUTPUTS, placeholders: bool = True,
             degenerate: bool = False) -> GeneratedProgram:
    """A random well-shaped program (see the module docstring).

    ``degenerate`` allows a difference or max/min of two identical operands (``y - y``,
    ``max(y, y)``); off by default while the engine folds ``y - y`` to a shapeless 0.
    """
    return _build(lambda options: draw(st.sampled_from(options)), lambda lo, hi: draw(st.integers(lo, hi)),
                  max_depth, outputs, placeholders, degenerate)


def random_programs(seed: int, count: int, max_depth: int = 3) -> list[GeneratedProgram]:
    """``count`` programs drawn by a seeded ``random.Random``: the same list on every run, in any test
    order and any process (hypothesis's own draws need not be, and a coverage count must not hinge on
    them)."""
    rng = random.Random(seed)
    return [_build(lambda options: options[rng.randrange(len(options))], rng.randint, max_depth, OUTPUTS,
                   True, False) for _ in range(count)]


def _build(pick, integer, max_depth, outputs, placeholders, degenerate) -> GeneratedProgram:
    b = _Builder(pick, integer, max_depth, placeholders, degenerate)
    output = pick(outputs)
    depth = integer(1, max_depth)
    expression = b.expr(output, depth)
    named = "s" if output == () and integer(0, 1) else None
    declarations = {name: _declared(shape) for name, shape in sorted(b.used.items())}
    return GeneratedProgram(declarations=declarations, definitions=[(n, t) for n, t, _, _ in b.defs],
                            expression=expression, output=output, domains=dict(b.domains), named=named)


def scalar_programs(max_depth: int = 3) -> st.SearchStrategy[GeneratedProgram]:
    """Programs whose function is a scalar (for gradients and Hessians)."""
    return programs(max_depth=max_depth, outputs=((),))


def program_texts(max_depth: int = 3) -> st.SearchStrategy[str]:
    """Just the text of random valid programs (seeds for mutation fuzzing)."""
    return programs(max_depth=max_depth).map(lambda p: p.text)


# ---------------------------------------------------------------- the differential oracle

import re  # noqa: E402

import numpy as np  # noqa: E402

import matcalc  # noqa: E402
from matcalc.core.evaluate import evaluate_expr  # noqa: E402
from matcalc.core.nodes import Largest, Max, Min, Norm, Smallest, walk  # noqa: E402
from matcalc.language.printing import declarable, text as print_text  # noqa: E402
from matcalc.core.program import Program  # noqa: E402
from matcalc.calculus.numeric import apply_derivative, random_env, random_value  # noqa: E402

LAYOUTS = ("shape", "numerator", "denominator")
STEP = 1e-5          # central differences with this step are the reference
TOL = 1e-4           # relative to max(1, |reference|)
KINK = 1e-3          # forward and backward differences further apart than this: a kink, skip the point
HUGE = 1e6           # function values beyond this make differences meaningless: skip the point


ZERO_AS_SCALAR = False  # a zero derivative evaluates to an array of its shape (fixed)


class Unusable(Exception):
    """The drawn point is no good for finite differences (a kink, overflow, a pole): not a failure."""


class WrongDerivative(AssertionError):
    """derive (or hessian, or the text of a result) disagrees with finite differences."""


class KnownBug(Exception):
    """A failure that matches one of KNOWN_BUGS (each has an xfail(strict=True) regression test)."""

    def __init__(self, key: str, detail: str):
        super().__init__(f"{key}: {KNOWN_BUGS[key]}\n{detail}")
        self.key = key


KNOWN_BUGS: dict[str, str] = {}  # none open; the ones the first runs found, all fixed:
FIXED_BUGS = {
    "tie": "max/min route the cotangent with step(a - b) and step(b - a); at a tie (max(x, x), "
           "min(x, min(x, y)) where x < y) both are step(0) = 0, so the derivative is 0 instead of 1",
    "one-identity": "every I of a program gets one size: 'A : n x n; B : m x m; tr(A + I) + tr(B + I)' "
                    "is refused with 'B + I: B is m x m but I is n x n'",
    "ones-1": "the derivative wrt a row vector r of sum(r) contains ones(1) (numerator layout: "
              "'ones(n) ones(1)^T'), and reading that text back crashes the typer with IndexError "
              "(matcalc.parse('x : n; x ones(1)^T'))",
    "shape-lost": "folding makes a non-scalar expression the scalar it equals: y - y and 0 X become the "
                  "number 0, (α + X) - X becomes α, min(t, 1 t) compares t with itself; derive or the "
                  "evaluation of its result then crashes (IndexError in shape_of, TypeError in reshape, "
                  "'G is n x m, but env[G] has shape ()')",
    "trace-broadcast": "the simplifier rewrites tr(β + B) (β broadcast to every entry) as tr(β) + tr(B), "
                       "and the trace rule then asks for the size of the scalar β: IndexError",
    "verify-identity": "verify types a claim's I on its own: verify('z : m; z', 'z', claim='I') says "
                       "'your answer is n x n, must be m x m'",
}
"""Known engine bugs the fuzzer recognizes (so it keeps looking for new ones); see tests/test_fuzz_derive.py."""


def _has_tie(program: Program, env: dict) -> bool:
    """Some max or min of the program has equal arguments somewhere at env, or the largest (smallest)
    entry of a max(x) (min(x)) is there more than once: max(min(t, 0)) with two entries of t ≥ 0."""
    for node in walk(program.inline()):
        if isinstance(node, (Largest, Smallest)):
            a = np.asarray(evaluate_expr(node.arg, program.shapes, env))
            if np.count_nonzero(a == (a.max() if isinstance(node, Largest) else a.min())) > 1:
                return True
        if isinstance(node, (Max, Min)):
            a = evaluate_expr(node.left, program.shapes, env)
            b = evaluate_expr(node.right, program.shapes, env)
            if np.any(np.asarray(a) == np.asarray(b)):
                return True
    return False


def _norm_of_zero(program: Program, env: dict) -> bool:
    """Some norm of the program is taken of a zero at env."""
    for node in walk(program.inline()):
        if isinstance(node, Norm) and _big(evaluate_expr(node.arg, program.shapes, env)) < 1e-12:
            return True
    return False


def _finite(a) -> bool:
    return bool(np.all(np.isfinite(np.asarray(a, dtype=float))))


def _big(a) -> float:
    a = np.asarray(a, dtype=float)
    return float(np.max(np.abs(a))) if a.size else 0.0


def _dims_of(program: Program, env: dict) -> dict:
    return {k: v for k, v in env.items() if isinstance(v, int) and k not in program.shapes}


def differences(fn, x, direction, step: float = STEP):
    """Richardson-extrapolated central difference of fn along direction, and its spread.

    Raises Unusable where the point is no good: non-finite or huge values nearby, forward and
    backward differences far apart (a kink), or central differences at step and 2·step far apart.
    """
    f0 = np.asarray(fn(x), dtype=float)
    values = [f0]
    for t in (step, -step, 2 * step, -2 * step):
        values.append(np.asarray(fn(x + t * direction), dtype=float))
    if not all(_finite(v) for v in values) or max(_big(v) for v in values) > HUGE:
        raise Unusable("non-finite or huge values near the point")
    _, hi, lo, hi2, lo2 = values
    c1 = (hi - lo) / (2 * step)
    c2 = (hi2 - lo2) / (4 * step)
    scale = max(1.0, _big(c1))
    if _big((hi - f0) - (f0 - lo)) / step > KINK * scale or _big(c1 - c2) > KINK * scale:
        raise Unusable("a kink or strong curvature near the point")
    return (4 * c1 - c2) / 3, _big(c1 - c2)


def _compare(what: str, got, expected, gp_text: str, wrt: str, d, spread: float = 0.0) -> None:
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    scale = max(1.0, _big(expected))
    if ZERO_AS_SCALAR and got.shape == () and got == 0 and expected.shape != ():
        got = np.zeros(expected.shape)  # known: a zero derivative is the scalar 0 (see KNOWN_BUGS)
    if got.shape != expected.shape or not _finite(got) or _big(got - expected) > TOL * scale + 10 * spread:
        raise WrongDerivative(f"{what} of the program\n{gp_text}\nwrt {wrt} ({d.kind}, layout {d.layout}) is\n"
                              f"{d}\nalong a direction it gives\n{got}\nbut central differences give\n{expected}")


def _check_text(d, env: dict, value, gp_text: str) -> None:
    """str(d) read back by matcalc.evaluate gives the same numbers as d.evaluate."""
    try:  # a tensor too: its index notation is part of the language
        again = matcalc.evaluate(declared(d) + str(d), env)
    except matcalc.EvaluationError as error:
        if "which no input array shows" in str(error):
            return  # "I" or "ones(n)" alone does not say its size: known, and the message says what to do
        raise
    value = np.asarray(value, dtype=float)
    again = np.asarray(again, dtype=float)
    if again.shape != value.shape and again.size == value.size:
        again = again.reshape(value.shape)
    if again.shape == () and again == 0:  # the text "0" is the language's zero of any shape
        again = np.zeros(value.shape)
    if again.shape != value.shape or not np.allclose(again, value, rtol=1e-8, atol=1e-8 * max(1, _big(value))):
        raise WrongDerivative(f"the text of the derivative of\n{gp_text}\nwrt {d.wrt} ({d.kind}, layout "
                              f"{d.layout}),\n{d}\nevaluates to\n{again}\nbut d.evaluate gives\n{value}")


def declared(d) -> str:
    """Declarations of the inputs (and the cotangent) a derivative's text uses, one per line."""
    lines = []
    for name, shape in d.shapes.items():
        if name in d.program.definitions or name in d.definitions:
            continue
        if name not in d.program.shapes and not (name == "G" or name.startswith("G_")):
            continue
        if not declarable(shape):  # the m n entries of kron(x, z): the reader infers them from use
            continue
        dims = " x ".join(str(x) for x in shape) if shape else "scalar"
        lines.append(f"{name} : {dims}\n")
    return "".join(lines)


def _verify_fn():
    fn = getattr(matcalc, "verify", None)
    return fn if callable(fn) else None


def _applied(d, value, direction, expected):
    """The derivative applied to a direction, in the shape of the differences."""
    value = np.asarray(value, dtype=float)
    if ZERO_AS_SCALAR and value.shape == () and value == 0:
        return np.zeros(np.shape(expected))
    if d.kind == "derivative" and d.layout == "denominator" and value.ndim == 2 and value.shape[0] == 1:
        value = value.reshape(-1)  # dF/dα of a vector F in denominator layout is a row
    return apply_derivative(d, value, direction)


def check_derivative(program: Program, d, env: dict, wrt: str, rng, gp_text: str, reparse: bool = True) -> int:
    """d against central differences of the program along two random directions; the number of checks."""
    f = program.inline()
    value = d.evaluate(env)
    dims = _dims_of(program, env)
    checked = 0
    for _ in range(2):
        direction = random_value(program.shapes[wrt], dims, rng)
        try:
            expected, spread = differences(lambda x: evaluate_expr(f, program.shapes, {**env, wrt: x}),
                                           env[wrt], direction)
        except Unusable:
            continue
        _compare("the derivative", _applied(d, value, direction, expected), expected, gp_text, wrt, d, spread)
        checked += 1
    if checked and reparse:
        _check_text(d, env, value, gp_text)
    return checked


def check_hessian(program: Program, env: dict, wrt: str, rng, gp_text: str) -> int:
    """hessian against central differences of the gradient."""
    h = matcalc.hessian(program, wrt)
    g = matcalc.derive(program, wrt)
    value = h.evaluate(env)
    dims = _dims_of(program, env)
    checked = 0
    for _ in range(2):
        direction = random_value(program.shapes[wrt], dims, rng)
        try:
            expected, spread = differences(lambda x: g.evaluate({**env, wrt: x}), env[wrt], direction)
        except Unusable:
            continue
        _compare("the Hessian", _applied(h, value, direction, expected), expected, gp_text, wrt, h, spread)
        checked += 1
    if checked:
        _check_text(h, env, value, gp_text)
    return checked


def freed(program: Program, name: str) -> Program:
    """The program with placeholder ``name`` made an input."""
    definitions = {n: v for n, v in program.definitions.items() if n != name}
    return Program(source=program.source, expr=program.expr, definitions=definitions, shapes=program.shapes,
                   name=program.name, functions=program.functions, declared=program.declared)


def check_program(gp: GeneratedProgram, seed: int = 0, layouts=LAYOUTS, hessian: bool = True,
                  verify: bool = True) -> int:
    """Every derivative of a generated program against finite differences; the number of checks made.

    Raises WrongDerivative for a wrong result and lets any other exception through: the bugs
    the first 10,000-program runs found (see KNOWN_BUGS) are fixed, and each has a regression
    test in tests/test_fuzz_derive.py, so nothing is excused any more.
    """
    program = matcalc.parse(gp.text)
    return _check_program(gp, program, seed, layouts, hessian, verify)


def _claims_identity(message: str) -> bool:
    import re
    return re.search(r"(?<![A-Za-z_])I(?![A-Za-z_0-9])", message.split("wrt", 1)[-1]) is not None


def _check_program(gp: GeneratedProgram, program: Program, seed: int, layouts, hessian: bool,
                   verify: bool) -> int:
    text = gp.text
    variables = program.variables
    if not variables:
        return 0
    env = random_env(program, seed, gp.domains)
    try:
        f0 = evaluate_expr(program.inline(), program.shapes, env)
    except matcalc.EvaluationError as error:
        if "singular" in str(error):
            return 0
        raise
    if not _finite(f0) or _big(f0) > HUGE:
        return 0
    if _norm_of_zero(program, env) or _has_tie(program, env):
        # ‖x‖ is not differentiable at x = 0 (x / ‖x‖ is 0/0), max and min not at a tie: no point to check there
        return 0
    rng = np.random.default_rng(seed + 1)
    checked = 0
    for layout in layouts:
        grads = matcalc.derive(program, variables, layout=layout)
        for v in variables:
            checked += check_derivative(program, grads[v], env, v, rng, text)
    # one variable alone (its own backward pass), and a placeholder held as an input
    v = variables[seed % len(variables)]
    checked += check_derivative(program, matcalc.derive(program, v), env, v, rng, text)
    inner = [n for n in program.definitions if n != program.name]
    if inner:
        t = inner[seed % len(inner)]
        values = {**env, t: evaluate_expr(program.inlined_definitions()[t], program.shapes, env)}
        free = freed(program, t)
        if not _has_tie(free, values):  # t = max(x, 0) held as an input has exact zeros: min(t, 0) ties there
            checked += check_derivative(free, matcalc.derive(program, t), values, t, rng, text)
    if hessian and program.shape(program.expr) == ():
        checked += check_hessian(program, env, v, rng, text)
    fn = _verify_fn() if verify else None
    if fn is not None and checked:
        d = matcalc.derive(program, v)
        claims = (str(d),) if d.kind == "tensor" else (str(d), print_text(d.inlined()))  # index notation is a claim
        for claim in claims:
            result = fn(text, wrt=v, claim=claim)
            if not result.ok:
                raise WrongDerivative(f"verify refutes the engine's own derivative of\n{text}\nwrt {v}:\n"
                                      f"{claim}\n{result.message}")
    return checked


# ---------------------------------------------------------------- hostile input: mutants and noise


TOKEN = re.compile(r"\s+|[A-Za-z_\u0370-\u03FF][A-Za-z0-9_\u0370-\u03FF]*|\d+(?:\.\d*)?|\\[A-Za-z]+|.", re.S)
JUNK = ("(", ")", "{", "}", "[", "]", "^", "^T", "^{-1}", "'", ".^", "./", ".*", "⊙", "‖", "|", ",", ";", "\n",
        ":", "=", "x", "W", "1", "0", "-", "+", "*", "/", "\\frac", "\\left(", "\\right)", "\\sqrt{", "α", "∂",
        "\x00", "\t", " ", "exp(", "inv(", "det(", "ones(", "I", "f'", "in", "R^{n x m}", "scalar", "x x",
        "1e400", "9" * 30, "é", "\u200b", "#", "\\", "′", "ᵀ")


@st.composite
def mutants(draw, max_depth: int = 3) -> str:
    """A valid program damaged by 1-4 character or token edits, or two programs spliced."""
    text = draw(programs(max_depth=max_depth)).text
    if draw(st.integers(0, 9)) == 0:  # splice
        other = draw(programs(max_depth=max_depth)).text
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(0, len(other)))
        text = text[:i] + other[j:]
    for _ in range(draw(st.integers(1, 4))):
        tokens = TOKEN.findall(text) or [""]
        kind = draw(st.sampled_from(("del_char", "ins_char", "swap_char", "dup_char",
                                     "del_tok", "ins_tok", "swap_tok", "dup_tok")))
        if kind.endswith("char"):
            i = draw(st.integers(0, max(len(text) - 1, 0)))
            if kind == "del_char":
                text = text[:i] + text[i + 1:]
            elif kind == "ins_char":
                c = draw(st.sampled_from(JUNK) | st.characters(codec="utf-8"))
                text = text[:i] + c + text[i:]
            elif kind == "swap_char" and len(text) > 1:
                j = min(i + 1, len(text) - 1)
                chars = list(text)
                chars[i], chars[j] = chars[j], chars[i]
                text = "".join(chars)
            else:
                text = text[:i] + text[i:i + 1] * 2 + text[i + 1:]
        else:
            i = draw(st.integers(0, len(tokens) - 1))
            if kind == "del_tok":
                del tokens[i]
            elif kind == "ins_tok":
                tokens.insert(i, draw(st.sampled_from(JUNK + tuple(t for t in tokens if t.strip()))))
            elif kind == "swap_tok" and len(tokens) > 1:
                j = draw(st.integers(0, len(tokens) - 1))
                tokens[i], tokens[j] = tokens[j], tokens[i]
            else:
                tokens.insert(i, tokens[i])
            text = "".join(tokens)
    return text


def noise() -> st.SearchStrategy[str]:
    """Plain random text, from the language's own symbols and from all of Unicode."""
    return st.one_of(st.text(max_size=60),
                     st.lists(st.sampled_from(JUNK), max_size=30).map("".join),
                     st.text(alphabet="xyWAb()^T'+-*/.,;:={}|‖ \n0123456789", max_size=80))


def run_hostile(text: str) -> str:
    """Parse and differentiate text with respect to each of its variables: 'ok' or 'error'.

    Anything but a result or a MatcalcError propagates; a MatcalcError whose span is known
    must show a caret line.
    """
    try:
        program = matcalc.parse(text)
        for v in program.variables[:3]:
            for layout in LAYOUTS:
                d = matcalc.derive(program, v, layout=layout)
                str(d)
        return "ok"
    except matcalc.MatcalcError as error:
        message = str(error)
        assert message.startswith("error: "), message
        if error.span is not None and error.source is not None:
            assert any(line.strip() and set(line.strip()) == {"^"} for line in message.splitlines()), message
        return "error"
