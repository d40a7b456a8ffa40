"""Shapes of typed trees: () a scalar, (n,) a column vector, (n, m) a matrix (a row is (1, m)).

Dims are sympy symbols (names) or integers.
"""
from __future__ import annotations

import sympy

from .errors import SymbolError
from .nodes import (
    Add, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse, LogDet,
    LogSoftmax, MatMul, Max, Min, Neg, Norm, Number, Ones, Power, Scale, Softmax, Sum, Symbol, Trace,
    Transpose, fold,
)

ONE = sympy.Integer(1)


def normalize(shape: tuple) -> tuple:
    """(1, 1) is a scalar and (n, 1) a column vector."""
    if len(shape) == 2:
        r, c = shape
        if c == ONE and r == ONE:
            return ()
        if c == ONE:
            return (r,)
    return tuple(shape)


def as_matrix(shape: tuple) -> tuple:
    if len(shape) == 0:
        return (ONE, ONE)
    if len(shape) == 1:
        return (shape[0], ONE)
    return shape


def transposed(shape: tuple) -> tuple:
    if not shape:
        return ()
    r, c = as_matrix(shape)
    return normalize((c, r))


def dim_expr(d) -> sympy.Expr:
    if isinstance(d, sympy.Basic):
        return d
    if isinstance(d, int):
        return sympy.Integer(d)
    return sympy.Symbol(str(d), integer=True, positive=True)


def shape_of(e: Expr, shapes: dict[str, tuple], memo: dict | None = None) -> tuple:
    """Shape of a typed tree, from the shapes of its symbols (no checking)."""

    def fn(node, kids):
        t = type(node)
        if t is Symbol:
            try:
                return shapes[node.name]
            except KeyError:
                raise SymbolError(f"unknown symbol {node.name}") from None
        if t is Number:
            return ()
        if t is Identity:
            d = dim_expr(node.dim if node.dim is not None else "n")
            return (d, d)
        if t is Ones:
            return (dim_expr(node.dim if node.dim is not None else "n"),)
        if t in (Neg, Func, Softmax, LogSoftmax, Inverse):
            return kids[0]
        if t is Transpose:
            return transposed(kids[0])
        if t in (Sum, Norm, Trace, Det, LogDet, Power):
            return ()
        if t is Diag:  # (a zero folded to the number 0 has lost its shape: it stays a broadcast 0)
            return (kids[0][0], kids[0][0]) if kids[0] else ()
        if t is DiagPart:
            return (kids[0][0],) if kids[0] else ()
        if t in (Div, ElemPower):
            return kids[0]
        if t is Scale:
            return kids[1]
        if t in (ElemDiv, Max, Min, Add, Hadamard):
            return next((k for k in kids if k), ())
        if t is MatMul:
            acc = as_matrix(kids[0])
            for k in kids[1:]:
                acc = (acc[0], as_matrix(k)[1])
            return normalize(acc)
        raise TypeError(f"no shape rule for {t.__name__}")

    return fold(e, fn, memo)


def describe_shape(shape: tuple) -> str:
    if not shape:
        return "a scalar"
    if len(shape) == 1:
        return f"a vector ({shape[0]})"
    return f"{shape[0]} x {shape[1]}"

