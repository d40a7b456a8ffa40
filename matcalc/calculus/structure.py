"""The simplifier's rules for the structure of batches (issue 12): blocks of concatenations, Kronecker
products and their adjoints, vec and unvec, matrix powers, the row-wise softmax.

A mixin of :class:`matcalc.calculus.simplify.Simplifier` (``_<Node>`` methods, dispatched by class);
each rewrite keeps the value and the shape.
"""
from __future__ import annotations

from ..core import build, dims
from ..core.build import rebuild
from ..core.nodes import (
    Add,
    Cols,
    Div,
    ElemDiv,
    ElemPower,
    Expr,
    Func,
    Hadamard,
    HCat,
    Identity,
    Kron,
    MatMul,
    MatPower,
    Neg,
    Ones,
    PadCols,
    PadRows,
    Rows,
    Scale,
    Softmax,
    Transpose,
    Unvec,
    VCat,
    Vec,
)


class StructureRules:
    """Rewrites of blocks, Kronecker products, vec and unvec (needs ``shape`` and ``is_scalar``)."""

    def _Rows(self, e) -> Expr:
        return self._block(e, 0)

    def _Cols(self, e) -> Expr:
        return self._block(e, 1)

    def _block(self, e, axis: int) -> Expr:
        """rows(X, i, j) of a concatenation is the part there; it goes into sums, scalings, elementwise
        functions, the first (last) factor of a product and, as cols, into a transpose."""
        a, cls = e.arg, type(e)
        cat, pad = (VCat, PadRows) if axis == 0 else (HCat, PadCols)
        if isinstance(a, cat):
            offset = 0
            for t in a.terms:
                shape = self.shape(t)
                count = (shape[0] if shape else 1) if axis == 0 else (shape[1] if len(shape) == 2 else 1)
                if offset == e.start and count == e.count:
                    return t
                offset = dims.plus(offset, count)
            return e
        if isinstance(a, pad) and a.start == e.start and self.shape(a.arg) == self.shape(e):
            return a.arg
        if isinstance(a, Transpose):
            other = Cols if axis == 0 else Rows
            return build.transpose(other(a.arg, e.start, e.count))
        if isinstance(a, Scale) and self.is_scalar(a.left):
            return build.scale(a.left, cls(a.right, e.start, e.count))
        if isinstance(a, Neg):
            return build.neg(cls(a.arg, e.start, e.count))
        if isinstance(a, MatMul):
            if axis == 0:
                return build.matmul(cls(a.terms[0], e.start, e.count), *a.terms[1:])
            return build.matmul(*a.terms[:-1], cls(a.terms[-1], e.start, e.count))
        if isinstance(a, (Add, Hadamard, ElemDiv, Func, ElemPower, Div)):
            whole = self.shape(a)
            kids = [cls(k, e.start, e.count) if self.shape(k) == whole else k if self.is_scalar(k) else None
                    for k in a.args]
            if all(k is not None for k in kids):
                return rebuild(a, kids)
        return e

    def _KronLeft(self, e) -> Expr:
        g, b = e.left, e.right
        if isinstance(g, Kron) and self.shape(g.right) == self.shape(b):  # kronleft(P ⊗ Q, B) = <Q, B> P
            return build.scale(self._inner(g.right, b), g.left)
        if isinstance(g, Identity) and len(self.shape(b)) == 2:  # kronleft(I, B) = tr(B) I
            return build.scale(build.trace(b), build.identity(self.shape(e)[0]))
        return e

    def _KronRight(self, e) -> Expr:
        a, g = e.left, e.right
        if isinstance(g, Kron) and self.shape(g.left) == self.shape(a):  # kronright(A, P ⊗ Q) = <A, P> Q
            return build.scale(self._inner(a, g.left), g.right)
        if isinstance(g, Identity) and len(self.shape(a)) == 2:  # kronright(A, I) = tr(A) I
            return build.scale(build.trace(a), build.identity(self.shape(e)[0]))
        return e

    def _inner(self, a: Expr, b: Expr) -> Expr:
        """<a, b>: aᵀ b for vectors, tr(aᵀ b) for matrices."""
        if len(self.shape(a)) < 2:
            return build.matmul(build.transpose(a), b)
        return build.trace(build.matmul(build.transpose(a), b))

    def _Kron(self, e) -> Expr:
        a, b = e.left, e.right
        if isinstance(a, Identity) and isinstance(b, Identity):  # I ⊗ I = I
            return build.identity(self.shape(e)[0])
        if self.is_scalar(a) or self.is_scalar(b):  # c ⊗ B = c B
            return build.scale(a, b) if self.is_scalar(a) else build.scale(b, a)
        return e

    def _Unvec(self, e) -> Expr:
        # unvec(vec(X), n, m) = X, through elementwise operations: unvec(exp(vec(X)) - 2 vec(Y)) = exp(X) - 2 Y
        inner = self._unvec_of(e.arg, self.shape(e))
        return e if inner is None else inner

    def _unvec_of(self, a: Expr, shape: tuple) -> Expr | None:
        t = type(a)
        if t is Vec:
            return a.arg if self.shape(a.arg) == shape else None
        if t in (Add, Hadamard, ElemDiv, Neg, Func, ElemPower, Scale, Div):
            kids = []
            for k in a.args:
                if self.is_scalar(k):
                    kids.append(k)
                    continue
                inner = self._unvec_of(k, shape)
                if inner is None:
                    return None
                kids.append(inner)
            return rebuild(a, kids)
        return None

    def _Vec(self, e) -> Expr:
        a = e.arg
        if isinstance(a, Unvec):  # vec(unvec(v, n, m)) = v
            return a.arg
        return e


