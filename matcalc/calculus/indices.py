"""Generalized Jacobians in index notation: ∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk.

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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product as _cartesian

import numpy as np

from ..core import build
from ..core.dims import is_fixed
from ..core.ops import OPS
from ..core.errors import DerivativeError
from ..core.evaluate import evaluate_expr
from ..core.nodes import (
    Add, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Hadamard, Identity, MatMul, Neg, Number, Ones, Power, Scale, Sum, Symbol,
    Trace, Transpose, fold, walk,
)
from ..language.latex import latex, latex_name
from ..language.printing import text
from ..core.shapes import shape_of
from .naming import COTANGENT, cotangent_name
from ..core.program import substitute

ONE = "1"          # the index of an axis of size 1: fixed, never printed
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
    """The size of an index range (a dim name or integer), as in Σ_a δ_aa = n."""
    dim: str


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
class IndexSum:
    terms: tuple[Term, ...]


@dataclass
class IndexForm:
    """∂F_{f_indices}/∂V_{v_indices} = rhs, with the names to print and what evaluates it."""
    function: str               # F's name (the program's name, else "F")
    wrt: str
    f_indices: tuple[str, ...]  # internal names, ONE for axes of size 1
    v_indices: tuple[str, ...]
    rhs: IndexSum
    letters: dict[str, str]     # internal index name -> printed letter
    ranges: dict[str, object]   # internal index name -> its dim (sympy)
    shapes: dict = field(repr=False, default_factory=dict)
    definitions: dict[str, Expr] = field(repr=False, default_factory=dict)
    function_expr: Expr | None = field(repr=False, default=None)
    hessian_of: str | None = None  # the scalar function's name when F is its gradient
    cotangent: str = COTANGENT

    def __str__(self) -> str:
        return index_text_of(self)

    def latex(self) -> str:
        return index_latex_of(self)

    def evaluate(self, env: dict) -> np.ndarray:
        return evaluate_index(self, env)


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
        """The indices of an operand of an elementwise operation (a scalar broadcasts)."""
        return () if self.shape(e) == () else idx

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
            new = tuple(self.fresh(d) for d in self.shape(e.arg))
            return _with_sums(self.terms(e.arg, new), new)
        if t is Trace:
            a = self.fresh(self.shape(e.arg)[0])
            return _with_sums(self.terms(e.arg, (a, a)), (a,))
        if t is Diag:
            p, q = idx
            return _distribute([[_term(Fraction(1), (), (Kronecker(p, q),))], self.terms(e.arg, (p,))])
        if t is DiagPart:
            return self.terms(e.arg, (idx[0], idx[0]))
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


# ---------------------------------------------------------------- G_ab ↦ δ_ai δ_bj, and simplification

def substitute_basis(terms: list[Term], g: str, g_shape: tuple, f_idx: tuple) -> list[Term]:
    """Each G entry G_{ab…} becomes δ_{a i} δ_{b j} … (the basis tensor E_{ij…})."""
    out = []
    for t in terms:
        factors = []
        for f in t.factors:
            if isinstance(f, Entry) and isinstance(f.expr, Symbol) and f.expr.name == g:
                factors.extend(Kronecker(a, b) for a, b in zip(f.indices, f_idx) if not (a == ONE and b == ONE))
            else:
                factors.append(f)
        out.append(Term(t.coef, t.sums, tuple(factors)))
    return out


def simplify_terms(terms: list[Term], rank: dict[str, int], ranges: dict[str, object]) -> list[Term]:
    """Contract deltas against sums, prefer F's indices, order the factors, collect like terms."""
    collected: dict[tuple, Fraction] = {}
    order: list[tuple] = []
    for t in terms:
        t = _contract(t, rank, ranges)
        if t.coef == 0:
            continue
        key = (t.sums, t.factors)
        if key not in collected:
            order.append(key)
            collected[key] = Fraction(0)
        collected[key] += t.coef
    return [Term(collected[k], k[0], k[1]) for k in order if collected[k] != 0]


