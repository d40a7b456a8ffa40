"""Reading a Jacobian off a vector-Jacobian product: the A in L(G) = A G.

The engine differentiates a vector function F with a symbolic cotangent G (shape of F); the
result is L(G) = Jᵀ G. :func:`linear_coefficient` finds A = Jᵀ where L(G) is visibly of that
form; elsewhere the derivative stays a generalized Jacobian (index notation).
"""
from __future__ import annotations

from ..core import build, limits
from ..core.nodes import (
    Add, Diag, Div, ElemDiv, Expr, Hadamard, Identity, Kron, MatMul, Neg, PadRows, Rows, Scale, Sum, Symbol,
    Transpose, Unvec, VCat, Vec, fold, walk,
)
from .rules import Context


def linear_coefficient(e: Expr, g: str, ctx: Context, n) -> Expr | None:
    """A with e = A G, for e linear in the vector G (n entries); a row for a scalar e.

    None where e is not visibly of that form (the caller falls back to index notation).
    """
    G = Symbol(g)
    has: dict[Expr, bool] = {}
    fold(e, lambda node, kids: node == G or any(kids), has)
    ident = build.identity(n)

    found: dict[Expr, Expr | None] = {}

    def coef(x: Expr) -> Expr | None:
        """A for one node: computed below, children first (so no recursion, each node once)."""
        if x == G:
            return ident
        if not has.get(x, False):
            return build.ZERO
        return found[x]

    def local(x: Expr) -> Expr | None:
        t = type(x)
        if t is Add:
            parts = [coef(a) for a in x.terms if has.get(a, False)]
            if any(p is None for p in parts):
                return None
            shape = ctx.shape(x)
            if shape:  # a scalar term is added to every entry: its row of coefficients, once per entry
                ones = build.ones(shape[0])
                parts = [build.matmul(ones, p) if ctx.is_scalar(a) else p
                         for a, p in zip([a for a in x.terms if has.get(a, False)], parts)]
            return build.add(*parts)
        if t is Neg:
            c = coef(x.arg)
            return None if c is None else build.neg(c)
        if t is Scale:
            if not has.get(x.left, False):
                c = coef(x.right)
                return None if c is None else build.scale(x.left, c)
            if not has.get(x.right, False):  # (r G) v = v r G
                c = coef(x.left)
                return None if c is None else build.matmul(x.right, c) if not ctx.is_scalar(x.right) \
                    else build.scale(x.right, c)
            return None
        if t is Div and not has.get(x.right, False):
            c = coef(x.left)
            return None if c is None else build.div(c, x.right)
        if t is Hadamard:
            inside = [a for a in x.terms if has.get(a, False)]
            if len(inside) != 1:
                return None
            others = [a for a in x.terms if not has.get(a, False)]
            c = coef(inside[0])
            return None if c is None else build.matmul(build.diag(build.hadamard(*others)), c)
        if t is ElemDiv and not has.get(x.right, False):
            c = coef(x.left)
            return None if c is None else build.matmul(build.diag(build.elemdiv(build.ONE, x.right)), c)
        if t is Sum:
            c = coef(x.arg)
            if c is None or len(ctx.shape(x.arg)) != 1:
                return None
            return build.matmul(build.transpose(build.ones(ctx.shape(x.arg)[0])), c)
        if t is Transpose and len(ctx.shape(x)) != 2:
            return coef(x.arg) if ctx.is_scalar(x) else None
        if t in (Rows, PadRows) and len(ctx.shape(x)) == 1:  # rows(A G) = rows(A) G; padrows(A G) = padrows(A) G
            c = coef(x.arg)
            if isinstance(c, Identity):  # the selection itself: [I; 0_{m x n}] (see index_reshape.placed)
                from .index_reshape import placed
                n = ctx.shape(x.arg)[0]
                return build.transpose(placed(x.start, x.count, n)) if t is Rows else placed(x.start, n, x.total)
            return None if c is None else t(c, x.start, x.count if t is Rows else x.total)
        if t is VCat and all(len(ctx.shape(a)) == 1 for a in x.terms):  # [A G; B G] = [A; B] G
            parts = [coef(a) for a in x.terms]
            if any(p is None for p in parts) or any(p == build.ZERO for p in parts):
                return None
            return VCat(tuple(parts))
        if t is Vec:
            return _vec_coefficient(x.arg, coef, ctx)
        if t is MatMul:
            inside = [i for i, a in enumerate(x.terms) if has.get(a, False)]
            if len(inside) != 1:
                return None
            i = inside[0]
            left, mid, right = x.terms[:i], x.terms[i], x.terms[i + 1:]
            if not right:
                c = coef(mid)
                return None if c is None else build.matmul(*left, c)
            # mid is a row or a matrix linear in G, followed by constants
            if isinstance(mid, Transpose) and len(ctx.shape(mid.arg)) == 1:
                # Gᵀ-like row (A G)ᵀ times the column r: a scalar rᵀ A G
                c = coef(mid.arg)
                r = build.matmul(*right)
                if c is None or len(ctx.shape(r)) != 1 or left:
                    return None
                return build.matmul(build.transpose(r), c)
            if isinstance(mid, Diag):  # diag(v) r = diag(r) v
                c = coef(mid.arg)
                r = build.matmul(*right)
                if c is None or len(ctx.shape(r)) != 1:
                    return None
                return build.matmul(*left, build.diag(r), c)
            return None
        return None

    for x in walk(e):  # children before parents: every coef(child) asked for is known
        if has.get(x, False) and x != G:
            limits.check_time()
            found[x] = local(x)
    result = coef(e)
    if result is None or result == build.ZERO and has.get(e, False):
        return None
    return result


def _vec_coefficient(m: Expr, coef, ctx: Context) -> Expr | None:
    """A with vec(m) = A G: vec(L unvec(y) R) = (Rᵀ ⊗ L) y, the textbook identity."""
    if len(ctx.shape(m)) < 2:
        return coef(m)
    terms = list(m.terms) if isinstance(m, MatMul) else [m]
    at = [i for i, f in enumerate(terms) if isinstance(f, Unvec)]
    if len(at) != 1:
        return None
    i = at[0]
    u = terms[i]
    c = coef(u.arg)
    if c is None:
        return None
    left = build.matmul(*terms[:i]) if i else build.identity(u.rows)
    right = build.matmul(*terms[i + 1:]) if terms[i + 1:] else build.identity(u.cols)
    return build.matmul(build.transpose(Kron(right, build.transpose(left))), c)  # (R ⊗ Lᵀ)ᵀ: J reads R ⊗ Lᵀ
