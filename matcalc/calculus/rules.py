"""The derivative table: one vector-Jacobian product per node class.

A rule receives the node, the cotangent ``g`` of the node (the upstream gradient,
with the node's shape) and a :class:`Context` that knows shapes; it returns one
cotangent per entry of ``node.args`` (``None`` where there is none). The docstring
of each rule is its math, in the differential form d<G, F> = <·, dA> + ….
Derivatives of named elementwise functions come from SymPy (:mod:`matcalc.core.symbolic`).
"""
from __future__ import annotations

from typing import Callable

from ..core import build, dims
from ..core.dims import is_one
from ..core.errors import DerivativeError, MissingRuleError
from ..core.functions import FUNCTIONS
from ..core.lazy import LazyModule
from ..core.nodes import (
    Add, Delta, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Entry, Expr, Func, Hadamard, Identity, IndexSum,
    Inverse, LogDet, LogSoftmax, MatMul, Max, Min, Neg, Norm, Number, Power, Scale, Softmax, Sum, Tensor,
    Trace, Transpose, Zeros,
)

from ..core.nodes import Cols, HCat, PadCols, PadRows, Rows, VCat
from ..core.nodes import ArgMax, ArgMin, Kron, KronLeft, KronRight, Largest, MatPower, Smallest, Unvec, Vec

symbolic = LazyModule("matcalc.core.symbolic")

Rule = Callable[[Expr, Expr, "Context"], tuple]
RULES: dict[type, Rule] = {}


def vjp(cls: type):
    """Register the rule for one node class; a second rule for the same class is refused."""

    def register(fn: Rule) -> Rule:
        if cls in RULES:
            raise RuntimeError(f"a derivative rule for {cls.__name__} exists already")
        RULES[cls] = fn
        return fn

    return register


def rule_for(node: Expr) -> Rule:
    try:
        return RULES[type(node)]
    except KeyError:
        raise MissingRuleError(f"no derivative rule for {type(node).__name__}") from None


class Context:
    """Shapes, and products that know a scalar from a matrix."""

    def __init__(self, shape: Callable[[Expr], tuple]):
        self.shape = shape
        self.needed: dict[Expr, bool] | None = None
        """node -> whether its cotangent is wanted (set by the backward pass); None: all are"""

    def wanted(self, e: Expr) -> bool:
        """Whether the cotangent of e is wanted (a rule may give None for one that is not)."""
        return self.needed is None or self.needed.get(e, True)

    def is_scalar(self, e: Expr) -> bool:
        return self.shape(e) == ()

    def mul(self, *factors: Expr) -> Expr:
        """The product in order, scalars pulled out as a coefficient (they commute)."""
        scalars, others = [], []
        for f in factors:
            (scalars if self.shape(f) == () else others).append(f)
        if len(scalars) > 1 and isinstance(scalars[0], Scale):
            # an upstream product of scalars takes the new factors in front: the chain stays
            # right-nested (c (d (e …))), which the simplifier would otherwise rotate link by link
            scalars = scalars[1:] + scalars[:1]
        acc = build.matmul(*others) if others else (scalars.pop() if scalars else build.ONE)
        for c in reversed(scalars):
            acc = build.scale(c, acc)
        return acc

    def times(self, g: Expr, d: Expr) -> Expr:
        """g ⊙ d, or a scaling where either side is a scalar."""
        if self.is_scalar(g) or self.is_scalar(d):
            return self.mul(g, d) if self.is_scalar(g) else self.mul(d, g)
        return build.hadamard(g, d)

    def inner(self, a: Expr, b: Expr) -> Expr:
        """<a, b>: a b for scalars, aᵀ b for vectors, tr(aᵀ b) for matrices."""
        s = self.shape(a)
        if s == ():
            return self.mul(a, b)
        if len(s) == 1:
            return build.matmul(build.transpose(a), b)
        return build.trace(build.matmul(build.transpose(a), b))

    def ones_like(self, e: Expr) -> Expr:
        s = self.shape(e)
        if s == ():
            return build.ONE
        if len(s) == 1:
            return build.ones(s[0])
        if is_one(s[0]):  # a row: 1^T
            return build.transpose(build.ones(s[1]))
        return build.matmul(build.ones(s[0]), build.transpose(build.ones(s[1])))

    def identity_for(self, e: Expr) -> Expr:
        return build.identity(self.shape(e)[0])