def _contract(t: Term, rank: dict[str, int], ranges: dict[str, object]) -> Term:
    sums = list(t.sums)
    factors = list(t.factors)
    coef = t.coef
    changed = True
    while changed:
        changed = False
        for n, f in enumerate(factors):
            if not isinstance(f, Kronecker):
                continue
            a, b = f.a, f.b
            if a == b:
                del factors[n]
                changed = True
                break
            if b in sums or a in sums:
                gone, keep = (b, a) if b in sums else (a, b)
                del factors[n]
                sums.remove(gone)
                factors = [rename(x, {gone: keep}) for x in factors]
                changed = True
                break
            if ONE in (a, b):  # an index over a range of size 1 is that one position
                other = b if a == ONE else a
                del factors[n]
                factors = [rename(x, {other: ONE}) for x in factors]
                changed = True
                break
    # δ between free indices: write the other factors with the preferred index (F's before V's)
    for n in range(len(factors)):
        f = factors[n]
        if isinstance(f, Kronecker) and f.a != f.b:
            keep, gone = sorted((f.a, f.b), key=lambda i: rank.get(i, 99))
            factors = [x if m == n else rename(x, {gone: keep}) for m, x in enumerate(factors)]
    # δ_ii after those renames is 1; a sum over an index that nothing mentions is its range's size
    factors = [f for f in factors if not (isinstance(f, Kronecker) and f.a == f.b)]
    factors = [Kronecker(*sorted((f.a, f.b), key=lambda i: rank.get(i, 99))) if isinstance(f, Kronecker) else f
               for f in factors]
    used = {i for f in factors for i in indices_of(f)}
    for s in list(sums):
        if s not in used:
            sums.remove(s)
            dim = ranges.get(s)
            if is_fixed(dim):
                coef *= dim
            else:
                factors.append(Dim(str(dim)))
    factors = _merge_powers(factors)
    # canonical order of factors, then canonical names of the summation indices
    factors = sorted(factors, key=lambda f: _factor_key(f, rank))
    # (a canonical name carries its range, so equal names mean equal ranges across terms)
    mapping = {}
    for f in factors:
        for i in indices_of(f):
            if i in sums and i not in mapping:
                mapping[i] = f"t{len(mapping) + 1}.{ranges.get(i)}"
    for s in sums:
        mapping.setdefault(s, f"t{len(mapping) + 1}.{ranges.get(s)}")
    new_sums = tuple(sorted((mapping[s] for s in sums), key=_sum_order))
    for old, new in mapping.items():
        ranges[new] = ranges.get(old)
        rank[new] = 100 + _sum_order(new)
    factors = [rename(f, mapping) for f in factors]
    factors = sorted(factors, key=lambda f: _factor_key(f, rank))
    return Term(coef, new_sums, tuple(factors))


def _sum_order(name: str) -> int:
    return int(name[1:].split(".")[0])


def _merge_powers(factors: list) -> list:
    """x_i x_i → x_i^2"""
    out: list = []
    powers: dict = {}
    for f in factors:
        base, p = (f.base, f.exp) if isinstance(f, Pow) else (f, Fraction(1))
        if isinstance(base, (Kronecker, Dim)):
            out.append(f)
            continue
        if base in powers:
            powers[base] += p
        else:
            powers[base] = p
            out.append(base)
    result = []
    for f in out:
        if f in powers:
            p = powers[f]
            if p != 0:
                result.append(_pow(f, p))
        else:
            result.append(f)
    return result


def _factor_key(f, rank: dict[str, int]):
    ranks = [rank.get(i, 99) for i in indices_of(f)]
    return (min(ranks, default=-1), 0 if isinstance(f, Kronecker) else 1, sorted(ranks), _plain_text(f))


def _plain_text(f) -> str:
    return _TextPrinter({}).factor(f)


# ---------------------------------------------------------------- from a Derivative

def _axes(shape: tuple, base: str) -> tuple:
    return tuple(ONE if _is_one(d) else f"{base}{n}" for n, d in enumerate(shape))


