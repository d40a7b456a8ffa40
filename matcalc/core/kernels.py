"""Numeric kernels of the operations (numpy float64), as the operation table's rows call them.

Values follow the evaluator's representation: a scalar is an ``np.float64``, a column vector
a 1-D array, a matrix a 2-D array, a row (1, m) a 2-D array. In a product a 1-D vector acts
as a column. The stable forms subtract the max before exponentials.
"""
from __future__ import annotations

import math
from functools import reduce

from .errors import EvaluationError
from .lazy import np


def number(value, source=None, span=None) -> float:
    """A literal (a Fraction) as a float. Past float64's range it is refused: IEEE would make it
    ±inf, a different number than the one written."""
    try:
        return float(value)
    except OverflowError:
        raise EvaluationError(f"the number {short(value)} is beyond the range of float64 (about 1.8e308)",
                              source, span, "write it as a symbol and pass its value (e.g. α : scalar)") from None


def short(value) -> str:
    """A number beyond float64 in a few characters: "about 1e399"."""
    exponent = math.floor(math.log10(abs(value.numerator)) - math.log10(value.denominator))
    return f"{'-' if value < 0 else ''}about 1e{exponent}"


def softmax(z):
    """softmax of a vector; of a matrix, of each row."""
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def logsoftmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def logsumexp_rows(z):
    """log(exp(Z) 1): the log-sum-exp of each row, as a column."""
    m = np.max(z, axis=1)
    m = np.where(np.isfinite(m), m, 0.0)
    return m + np.log(np.sum(np.exp(z - m[:, None]), axis=1))


def logsumexp(z):
    """log Σ exp(z) over every entry, the max subtracted first."""
    m = np.max(z)
    if not np.isfinite(m):
        return np.log(np.sum(np.exp(z)))
    return m + np.log(np.sum(np.exp(z - m)))


def logsumexp_columns(z):
    """log(1ᵀ exp(Z)): the log-sum-exp of each column, as a row."""
    m = np.max(z, axis=0)
    m = np.where(np.isfinite(m), m, 0.0)
    return (m + np.log(np.sum(np.exp(z - m), axis=0)))[None, :]


def logdet(x):
    sign, logabs = np.linalg.slogdet(x)
    if sign > 0:
        return logabs
    if sign == 0:
        return -np.inf  # log 0
    return np.nan  # log of a negative number


def column(v):
    """A value as a 2-D factor of a product: a vector is a column, a scalar 1 x 1."""
    v = np.asarray(v, dtype=float)
    if v.ndim == 0:
        return v.reshape(1, 1)
    if v.ndim == 1:
        return v.reshape(-1, 1)
    return v


def matmul(*factors):
    return reduce(np.matmul, [column(f) for f in factors])


def transpose(v):
    v = np.asarray(v)
    if v.ndim == 0:
        return v
    if v.ndim == 1:
        return v.reshape(1, -1)
    if v.shape[0] == 1:
        return v.reshape(-1)  # (1, n)^T is a column vector
    return v.T


def columns(terms):
    """The terms of an elementwise operation with a matrix among them, a column (1-D) as an
    (n, 1) array, so that numpy broadcasts it along the rows (it would along the columns)."""
    if any(np.ndim(t) == 2 for t in terms):
        return [np.reshape(t, (-1, 1)) if np.ndim(t) == 1 else t for t in terms]
    return terms


def add(*terms):
    return reduce(np.add, columns(terms))


def multiply(*terms):
    return reduce(np.multiply, columns(terms))


def divide(a, b):
    a, b = columns([a, b])
    return a / b


def power(c, p):
    return np.power(np.float64(c), np.float64(p))


def elempower(a, p):
    return np.power(a, np.float64(p))


def diagpart(x):
    return np.diag(x).copy()


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softplus(x):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def relu(x):
    return np.maximum(x, 0)


def step(x):
    return np.heaviside(np.asarray(x, dtype=float), 0.5)


def _matrix(v):
    v = np.asarray(v, dtype=float)
    return v.reshape(-1, 1) if v.ndim == 1 else v.reshape(1, 1) if v.ndim == 0 else v


def kron(a, b):
    return np.kron(_matrix(a), _matrix(b))


def kron_left(g, b):
    """<G_ij, B> for the blocks G_ij of G, of B's shape."""
    g, b = _matrix(g), _matrix(b)
    (n, m), (r, s) = g.shape, b.shape
    return np.einsum("ikjl,kl->ij", g.reshape(n // r, r, m // s, s), b)


def kron_right(a, g):
    """Σ_ij A_ij G_ij for the blocks G_ij of G, A's shape counting them."""
    a, g = _matrix(a), _matrix(g)
    (p, q), (n, m) = a.shape, g.shape
    return np.einsum("ikjl,ij->kl", g.reshape(p, n // p, q, m // q), a)


def vcat(*parts):
    return np.vstack([_matrix(p) for p in parts])


def hcat(*parts):
    return np.hstack([_matrix(p) for p in parts])


def _within(what: str, start, count, size) -> None:
    """Rows (columns) start + 1 .. start + count of size: with names for sizes (rows(x, 1, m) of x : n) the
    typer cannot tell, so the values say (numpy would cut the block short, or fail to broadcast)."""
    if start < 0 or count < 0 or start + count > size:
        raise EvaluationError(f"{what} {start + 1}..{start + count} do not fit in {size} {what}",
                              hint="check the sizes given to rows, cols, padrows and padcols")


def rows(x, start, count):
    x = _matrix(x)
    _within("rows", start, count, x.shape[0])
    return x[start:start + count]


def cols(x, start, count):
    x = _matrix(x)
    _within("columns", start, count, x.shape[1])
    return x[:, start:start + count]


def padrows(x, start, total):
    x = _matrix(x)
    _within("rows", start, x.shape[0], total)
    out = np.zeros((total, x.shape[1]))
    out[start:start + x.shape[0]] = x
    return out


def padcols(x, start, total):
    x = _matrix(x)
    _within("columns", start, x.shape[1], total)
    out = np.zeros((x.shape[0], total))
    out[:, start:start + x.shape[1]] = x
    return out


def argmax_indicator(x):
    """The indicator of the largest entry of x (x's shape), shared equally among ties."""
    hit = np.equal(x, np.max(x)) * 1.0
    return hit / np.sum(hit)


def argmin_indicator(x):
    hit = np.equal(x, np.min(x)) * 1.0
    return hit / np.sum(hit)
