"""Hypothesis strategies for typed trees over declared symbols (shared by the test modules).

``typed_trees()`` draws ``(declarations_text, expr)``: ``expr`` is a typed tree over the
symbols that ``DECLARATIONS`` declares, with the distinct dims n, m, k, built through
:mod:`matcalc.build` (the typer's own constructors) in the canonical form the typer
produces: scalars are coefficients (``Scale(c, A)``, nested to the right), matrix
products hold only non-scalar factors and no proper prefix of one is a scalar, ``I``
appears only in sums, and elementwise operations on scalars are scalar operations.
"""
from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from matcalc.core import build
from matcalc.core.nodes import (
    Det, Diag, DiagPart, ElemDiv, ElemPower, Expr, Func, Identity, LogDet, LogSoftmax,
    MatMul, Max, Min, Norm, Number, Ones, Scale, Softmax, Sum, Symbol, Trace,
)

DIMS = ("n", "m", "k")

SCALARS = ("α", "β", "c")
VECTORS = {"n": ("x", "y"), "m": ("z",), "k": ("w",)}
ROWS = {"n": ("r",)}
MATRICES = {
    ("n", "n"): ("A", "X"), ("n", "m"): ("B",), ("m", "n"): ("P",), ("m", "m"): ("D",),
    ("m", "k"): ("C",), ("k", "m"): ("Q",), ("n", "k"): ("G",), ("k", "n"): ("H",),
    ("k", "k"): ("K",),
}

DECLARATIONS = "; ".join(
    [f"{', '.join(SCALARS)} : scalar"]
    + [f"{', '.join(names)} : {d}" for d, names in VECTORS.items()]
    + [f"{', '.join(names)} : 1 x {d}" for d, names in ROWS.items()]
    + [f"{', '.join(names)} : {r} x {c}" for (r, c), names in MATRICES.items()]
)
"""The declarations every drawn tree is typed under."""

NUMBERS = [Fraction(v) for v in (2, 3, 5, -2, -3)] + [Fraction(1, 2), Fraction(3, 4), Fraction(-1, 2)]
FUNCTIONS = [("exp", 1), ("log", 0), ("tanh", 1), ("sigmoid", 1), ("relu", 0), ("abs", 0),
             ("f", 2), ("g", 1)]

ONE = "1"  # the unit dim: (1, d) is a row vector, (d, 1) a column vector


def _shape(r: str, c: str) -> tuple:
    """(r, c) normalized as the typer does: () scalar, (r,) column vector, else a matrix."""
    if r == ONE and c == ONE:
        return ()
    if c == ONE:
        return (r,)
    return (r, c)


def _rc(shape: tuple) -> tuple[str, str]:
    if not shape:
        return ONE, ONE
    if len(shape) == 1:
        return shape[0], ONE
    return shape


def _transposed(shape: tuple) -> tuple:
    r, c = _rc(shape)
    return _shape(c, r)


def _ok_factor(e: Expr) -> bool:
    """May e be one factor of a matrix product as the typer builds it?"""
    # a scaled factor joins the product's coefficients: A (c x) types as c A x
    return not isinstance(e, (MatMul, Identity, Number, Scale))


def _ok_coefficient(e: Expr) -> bool:
    """May e be the coefficient c of Scale(c, A)? (a scale there would be split by the typer)"""
    return not isinstance(e, Scale) and not (isinstance(e, Number) and e.value in (0, 1, -1))