def _row_softmax(terms: list, shape) -> Expr | None:
    """(c ./ (exp(Z) 1)) 1ᵀ ⊙ exp(Z) = (c 1ᵀ) ⊙ softmax(Z): the gradient of a row-wise log-sum-exp."""
    for i, t in enumerate(terms):
        if not (isinstance(t, Func) and t.name == "exp" and t.order == 0 and len(shape(t)) == 2):
            continue
        sums = MatMul((t, Ones(shape(t)[1])))
        for j, f in enumerate(terms):
            if not (isinstance(f, MatMul) and len(f.terms) == 2 and isinstance(f.terms[1], Transpose)
                    and isinstance(f.terms[1].arg, Ones)):
                continue
            c = f.terms[0]
            if isinstance(c, ElemDiv) and c.right == sums:
                rest = c.left
            elif isinstance(c, Hadamard) and ElemDiv(build.ONE, sums) in c.terms:
                k = c.terms.index(ElemDiv(build.ONE, sums))
                rest = build.hadamard(*c.terms[:k], *c.terms[k + 1:])
            else:
                continue
            others = [x for k, x in enumerate(terms) if k not in (i, j)]
            spread = build.matmul(rest, f.terms[1]) if not build.is_one(rest) else None
            parts = [p for p in (spread, *others) if p is not None]
            return build.hadamard(*parts, Softmax(t.arg)) if parts else Softmax(t.arg)
    return None


def _power_parts(f: Expr) -> tuple[Expr, int, bool]:
    """(X, k, transposed) for X, Xᵀ, X^k, (X^k)ᵀ."""
    transposed = isinstance(f, Transpose)
    if transposed:
        f = f.arg
    if isinstance(f, MatPower):
        return f.left, int(f.right.value), transposed
    return f, 1, transposed


def _merged_powers(a: Expr, b: Expr) -> Expr | None:
    """X^p X^q = X^{p+q} (and of transposes), where one of them is a matrix power already."""
    if not (isinstance(a, MatPower) or isinstance(b, MatPower) or isinstance(getattr(a, "arg", None), MatPower)
            or isinstance(getattr(b, "arg", None), MatPower)):
        return None
    (x, p, s), (y, q, t) = _power_parts(a), _power_parts(b)
    if x != y or s != t:
        return None
    power = MatPower(x, build.number(p + q))
    return build.transpose(power) if s else power


def _rows(shape: tuple):
    return shape[0] if shape else 1


def _cols(shape: tuple):
    return shape[1] if len(shape) == 2 else 1