def index_form(d) -> IndexForm:
    """The index form of a Derivative of kind "tensor" (raises Unsupported where there is none)."""
    shapes = dict(d.shapes)
    g = cotangent_name(d)
    expr = d.expr
    # placeholders that hold G are written out; the others stay names
    holding: dict[str, Expr] = {}
    has: dict = {}
    for name, value in d.definitions.items():
        value = substitute(value, holding)
        if fold(value, lambda n, kids: (isinstance(n, Symbol) and n.name == g) or any(kids), has):
            holding[name] = value
    expr = substitute(expr, holding)
    definitions = {n: v for n, v in d.definitions.items() if n not in holding}

    f_shape = shapes[g]
    v_shape = shapes[d.wrt]
    f_idx = _axes(f_shape, "F")
    v_idx = _axes(v_shape, "V")
    tr = Translator(shapes, g)
    for i, dim in zip(f_idx, f_shape):
        tr.ranges[i] = dim
    for i, dim in zip(v_idx, v_shape):
        tr.ranges[i] = dim
    raw = tr.terms(expr, v_idx)
    raw = substitute_basis(raw, g, f_shape, f_idx)
    rank = {i: n for n, i in enumerate(x for x in f_idx + v_idx if x != ONE)}
    terms = simplify_terms(raw, rank, tr.ranges)

    program = d.program
    hessian_of = None
    name = getattr(d, "function_name", None) or program.name or "F"
    try:
        scalar = program.shape(program.inline()) == ()
    except Exception:  # noqa: BLE001 — only a label depends on it
        scalar = False
    if scalar:  # F is the gradient of a scalar function: a Hessian
        hessian_of = program.name or ("s" if "s" not in program.shapes else "f")
    letters = _letters(f_idx, v_idx, terms, expr, definitions, shapes)
    return IndexForm(function=name, wrt=d.wrt, f_indices=f_idx, v_indices=v_idx, rhs=IndexSum(tuple(terms)),
                     letters=letters, ranges=dict(tr.ranges), shapes=shapes, definitions=definitions,
                     function_expr=d.function, hessian_of=hessian_of, cotangent=g)


def _letters(f_idx, v_idx, terms, expr, definitions, shapes) -> dict[str, str]:
    taken = {s.name for root in [expr, *definitions.values()] for s in walk(root) if isinstance(s, Symbol)}
    taken |= {f.dim for t in terms for f in t.factors if isinstance(f, Dim)}
    letters: dict[str, str] = {ONE: ""}

    def assign(internal, pool):
        for c in pool:
            if c not in taken:
                taken.add(c)
                letters[internal] = c
                return
        letters[internal] = internal

    for i in f_idx:
        if i != ONE:
            assign(i, F_LETTERS + SUM_LETTERS)
    for i in v_idx:
        if i != ONE:
            assign(i, V_LETTERS + SUM_LETTERS)
    sums = sorted({s for t in terms for s in t.sums}, key=_sum_order)
    for s in sums:
        assign(s, SUM_LETTERS + tuple("mnopqrstuvwxyz"))
    return letters


# ---------------------------------------------------------------- printers

def _delimited(e: Expr) -> bool:
    """A node printed as a call or between bars (tanh(W x), ‖x‖): its entries need no brackets."""
    return OPS[type(e)].form in ("call", "function", "bars")


