"""Index notation for the reshaping operations: vec, unvec, kron and its adjoints, blocks, concatenation.

Index notation has no arithmetic on indices (the entry k + n (l - 1) of vec(X)), so an index map is
said with entries of constant 0/1 matrices, which the language already has:

* a vector index c over n p positions, split into an outer index a (n) and an inner r (p), is
  ``kron(I_n, ones(p))_ca kron(ones(n), I_p)_cr`` (vec(X)_c = X_rs at c = r + n (s - 1) with the
  columns outer: ``kron(I_m, ones(n))_cs kron(ones(m), I_n)_cr``);
* a block of rows or columns placed at an offset among N is the N x c matrix ``[I_c; 0_{…}]``
  (or ``padrows(I_c, i, N)``), whose entry (a, k) is 1 where a is the k-th row of the block.

:func:`reshape_terms` writes one of these nodes around the cotangent (the Translator's hook);
:func:`merge_selections` then says Σ_a kron(ones(q), I_n)_ia A_ak as kron(ones(q), A)_ik, the
product of the selection with its neighbour, so ``vec(A X B)`` by X reads
``∂F_i/∂X_kl = kron(ones(q), A)_ik kron(B^T, ones(n))_il``.
"""
from __future__ import annotations

from fractions import Fraction

from ..core import build, dims
from ..core.nodes import (
    Cols,
    Expr,
    HCat,
    Identity,
    Kron,
    KronLeft,
    KronRight,
    MatMul,
    PadCols,
    PadRows,
    Rows,
    Transpose,
    Unvec,
    VCat,
    Vec,
    Zeros,
    walk,
)
from ..core.shapes import shape_of
from .index_terms import (
    ONE,
    Entry,
    Kronecker,
    Term,
    _distribute,
    _is_one,
    _term,
    _with_sums,
    indices_of,
    rename,
)

RESHAPES = (Vec, Unvec, Kron, KronLeft, KronRight, Rows, Cols, PadRows, PadCols, VCat, HCat)


def _rc(shape: tuple):
    return (1, 1) if not shape else (shape[0], 1) if len(shape) == 1 else shape


def _idx(shape: tuple, row: str, col: str) -> tuple:
    return () if not shape else (row,) if len(shape) == 1 else (row, col)


def split(c: str, outer, inner, a: str, r: str) -> list:
    """The factors saying c = (a, r): a the outer position (of outer), r the inner (of inner)."""
    if _is_one(outer):
        return [Kronecker(c, r)] + ([] if a == ONE else [Kronecker(a, ONE)])
    if _is_one(inner):
        return [Kronecker(c, a)] + ([] if r == ONE else [Kronecker(r, ONE)])
    return [Entry(Kron(build.identity(outer), build.ones(inner)), (c, a)),
            Entry(Kron(build.ones(outer), build.identity(inner)), (c, r))]


def _simple(d) -> bool:
    return isinstance(d, (int, str))


def placed(start, count, total) -> Expr:
    """The total x count matrix with I_count from row start + 1 (start 0-based), zeros elsewhere."""
    eye = build.identity(count)
    rest = dims.plus(total, dims.times(-1, dims.plus(start, count)))
    if start == 0 and rest == 0:
        return eye
    if start == 0 and _simple(rest) and _simple(count):  # (a zero's sizes must be written: not 0_{1 x n - 1})
        return VCat((eye, Zeros((rest, count))))
    if rest == 0 and _simple(start) and _simple(count):
        return VCat((Zeros((start, count)), eye))
    return PadRows(eye, start, total)


def _sel(m: Expr, a: str, b: str) -> list:
    """The entry (a, b) of the selection m (I itself is δ_ab)."""
    if isinstance(m, Identity):
        return [Kronecker(a, b)]
    return [Entry(m, (a, b))]


