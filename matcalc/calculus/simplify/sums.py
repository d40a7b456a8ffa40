"""Sums: like terms collected, a common factor taken out, terms ordered; sum(·) and tr(·).

The common factors (``c A + c B = c (A + B)``, ``A x + B x = (A + B) x``, …) are
``rewrite(terms, s)`` over a list of terms of one shape; :func:`each_grouping` tries them
on all the terms, then on two of them.
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction

from ...core import build, limits
from ...core.nodes import Add, Diag, Div, Expr, Hadamard, Identity, Kron, MatMul, Neg, Number, Ones, Scale, Size, \
    Sum, Symbol, Trace, Transpose
from .numbers import is_negative

MAX_PAIRWISE = 64
"""Longest sum searched two terms at a time for a common factor (the search is quadratic)."""


# ---------------------------------------------------------------- sums  A + B
def like_terms(e: Add, s) -> Expr | None:
    """c₁ X + c₂ X = (c₁ + c₂) X (and a ⊙ w, w ⊙ a are alike); a scalar left over keeps the sum's shape"""
    splits = [_split_coefficient(t) for t in e.terms]
    keys = [_like_key(core) for _, core in splits]
    if len(set(keys)) == len(keys):  # no two alike (most sums): nothing to add up
        return None
    order: list = []
    cores: dict = {}
    coefficients: dict = {}
    for (c, core), key in zip(splits, keys):
        if key not in coefficients:
            order.append(key)
            cores[key] = core
            coefficients[key] = Fraction(0)
        coefficients[key] += c
    if len(order) == len(e.terms):
        return None
    collected = build.add(*[_with_coefficient(coefficients[k], cores[k]) for k in order if coefficients[k] != 0])
    shape = s.shape(e)
    if shape and not build.is_zero(collected) and s.shape(collected) != shape:
        return build.spread(collected, s.shape(collected), shape)
    return collected


def sum_of_diags(e: Add, s) -> Expr | None:
    """diag(a) + diag(b) = diag(a + b) (and diag(a) - diag(b) = diag(a - b))"""
    terms = list(e.terms)
    diagonal = [t for t in terms if isinstance(t, Diag) or isinstance(t, Neg) and isinstance(t.arg, Diag)]
    if len(diagonal) >= 2:
        inside = [t.arg if isinstance(t, Diag) else build.neg(t.arg.arg) for t in diagonal]
        rest = [t for t in terms if t not in diagonal]
        return build.add(build.diag(build.add(*inside)), *rest)
    return None


def positive_term_first(e: Add, s) -> Expr | None:
    """-y + softmax(s) = softmax(s) - y: a positive term first"""
    terms = list(e.terms)
    if is_negative(terms[0]):
        for i, t in enumerate(terms):
            if not is_negative(t):
                return build.add(t, *terms[:i], *terms[i + 1:])
    return None


def twin_after_original(e: Add, s) -> Expr | None:
    """Aᵀ + A = A + Aᵀ: a transposed twin after its original"""
    terms = list(e.terms)
    for i, t in enumerate(terms):
        core = _split_coefficient(t)[1]
        if isinstance(core, Transpose):
            for j in range(i + 1, len(terms)):
                if _split_coefficient(terms[j])[1] == core.arg:
                    terms[i], terms[j] = terms[j], terms[i]
                    return build.add(*terms)
    return None


def _in_order(e: Expr) -> Expr:
    """A factored sum with a transposed twin after its original at once ((Aᵀ + A) x is (A + Aᵀ) x): the
    order twin_after_original would give it a round later."""
    return (twin_after_original(e, None) or e) if isinstance(e, Add) else e


def each_grouping(*rewrites):
    """A rewrite of a sum trying each ``rewrite(terms, s)`` on all its terms, then on two of them."""
    def rewrite(e: Add, s) -> Expr | None:
        terms = list(e.terms)
        whole = _factored(terms, rewrites, s)
        if whole is not None or len(terms) < 3 or len(terms) > MAX_PAIRWISE:  # (pairs: quadratic)
            return whole
        for i in range(len(terms)):  # two or more of the terms share a factor: factor those
            limits.check_time()
            for j in range(i + 1, len(terms)):
                pair = _factored([terms[i], terms[j]], rewrites, s)
                if pair is not None:
                    rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                    return build.add(*terms[:i], pair, *[t for t in rest if terms.index(t) > i])
        return None
    rewrite.parts, rewrite.combinator = rewrites, each_grouping
    rewrite.__name__ = rewrite.__qualname__ = "each_grouping(" + ", ".join(r.__name__ for r in rewrites) + ")"
    return rewrite


