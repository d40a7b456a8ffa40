"""Functions by name: σ, softmax, softplus and logsoftmax recognized, functions of numbers evaluated.

The recognizers of :mod:`matcalc.core.stable` (``is_exp``, ``is_log``, ``one_plus_exp``) say
what an exponential, a logarithm and 1 + e^t are; each textbook form is recognized here once,
whichever node spells it (``1 / (1 + e^-t)`` or ``1 ./ (1 + e.^-t)``; ``e^x / sum(e^x)`` or
``(1 / sum(e^x)) e^x``).
"""
from __future__ import annotations

from ...core.functions import FUNCTIONS
from ...core.lazy import LazyModule
from ...core.nodes import Div, Expr, Func, LogSoftmax, Neg, Number, Softmax, Sum
from ...core.stable import is_exp, is_log, one_plus_exp
from .numbers import reciprocal_of

symbolic = LazyModule("matcalc.core.symbolic")


def sigmoid(e: Expr, s) -> Expr | None:
    """1 / (1 + e^-t) = σ(t) (the scalar quotient or the elementwise one)"""
    if isinstance(e.left, Number) and e.left.value == 1:
        t = one_plus_exp(e.right)
        if isinstance(t, Neg):
            return Func("sigmoid", t.arg)
    return None


def softmax(e: Expr, s) -> Expr | None:
    """e^x / sum(e^x) = softmax(x), x a vector (also written (1 / sum(e^x)) e^x)"""
    if isinstance(e, Div):
        numerator, denominator = e.left, e.right
    else:  # a Scale
        numerator, denominator = e.right, reciprocal_of(e.left)
    if is_exp(numerator) and denominator == Sum(numerator) and len(s.shape(numerator)) == 1:
        return Softmax(numerator.arg)
    return None


def function_of_number(e: Func, s) -> Expr | None:
    """exp(0) = 1, log(1) = 0, step(0) = 1/2: a function at a number whose value is exact"""
    a = e.arg
    if isinstance(a, Number) and e.name in FUNCTIONS:
        value = symbolic.value_at(e.name, e.order, a.value)
        if value is not None:
            return Number(value)
    return None


def log_of_exp(e: Func, s) -> Expr | None:
    """log(e^t) = t"""
    if is_log(e) and is_exp(e.arg):
        return e.arg.arg
    return None


def softplus(e: Func, s) -> Expr | None:
    """log(1 + e^t) = softplus(t)"""
    if is_log(e):
        t = one_plus_exp(e.arg)
        if t is not None:
            return Func("softplus", t)
    return None


def log_softmax(e: Func, s) -> Expr | None:
    """log(softmax(x)) = logsoftmax(x)"""
    if is_log(e) and isinstance(e.arg, Softmax):
        return LogSoftmax(e.arg.arg)
    return None
