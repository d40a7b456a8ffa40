"""Batches: numbers out of denominators, and a broadcast quotient taken out of a row or column sum.

The normalizations of a batch (batch norm, layer norm) divide a matrix by a row or a column
of statistics and then sum over the batch: ``1ᵀ (A ./ r) = (1ᵀ A) ./ r`` for a row r (each
column of A divided by the same entry of r), so the statistics' powers meet and merge
(``./ √s.² ⊙ 1 ./ (2 √s)`` becomes ``./ (2 √s.³)``), and a number in a denominator joins the
other numbers of its chain (``-2 (… ./ (2 s))`` becomes ``-(… ./ s)``).
"""
from __future__ import annotations

from fractions import Fraction

from ...core import build
from ...core.nodes import Add, Div, ElemDiv, Expr, Neg, Number, Ones, Scale, Transpose


def number_out_of_denominator(e: Div, s) -> Expr | None:
    """a / (2 c) = 1/2 (a / c), 2 a nonzero number"""
    c = e.right
    if isinstance(c, Scale) and isinstance(c.left, Number) and c.left.value != 0:
        return build.scale(Number(Fraction(1) / c.left.value), build.div(e.left, c.right))
    return None


def number_out_of_elementwise_denominator(e: ElemDiv, s) -> Expr | None:
    """a ./ (2 b) = 1/2 (a ./ b), 2 a nonzero number"""
    b = e.right
    if isinstance(b, Scale) and isinstance(b.left, Number) and b.left.value != 0:
        return build.scale(Number(Fraction(1) / b.left.value), build.elemdiv(e.left, b.right))
    return None


def _is_ones_row(t: Expr) -> bool:
    return isinstance(t, Transpose) and isinstance(t.arg, Ones)


def row_quotient_out_of_column_sum(terms: list, i: int, s) -> Expr | None:
    """ones(N)^T (A ./ r) = (ones(N)^T A) ./ r for A : N x D and a row r : 1 x D (and (A ./ c) ones(D) = (A ones(D)) ./ c for a column c : N x 1)"""
    a, b = terms[i], terms[i + 1]
    if _is_ones_row(a) and isinstance(b, ElemDiv):
        q, other = b, a
        shape_a, shape_r = s.shape(q.left), s.shape(q.right)
        fits = len(shape_a) == 2 and shape_r == (1, shape_a[1]) and shape_a[0] != 1
        pair = (other, q.left)
    elif isinstance(b, Ones) and isinstance(a, ElemDiv):
        q, other = a, b
        shape_a, shape_r = s.shape(q.left), s.shape(q.right)
        fits = len(shape_a) == 2 and shape_r in ((shape_a[0],), (shape_a[0], 1)) and shape_a[1] != 1
        pair = (q.left, other)
    else:
        return None
    if not fits:
        return None
    return build.matmul(*terms[:i], build.elemdiv(build.matmul(*pair), q.right), *terms[i + 2:])


def _ones_coefficient(t: Expr) -> Fraction | None:
    """k where t is ones(n), -ones(n) or k ones(n) (k a number)."""
    if isinstance(t, Ones):
        return Fraction(1)
    if isinstance(t, Neg) and isinstance(t.arg, Ones):
        return Fraction(-1)
    if isinstance(t, Scale) and isinstance(t.left, Number) and isinstance(t.right, Ones):
        return t.left.value
    return None


def ones_in_sum_as_number(e: Add, s) -> Expr | None:
    """exp(a) - ones(n) = exp(a) - 1: a multiple of the ones beside a term of the sum's shape is a number added to each entry"""
    numbers = [_ones_coefficient(t) for t in e.terms]
    if not any(k is not None for k in numbers):  # (before the shape, which most sums need not be asked)
        return None
    shape = s.shape(e)
    if len(shape) != 1:
        return None
    rest = [t for t, k in zip(e.terms, numbers) if k is None]
    if not any(s.shape(t) == shape for t in rest):  # the number needs a term that carries the shape
        return None
    total = sum(k for k in numbers if k is not None)
    return build.add(*rest, build.number(total)) if total else build.add(*rest)


def outer_sum_spelled(e: Add, s) -> Expr | None:
    """z^T + x = ones(n) z^T + x: a row and a column with no matrix term to spread over (a cancelled
    W of (W + z^T + x) - W left them) are an n x m outer sum, said with the row spread over the n rows
    so that the sum reads back (the language broadcasts a row or a column over a matrix, never a row
    over a column, whose usual cause is a missing transpose)"""
    shape = s.shape(e)
    if len(shape) != 2 or any(s.shape(t) == shape for t in e.terms):
        return None
    for i, t in enumerate(e.terms):
        if s.shape(t) == (1, shape[1]):
            spread = build.matmul(Ones(shape[0]), t)
            return build.add(*e.terms[:i], spread, *e.terms[i + 1:])
    return None