def _factored(terms: list, rewrites, s) -> Expr | None:
    if len({s.shape(t) for t in terms}) != 1:
        return None  # a scalar broadcast into a sum is not a term to factor with the others
    for r in rewrites:
        out = r(terms, s)
        if out is not None:
            return out
    return None


def common_coefficient(terms: list, s) -> Expr | None:
    """c A + c B = c (A + B)"""
    scaled = [_as_scaled(t) for t in terms]
    if all(sc is not None for sc in scaled) and len({c for c, _ in scaled}) == 1:
        return build.scale(scaled[0][0], build.add(*[r for _, r in scaled]))
    return None


def common_core(terms: list, s) -> Expr | None:
    """α A + β A = (α + β) A, and x + α x = (1 + α) x: scalar multiples of one term collected"""
    split = [_scalar_multiple(t) for t in terms]
    if len({core for _, core in split}) != 1 or split[0][1] == build.ONE:
        return None
    return build.scale(build.add(*[c for c, _ in split]), split[0][1])


def _scalar_multiple(t: Expr) -> tuple[Expr, Expr]:
    """t = c · core with c a scalar expression (1 if there is none)."""
    if isinstance(t, Neg):
        c, core = _scalar_multiple(t.arg)
        return build.neg(c), core
    if isinstance(t, Scale):
        c, core = _scalar_multiple(t.right)
        return (t.left if c == build.ONE else build.scale(t.left, c)), core
    return build.ONE, t


def opposite_coefficients(terms: list, s) -> Expr | None:
    """c A - c B = c (A - B), c a number"""
    scaled = [_as_scaled(t) for t in terms]
    if all(sc is not None and isinstance(sc[0], Number) for sc in scaled) \
            and len({abs(c.value) for c, _ in scaled}) == 1 and len({c for c, _ in scaled}) == 2:
        c = abs(scaled[0][0].value)
        return build.scale(Number(c), build.add(*[r if k.value > 0 else build.neg(r) for k, r in scaled]))
    return None


def common_denominator(terms: list, s) -> Expr | None:
    """A / c + B / c = (A + B) / c"""
    denominators = {t.right if isinstance(t, Div) else None for t in terms}
    if len(denominators) == 1 and None not in denominators:
        return build.div(build.add(*[t.left for t in terms]), terms[0].right)
    return None


def common_right_factor(terms: list, s) -> Expr | None:
    """A x + B x = (A + B) x"""
    splits = _products(terms)
    if splits is not None and len({m.terms[-1] for _, _, m in splits}) == 1:
        factor = splits[0][2].terms[-1]
        rest = [_signed(sign, c, build.matmul(*m.terms[:-1])) for sign, c, m in splits]
        return build.matmul(_in_order(build.add(*rest)), factor)
    return None


def common_left_factor(terms: list, s) -> Expr | None:
    """X A + X B = X (A + B)"""
    splits = _products(terms)
    if splits is not None and len({m.terms[0] for _, _, m in splits}) == 1:
        factor = splits[0][2].terms[0]
        rest = [_signed(sign, c, build.matmul(*m.terms[1:])) for sign, c, m in splits]
        return build.matmul(factor, _in_order(build.add(*rest)))
    return None


# ---------------------------------------------------------------- sum(·)
def sum_of_identity(e: Sum, s) -> Expr | None:
    """sum(I) = tr(I): the entries of I add up to its trace"""
    return build.trace(e.arg) if isinstance(e.arg, Identity) else None


def sum_of_ones(e: Sum, s) -> Expr | None:
    """sum(1_N) = N: the entries of the ones add up to their number (sum(ones(m + n)) = m + n)"""
    a = e.arg
    if isinstance(a, Ones) and a.dim is not None:
        return build.number(a.dim) if isinstance(a.dim, int) else Size(a.dim)
    return None


def sum_of_kron(e: Sum, s) -> Expr | None:
    """sum(A ⊗ B) = sum(A) sum(B): the entries of the blocks A_ij B add up to A_ij sum(B)"""
    a = e.arg
    if isinstance(a, Kron) and not s.is_scalar(a.left) and not s.is_scalar(a.right):
        return build.scale(Sum(a.left), Sum(a.right))
    return None


def sum_of_distribution(e: Sum, s) -> Expr | None:
    """sum(y) = 1 for y one-hot or a probability vector"""
    a = e.arg
    return build.ONE if isinstance(a, Symbol) and a.name in s.sums_to_one else None


