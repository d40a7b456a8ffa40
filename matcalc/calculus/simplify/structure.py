"""The structure of batches: blocks of concatenations, Kronecker products and their adjoints,
vec and unvec, matrix powers, the row-wise softmax, 1ᵀ 1 = n.

Each rewrite keeps the value and the shape; its docstring is its identity. The block rewrites
serve both rows(X, i, j) and cols(X, i, j) (``Rows`` and its subclass ``Cols``).
"""
from __future__ import annotations

from ...core import build, dims
from ...core.build import rebuild
from ...core.nodes import (
    Add, Cols, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, HCat, Identity, Kron, KronLeft, MatMul, MatPower, Neg, Ones,
    PadCols, PadRows, Rows, Scale, Size, Softmax, Sum, Transpose, Unvec, VCat, Vec,
)


# ---------------------------------------------------------------- blocks  rows(X, i, j), cols(X, i, j)
def _axis(e: Rows) -> int:
    return 1 if isinstance(e, Cols) else 0


def block_of_concatenation(e: Rows, s) -> Expr | None:
    """rows([A; B], 1, n) = A: the block of a concatenation (or of a padding) that is one of its parts"""
    a, axis = e.arg, _axis(e)
    cat, pad = (VCat, PadRows) if axis == 0 else (HCat, PadCols)
    if isinstance(a, cat):
        offset = 0
        for t in a.terms:
            shape = s.shape(t)
            count = (shape[0] if shape else 1) if axis == 0 else (shape[1] if len(shape) == 2 else 1)
            if offset == e.start and count == e.count:
                return t
            offset = dims.plus(offset, count)
        return None
    if isinstance(a, pad) and a.start == e.start and s.shape(a.arg) == s.shape(e):
        return a.arg
    return None


def block_of_ones(e: Rows, s) -> Expr | None:
    """rows(1_N, i, j) = 1_{j-i+1}: a block of the ones is ones (rows(ones(m + n), 1, n) = ones(n)), and one
    row of them the number 1 (as one row of a vector is its entry, a scalar)"""
    if _axis(e) != 0 or not isinstance(e.arg, Ones) or e.count is None:
        return None
    return build.ONE if e.count == 1 else Ones(e.count)


def block_of_transpose(e: Rows, s) -> Expr | None:
    """rows(Xᵀ, i, j) = cols(X, i, j)ᵀ (and cols of a transpose, rows)"""
    a = e.arg
    if isinstance(a, Transpose):
        other = Cols if _axis(e) == 0 else Rows
        return build.transpose(other(a.arg, e.start, e.count))
    return None


def block_of_parts(e: Rows, s) -> Expr | None:
    """rows(c A + exp(B), i, j) = c rows(A, i, j) + exp(rows(B, i, j)): into sums, scalings, signs,
    elementwise operations and the first factor of a product (cols: the last)"""
    a, cls = e.arg, type(e)
    if isinstance(a, Scale) and s.is_scalar(a.left):
        return build.scale(a.left, cls(a.right, e.start, e.count))
    if isinstance(a, Neg):
        return build.neg(cls(a.arg, e.start, e.count))
    if isinstance(a, MatMul):
        if _axis(e) == 0:
            return build.matmul(cls(a.terms[0], e.start, e.count), *a.terms[1:])
        return build.matmul(*a.terms[:-1], cls(a.terms[-1], e.start, e.count))
    if isinstance(a, (Add, Hadamard, ElemDiv, Func, ElemPower, Div)):
        whole = s.shape(a)
        kids = [cls(k, e.start, e.count) if s.shape(k) == whole else k if s.is_scalar(k) else None
                for k in a.args]
        if all(k is not None for k in kids):
            return rebuild(a, kids)
    return None


# ---------------------------------------------------------------- Kronecker products and their adjoints
def _inner(a: Expr, b: Expr, s) -> Expr:
    """<a, b>: aᵀ b for vectors, tr(aᵀ b) for matrices."""
    if len(s.shape(a)) < 2:
        return build.matmul(build.transpose(a), b)
    return build.trace(build.matmul(build.transpose(a), b))


def kronleft_of_kron(e, s) -> Expr | None:
    """kronleft(P ⊗ Q, B) = <Q, B> P"""
    g, b = e.left, e.right
    if isinstance(g, Kron) and s.shape(g.right) == s.shape(b):
        return build.scale(_inner(g.right, b, s), g.left)
    return None


def kronleft_of_identity(e, s) -> Expr | None:
    """kronleft(I, B) = tr(B) I"""
    g, b = e.left, e.right
    if isinstance(g, Identity) and len(s.shape(b)) == 2:
        return build.scale(build.trace(b), build.identity(s.shape(e)[0]))
    return None


