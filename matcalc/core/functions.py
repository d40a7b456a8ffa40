"""The elementwise functions: their sympy definitions and stable numpy forms.

Derivatives of named functions come from sympy (``derivative``), never from a
hand-kept table; σ, relu and softplus are sympy functions whose first derivative
is given in the form a textbook prints (σ' = σ(1 - σ)).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy


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

SYMPY = {
    "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
    "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh, "sqrt": sympy.sqrt,
    "atan": sympy.atan, "sigmoid": sigmoid, "relu": relu,
    "softplus": softplus, "step": step, "sign": sign, "abs": abs_,
}
"""name in the language -> sympy function of one argument"""

NAME_OF = {f: name for name, f in SYMPY.items()}


def _stable_sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _stable_softplus(x):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


NUMPY = {
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
    "sinh": np.sinh, "cosh": np.cosh, "sqrt": np.sqrt, "atan": np.arctan,
    "sigmoid": _stable_sigmoid, "relu": lambda x: np.maximum(x, 0), "softplus": _stable_softplus,
    "step": lambda x: np.heaviside(np.asarray(x, dtype=float), 0.5), "sign": np.sign, "abs": np.abs,
}




@lru_cache(maxsize=None)
def derivative(name: str, order: int = 1) -> sympy.Expr:
    """The order-th derivative of a named function, as a sympy expression in t."""
    return sympy.diff(SYMPY[name](T), T, order)


@lru_cache(maxsize=None)
def numpy_function(name: str, order: int = 0):
    """A numpy callable for the order-th derivative of a named function."""
    if order == 0:
        return NUMPY[name]
    expr = derivative(name, order)
    modules = [{NAME_OF[f]: NUMPY[NAME_OF[f]] for f in SYMPY.values() if isinstance(f, type)
                and issubclass(f, sympy.Function) and f in NAME_OF}, "numpy"]
    modules[0].update({"sigmoid": NUMPY["sigmoid"], "relu": NUMPY["relu"], "softplus": NUMPY["softplus"],
                       "step": NUMPY["step"], "sign": NUMPY["sign"], "abs_": NUMPY["abs"]})
    f = sympy.lambdify(T, expr, modules=modules)
    return lambda x: np.broadcast_to(f(np.asarray(x, dtype=float)), np.shape(x)).astype(float)