def derivative_of_function(node: Func, ctx: Context) -> Expr:
    """f'(z) for a generic f; the sympy derivative of a named function, in the language."""
    if node.name in FUNCTIONS:
        return symbolic.derivative_tree(node.name, node.order + 1, node.arg, ctx.is_scalar(node.arg))
    return Func(node.name, node.arg, node.order + 1)


# ---------------------------------------------------------------- the rules

@vjp(Neg)
def _neg(node: Neg, g: Expr, ctx: Context):
    """d<G, -A> = <-G, dA>"""
    return (build.neg(g),)


@vjp(Transpose)
def _transpose(node: Transpose, g: Expr, ctx: Context):
    """d<G, Aᵀ> = <Gᵀ, dA>  (a product's transpose distributed at once: (xᵀ Aᵀ)ᵀ is A x)"""
    if isinstance(g, MatMul):
        return (build.matmul(*[build.transpose(t) for t in reversed(g.terms)]),)
    return (build.transpose(g),)


@vjp(Add)
def _add(node: Add, g: Expr, ctx: Context):
    """d<G, A + B> = <G, dA> + <G, dB>  (a scalar added to every entry gets sum(G))"""
    return tuple(None if isinstance(t, Number) else g for t in node.terms)


SHARED_FROM = 8
"""Products of more factors than this get the cotangents of their factors from shared prefix
and suffix products (linear in the number of factors, not quadratic)."""


def _prefixes(terms, combine) -> list:
    """[None, t0, t0 t1, …]: the product of the factors before each one, each built on the last."""
    out = [None]
    for t in terms[:-1]:
        out.append(t if out[-1] is None else combine(out[-1], t))
    return out


@vjp(MatMul)
def _matmul(node: MatMul, g: Expr, ctx: Context):
    """d<G, A B C> = <Aᵀ… G …Cᵀ, dB> for each factor"""
    out = []
    terms = node.terms
    if len(terms) > SHARED_FROM:  # (A B)ᵀ G (D E)ᵀ with the prefixes A B and suffixes D E shared
        before = _prefixes(terms, build.matmul)
        after = _prefixes(terms[::-1], lambda acc, t: build.matmul(t, acc))[::-1]
        return tuple(ctx.mul(*([] if p is None else [build.transpose(p)]), g,
                             *([] if q is None else [build.transpose(q)])) for p, q in zip(before, after))
    for i in range(len(terms)):
        if not ctx.wanted(terms[i]):
            out.append(None)
            continue
        left = [build.transpose(t) for t in reversed(terms[:i])]
        right = [build.transpose(t) for t in reversed(terms[i + 1:])]
        out.append(ctx.mul(*left, g, *right))
    return tuple(out)


@vjp(Scale)
def _scale(node: Scale, g: Expr, ctx: Context):
    """d<G, c A> = <G, A> dc + <c G, dA>"""
    c, a = node.left, node.right
    dc = None if isinstance(c, Number) or not ctx.wanted(c) else ctx.inner(g, a)
    return dc, ctx.mul(c, g) if ctx.wanted(a) else None


@vjp(Hadamard)
def _hadamard(node: Hadamard, g: Expr, ctx: Context):
    """d<G, A ⊙ B> = <G ⊙ B, dA> + <G ⊙ A, dB>"""
    terms = node.terms
    if len(terms) > SHARED_FROM:  # G ⊙ (A ⊙ B) ⊙ (D ⊙ E), the products before and after shared
        before = _prefixes(terms, build.hadamard)
        after = _prefixes(terms[::-1], build.hadamard)[::-1]
        return tuple(build.hadamard(g, *(x for x in (p, q) if x is not None)) for p, q in zip(before, after))
    return tuple(build.hadamard(g, *terms[:i], *terms[i + 1:]) if ctx.wanted(terms[i]) else None
                 for i in range(len(terms)))


@vjp(Div)
def _div(node: Div, g: Expr, ctx: Context):
    """d<G, A / c> = <G / c, dA> - <G, A> / c² dc"""
    a, c = node.left, node.right
    dc = None if isinstance(c, Number) else build.neg(build.div(ctx.inner(g, a), build.power(c, build.number(2))))
    return build.div(g, c), dc


