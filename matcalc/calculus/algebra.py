"""Elementwise arithmetic as SymPy expressions, for the simplifier to cancel.

Elementwise arithmetic commutes, so a region of a tree built only from sums, negations,
Hadamard products, elementwise quotients and powers (and scalings) over some *atoms* is a
rational function of those atoms; SymPy cancels it
(``(y ./ σ - (1 - y) ./ (1 - σ)) ⊙ σ ⊙ (1 - σ) = y - σ``), and
:func:`matcalc.core.symbolic.to_tree` brings the result back.
"""
from __future__ import annotations

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

    def conv(x: Expr):
        t = type(x)
        if t is Number:
            return sympy.Rational(x.value.numerator, x.value.denominator)
        if t is Ones:  # entrywise, a vector of ones is 1 (the caller keeps the shape)
            return sympy.Integer(1)
        if t is Add:
            return sympy.Add(*[conv(a) for a in x.terms])
        if t is Neg:
            return -conv(x.arg)
        if t is Scale:
            return conv(x.left) * conv(x.right)
        if t is Hadamard:
            return sympy.Mul(*[conv(a) for a in x.terms])
        if t in (ElemDiv, Div):
            return conv(x.left) / conv(x.right)
        if t in (ElemPower, Power) and isinstance(x.right, Number):
            return conv(x.left) ** sympy.Rational(x.right.value.numerator, x.right.value.denominator)
        return atom(x)

    expr = conv(e)
    return expr, {s: x for x, s in atoms.items()}, scalar_atoms