class _TextPrinter:
    partial = "∂"

    def __init__(self, letters: dict[str, str]):
        self.letters = letters

    def sub(self, indices) -> str:
        names = [self.letters.get(i, i) for i in indices if i != ONE]
        names = [n for n in names if n]
        if not names:
            return ""
        if all(len(n) == 1 for n in names):
            return "_" + "".join(names)
        return "_{" + ",".join(names) + "}"

    def name(self, s: str) -> str:
        return s

    def expr(self, e: Expr) -> str:
        return text(e)

    def entry(self, f: Entry) -> str:
        base = self.expr(f.expr)
        sub = self.sub(f.indices)
        if isinstance(f.expr, Symbol):
            return (self.group(base) if "_" in f.expr.name and sub else base) + sub  # (W_1)_ij
        if _delimited(f.expr):
            return base + sub
        return self.paren(base) + sub

    def group(self, s: str) -> str:
        return f"({s})"

    def paren(self, s: str) -> str:
        return f"({s})"

    def delta(self, f: Kronecker) -> str:
        return "δ" + self.sub((f.a, f.b))

    def number(self, v: Fraction) -> str:
        return str(v)

    def power(self, base: str, p: Fraction) -> str:
        return f"{base}^{p}" if p.denominator == 1 and p > 0 else f"{base}^({p})"

    def factor(self, f) -> str:
        if isinstance(f, Entry):
            return self.entry(f)
        if isinstance(f, Kronecker):
            return self.delta(f)
        if isinstance(f, Num):
            return self.number(f.value)
        if isinstance(f, Dim):
            return f.dim
        if isinstance(f, Pow):
            b = f.base
            if isinstance(b, Plus):
                base = self.paren(self.plus(b))
            elif isinstance(b, Times):
                base = self.paren(self.product(*_split_coef(b)))
            elif isinstance(b, Num) and b.value < 0:
                base = self.paren(self.factor(b))
            else:
                base = self.atom(b)
            return self.power(base, f.exp)
        if isinstance(f, Plus):
            return self.paren(self.plus(f))
        if isinstance(f, Times):
            coef, rest = _split_coef(f)
            return self.product(coef, rest)
        raise TypeError(f)

    def plus(self, f: Plus) -> str:
        out = ""
        for n, t in enumerate(f.terms):
            coef, rest = _split_coef(t)
            s = self.product(abs(coef), rest)
            if n == 0:
                out = ("-" + s) if coef < 0 else s
            else:
                out += (" - " if coef < 0 else " + ") + s
        return out

    def atom(self, f) -> str:
        return self.factor(f)  # entries bracket themselves: (W x)_i, (x^T y)

    def product(self, coef: Fraction, factors) -> str:
        """coef × factors, with factors of negative power as a denominator."""
        num = [f for f in factors if not (isinstance(f, Pow) and f.exp < 0)]
        den = [_pow(f.base, -f.exp) for f in factors if isinstance(f, Pow) and f.exp < 0]
        parts = [self.atom(f) for f in num]
        if coef != 1 or not parts:
            parts.insert(0, self.number(coef) if coef != -1 or not parts else "-")
        s = " ".join(parts).replace("- ", "-", 1) if parts and parts[0] == "-" else " ".join(parts)
        if den:
            d = " ".join(self.atom(f) for f in den)
            s = self.fraction(s, d, len(den) > 1)
        return s

    def fraction(self, num: str, den: str, several: bool) -> str:
        return f"{num} / {self.paren(den) if several else den}"

    def sums(self, sums) -> str:
        return "".join(f"Σ{self.sub((s,))} " for s in sums)

    def term(self, t: Term) -> tuple[bool, str]:
        """±coef outside Σ_a inside: the sum starts at the first factor that uses its index."""
        if not t.sums:
            return t.coef < 0, self.product(abs(t.coef), t.factors)
        summed = set(t.sums)
        first = next(n for n, f in enumerate(t.factors) if summed & set(indices_of(f)))
        outside, inside = t.factors[:first], t.factors[first:]
        head = self.product(abs(t.coef), outside) if outside or abs(t.coef) != 1 else ""
        body = self.sums(t.sums) + self.product(Fraction(1), inside)
        return t.coef < 0, f"{head} {body}" if head else body

    def rhs(self, s: IndexSum) -> str:
        if not s.terms:
            return "0"
        out = ""
        for n, t in enumerate(s.terms):
            negative, body = self.term(t)
            if n == 0:
                out = ("-" + body) if negative else body
            else:
                out += (" - " if negative else " + ") + body
        return out

    def lhs(self, form: IndexForm) -> str:
        fs = self.sub(form.f_indices)
        vs = self.sub(form.v_indices)
        if form.hessian_of is not None:  # F is the gradient ∂f/∂V, so J = ∂²f/∂V_ij ∂V_kl
            return f"∂²{form.hessian_of}/∂{form.wrt}{fs} ∂{form.wrt}{vs}"
        return f"∂{form.function}{fs}/∂{form.wrt}{vs}"

    def line(self, form: IndexForm) -> str:
        return f"{self.lhs(form)} = {self.rhs(form.rhs)}"


class _LatexPrinter(_TextPrinter):

    def sub(self, indices) -> str:
        names = [self.letters.get(i, i) for i in indices if i != ONE]
        names = [n for n in names if n]
        if not names:
            return ""
        return "_{" + ("".join(names) if all(len(n) == 1 for n in names) else ",".join(names)) + "}"

    def expr(self, e: Expr) -> str:
        return latex(e)

    def entry(self, f: Entry) -> str:
        base = self.expr(f.expr)
        sub = self.sub(f.indices)
        if isinstance(f.expr, Symbol):
            return (f"{{{base}}}" if "_" in f.expr.name else base) + sub  # {W_{1}}_{ij}
        if _delimited(f.expr):
            return f"{{{base}}}{sub}" if sub else base
        return self.paren(base) + sub

    def paren(self, s: str) -> str:
        return rf"\left({s}\right)"

    def delta(self, f: Kronecker) -> str:
        return r"\delta" + self.sub((f.a, f.b))

    def number(self, v: Fraction) -> str:
        if v.denominator == 1:
            return str(v)
        sign = "-" if v < 0 else ""
        return rf"{sign}\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"

    def power(self, base: str, p: Fraction) -> str:
        exp = str(p) if p.denominator == 1 else f"{p.numerator}/{p.denominator}"
        return f"{base}^{{{exp}}}"

    def fraction(self, num: str, den: str, several: bool) -> str:
        return rf"\frac{{{num}}}{{{den}}}"

    def sums(self, sums) -> str:
        names = [self.letters.get(s, s) for s in sums]
        return rf"\sum_{{{','.join(names)}}} "

    def lhs(self, form: IndexForm) -> str:
        fs = self.sub(form.f_indices)
        vs = self.sub(form.v_indices)
        v = self.wrapped(form.wrt, vs)
        if form.hessian_of is not None:
            f = latex_name(form.hessian_of)
            return rf"\frac{{\partial^2 {f}}}{{\partial {self.wrapped(form.wrt, fs)}\, \partial {v}}}"
        f = self.wrapped(form.function, fs)
        return rf"\frac{{\partial {f}}}{{\partial {v}}}"

    @staticmethod
    def wrapped(name: str, sub: str) -> str:
        """A name's LaTeX with index subscripts: {W_{1}}_{ij} where the name has its own subscript."""
        return (f"{{{latex_name(name)}}}" if sub and "_" in name else latex_name(name)) + sub