@vjp(ElemDiv)
def _elemdiv(node: ElemDiv, g: Expr, ctx: Context):
    """d<G, A ./ B> = <G ./ B, dA> - <G ⊙ A ./ B.², dB>"""
    a, b = node.left, node.right
    da = None if isinstance(a, Number) else (build.elemdiv(g, b) if not ctx.is_scalar(b) else build.div(g, b))
    db = None
    if not isinstance(b, Number):
        num = ctx.times(g, a)
        if ctx.is_scalar(b):
            db = build.neg(build.div(num, build.power(b, build.number(2))))
        else:
            db = build.neg(build.elemdiv(num, build.elempower(b, build.number(2))))
    return da, db


@vjp(Power)
def _power(node: Power, g: Expr, ctx: Context):
    """d<g, c^p> = g p c^(p-1) dc + g c^p log(c) dp"""
    c, p = node.left, node.right
    if isinstance(p, Number):
        if p.value == 1:
            return g, None
        rest = c if p.value == 2 else build.power(c, Number(p.value - 1))
        return ctx.mul(Number(p.value), g, rest), None
    dc = ctx.mul(g, p, build.power(c, build.sub(p, build.ONE)))
    dp = ctx.mul(g, node, Func("log", c))
    return dc, dp


@vjp(ElemPower)
def _elempower(node: ElemPower, g: Expr, ctx: Context):
    """d<G, A.^p> = <p G ⊙ A.^(p-1), dA> + <G, A.^p ⊙ log A> dp"""
    a, p = node.left, node.right
    if isinstance(p, Number):
        rest = build.elempower(a, Number(p.value - 1)) if p.value != 2 else a
        da = build.scale(Number(p.value), build.hadamard(g, rest)) if p.value != 1 else g
        return da, None
    da = build.scale(p, build.hadamard(g, build.elempower(a, build.sub(p, build.ONE))))
    dp = build.total(build.hadamard(g, node, Func("log", a)))
    return da, dp


@vjp(Func)
def _func(node: Func, g: Expr, ctx: Context):
    """d<G, f(Z)> = <G ⊙ f'(Z), dZ>"""
    return (ctx.times(g, derivative_of_function(node, ctx)),)


@vjp(Sum)
def _sum(node: Sum, g: Expr, ctx: Context):
    """d sum(A) = <1 1ᵀ, dA>"""
    return (ctx.mul(g, ctx.ones_like(node.arg)),)


@vjp(Norm)
def _norm(node: Norm, g: Expr, ctx: Context):
    """d‖x‖ = <x / ‖x‖, dx>"""
    return (ctx.mul(g, build.div(node.arg, node)),)


@vjp(Trace)
def _trace(node: Trace, g: Expr, ctx: Context):
    """d tr(X) = <I, dX>"""
    return (ctx.mul(g, ctx.identity_for(node.arg)),)


@vjp(Det)
def _det(node: Det, g: Expr, ctx: Context):
    """d det(X) = <det(X) X^{-T}, dX>  (Jacobi's formula)"""
    return (ctx.mul(g, node, build.transpose(build.inverse(node.arg))),)


@vjp(LogDet)
def _logdet(node: LogDet, g: Expr, ctx: Context):
    """d log det(X) = <X^{-T}, dX>"""
    return (ctx.mul(g, build.transpose(build.inverse(node.arg))),)


@vjp(Inverse)
def _inverse(node: Inverse, g: Expr, ctx: Context):
    """d<G, X^{-1}> = <-X^{-T} G X^{-T}, dX>"""
    xit = build.transpose(node)
    return (build.neg(ctx.mul(xit, g, xit)),)


@vjp(Diag)
def _diag(node: Diag, g: Expr, ctx: Context):
    """d<G, diag(x)> = <diag(G), dx>"""
    return (build.diagpart(g),)


@vjp(DiagPart)
def _diagpart(node: DiagPart, g: Expr, ctx: Context):
    """d<g, diag(X)> = <diag(g), dX>"""
    return (build.diag(g),)


@vjp(Softmax)
def _softmax(node: Softmax, g: Expr, ctx: Context):
    """d<g, s> = <(diag(s) - s sᵀ) g, dx>, s = softmax(x);
    row by row, of a matrix: d<G, S> = <S ⊙ (G - (S ⊙ G) 1), dZ>, S = softmax(Z)"""
    shape = ctx.shape(node)
    if len(shape) == 2:  # a row (1 x m) too
        row_sums = build.matmul(build.hadamard(node, g), build.ones(shape[1]))
        return (build.hadamard(node, build.sub(g, row_sums)),)
    return (build.sub(build.hadamard(node, g), build.matmul(node, build.transpose(node), g)),)