class _Gen:
    def __init__(self, draw):
        self.draw = draw

    def pick(self, options):
        return options[self.draw(st.integers(0, len(options) - 1))]

    # ------------------------------------------------------------ leaves
    def leaf(self, shape: tuple) -> Expr:
        if not shape:
            if self.draw(st.booleans()):
                return Symbol(self.pick(SCALARS))
            return Number(self.pick(NUMBERS))
        if len(shape) == 1:
            names = VECTORS[shape[0]]
            return self.pick([*(Symbol(n) for n in names), Ones(shape[0])])
        r, c = shape
        if r == ONE:
            options = [build.transpose(Symbol(n)) for n in VECTORS[c]] + [build.transpose(Ones(c))]
            options += [Symbol(n) for n in ROWS.get(c, ())]
            return self.pick(options)
        return Symbol(self.pick(MATRICES[(r, c)]))

    # ------------------------------------------------------------ composites
    def expr(self, shape: tuple, budget: int) -> Expr:
        if budget <= 0 or self.draw(st.integers(0, 7)) == 0:
            return self.leaf(shape)
        b = budget - 1
        options = [self.sum, self.negation, self.scaled, self.divided, self.function, self.extremum]
        if shape:
            options += [self.hadamard, self.elemdiv, self.elempower, self.transpose, self.product]
            if len(shape) == 2 and shape[0] == shape[1]:
                options += [self.inverse, self.diag]
            if len(shape) == 1:
                options += [self.diagpart, self.softmax]
        else:
            options += [self.reduction, self.power, self.product]
        return self.pick(options)(shape, b)

    def scalar(self, budget: int) -> Expr:
        return self.expr((), budget)

    def sum(self, shape, b):
        terms = [self.expr(shape, b // 2)]  # the first term carries the shape (and sizes I)
        for _ in range(self.draw(st.integers(1, 2))):
            kind = self.draw(st.integers(0, 5))
            if kind == 0 and shape:
                term = self.scalar(b // 2)  # broadcast
            elif kind == 1 and len(shape) == 2 and shape[0] == shape[1]:
                term = Identity(shape[0])
            else:
                term = self.expr(shape, b // 2)
            terms.append(term)
        return build.add(*(build.neg(t) if self.draw(st.integers(0, 3)) == 0 else t for t in terms))

    def negation(self, shape, b):
        return build.neg(self.expr(shape, b))

    def coefficient(self, b) -> Expr:
        c = self.scalar(b)
        return c if _ok_coefficient(c) else self.leaf(())

    def scaled(self, shape, b):
        c = self.coefficient(b // 2)
        return build.scale(c, self.expr(shape, b // 2))

    def divided(self, shape, b):
        return build.div(self.expr(shape, b // 2), self.scalar(b // 2))

    def function(self, shape, b):
        name, max_order = self.pick(FUNCTIONS)
        return Func(name, self.expr(shape, b), self.draw(st.integers(0, max_order)))

    def extremum(self, shape, b):
        cls = self.pick([Max, Min])
        return cls(self.expr(shape, b // 2), self.expr(shape, b // 2))

    def hadamard(self, shape, b):
        count = self.draw(st.integers(2, 3))
        return build.hadamard(*(self.expr(shape, b // 2) for _ in range(count)))

    def elemdiv(self, shape, b):
        right = self.expr(shape, b // 2) if self.draw(st.booleans()) else self.scalar(b // 2)
        return ElemDiv(self.expr(shape, b // 2), right)

    def elempower(self, shape, b):
        p = self.scalar(b // 2)
        if isinstance(p, Number) and p.value == 1:
            p = Number(Fraction(2))
        return ElemPower(self.expr(shape, b // 2), p)

    def transpose(self, shape, b):
        return build.transpose(self.expr(_transposed(shape), b))

    def inverse(self, shape, b):
        return build.inverse(self.expr(shape, b))

    def diag(self, shape, b):
        return Diag(self.expr((shape[0],), b))

    def diagpart(self, shape, b):
        return DiagPart(self.expr((shape[0], shape[0]), b))

    def softmax(self, shape, b):
        return self.pick([Softmax, LogSoftmax])(self.expr(shape, b))

    def reduction(self, shape, b):
        kind = self.draw(st.integers(0, 4))
        d = self.pick(DIMS)
        if kind == 0:
            return Sum(self.expr(self.pick([(d,), (d, self.pick(DIMS))]), b))
        if kind == 1:
            return Norm(self.expr(self.pick([(d,), (d, self.pick(DIMS))]), b))
        return self.pick([Trace, Det, LogDet])(self.expr((d, d), b))

    def power(self, shape, b):
        base = self.scalar(b // 2)
        p = self.scalar(b // 2) if self.draw(st.booleans()) else Number(self.pick(NUMBERS))
        return build.power(base, p)

    def product(self, shape, b):
        """A matrix product of shape: a chain of dims with no scalar proper prefix."""
        first, last = _rc(shape)
        inner = self.draw(st.integers(1, 2))
        dims = [first]
        for i in range(inner):
            choices = list(DIMS)
            if first != ONE and i < inner - 1:
                choices.append(ONE)  # an outer product in the middle
            dims.append(self.pick(choices))
        dims.append(last)
        for i in range(len(dims) - 1):
            if dims[i] == ONE and dims[i + 1] == ONE:
                return self.leaf(shape)
        factors = []
        for i in range(len(dims) - 1):
            f = self.expr(_shape(dims[i], dims[i + 1]), b // 2)
            if not _ok_factor(f):
                f = self.leaf(_shape(dims[i], dims[i + 1]))
            factors.append(f)
        return MatMul(tuple(factors))


@st.composite
def typed_trees(draw, max_budget: int = 10):
    """(declarations_text, expr): a canonical typed tree over DECLARATIONS' symbols."""
    budget = draw(st.integers(1, max_budget))
    shape = draw(st.sampled_from([(), ("n",), ("m",), ("n", "n"), ("n", "m"), (ONE, "k")]))
    return DECLARATIONS, _Gen(draw).expr(shape, budget)