def kron_adjoint_of_ones(e, s) -> Expr | None:
    """kronleft(c 1_{pq}, B) = c sum(B) 1_p and kronright(A, c 1_{pq}) = c sum(A) 1_q: each block of the
    ones is ones, whose inner product with B is sum(B) (the gradient of sum(kron(x, z)) by x is sum(z) 1)"""
    g, other = (e.left, e.right) if isinstance(e, KronLeft) else (e.right, e.left)
    coefficient, divisor = None, None
    if isinstance(g, Scale) and s.is_scalar(g.left):
        coefficient, g = g.left, g.right
    elif isinstance(g, Div) and s.is_scalar(g.right):
        g, divisor = g.left, g.right
    shape = s.shape(e)
    if not build.all_ones(g) or s.is_scalar(other) or None in shape:  # (n n n / n n: sizes the shapes do not divide)
        return None
    out = build.scale(Sum(other), build.ones_of(shape))
    if coefficient is not None:
        out = build.scale(coefficient, out)
    return build.div(out, divisor) if divisor is not None else out


def kron_adjoint_of_vec(e, s) -> Expr | None:
    """kronleft(vec(M), b) = Mᵀ b and kronright(a, vec(M)) = M a for vectors a, b: kron(a, b) = vec(b aᵀ), so
    <vec(M), kron(a, b)> = aᵀ Mᵀ b (the gradient of tr(unvec(kron(x, x), n, n)) = xᵀ x is 2 x)"""
    left = isinstance(e, KronLeft)
    g, other = (e.left, e.right) if left else (e.right, e.left)
    if not isinstance(g, Vec) or len(s.shape(other)) != 1 or len(s.shape(e)) != 1:
        return None
    if s.shape(g.arg) != ((s.shape(other)[0], s.shape(e)[0]) if left else (s.shape(e)[0], s.shape(other)[0])):
        return None
    return build.matmul(build.transpose(g.arg), other) if left else build.matmul(g.arg, other)


def kronright_of_kron(e, s) -> Expr | None:
    """kronright(A, P ⊗ Q) = <A, P> Q"""
    a, g = e.left, e.right
    if isinstance(g, Kron) and s.shape(g.left) == s.shape(a):
        return build.scale(_inner(a, g.left, s), g.right)
    return None


def kronright_of_identity(e, s) -> Expr | None:
    """kronright(A, I) = tr(A) I"""
    a, g = e.left, e.right
    if isinstance(g, Identity) and len(s.shape(a)) == 2:
        return build.scale(build.trace(a), build.identity(s.shape(e)[0]))
    return None


def kron_of_identities(e: Kron, s) -> Expr | None:
    """I ⊗ I = I"""
    if isinstance(e.left, Identity) and isinstance(e.right, Identity):
        return build.identity(s.shape(e)[0])
    return None


def kron_of_scalar(e: Kron, s) -> Expr | None:
    """c ⊗ B = c B (and A ⊗ c = c A), c a scalar"""
    a, b = e.left, e.right
    if s.is_scalar(a):
        return build.scale(a, b)
    if s.is_scalar(b):
        return build.scale(b, a)
    return None


def _kron_of_transpose(f: Expr) -> Expr:
    """(C ⊗ D)ᵀ as Cᵀ ⊗ Dᵀ (any other factor as it is)."""
    if isinstance(f, Transpose) and isinstance(f.arg, Kron):
        return Kron(build.transpose(f.arg.left), build.transpose(f.arg.right))
    return f


def _rows(shape: tuple):
    return shape[0] if shape else 1


def _cols(shape: tuple):
    return shape[1] if len(shape) == 2 else 1


def kron_times_kron(terms: list, i: int, s) -> Expr | None:
    """(A ⊗ B)(C ⊗ D) = A C ⊗ B D, the sizes fitting (and of transposes, (C ⊗ D)ᵀ = Cᵀ ⊗ Dᵀ)"""
    a, b = _kron_of_transpose(terms[i]), _kron_of_transpose(terms[i + 1])
    if isinstance(a, Kron) and isinstance(b, Kron) and \
            s.shape(build.transpose(a.left))[:1] == s.shape(b.left)[:1] and \
            _cols(s.shape(a.left)) == _rows(s.shape(b.left)) and \
            _cols(s.shape(a.right)) == _rows(s.shape(b.right)):
        return build.matmul(*terms[:i], Kron(build.matmul(a.left, b.left), build.matmul(a.right, b.right)),
                            *terms[i + 2:])
    return None