@vjp(LogSoftmax)
def _logsoftmax(node: LogSoftmax, g: Expr, ctx: Context):
    """d<g, logsoftmax(x)> = <g - softmax(x) 1ᵀ g, dx>;
    row by row, of a matrix: d<G, logsoftmax(Z)> = <G - softmax(Z) ⊙ (G 1), dZ>"""
    s = build.softmax(node.arg)
    shape = ctx.shape(node)
    if len(shape) == 2:  # a row (1 x m) too
        return (build.sub(g, build.hadamard(s, build.matmul(g, build.ones(shape[1])))),)
    return (build.sub(g, ctx.mul(build.total(g), s)),)


def _routed(node, g, ctx, first: bool):
    a, b = node.left, node.right
    on_a = Func("step", build.sub(a, b) if first else build.sub(b, a))
    on_b = Func("step", build.sub(b, a) if first else build.sub(a, b))
    da = None if isinstance(a, Number) else ctx.times(g, on_a)
    db = None if isinstance(b, Number) else ctx.times(g, on_b)
    return da, db


@vjp(Max)
def _max(node: Max, g: Expr, ctx: Context):
    """d max(a, b) = step(a - b) da + step(b - a) db: the gradient goes to the larger argument"""
    return _routed(node, g, ctx, True)


@vjp(Min)
def _min(node: Min, g: Expr, ctx: Context):
    """d min(a, b) = step(b - a) da + step(a - b) db: the gradient goes to the smaller argument"""
    return _routed(node, g, ctx, False)


@vjp(Zeros)
def _zeros(node: Zeros, g: Expr, ctx: Context):
    """d 0_{k x m} = 0: a constant (no inputs)"""
    return ()


@vjp(Delta)
def _delta(node: Delta, g: Expr, ctx: Context):
    """d δ_ij = 0: a constant (no inputs)"""
    return ()


def _index_notation(node, g, ctx):
    raise DerivativeError("a tensor in index notation is read, evaluated, verified and compiled, not "
                          "differentiated", hint="differentiate the program it came from (a higher derivative)")


for _cls in (Entry, IndexSum, Tensor):  # d x_i, d Σ_a …: no index-level backpropagation (yet): said, not wrong
    vjp(_cls)(_index_notation)


# ---------------------------------------------------------------- batches and reductions (issue 12)

@vjp(Largest)
def _largest(node: Largest, g: Expr, ctx: Context):
    """d max(x) = <argmax(x), dx>: the gradient goes to the largest entry (ties share it)"""
    if ctx.is_scalar(node.arg):
        return (g,)
    return (ctx.mul(g, ArgMax(node.arg)),)


@vjp(Smallest)
def _smallest(node: Smallest, g: Expr, ctx: Context):
    """d min(x) = <argmin(x), dx>: the gradient goes to the smallest entry (ties share it)"""
    if ctx.is_scalar(node.arg):
        return (g,)
    return (ctx.mul(g, ArgMin(node.arg)),)


@vjp(ArgMax)
def _argmax(node: ArgMax, g: Expr, ctx: Context):
    """d argmax(x) = 0: the indicator is constant wherever the largest entry is unique"""
    return (None,)


@vjp(ArgMin)
def _argmin(node: ArgMin, g: Expr, ctx: Context):
    """d argmin(x) = 0: the indicator is constant wherever the smallest entry is unique"""
    return (None,)


def matrix_power(x: Expr, j: int) -> Expr:
    """X^j as a tree: I (j = 0, left to the caller), X, X^j."""
    return x if j == 1 else MatPower(x, build.number(j))


@vjp(MatPower)
def _matpower(node: MatPower, g: Expr, ctx: Context):
    """d<G, X^k> = Σ_{j=0}^{k-1} <(X^j)ᵀ G (X^{k-1-j})ᵀ, dX>"""
    x, k = node.left, int(node.right.value)
    terms = []
    for j in range(k):
        left = [build.transpose(matrix_power(x, j))] if j else []
        right = [build.transpose(matrix_power(x, k - 1 - j))] if k - 1 - j else []
        if isinstance(g, Identity):  # (X^j)ᵀ (X^{k-1-j})ᵀ = (X^{k-1})ᵀ: tr(X^k) gives k (X^{k-1})ᵀ
            terms.append(build.transpose(matrix_power(x, k - 1)))
            continue
        terms.append(ctx.mul(*left, g, *right))
    return build.add(*terms), None


