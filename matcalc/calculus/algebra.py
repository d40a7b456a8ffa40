"""Elementwise arithmetic as SymPy expressions, for the simplifier to cancel.

Elementwise arithmetic commutes, so a region of a tree built only from sums, negations,
Hadamard products, elementwise quotients and powers (and scalings) over some *atoms* is a
rational function of those atoms; SymPy cancels it
(``(y ./ σ - (1 - y) ./ (1 - σ)) ⊙ σ ⊙ (1 - σ) = y - σ``), and
:func:`matcalc.core.symbolic.to_tree` brings the result back.
"""
from __future__ import annotations

from ..core import limits
from ..core.lazy import sympy  # imported on first use: most derivations never cancel a quotient
from ..core.nodes import Add, Div, ElemDiv, ElemPower, Expr, Hadamard, Neg, Number, Ones, Power, Scale

ELEMENTWISE_ARITHMETIC = (Add, Neg, Scale, Hadamard, ElemDiv, Div, ElemPower, Power, Number)


def to_sympy(e: Expr, is_scalar) -> tuple[sympy.Expr, dict, set] | None:
    """The elementwise-arithmetic region at the top of e as a sympy expression over atoms.

    Returns (expression, atoms: sympy symbol -> tree, scalar atoms), or None if the region
    has a power that is not a number.
    """
    atoms: dict[Expr, sympy.Symbol] = {}
    scalar_atoms: set = set()

    def atom(x: Expr) -> sympy.Symbol:
        if x not in atoms:
            s = sympy.Dummy(f"a{len(atoms)}", commutative=True)
            atoms[x] = s
            if is_scalar(x):
                scalar_atoms.add(s)
        return atoms[x]

    def region(x: Expr) -> bool:
        t = type(x)
        return t in (Add, Neg, Scale, Hadamard, ElemDiv, Div) or \
            (t in (ElemPower, Power) and isinstance(x.right, Number))

    def conv(x: Expr, kids: list):
        t = type(x)
        if t is Number:
            return sympy.Rational(x.value.numerator, x.value.denominator)
        if t is Ones:  # entrywise, a vector of ones is 1 (the caller keeps the shape)
            return sympy.Integer(1)
        if not region(x):
            return atom(x)
        if t is Add:
            return sympy.Add(*kids)
        if t is Neg:
            return -kids[0]
        if t is Scale:
            return kids[0] * kids[1]
        if t is Hadamard:
            return sympy.Mul(*kids)
        if t in (ElemDiv, Div):
            return kids[0] / kids[1]
        return kids[0] ** sympy.Rational(x.right.value.numerator, x.right.value.denominator)

    # children first, iteratively, each distinct node once; atoms are not entered
    memo: dict[Expr, object] = {}
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        x, expanded = stack.pop()
        if x in memo:
            continue
        limits.spend(1, "cancelling an elementwise quotient")
        if expanded or not region(x):
            memo[x] = conv(x, [memo[c] for c in x.args] if region(x) else [])
            continue
        stack.append((x, True))
        stack.extend((c, False) for c in reversed(x.args) if c not in memo)
    return memo[e], {s: x for x, s in atoms.items()}, scalar_atoms


def region_key(e: Expr, is_scalar) -> tuple[tuple, list[Expr]] | None:
    """The elementwise-arithmetic region at the top of e up to the names of its atoms: a key equal
    for two regions exactly when :func:`to_sympy` makes the same SymPy expression of them (atoms
    numbered as to_sympy numbers them, by the same walk), and the atoms in that order.

    What SymPy makes of a region depends on nothing but this key, so its cancellation can be
    remembered by it (see :func:`matcalc.calculus.simplify.elementwise.cancelled_quotient`)."""
    atoms: dict[Expr, tuple] = {}
    order: list[Expr] = []

    def atom(x: Expr) -> tuple:
        if x not in atoms:
            atoms[x] = ("atom", len(order), bool(is_scalar(x)))
            order.append(x)
        return atoms[x]

    def region(x: Expr) -> bool:
        t = type(x)
        return t in (Add, Neg, Scale, Hadamard, ElemDiv, Div) or \
            (t in (ElemPower, Power) and isinstance(x.right, Number))

    def conv(x: Expr, kids: list) -> tuple:
        t = type(x)
        if t is Number:
            return ("number", x.value)
        if t is Ones:
            return ("number", 1)
        if not region(x):
            return atom(x)
        if t in (ElemPower, Power):
            return (t.__name__, kids[0], x.right.value)
        return (t.__name__, *kids)

    memo: dict[Expr, tuple] = {}
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        x, expanded = stack.pop()
        if x in memo:
            continue
        if expanded or not region(x):
            memo[x] = conv(x, [memo[c] for c in x.args] if region(x) else [])
            continue
        stack.append((x, True))
        stack.extend((c, False) for c in reversed(x.args) if c not in memo)
    return memo[e], order
