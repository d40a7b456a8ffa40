"""The SymPy side of the elementwise functions: σ, relu, step, softplus, sign and |·| as SymPy
functions (whose first derivatives are written as a textbook prints them: σ' = σ(1 - σ)), and
the bridge from SymPy expressions to trees of the language.

SymPy is imported by this module alone among core's, and only where a derivative of a named
function or an elementwise cancellation is asked for.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import sympy

from . import build
from .errors import MissingRuleError
from .functions import FUNCTIONS
from .nodes import Expr, Func, Number


class sigmoid(sympy.Function):
    """σ(t) = 1 / (1 + e^{-t})"""

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, t, **kwargs):
        return 1 / (1 + sympy.exp(-t))


class step(sympy.Function):
    """The Heaviside step (0 for t < 0, 1/2 at 0, 1 for t > 0): relu', and how max and min
    route a gradient. At a tie max(a, a) each side gets half, so the two add up to 1."""

    @classmethod
    def eval(cls, t):
        if t.is_Number:
            return sympy.Integer(1) if t > 0 else sympy.Integer(0) if t < 0 else sympy.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        return sympy.Integer(0)


class relu(sympy.Function):
    """max(t, 0)"""

    @classmethod
    def eval(cls, t):
        return sympy.Max(t, 0) if t.is_Number else None

    def fdiff(self, argindex=1):
        return step(self.args[0])


class softplus(sympy.Function):
    """log(1 + e^t)"""

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])


class sign(sympy.Function):
    """The sign of t: abs'."""

    @classmethod
    def eval(cls, t):
        return sympy.sign(t) if t.is_Number else None

    def fdiff(self, argindex=1):
        return sympy.Integer(0)


class abs_(sympy.Function):
    """|t|, whose derivative is sign(t) (away from 0)."""

    @classmethod
    def eval(cls, t):
        return abs(t) if t.is_Number else None

    def fdiff(self, argindex=1):
        return sign(self.args[0])


T = sympy.Symbol("t", real=True)


@lru_cache(maxsize=None)
def function(name: str):
    """The SymPy function of one argument for a named elementwise function."""
    return FUNCTIONS[name].sympy()


@lru_cache(maxsize=None)
def name_of(f) -> str | None:
    """The language's name of a SymPy function, or None."""
    return next((n for n in FUNCTIONS if function(n) is f), None)


@lru_cache(maxsize=None)
def derivative(name: str, order: int = 1) -> sympy.Expr:
    """The order-th derivative of a named function, as a SymPy expression in t."""
    return sympy.diff(function(name)(T), T, order)


def value_at(name: str, order: int, point: Fraction) -> Fraction | None:
    """f^(order)(point) for a named function at a rational point, when that is rational."""
    at = sympy.Rational(point.numerator, point.denominator)
    value = derivative(name, order).subs(T, at) if order else function(name)(at)
    return Fraction(int(value.p), int(value.q)) if value.is_Rational else None


def to_tree(expr: sympy.Expr, atoms: dict, scalar_atoms: set) -> Expr:
    """A SymPy expression as a tree: atoms (SymPy symbol -> tree) are taken elementwise;
    products and quotients of non-scalar factors are Hadamard, of scalars plain."""

    def is_scalar(e) -> bool:
        return all(s in scalar_atoms for s in e.free_symbols if s in atoms)

    def conv(e):
        if e in atoms:
            return atoms[e]
        if e.is_Number:
            return Number(Fraction(int(e.p), int(e.q))) if e.is_Rational else Number(Fraction(float(e)))
        if e.is_Add:
            # a constant first reads best (1 - tanh(z)^2), then positive terms before negative ones
            consts = [a for a in e.args if a.is_Number]
            rest = sorted((a for a in e.args if not a.is_Number),
                          key=lambda a: (a.could_extract_minus_sign(), sympy.default_sort_key(a)))
            return build.add(*[conv(a) for a in consts + rest])
        if e.is_Mul:
            num, den = sympy.fraction(e)
            if den != 1:
                a, b = conv(num), conv(den)
                return build.div(a, b) if is_scalar(den) else build.elemdiv(a, b)
            coeff, rest = e.as_coeff_Mul()
            factors = sorted(sympy.Mul.make_args(rest),
                             key=lambda a: (not is_scalar(a), not isinstance(a, sympy.Function) and not a.is_Pow,
                                            a.is_Add, sympy.default_sort_key(a)))
            scalars = [conv(f) for f in factors if is_scalar(f)]
            others = [conv(f) for f in factors if not is_scalar(f)]
            acc = build.hadamard(*others) if others else (scalars.pop() if scalars else build.ONE)
            for c in reversed(scalars):
                acc = build.scale(c, acc)
            if coeff == -1:
                return build.neg(acc)
            return build.scale(conv(coeff), acc) if coeff != 1 else acc
        if e.is_Pow:
            base, exponent = e.args
            if exponent == sympy.Rational(1, 2):
                return Func("sqrt", conv(base))
            if exponent.is_Number and exponent < 0:
                b = conv(base ** (-exponent))
                return build.div(build.ONE, b) if is_scalar(base) else build.elemdiv(build.ONE, b)
            return (build.power if is_scalar(base) else build.elempower)(conv(base), conv(exponent))
        if isinstance(e, sympy.Function) and name_of(e.func) is not None:
            return Func(name_of(e.func), conv(e.args[0]))
        raise MissingRuleError(f"cannot express {e} in the language")

    return conv(expr)


def derivative_tree(name: str, order: int, z: Expr, scalar: bool) -> Expr:
    """The order-th derivative of a named elementwise function at z, as a tree."""
    return to_tree(derivative(name, order), {T: z}, {T} if scalar else set())
