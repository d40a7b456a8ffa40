"""Constructors of nodes that fold only what is always safe to fold.

Sums, products and Hadamard products flatten; 0 absorbs products and vanishes
from sums; I vanishes from products; (Aᵀ)ᵀ is A; Number ∘ Number is a Number.
Every other rewrite belongs to :mod:`matcalc.simplify`.
"""
from __future__ import annotations

from fractions import Fraction

from .nodes import (
    Add, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse, MatMul, Neg,
    Number, Ones, Power, Scale, Softmax, Sum, Symbol, Trace, Transpose, Zeros, with_args,
)

ZERO = Number(Fraction(0))
ONE = Number(Fraction(1))


def number(value) -> Number:
    return Number(Fraction(value))


def is_zero(e: Expr) -> bool:
    """0, or a sized zero 0_{k x m} (which folds like 0: it keeps its shape only where it stands alone)."""
    return (isinstance(e, Number) and e.value == 0) or isinstance(e, Zeros)


def is_one(e: Expr) -> bool:
    return isinstance(e, Number) and e.value == 1


def add(*terms: Expr) -> Expr:
    flat: list[Expr] = []
    for t in terms:
        if isinstance(t, Add):
            flat.extend(t.terms)
        elif not is_zero(t):
            flat.append(t)
    if not flat:
        return ZERO
    if len(flat) == 1:
        return flat[0]
    return Add(tuple(flat))


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
    flat: list[Expr] = []
    for f in factors:
        if is_zero(f):
            return ZERO
        if isinstance(f, MatMul):
            flat.extend(f.terms)
        else:
            flat.append(f)
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
        return Number(c.value * a.value)
    if isinstance(c, Number) and isinstance(a, Scale) and isinstance(a.left, Number):
        return scale(Number(c.value * a.left.value), a.right)
    return Scale(c, a)


def hadamard(*factors: Expr) -> Expr:
    flat: list[Expr] = []
    for f in factors:
        if is_zero(f):
            return ZERO
        if isinstance(f, Hadamard):
            flat.extend(f.terms)
        else:
            flat.append(f)
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
        return Number(a.value / c.value)
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