def reshape_terms(tr, e: Expr, idx: tuple) -> list[Term]:
    """L(G)'s entries idx for one reshaping node e that contains the cotangent."""
    t = type(e)
    shape = tr.shape(e)
    row, col = tr.two_d(shape, idx)

    def one(factors, sums, inner):
        parts = [[_term(Fraction(1), (), tuple(factors))]] + inner
        return _with_sums(_distribute(parts), tuple(s for s in sums if s != ONE))

    if t is Vec:
        s = tr.shape(e.arg)
        if len(s) < 2:
            return tr.terms(e.arg, idx if s else ())
        n, m = s
        a, b = tr.fresh(n), tr.fresh(m)
        return one(split(row, m, n, b, a), (a, b), [tr.terms(e.arg, (a, b))])
    if t is Unvec:
        n, m = _rc(shape)
        c = tr.fresh(tr.shape(e.arg)[0])
        return one(split(c, m, n, col, row), (c,), [tr.terms(e.arg, (c,))])
    if t is Kron:
        (p1, p2), (q1, q2) = _rc(tr.shape(e.left)), _rc(tr.shape(e.right))
        a, b, c, d = tr.fresh(p1), tr.fresh(q1), tr.fresh(p2), tr.fresh(q2)
        return one(split(row, p1, q1, a, b) + split(col, p2, q2, c, d), (a, b, c, d),
                   [tr.terms(e.left, _idx(tr.shape(e.left), a, c)), tr.terms(e.right, _idx(tr.shape(e.right), b, d))])
    if t is KronLeft:  # kronleft(G, B)_kl = Σ_rs G_(k,r)(l,s) B_rs
        (n, m), (p, q) = _rc(shape), _rc(tr.shape(e.right))
        gs = tr.shape(e.left)
        c, d, r, s = tr.fresh(_rc(gs)[0]), tr.fresh(_rc(gs)[1]), tr.fresh(p), tr.fresh(q)
        return one(split(c, n, p, row, r) + split(d, m, q, col, s), (c, d, r, s),
                   [tr.terms(e.left, _idx(gs, c, d)), tr.terms(e.right, _idx(tr.shape(e.right), r, s))])
    if t is KronRight:  # kronright(A, G)_kl = Σ_ab A_ab G_(a,k)(b,l)
        (n, m), (p, q) = _rc(tr.shape(e.left)), _rc(shape)
        gs = tr.shape(e.right)
        a, b, c, d = tr.fresh(n), tr.fresh(m), tr.fresh(_rc(gs)[0]), tr.fresh(_rc(gs)[1])
        return one(split(c, n, p, a, row) + split(d, m, q, b, col), (a, b, c, d),
                   [tr.terms(e.left, _idx(tr.shape(e.left), a, b)), tr.terms(e.right, _idx(gs, c, d))])
    if t in (Rows, Cols, PadRows, PadCols):
        s = tr.shape(e.arg)
        axis = 1 if t in (Cols, PadCols) else 0
        big = _rc(s)[axis] if t in (Rows, Cols) else e.total
        count = e.count if t in (Rows, Cols) else _rc(s)[axis]
        sel = placed(e.start, count, big)
        a = tr.fresh(_rc(s)[axis])
        here = row if axis == 0 else col
        factors = _sel(sel, a, here) if t in (Rows, Cols) else _sel(sel, here, a)
        inner = _idx(s, a, col) if axis == 0 else _idx(s, row, a)
        return one(factors, (a,), [tr.terms(e.arg, inner)])
    if t in (VCat, HCat):
        axis = 0 if t is VCat else 1
        total = _rc(shape)[axis]
        offset = 0
        out: list[Term] = []
        for part in e.terms:
            s = tr.shape(part)
            count = _rc(s)[axis]
            a = tr.fresh(count)
            here = row if axis == 0 else col
            factors = _sel(placed(offset, count, total), here, a)
            inner = _idx(s, a, col) if axis == 0 else _idx(s, row, a)
            if len(s) == 1 and axis == 1:
                inner = (row,)
                factors = _sel(placed(offset, count, total), here, ONE) if _is_one(count) else factors
            out += one(factors, (a,), [tr.terms(part, inner)])
            offset = dims.plus(offset, count)
        return out
    raise TypeError(t)


# ---------------------------------------------------------------- Σ_a S_ia A_ak = (S A)_ik

def _structural(e: Expr) -> bool:
    """Made of I, ones, zeros only (a selection, or the product of one with what it picked)."""
    return any(isinstance(n, (Kron, VCat, PadRows, HCat, PadCols)) for n in walk(e)) and \
        all(not isinstance(n, (KronLeft, KronRight, Unvec, Vec)) for n in walk(e))


