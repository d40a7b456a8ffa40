"""Elementwise (Hadamard) products, quotients and powers; rational expressions cancelled by SymPy."""
from __future__ import annotations

from fractions import Fraction

from ...core import build
from ...core.lazy import LazyModule, sympy
from ...core.nodes import Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Hadamard, Identity, Neg, Number, Scale, \
    walk
from ..algebra import ELEMENTWISE_ARITHMETIC, region_key, to_sympy

symbolic = LazyModule("matcalc.core.symbolic")

MAX_CANCEL_NODES = 60
"""Largest elementwise expression handed to SymPy's cancel (its time grows fast with the size, and
the time budget cannot interrupt it); a textbook quotient is far smaller."""


def cancelled_quotient(e: Expr, s) -> Expr | None:
    """((a ⊙ b + a) ./ (b + 1)) ⊙ x = a ⊙ x: a rational expression with a quotient, cancelled by SymPy where that is shorter"""
    if not has_quotient(e, s.quotients):
        return None
    if len(walk(e)) > MAX_CANCEL_NODES:  # SymPy's cancel is one step no deadline can stop: keep it small
        return None
    key, order = region_key(e, s.is_scalar)
    if key in _CANCELLED:
        cancelled, symbols = _CANCELLED[key]
        if cancelled is None:
            return None
        atoms = dict(zip(symbols, order))
        scalar_atoms = {sym for sym, x in atoms.items() if s.is_scalar(x)}
    else:
        expr, atoms, scalar_atoms = to_sympy(e, s.is_scalar)
        cancelled = sympy.cancel(expr)
        if sympy.count_ops(cancelled) >= sympy.count_ops(expr):
            cancelled = None
        if len(_CANCELLED) >= MAX_REMEMBERED:
            _CANCELLED.clear()
        by_tree = {x: sym for sym, x in atoms.items()}
        _CANCELLED[key] = (cancelled, tuple(by_tree[x] for x in order))
        if cancelled is None:
            return None
    tree = symbolic.to_tree(cancelled, atoms, scalar_atoms)
    return tree if s.shape(tree) == s.shape(e) else None


MAX_REMEMBERED = 1024
"""Regions whose cancellation is remembered (all forgotten at once past this many)."""

_CANCELLED: dict = {}
"""region key (:func:`~matcalc.calculus.algebra.region_key`) -> (SymPy's cancellation of the region, or
None where it is not shorter; the SymPy symbols of its atoms, in the key's order). SymPy makes the
same expression of two regions with the same key, up to the atoms, so the answer is the same."""


def has_quotient(e: Expr, memo: dict) -> bool:
    """Whether the elementwise-arithmetic region at the top of e divides by something not a number.

    Only the region is walked: what lies below its atoms cannot make it divide."""
    known = memo.get(e)
    if known is not None:
        return known
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        x, expanded = stack.pop()
        if x in memo:
            continue
        if not isinstance(x, ELEMENTWISE_ARITHMETIC):
            memo[x] = False  # an atom of the region
        elif isinstance(x, (ElemDiv, Div)) and not isinstance(x.right, Number):
            memo[x] = True
        elif expanded or not x.args:
            memo[x] = any(map(memo.__getitem__, x.args))
        else:
            stack.append((x, True))
            stack.extend((c, False) for c in x.args if c not in memo)
    return memo[e]


# ---------------------------------------------------------------- Hadamard products  a ⊙ b
def elementwise_factors_merged(e: Hadamard, s) -> Expr | None:
    """a ⊙ a = a.^2 and (1 ./ a) ⊙ a ⊙ b = b: exponents of equal factors add up"""
    factors = [p for t in e.terms for p in _elementwise_powers(t)]
    if len({base for base, _ in factors}) == len(factors):  # no base twice (most products): nothing merges
        return None
    exponents: dict[Expr, Fraction] = {}
    for base, k in factors:
        exponents[base] = exponents.get(base, Fraction(0)) + k
    if len(exponents) == len(factors) or not any(k > 0 for k in exponents.values()):
        return None
    up = [b if k == 1 else build.elempower(b, Number(k)) for b, k in exponents.items() if k > 0]
    down = [b if k == -1 else build.elempower(b, Number(-k)) for b, k in exponents.items() if k < 0]
    result = build.hadamard(*up)
    for d in down:
        result = build.elemdiv(result, d)
    return result