def coefficient_out_of_sum(e: Sum, s) -> Expr | None:
    """sum(c A) = c sum(A)"""
    a = e.arg
    return build.scale(a.left, build.total(a.right)) if isinstance(a, Scale) else None


def quotient_out_of_sum(e: Sum, s) -> Expr | None:
    """sum(A / c) = sum(A) / c for a scalar c"""
    a = e.arg
    return build.div(build.total(a.left), a.right) if isinstance(a, Div) and s.is_scalar(a.right) else None


def sign_out_of_sum(e: Sum, s) -> Expr | None:
    """sum(-A) = -sum(A)"""
    a = e.arg
    return build.neg(build.total(a.arg)) if isinstance(a, Neg) else None


def sum_of_scalar(e: Sum, s) -> Expr | None:
    """sum(a) = a for a scalar a"""
    return e.arg if s.is_scalar(e.arg) else None


# ---------------------------------------------------------------- tr(·)
def trace_of_identity(e: Trace, s) -> Expr | None:
    """tr(I₃) = 3 and tr(I_m) = m, the size as a number (a trace of I_m inside index notation printed
    an I_m that read back as an entry of I)"""
    a = e.arg
    if not isinstance(a, Identity) or a.dim is None:
        return None
    return Number(Fraction(a.dim)) if isinstance(a.dim, int) else Size(a.dim)


def coefficient_out_of_trace(e: Trace, s) -> Expr | None:
    """tr(c A) = c tr(A)"""
    a = e.arg
    return build.scale(a.left, build.trace(a.right)) if isinstance(a, Scale) else None


def sign_out_of_trace(e: Trace, s) -> Expr | None:
    """tr(-A) = -tr(A)"""
    a = e.arg
    return build.neg(build.trace(a.arg)) if isinstance(a, Neg) else None


def trace_of_sum(e: Trace, s) -> Expr | None:
    """tr(A + B) = tr(A) + tr(B), every term of the sum's shape: not a scalar, row or column broadcast
    along it (tr(C + zᵀ) is tr(C) + Σ z, not tr(C) + tr(zᵀ)), nor a lone I (its size is not in the text)"""
    a = e.arg
    if isinstance(a, Add) and not any(s.shape(t) != s.shape(a) or isinstance(t, Identity) for t in a.terms):
        return build.add(*[build.trace(t) for t in a.terms])
    return None


# ---------------------------------------------------------------- helpers
def _products(terms: list) -> list[tuple[int, Expr | None, MatMul]] | None:
    """(sign, coefficient, product) for each term ±[c] (A B …), None if a term is no product."""
    splits = []
    for t in terms:
        sign, core = 1, t
        if isinstance(core, Neg):
            sign, core = -1, core.arg
        coef = None
        if isinstance(core, Scale):
            coef, core = core.left, core.right
        if not isinstance(core, MatMul):
            return None
        splits.append((sign, coef, core))
    return splits


def _as_scaled(t: Expr) -> tuple[Expr, Expr] | None:
    """(c, A) for t = c A or t = -(c A) (as c (-A))."""
    sign = False
    if isinstance(t, Neg):
        sign, t = True, t.arg
    if isinstance(t, Scale):
        return t.left, (build.neg(t.right) if sign else t.right)
    return None


def _like_key(core: Expr):
    """Terms alike up to the order of a Hadamard product's factors (a ⊙ w and w ⊙ a)."""
    if isinstance(core, Hadamard):
        return (Hadamard, frozenset(Counter(core.terms).items()))
    return core


def _split_coefficient(t: Expr) -> tuple[Fraction, Expr]:
    """t = c · core with c a number."""
    if isinstance(t, Number):
        return t.value, build.ONE
    if isinstance(t, Neg):
        c, core = _split_coefficient(t.arg)
        return -c, core
    if isinstance(t, Scale) and isinstance(t.left, Number):
        c, core = _split_coefficient(t.right)
        return t.left.value * c, core
    return _UNIT, t


_UNIT = Fraction(1)  # (Fractions are immutable: one 1 serves every term without a coefficient)


def _with_coefficient(c: Fraction, core: Expr) -> Expr:
    if core == build.ONE:
        return Number(c)
    if c == 1:
        return core
    if c == -1:
        return build.neg(core)
    return build.scale(Number(c), core)


def _signed(sign: int, coef: Expr | None, core: Expr) -> Expr:
    e = core if coef is None else build.scale(coef, core)
    return build.neg(e) if sign < 0 else e