def _oriented(f: Entry, s: str, first: bool, shapes) -> tuple[Expr, str] | None:
    """f's matrix with s as its column (first) or row (not first), and its other index."""
    shp = shape_of(f.expr, shapes)
    if len(shp) != 2 or len(f.indices) != 2 or f.indices.count(s) != 1:
        return None
    other = f.indices[1] if f.indices[0] == s else f.indices[0]
    at_row = f.indices[0] == s
    m = f.expr
    if first == at_row:  # s must be the column of the first factor, the row of the second
        m = build.transpose(m)
    return m, other


def _kron_fold(a: Expr, b: Expr, shapes) -> Expr:
    """a b, with a selection's Kronecker structure kept: kron(ones(q), I) A = kron(ones(q), A)."""
    def untranspose(x):
        if isinstance(x, Transpose) and isinstance(x.arg, Kron):
            return Kron(build.transpose(x.arg.left), build.transpose(x.arg.right))
        return x
    a, b = untranspose(a), untranspose(b)
    rc = lambda x: _rc(shape_of(x, shapes))
    if isinstance(a, Kron) and isinstance(b, Kron) and rc(a.left)[1] == rc(b.left)[0] \
            and rc(a.right)[1] == rc(b.right)[0]:
        return Kron(build.matmul(a.left, b.left), build.matmul(a.right, b.right))
    if isinstance(a, Kron) and not isinstance(b, Kron):
        if _is_one(rc(a.right)[1]) and isinstance(a.left, Identity):
            return Kron(b, a.right)
        if _is_one(rc(a.left)[1]) and isinstance(a.right, Identity):
            return Kron(a.left, b)
    if isinstance(b, Kron) and not isinstance(a, Kron):
        if _is_one(rc(b.right)[0]) and isinstance(b.left, Identity):
            return Kron(a, b.right)
        if _is_one(rc(b.left)[0]) and isinstance(b.right, Identity):
            return Kron(b.left, a)
    return MatMul((a, b))


def merge_selections(terms: list[Term], shapes: dict, simplify, rank: dict | None = None) -> list[Term]:
    """Each sum over an index that only a selection and one other matrix entry share, as one entry."""
    out = []
    for t in terms:
        sums, factors = list(t.sums), list(t.factors)
        changed = True
        while changed:
            changed = False
            for s in sums:
                users = [n for n, f in enumerate(factors) if s in indices_of(f)]
                if len(users) != 2 or not all(isinstance(factors[n], Entry) for n in users):
                    continue
                f, g = factors[users[0]], factors[users[1]]
                if not (_structural(f.expr) or _structural(g.expr)):
                    continue
                left, right = _oriented(f, s, True, shapes), _oriented(g, s, False, shapes)
                if left is None or right is None or left[1] == right[1]:
                    continue
                product, pair = _kron_fold(left[0], right[0], shapes), (left[1], right[1])
                if rank and rank.get(pair[0], 99) > rank.get(pair[1], 99):  # the free indices in order
                    product, pair = _kron_fold(build.transpose(right[0]), build.transpose(left[0]), shapes), pair[::-1]
                merged = Entry(simplify(product), pair)
                factors = [x for n, x in enumerate(factors) if n not in users] + [merged]
                sums.remove(s)
                changed = True
                break
        if rank:  # a selection's entry with its free indices in order: padcols(I_c, i, N)_ik, not padrows(…)_ki
            factors = [_flipped(f, rank) for f in factors]
        out.append(Term(t.coef, tuple(sums), tuple(factors)))
    return out


def _flipped(f, rank: dict):
    if not (isinstance(f, Entry) and len(f.indices) == 2 and ONE not in f.indices):
        return f
    a, b = f.indices
    if a == b or rank.get(a, 99) <= rank.get(b, 99) or max(rank.get(a, 99), rank.get(b, 99)) >= 99:
        return f
    e = f.expr
    if isinstance(e, PadRows) and not isinstance(e, PadCols) and isinstance(e.arg, Identity):
        return Entry(PadCols(e.arg, e.start, e.total), (b, a))
    if isinstance(e, VCat) and all(isinstance(x, (Identity, Zeros)) for x in e.terms):
        parts = tuple(x if isinstance(x, Identity) else Zeros(x.dims[::-1]) for x in e.terms)
        return Entry(HCat(parts), (b, a))
    return f


__all__ = ["RESHAPES", "merge_selections", "rename", "reshape_terms"]
