"""Constructors of nodes that fold only what is always safe to fold.

Sums, products and Hadamard products flatten (up to ``MAX_FLAT`` terms: beyond that the
children stay nested, so that a shared chain such as ``a_i = a_{i-1} ⊙ a_{i-1}`` stays a DAG of
linear size instead of a flat product of 2^i factors, and a sum built up one term at a time
costs linear, not quadratic, work); 0 absorbs products and vanishes from sums; I vanishes from
products; (Aᵀ)ᵀ is A; Number ∘ Number is a Number. Every term gathered counts against the
work limit (:func:`matcalc.core.limits.spend`). Every other rewrite belongs to
:mod:`matcalc.calculus.simplify`.
"""
from __future__ import annotations

from fractions import Fraction

from . import limits
from .nodes import (
    Add, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse, MatMul, Neg,
    Number, Ones, Power, Scale, Softmax, Sum, Symbol, Trace, Transpose, Zeros, with_args,
)

ZERO = Number(Fraction(0))
ONE = Number(Fraction(1))

MAX_FLAT = 64
"""Most terms that flattening gathers into one sum or product (see the module docstring)."""


def _gathered(cls, items) -> list:
    """The items with those of class ``cls`` spliced in, unless that would pass MAX_FLAT terms."""
    total = 0
    nested = False
    for t in items:
        if type(t) is cls:
            total += len(t.terms)
            nested = True
        else:
            total += 1
    limits.spend(total, "flattening a sum or product")
    if not nested:
        return list(items)
    if total > MAX_FLAT:
        return list(items)
    flat: list = []
    for t in items:
        if type(t) is cls:
            flat.extend(t.terms)
        else:
            flat.append(t)
    return flat


def number(value) -> Number:
    return Number(Fraction(value))


def is_zero(e: Expr) -> bool:
    """0, or a sized zero 0_{k x m} (which folds like 0: it keeps its shape only where it stands alone)."""
    return (isinstance(e, Number) and e.value == 0) or isinstance(e, Zeros)


def is_one(e: Expr) -> bool:
    return isinstance(e, Number) and e.value == 1


def add(*terms: Expr) -> Expr:
    flat = [t for t in _gathered(Add, terms) if not is_zero(t)]
    if not flat:
        return ZERO
    if len(flat) == 1:
        return flat[0]
    return Add(tuple(flat))


def _folded(value: Fraction) -> Number:
    """A number that folding made, within the number size limit."""
    limits.check_number(value)
    return Number(value)


def neg(a: Expr) -> Expr:
    if isinstance(a, Number):
        return Number(-a.value)
    if isinstance(a, Neg):
        return a.arg
    if isinstance(a, Scale) and isinstance(a.left, Number):  # -(c A) -> (-c) A
        return scale(Number(-a.left.value), a.right)
    return Neg(a)


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


def matmul(*factors: Expr) -> Expr:
    if any(is_zero(f) for f in factors):
        return ZERO
    flat = _gathered(MatMul, factors)
    kept = [f for f in flat if not isinstance(f, Identity)]
    if not kept:
        return flat[0]
    if len(kept) == 1:
        return kept[0]
    return MatMul(tuple(kept))


def scale(c: Expr, a: Expr) -> Expr:
    if is_zero(c) or is_zero(a):
        return ZERO
    if is_one(c):
        return a
    if is_one(a) and not isinstance(c, Number):
        return c
    if isinstance(c, Number) and isinstance(a, Number):
        return _folded(c.value * a.value)
    if isinstance(c, Number) and isinstance(a, Scale) and isinstance(a.left, Number):
        return scale(_folded(c.value * a.left.value), a.right)
    return Scale(c, a)


def hadamard(*factors: Expr) -> Expr:
    if any(is_zero(f) for f in factors):
        return ZERO
    flat = _gathered(Hadamard, factors)
    if len(flat) == 1:
        return flat[0]
    return Hadamard(tuple(flat))


def transpose(a: Expr) -> Expr:
    if isinstance(a, Transpose):  # (A^T)^T -> A
        return a.arg
    if isinstance(a, (Number, Identity)):
        return a
    return Transpose(a)


def inverse(a: Expr) -> Expr:
    if isinstance(a, Identity):
        return a
    return Inverse(a)


def div(a: Expr, c: Expr) -> Expr:
    if is_one(c):
        return a
    if is_zero(a):
        return ZERO
    if isinstance(a, Number) and isinstance(c, Number) and c.value != 0:
        return _folded(a.value / c.value)
    return Div(a, c)


def elemdiv(a: Expr, b: Expr) -> Expr:
    if is_one(b):
        return a
    if is_zero(a):
        return ZERO
    return ElemDiv(a, b)


def power(a: Expr, p: Expr) -> Expr:
    if is_one(p):
        return a
    return Power(a, p)


def elempower(a: Expr, p: Expr) -> Expr:
    if is_one(p):
        return a
    return ElemPower(a, p)


def func(name: str, arg: Expr, order: int = 0) -> Func:
    return Func(name, arg, order)


def symbol(name: str) -> Symbol:
    return Symbol(name)


def identity(dim=None) -> Identity:
    return Identity(dim)


def ones(dim=None) -> Ones:
    return Ones(dim)




def all_ones(t: Expr) -> bool:
    """Whether t is ones(n), ones(n)^T or ones(n) ones(m)^T (the identity of the Hadamard product)."""
    if isinstance(t, Transpose):
        t = t.arg
    if isinstance(t, MatMul) and len(t.terms) == 2:
        return all_ones(t.terms[0]) and all_ones(t.terms[1])
    return isinstance(t, Ones)


def ones_of(shape: tuple) -> Expr:
    """The vector or matrix of ones of a shape (n,), (1, m) or (n, m)."""
    if len(shape) == 1:
        return ones(shape[0])
    if shape[0] == 1:
        return transpose(ones(shape[1]))
    return matmul(ones(shape[0]), transpose(ones(shape[1])))


def spread(e: Expr, have: tuple, shape: tuple) -> Expr:
    """e (a scalar, a column or a row, of shape ``have``) broadcast to a vector or matrix ``shape``:
    α on every entry, the column x in each column (x ones(m)^T), the row r in each row (ones(n) r)."""
    if not have:
        return scale(e, ones_of(shape))
    if len(have) == 1 and len(shape) == 2:
        return matmul(e, transpose(ones(shape[1])))
    return matmul(ones(shape[0]), e)


def total(a: Expr) -> Expr:
    return Sum(a)



def trace(a: Expr) -> Trace:
    return Trace(a)




def diag(a: Expr) -> Diag:
    return Diag(a)


def diagpart(a: Expr) -> DiagPart:
    return DiagPart(a)


def softmax(a: Expr) -> Softmax:
    return Softmax(a)


_FOLDING = {Add: add, MatMul: matmul, Hadamard: hadamard, Scale: scale, Div: div, ElemDiv: elemdiv}


def rebuild(node: Expr, kids: list[Expr]) -> Expr:
    """The same node with new children, through the folding constructors where it has one."""
    t = type(node)
    if t in _FOLDING:
        return _FOLDING[t](*kids)
    if t is Neg:
        return neg(kids[0])
    if t is Transpose:
        return transpose(kids[0])
    return with_args(node, kids)