@vjp(Vec)
def _vec(node: Vec, g: Expr, ctx: Context):
    """d<g, vec(X)> = <unvec(g, n, m), dX>, X n x m"""
    shape = ctx.shape(node.arg)
    if len(shape) != 2:  # the vec of a vector is itself (of a row, its transpose)
        return (g,) if len(shape) < 2 else (build.transpose(g),)
    return (Unvec(g, shape[0], shape[1]),)


@vjp(Unvec)
def _unvec(node: Unvec, g: Expr, ctx: Context):
    """d<G, unvec(v, n, m)> = <vec(G), dv>"""
    return (Vec(g),)


@vjp(Kron)
def _kron(node: Kron, g: Expr, ctx: Context):
    """d<G, A ⊗ B> = <kronleft(G, B), dA> + <kronright(A, G), dB>: the blocks G_ij of G give
    dA_ij = <G_ij, B> and dB = Σ_ij A_ij G_ij"""
    a, b = node.left, node.right
    return (None if isinstance(a, Number) else KronLeft(g, b)), (None if isinstance(b, Number) else KronRight(a, g))


@vjp(KronLeft)
def _kron_left(node: KronLeft, h: Expr, ctx: Context):
    """d<H, kronleft(G, B)> = <H ⊗ B, dG> + <kronright(H, G), dB>  (<H, kronleft(G, B)> = <G, H ⊗ B>)"""
    g, b = node.left, node.right
    return Kron(h, b), KronRight(h, g)


@vjp(KronRight)
def _kron_right(node: KronRight, h: Expr, ctx: Context):
    """d<H, kronright(A, G)> = <kronleft(G, H), dA> + <A ⊗ H, dG>  (<H, kronright(A, G)> = <G, A ⊗ H>)"""
    a, g = node.left, node.right
    return KronLeft(g, h), Kron(a, h)


def _extent(shape: tuple, axis: int):
    """The rows (axis 0) or columns (axis 1) of a value of this shape (a vector is a column)."""
    if not shape:
        return 1
    if len(shape) == 1:
        return shape[0] if axis == 0 else 1
    return shape[axis]


@vjp(VCat)
def _vcat(node: VCat, g: Expr, ctx: Context):
    """d<G, [A; B]> = <rows(G, 1, n), dA> + <rows(G, n + 1, n + m), dB>, A with n rows, B with m"""
    out, offset = [], 0
    for t in node.terms:
        count = _extent(ctx.shape(t), 0)
        out.append(Rows(g, offset, count))
        offset = dims.plus(offset, count)
    return tuple(out)


@vjp(HCat)
def _hcat(node: HCat, g: Expr, ctx: Context):
    """d<G, [A, B]> = <cols(G, 1, n), dA> + <cols(G, n + 1, n + m), dB>, A with n columns, B with m"""
    out, offset = [], 0
    for t in node.terms:
        count = _extent(ctx.shape(t), 1)
        out.append(Cols(g, offset, count))
        offset = dims.plus(offset, count)
    return tuple(out)


@vjp(Rows)
def _rows(node: Rows, g: Expr, ctx: Context):
    """d<G, rows(X, i, j)> = <padrows(G, i, N), dX>, X with N rows"""
    return (PadRows(g, node.start, _extent(ctx.shape(node.arg), 0)),)


@vjp(Cols)
def _cols(node: Cols, g: Expr, ctx: Context):
    """d<G, cols(X, i, j)> = <padcols(G, i, N), dX>, X with N columns"""
    return (PadCols(g, node.start, _extent(ctx.shape(node.arg), 1)),)


@vjp(PadRows)
def _padrows(node: PadRows, g: Expr, ctx: Context):
    """d<G, padrows(X, i, N)> = <rows(G, i, i + n - 1), dX>, X with n rows"""
    return (Rows(g, node.start, _extent(ctx.shape(node.arg), 0)),)


@vjp(PadCols)
def _padcols(node: PadCols, g: Expr, ctx: Context):
    """d<G, padcols(X, i, N)> = <cols(G, i, i + n - 1), dX>, X with n columns"""
    return (Cols(g, node.start, _extent(ctx.shape(node.arg), 1)),)