def coefficient_out_of_hadamard(terms: list, i: int, s) -> Expr | None:
    """a ⊙ (c b) = c (a ⊙ b)"""
    t = terms[i]
    if isinstance(t, Scale):
        return build.scale(t.left, build.hadamard(*terms[:i], t.right, *terms[i + 1:]))
    return None


def sign_out_of_hadamard(terms: list, i: int, s) -> Expr | None:
    """a ⊙ (-b) = -(a ⊙ b)"""
    t = terms[i]
    if isinstance(t, Neg):
        return build.neg(build.hadamard(*terms[:i], t.arg, *terms[i + 1:]))
    return None


def number_in_hadamard(terms: list, i: int, s) -> Expr | None:
    """2 ⊙ a = 2 a"""
    t = terms[i]
    if isinstance(t, Number) and len(terms) > 1 and t.value != 1:
        return build.scale(t, build.hadamard(*terms[:i], *terms[i + 1:]))
    return None


def quotient_out_of_hadamard(terms: list, i: int, s) -> Expr | None:
    """(a / c) ⊙ b = (a ⊙ b) / c"""
    t = terms[i]
    if isinstance(t, Div):
        return build.div(build.hadamard(*terms[:i], t.left, *terms[i + 1:]), t.right)
    return None


def ones_in_hadamard(terms: list, i: int, s) -> Expr | None:
    """1 ⊙ a = a and ones(n) ⊙ a = a: the identity of the Hadamard product dropped (unless it carried
    the shape: ones(k) ones(k)^T ⊙ w^T is the k x k matrix of rows w^T, ones(k) w^T, not the row)"""
    t = terms[i]
    if isinstance(t, Number) and t.value == 1 or build.all_ones(t):
        rest = terms[:i] + terms[i + 1:]
        if rest:
            kept = build.hadamard(*rest)
            have, shape = s.shape(kept), s.shape(build.hadamard(*terms))
            return kept if have == shape else build.spread(kept, have, shape)
    return None


# ---------------------------------------------------------------- elementwise quotients and powers
def elementwise_quotient_by_number(e: ElemDiv, s) -> Expr | None:
    """a ./ 2 = (1/2) a"""
    b = e.right
    if isinstance(b, Number) and b.value != 0:
        return build.scale(Number(1 / b.value), e.left)
    return None


def elementwise_quotient_of_negation(e: ElemDiv, s) -> Expr | None:
    """(-a) ./ b = -(a ./ b)"""
    a = e.left
    return build.neg(build.elemdiv(a.arg, e.right)) if isinstance(a, Neg) else None


def coefficient_out_of_elementwise_quotient(e: ElemDiv, s) -> Expr | None:
    """(c a) ./ b = c (a ./ b)"""
    a = e.left
    return build.scale(a.left, build.elemdiv(a.right, e.right)) if isinstance(a, Scale) else None


def first_elementwise_power(e: ElemPower, s) -> Expr | None:
    """a.^1 = a"""
    return e.left if isinstance(e.right, Number) and e.right.value == 1 else None


def diagonal_of_diag(e: DiagPart, s) -> Expr | None:
    """diag(diag(a)) = a: the diagonal of the diagonal matrix of a"""
    return e.arg.arg if isinstance(e.arg, Diag) else None


def coefficient_out_of_diagonal(e: DiagPart, s) -> Expr | None:
    """diag(c A) = c diag(A): so diag(2 t I) is 2 t ones(n), whose size reads back"""
    a = e.arg
    return build.scale(a.left, DiagPart(a.right)) if isinstance(a, Scale) else None


def diagonal_of_identity(e: DiagPart, s) -> Expr | None:
    """diag(I_n) = ones(n): the diagonal of the identity"""
    a = e.arg
    return build.ones(a.dim) if isinstance(a, Identity) and a.dim is not None else None


def _elementwise_powers(x: Expr) -> list[tuple[Expr, Fraction]]:
    """An elementwise factor as (base, exponent) pairs: 1 ./ a is (a, -1), a.^2 is (a, 2)."""
    if isinstance(x, ElemPower) and isinstance(x.right, Number):
        return [(x.left, x.right.value)]
    if isinstance(x, ElemDiv):
        return _elementwise_powers(x.left) + [(b, -k) for b, k in _elementwise_powers(x.right)]
    if isinstance(x, Number) and x.value == 1:
        return []
    return [(x, Fraction(1))]