def index_text_of(form: IndexForm) -> str:
    p = _TextPrinter(form.letters)
    lines = [f"{n} = {text(v)}" for n, v in _needed_definitions(form).items()]
    lines.append(p.line(form))
    return "\n".join(lines)


def index_latex_of(form: IndexForm) -> str:
    p = _LatexPrinter(form.letters)
    lhs = p.lhs(form)
    body = p.rhs(form.rhs)
    defs = _needed_definitions(form)
    if defs:
        rows = r" \\ ".join(rf"{latex_name(n)} &= {latex(v)}" for n, v in defs.items())
        return rf"\begin{{aligned}} {rows} \\ {lhs} &= {body} \end{{aligned}}"
    return f"{lhs} = {body}"


def _needed_definitions(form: IndexForm) -> dict[str, Expr]:
    needed: set[str] = set()
    stack = [f.expr for t in form.rhs.terms for f in _entries(t)]
    while stack:
        for node in walk(stack.pop()):
            if isinstance(node, Symbol) and node.name in form.definitions and node.name not in needed:
                needed.add(node.name)
                stack.append(form.definitions[node.name])
    return {n: v for n, v in form.definitions.items() if n in needed}


def _entries(t: Term):
    stack = list(t.factors)
    while stack:
        f = stack.pop()
        if isinstance(f, Entry):
            yield f
        elif isinstance(f, Plus):
            stack.extend(f.terms)
        elif isinstance(f, Times):
            stack.extend(f.factors)
        elif isinstance(f, Pow):
            stack.append(f.base)


def _split_coef(f) -> tuple[Fraction, tuple]:
    if isinstance(f, Num):
        return f.value, ()
    if isinstance(f, Times):
        if f.factors and isinstance(f.factors[0], Num):
            return f.factors[0].value, f.factors[1:]
        return Fraction(1), f.factors
    return Fraction(1), (f,)


def _raw_fallback(d, printer_latex: bool) -> str:
    """When L(G) has no index form here: say what the entries are, honestly."""
    from_expr = latex(d.expr) if printer_latex else text(d.expr)
    g = cotangent_name(d)
    f = d.program.name or "F"
    if printer_latex:
        return (rf"\frac{{\partial {latex_name(f)}_{{I}}}}{{\partial {latex_name(d.wrt)}_{{K}}}} = "
                rf"\left[L(E_{{I}})\right]_{{K}},\quad L({latex_name(g)}) = {from_expr}")
    return f"∂{f}_I/∂{d.wrt}_K = [L(E_I)]_K, the entries of L({g}) = {from_expr} at the basis tensors E_I of {f}"


def index_text(d) -> str:
    """str() of a Derivative of kind "tensor"."""
    try:
        return index_text_of(index_form(d))
    except Unsupported:
        return _raw_fallback(d, False)


def index_latex(d) -> str:
    """latex() of a Derivative of kind "tensor"."""
    try:
        return index_latex_of(index_form(d))
    except Unsupported:
        return _raw_fallback(d, True)


# ---------------------------------------------------------------- numbers