# ---------------------------------------------------------------- vec and unvec
def _unvec_of(a: Expr, shape: tuple, s) -> Expr | None:
    t = type(a)
    if t is Vec:
        return a.arg if s.shape(a.arg) == shape else None
    if t is Ones and len(shape) == 2:
        return build.matmul(Ones(shape[0]), build.transpose(Ones(shape[1])))
    if t in (Add, Hadamard, ElemDiv, Neg, Func, ElemPower, Scale, Div):
        kids = []
        for k in a.args:
            if s.is_scalar(k):
                kids.append(k)
                continue
            inner = _unvec_of(k, shape, s)
            if inner is None:
                return None
            kids.append(inner)
        return rebuild(a, kids)
    return None


def unvec_of_vec(e: Unvec, s) -> Expr | None:
    """unvec(vec(X), n, m) = X, also through elementwise operations: unvec(exp(vec(X)) - 2 vec(Y)) = exp(X) - 2 Y
    (and unvec(vec(X) + 1_{nm}) = X + 1_n 1_mᵀ)"""
    return _unvec_of(e.arg, s.shape(e), s)


def unvec_of_ones(e: Unvec, s) -> Expr | None:
    """unvec(1_{nm}, n, m) = 1_n 1_mᵀ: the ones of n m entries, as a matrix, the n x m matrix of ones"""
    if isinstance(e.arg, Ones) and e.rows is not None and e.cols is not None:
        return build.matmul(Ones(e.rows), build.transpose(Ones(e.cols)))
    return None


def unvec_of_kron(e: Unvec, s) -> Expr | None:
    """unvec(kron(a, b), n, m) = b aᵀ for vectors a (m) and b (n): kron(a, b) = vec(b aᵀ)"""
    k = e.arg
    if isinstance(k, Kron) and len(s.shape(k.left)) == 1 and len(s.shape(k.right)) == 1 \
            and s.shape(k.right)[0] == e.rows and s.shape(k.left)[0] == e.cols:
        return build.matmul(k.right, build.transpose(k.left))
    return None


def vec_of_unvec(e: Vec, s) -> Expr | None:
    """vec(unvec(v, n, m)) = v"""
    return e.arg.arg if isinstance(e.arg, Unvec) else None


# ---------------------------------------------------------------- products
def ones_times_ones(terms: list, i: int, s) -> Expr | None:
    """1ᵀ 1 = n, the size of the ones (a number when fixed)"""
    a, b = terms[i], terms[i + 1]
    if isinstance(a, Transpose) and isinstance(a.arg, Ones) and isinstance(b, Ones) \
            and a.arg.dim == b.dim and a.arg.dim is not None:
        n = build.number(b.dim) if isinstance(b.dim, int) else Size(b.dim)
        rest = terms[:i] + terms[i + 2:]
        return build.scale(n, build.matmul(*rest)) if rest else n
    return None


def _power_parts(f: Expr) -> tuple[Expr, int, bool]:
    """(X, k, transposed) for X, Xᵀ, X^k, (X^k)ᵀ."""
    transposed = isinstance(f, Transpose)
    if transposed:
        f = f.arg
    if isinstance(f, MatPower):
        return f.left, int(f.right.value), transposed
    return f, 1, transposed


def powers_merged(terms: list, i: int, s) -> Expr | None:
    """X X² = X³ (and (X²)ᵀ Xᵀ = (X³)ᵀ), one of them a matrix power already"""
    a, b = terms[i], terms[i + 1]
    if not (isinstance(a, MatPower) or isinstance(b, MatPower) or isinstance(getattr(a, "arg", None), MatPower)
            or isinstance(getattr(b, "arg", None), MatPower)):
        return None
    (x, p, ta), (y, q, tb) = _power_parts(a), _power_parts(b)
    if x != y or ta != tb:
        return None
    power = MatPower(x, build.number(p + q))
    return build.matmul(*terms[:i], build.transpose(power) if ta else power, *terms[i + 2:])


# ---------------------------------------------------------------- the row-wise softmax
def row_softmax(e: Hadamard, s) -> Expr | None:
    """(c ./ (exp(Z) 1)) 1ᵀ ⊙ exp(Z) = (c 1ᵀ) ⊙ softmax(Z): the gradient of a row-wise log-sum-exp"""
    terms = e.terms
    for i, t in enumerate(terms):
        if not (isinstance(t, Func) and t.name == "exp" and t.order == 0 and len(s.shape(t)) == 2):
            continue
        sums = MatMul((t, Ones(s.shape(t)[1])))
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
