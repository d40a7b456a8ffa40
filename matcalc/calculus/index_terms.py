"""Index notation, the translation: a vector-Jacobian product L(G) to a sum of index terms.

Where no matrix form exists, the engine leaves the vector-Jacobian product L(G): an
expression in the symbolic cotangent G (shape of F) whose value has the shape of V,
linear in G. The generalized Jacobian is J[i…, k…] = L(E_{i…})[k…] for the basis
tensors E. Here L(G) is written entry by entry with free indices (the V indices k, l),
a matrix product becoming a sum over an index, then G_ab is replaced by δ_ai δ_bj and
the deltas are contracted against the sums (Σ_a δ_ai x_a = x_i).

Index expressions are small frozen dataclasses: :class:`Entry` (an entry of an
expression of the language: x_j, (W x)_i, tanh(W x)_i, (X^{-1})_ij, or a scalar such as
c), :class:`Kronecker`, :class:`Num`, :class:`Dim` (the size of a range, from Σ_a δ_aa),
:class:`Plus`, :class:`Times`, :class:`Pow`; a result is a :class:`IndexSum` of
:class:`Term` (coefficient × Σ over summation indices × a product of factors).

What stays opaque: parts of L(G) that do not contain G are kept whole where they are
not elementwise: a product ``W x`` is the entry (W x)_i, an elementwise function
tanh(W x)_i, an inverse (X^{-1})_ij, tr(X), sum(X), softmax(x)_i. Elementwise
arithmetic (+, ⊙, ./, .^p, scaling), transposes, I (δ), ones (1) and diag(x) (δ_ij x_i)
are written out, so 1 - tanh(W x).^2 reads (1 - tanh(W x)_i^2).

Rows and columns: a vector is a column; an axis of size 1 (a row's first axis, the
inner axis of an outer product x yᵀ) carries the index :data:`ONE`, which is never
printed and never summed.

This module writes L(G) entry by entry (:class:`Translator`); :mod:`.index_contract` replaces G
by the basis tensors, contracts the deltas and collects terms, and makes the language's nodes
(:class:`~matcalc.core.nodes.Tensor`), which print, parse, evaluate and compile like any other.
The small frozen dataclasses here are that working form only; nothing prints them.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import product as _cartesian

from ..core import build
from ..core.errors import DerivativeError
from ..core.nodes import (
    Add, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Hadamard, Identity, MatMul, Neg, Number, Ones, Power,
    Scale, Sum, Symbol, Trace, Transpose, fold,
)
from ..core.shapes import shape_of

ONE = "1"          # the index of an axis of size 1: fixed, never summed
F_LETTERS = ("i", "j", "p", "q")
V_LETTERS = ("k", "l", "r", "s")
SUM_LETTERS = tuple("abcdefghuvwyz")

class Unsupported(DerivativeError):
    """L(G) has a form this translator does not write in index notation."""


# ---------------------------------------------------------------- index expressions

@dataclass(frozen=True)
class Entry:
    """expr_{indices}: an entry of an expression of the language (a scalar when indices == ())."""
    expr: Expr
    indices: tuple[str, ...]


@dataclass(frozen=True)
class Kronecker:
    """δ_ab"""
    a: str
    b: str


@dataclass(frozen=True)
class Num:
    value: Fraction


@dataclass(frozen=True)
class Dim:
    """The size of an index range (a dim name, or a size such as the m n of kron(x, z)), as in Σ_a δ_aa = n."""
    dim: object


@dataclass(frozen=True)
class Plus:
    terms: tuple


@dataclass(frozen=True)
class Times:
    factors: tuple


@dataclass(frozen=True)
class Pow:
    base: object
    exp: Fraction


@dataclass(frozen=True)
class Term:
    """coef × Σ_{sums} Π factors"""
    coef: Fraction
    sums: tuple[str, ...]
    factors: tuple


@dataclass(frozen=True)
class Terms:
    terms: tuple[Term, ...]



# ---------------------------------------------------------------- smart constructors

def _times(*factors):
    coef = Fraction(1)
    out = []
    for f in factors:
        if isinstance(f, Times):
            for g in f.factors:
                if isinstance(g, Num):
                    coef *= g.value
                else:
                    out.append(g)
        elif isinstance(f, Num):
            coef *= f.value
        else:
            out.append(f)
    if coef == 0:
        return Num(Fraction(0))
    if coef != 1:
        out.insert(0, Num(coef))
    if not out:
        return Num(Fraction(1))
    return out[0] if len(out) == 1 else Times(tuple(out))


def _plus(*terms):
    out = []
    for t in terms:
        if isinstance(t, Plus):
            out.extend(t.terms)
        elif not (isinstance(t, Num) and t.value == 0):
            out.append(t)
    if not out:
        return Num(Fraction(0))
    return out[0] if len(out) == 1 else Plus(tuple(out))


def _pow(base, p: Fraction):
    if p == 1:
        return base
    if isinstance(base, Num):
        if p.denominator == 1:
            return Num(base.value ** int(p))
    if isinstance(base, Pow):
        return _pow(base.base, base.exp * p)
    return Pow(base, p)


def indices_of(x) -> list[str]:
    """The indices x mentions, in order of first appearance (ONE excluded)."""
    out: list[str] = []

    def add(i):
        if i != ONE and i not in out:
            out.append(i)

    def go(y):
        if isinstance(y, Entry):
            for i in y.indices:
                add(i)
        elif isinstance(y, Kronecker):
            add(y.a)
            add(y.b)
        elif isinstance(y, (Plus, Times)):
            for z in (y.terms if isinstance(y, Plus) else y.factors):
                go(z)
        elif isinstance(y, Pow):
            go(y.base)
    go(x)
    return out


def rename(x, mapping: dict[str, str]):
    """x with its indices renamed (those not in mapping stay)."""
    if not mapping:
        return x
    if isinstance(x, Entry):
        return Entry(x.expr, tuple(mapping.get(i, i) for i in x.indices))
    if isinstance(x, Kronecker):
        return Kronecker(mapping.get(x.a, x.a), mapping.get(x.b, x.b))
    if isinstance(x, Plus):
        return Plus(tuple(rename(t, mapping) for t in x.terms))
    if isinstance(x, Times):
        return Times(tuple(rename(t, mapping) for t in x.factors))
    if isinstance(x, Pow):
        return Pow(rename(x.base, mapping), x.exp)
    return x


# ---------------------------------------------------------------- the translator

def _is_one(d) -> bool:
    try:
        return bool(d == 1)
    except TypeError:
        return False


class Translator:
    """A typed tree (with the cotangent G in it) → a list of Terms, given its free indices."""

    def __init__(self, shapes: dict, g: str):
        self.shapes = shapes
        self.g = g
        self.shape_memo: dict = {}
        self.has_memo: dict = {}
        self.ranges: dict[str, object] = {}
        self.counter = 0

    def shape(self, e: Expr) -> tuple:
        return shape_of(e, self.shapes, self.shape_memo)

    def has(self, e: Expr) -> bool:
        return fold(e, lambda n, kids: (isinstance(n, Symbol) and n.name == self.g) or any(kids), self.has_memo)

    def fresh(self, dim) -> str:
        if _is_one(dim):
            return ONE
        self.counter += 1
        name = f"s{self.counter}"
        self.ranges[name] = dim
        return name

    def sub(self, e: Expr, idx: tuple) -> tuple:
        """The indices of an operand of an elementwise operation: a scalar broadcasts to every
        entry, a column (n) along the columns of an n x m matrix (its row index only), a row
        (1 x m) down its rows (its column index only)."""
        s = self.shape(e)
        if s == ():
            return ()
        if len(idx) == 2 and len(s) == 1:
            return (idx[0],)
        if len(idx) == 2 and len(s) == 2 and _is_one(s[0]):
            return (ONE, idx[1])
        return idx

    @staticmethod
    def two_d(shape: tuple, idx: tuple) -> tuple[str, str]:
        if len(shape) == 0:
            return ONE, ONE
        if len(shape) == 1:
            return idx[0], ONE
        return idx[0], idx[1]

    @staticmethod
    def from_two_d(shape: tuple, row: str, col: str) -> tuple:
        if len(shape) == 0:
            return ()
        if len(shape) == 1:
            return (row,)
        return (row, col)

    @staticmethod
    def cols(shape: tuple):
        return 1 if len(shape) < 2 else shape[1]

    # -- G-free parts, kept compact
    def formula(self, e: Expr, idx: tuple):
        t = type(e)
        if t is Symbol:
            return Entry(e, idx)
        if t is Number:
            return Num(Fraction(e.value))
        if t is Identity:
            return Kronecker(idx[0], idx[1]) if idx[0] != idx[1] else Num(Fraction(1))
        if t is Ones:
            return Num(Fraction(1))
        if t is Neg:
            return _times(Num(Fraction(-1)), self.formula(e.arg, idx))
        if t is Add:
            return _plus(*(self.formula(a, self.sub(a, idx)) for a in e.terms))
        if t is Hadamard:
            return _times(*(self.formula(a, self.sub(a, idx)) for a in e.terms))
        if t is Scale:
            return _times(self.formula(e.left, ()), self.formula(e.right, idx))
        if t is Div:
            return _times(self.formula(e.left, idx), _pow(self.formula(e.right, ()), Fraction(-1)))
        if t is ElemDiv:
            return _times(self.formula(e.left, self.sub(e.left, idx)),
                          _pow(self.formula(e.right, self.sub(e.right, idx)), Fraction(-1)))
        if t in (ElemPower, Power) and isinstance(e.right, Number):
            return _pow(self.formula(e.left, self.sub(e.left, idx)), Fraction(e.right.value))
        if t is Transpose:
            r, c = self.two_d(self.shape(e), idx)
            return self.formula(e.arg, self.from_two_d(self.shape(e.arg), c, r))
        if t is Diag:
            p, q = idx
            return _times(Kronecker(p, q), self.formula(e.arg, (p,)))
        if t is MatMul and all(_is_one(self.cols(self.shape(f))) for f in e.terms[:-1]):
            # an outer product (u vᵀ)_ij = u_i v_j: no sum to hide
            row, col = self.two_d(self.shape(e), idx)
            bounds = [row] + [ONE] * (len(e.terms) - 1) + [col]
            return _times(*(self.formula(f, self.from_two_d(self.shape(f), bounds[n], bounds[n + 1]))
                            for n, f in enumerate(e.terms)))
        return Entry(e, idx)

    # -- parts with G, written out
    def terms(self, e: Expr, idx: tuple) -> list[Term]:
        if not self.has(e):
            return [_term(Fraction(1), (), (self.formula(e, idx),))]
        t = type(e)
        if t is Symbol:
            return [Term(Fraction(1), (), (Entry(e, idx),))]
        if t is Add:
            return [x for a in e.terms for x in self.terms(a, self.sub(a, idx))]
        if t is Neg:
            return [Term(-x.coef, x.sums, x.factors) for x in self.terms(e.arg, idx)]
        if t is Scale:
            return _distribute([self.terms(e.left, ()), self.terms(e.right, idx)])
        if t is Hadamard:
            return _distribute([self.terms(a, self.sub(a, idx)) for a in e.terms])
        if t is Div and not self.has(e.right):
            return _distribute([self.terms(e.left, idx), self.terms(Power(e.right, Number(Fraction(-1))), ())])
        if t is ElemDiv and not self.has(e.right):
            inv = _pow(self.formula(e.right, self.sub(e.right, idx)), Fraction(-1))
            return _distribute([self.terms(e.left, self.sub(e.left, idx)), [_term(Fraction(1), (), (inv,))]])
        if t is Transpose:
            r, c = self.two_d(self.shape(e), idx)
            return self.terms(e.arg, self.from_two_d(self.shape(e.arg), c, r))
        if t is MatMul:
            return self.matmul(e, idx)
        if t is Sum:
            new = tuple(self.fresh(d) for d in self.shape(e.arg))  # a row's axis of size 1 is not summed
            return _with_sums(self.terms(e.arg, new), tuple(i for i in new if i != ONE))
        if t is Trace:
            a = self.fresh(self.shape(e.arg)[0])
            return _with_sums(self.terms(e.arg, (a, a)), (a,))
        if t is Diag:
            p, q = idx
            return _distribute([[_term(Fraction(1), (), (Kronecker(p, q),))], self.terms(e.arg, (p,))])
        if t is DiagPart:
            return self.terms(e.arg, (idx[0], idx[0]))
        from .index_reshape import RESHAPES, reshape_terms
        if t in RESHAPES:
            return reshape_terms(self, e, idx)
        raise Unsupported(f"no index form for {type(e).__name__} around the cotangent")

    def matmul(self, e: MatMul, idx: tuple) -> list[Term]:
        groups: list[Expr] = []
        for f in e.terms:  # neighbouring factors without G that contract stay one entry: (A B)_ka
            if groups and not self.has(f) and not self.has(groups[-1]) and not _is_one(self.cols(self.shape(groups[-1]))):
                groups[-1] = build.matmul(groups[-1], f)
            else:
                groups.append(f)
        row, col = self.two_d(self.shape(e), idx)
        bounds = [row]
        sums = []
        for g in groups[:-1]:
            b = self.fresh(self.cols(self.shape(g)))
            bounds.append(b)
            if b != ONE:
                sums.append(b)
        bounds.append(col)
        parts = [self.terms(g, self.from_two_d(self.shape(g), bounds[n], bounds[n + 1]))
                 for n, g in enumerate(groups)]
        return _with_sums(_distribute(parts), tuple(sums))


def _term(coef: Fraction, sums: tuple, factors: tuple) -> Term:
    """A Term with numbers folded into the coefficient and products flattened."""
    out = []
    for f in factors:
        stack = [f]
        while stack:
            g = stack.pop(0)
            if isinstance(g, Times):
                stack = list(g.factors) + stack
            elif isinstance(g, Num):
                coef *= g.value
            else:
                out.append(g)
    return Term(coef, sums, tuple(out))


def _distribute(parts: list[list[Term]]) -> list[Term]:
    out = []
    for combo in _cartesian(*parts):
        coef = Fraction(1)
        sums: tuple = ()
        factors: tuple = ()
        for t in combo:
            coef *= t.coef
            sums += t.sums
            factors += t.factors
        out.append(_term(coef, sums, factors))
    return out


def _with_sums(terms: list[Term], sums: tuple) -> list[Term]:
    return [Term(t.coef, t.sums + sums, t.factors) for t in terms]