def evaluate_index(form: IndexForm, env: dict) -> np.ndarray:
    """J[i…, k…] from the index formula itself (einsum per term), to check it against the engine."""
    shapes = form.shapes
    sizes: dict[str, int] = {}
    cache: dict[Expr, np.ndarray] = {}

    def value(e: Expr) -> np.ndarray:
        if e not in cache:
            v = np.asarray(evaluate_expr(e, shapes, env, definitions=form.definitions), dtype=float)
            cache[e] = v
            for dim, n in zip(shape_of(e, shapes), v.shape):
                sizes.setdefault(str(dim), int(n))
        return cache[e]

    f_value = np.asarray(evaluate_expr(form.function_expr, shapes, env), dtype=float)
    for dim, n in zip(shapes[form.cotangent], f_value.shape):
        sizes.setdefault(str(dim), int(n))
    for name, v in env.items():
        if name in shapes and not callable(v):
            for dim, n in zip(shapes[name], np.shape(v)):
                sizes.setdefault(str(dim), int(n))
    for t in form.rhs.terms:
        for f in _entries(t):
            value(f.expr)

    def size(i) -> int:  # an index's range, or a Dim's value
        dim = i.dim if isinstance(i, Dim) else form.ranges[i]
        return dim if is_fixed(dim) else sizes[str(dim)]

    free = [i for i in form.f_indices + form.v_indices if i != ONE]
    full_shape = tuple(size(i) for i in free)
    out_shape = f_value.shape + tuple(size(i) if i != ONE else 1 for i in form.v_indices)
    total = np.zeros(full_shape)
    for t in form.rhs.terms:
        arrays, idxs = [], []
        for f in t.factors:
            a, ix = _factor_value(f, value, size)
            arrays.append(a)
            idxs.append(ix)
        present = [i for i in free if any(i in ix for ix in idxs)]
        letters = {i: chr(ord("a") + n) for n, i in enumerate(dict.fromkeys([*free, *t.sums]))}
        spec = ",".join("".join(letters[i] for i in ix) for ix in idxs) + "->" + "".join(letters[i] for i in present)
        v = np.einsum(spec, *arrays) if arrays else np.asarray(1.0)
        total = total + float(t.coef) * _align(v, present, free, full_shape)
    return total.reshape(out_shape)


def _align(arr: np.ndarray, idx: list[str], target: list[str], target_shape: tuple) -> np.ndarray:
    """arr over indices idx (a subset of target, no repeats) broadcast to target's axes."""
    order = [i for i in target if i in idx]
    arr = np.transpose(arr, [idx.index(i) for i in order]) if idx else np.asarray(arr)
    shape = tuple(target_shape[n] if i in idx else 1 for n, i in enumerate(target))
    return np.broadcast_to(np.reshape(arr, shape), target_shape)


def _factor_value(f, value, size) -> tuple[np.ndarray, list[str]]:
    """f as an array over its distinct indices (in order of first appearance)."""
    if isinstance(f, Entry):
        arr = value(f.expr)
        ix = list(f.indices)
        if arr.ndim != len(ix):
            raise DerivativeError(f"{text(f.expr)} has {arr.ndim} axes but {len(ix)} indices")
        for axis in reversed(range(len(ix))):  # the fixed position of an axis of size 1
            if ix[axis] == ONE:
                arr = np.take(arr, 0, axis=axis)
                del ix[axis]
        distinct = list(dict.fromkeys(ix))
        if len(distinct) != len(ix):  # X_aa: the diagonal
            letters = {i: chr(ord("a") + n) for n, i in enumerate(distinct)}
            arr = np.einsum("".join(letters[i] for i in ix) + "->" + "".join(letters[i] for i in distinct), arr)
        return arr, distinct
    if isinstance(f, Kronecker):
        if f.a == f.b:
            return np.ones(size(f.a)), [f.a]
        return np.eye(size(f.a), size(f.b)), [f.a, f.b]
    if isinstance(f, Num):
        return np.asarray(float(f.value)), []
    if isinstance(f, Dim):
        return np.asarray(float(size(Dim(f.dim)))), []
    if isinstance(f, Pow):
        a, ix = _factor_value(f.base, value, size)
        return np.power(a, float(f.exp)), ix
    if isinstance(f, (Plus, Times)):
        parts = [_factor_value(x, value, size) for x in (f.terms if isinstance(f, Plus) else f.factors)]
        union = list(dict.fromkeys(i for _, ix in parts for i in ix))
        shape = tuple(size(i) for i in union)
        acc = np.zeros(shape) if isinstance(f, Plus) else np.ones(shape)
        for a, ix in parts:
            aligned = _align(a, ix, union, shape)
            acc = acc + aligned if isinstance(f, Plus) else acc * aligned
        return acc, union
    raise TypeError(f)

