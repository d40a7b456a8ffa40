"""Scalar algebra through SymPy: elementwise formulas to and from trees.

Elementwise arithmetic commutes, so a region of a tree built only from sums, negations,
Hadamard products, elementwise quotients and powers (and scalings) over some *atoms* is a
rational function of those atoms; SymPy cancels it
(``(y ./ σ - (1 - y) ./ (1 - σ)) ⊙ σ ⊙ (1 - σ) = y - σ``). The same converter turns SymPy's
derivatives of named functions into trees (``tanh' = 1 - tanh²``).
"""
from __future__ import annotations

from fractions import Fraction

import sympy

from ..core import build
from ..core import functions
from ..core.errors import MissingRuleError
from ..core.nodes import (
    Add, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, LogSoftmax, Nary, Neg, Number, Ones, Power, Scale,
    Softmax, Sum, fold,
)

ELEMENTWISE_ARITHMETIC = (Add, Neg, Scale, Hadamard, ElemDiv, Div, ElemPower, Power, Number)


def to_tree(expr: sympy.Expr, atoms: dict, scalar_atoms: set) -> Expr:
    """A sympy expression as a tree: atoms (sympy symbol -> tree) are taken elementwise;
    products and quotients of non-scalar factors are Hadamard, of scalars plain."""

    def is_scalar(e) -> bool:
        return all(s in scalar_atoms for s in e.free_symbols if s in atoms)

    def conv(e):
        if e in atoms:
            return atoms[e]
        if e.is_Number:
            return Number(Fraction(int(e.p), int(e.q))) if e.is_Rational else Number(Fraction(float(e)))
        if e.is_Add:
            # a constant first reads best (1 - tanh(z)^2), then positive terms before negative ones
            consts = [a for a in e.args if a.is_Number]
            rest = sorted((a for a in e.args if not a.is_Number),
                          key=lambda a: (a.could_extract_minus_sign(), sympy.default_sort_key(a)))
            return build.add(*[conv(a) for a in consts + rest])
        if e.is_Mul:
            num, den = sympy.fraction(e)
            if den != 1:
                a, b = conv(num), conv(den)
                return build.div(a, b) if is_scalar(den) else build.elemdiv(a, b)
            coeff, rest = e.as_coeff_Mul()
            factors = sorted(sympy.Mul.make_args(rest),
                             key=lambda a: (not is_scalar(a), not isinstance(a, sympy.Function) and not a.is_Pow,
                                            a.is_Add, sympy.default_sort_key(a)))
            scalars = [conv(f) for f in factors if is_scalar(f)]
            others = [conv(f) for f in factors if not is_scalar(f)]
            acc = build.hadamard(*others) if others else (scalars.pop() if scalars else build.ONE)
            for c in reversed(scalars):
                acc = build.scale(c, acc)
            if coeff == -1:
                return build.neg(acc)
            return build.scale(conv(coeff), acc) if coeff != 1 else acc
        if e.is_Pow:
            base, exponent = e.args
            if exponent == sympy.Rational(1, 2):
                return Func("sqrt", conv(base))
            if exponent.is_Number and exponent < 0:
                b = conv(base ** (-exponent))
                return build.div(build.ONE, b) if is_scalar(base) else build.elemdiv(build.ONE, b)
            return (build.power if is_scalar(base) else build.elempower)(conv(base), conv(exponent))
        if isinstance(e, sympy.Function) and e.func in functions.NAME_OF:
            return Func(functions.NAME_OF[e.func], conv(e.args[0]))
        raise MissingRuleError(f"cannot express {e} in the language")

    return conv(expr)


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


def derivative_tree(name: str, order: int, z: Expr, scalar: bool) -> Expr:
    """The order-th derivative of a named elementwise function at z, as a tree."""
    expr = functions.derivative(name, order)
    return to_tree(expr, {functions.T: z}, {functions.T} if scalar else set())


def stable(e: Expr, is_vector) -> Expr:
    """e with the logs that overflow when computed literally in their stable forms.

    log(sum(exp(x))) (x a vector) = sum(softmax(x) ⊙ (x - logsoftmax(x))), the log-sum-exp
    through the max-subtracted softmax; log(softmax(x)) = logsoftmax(x); log(σ(t)) =
    -softplus(-t); log(1 + exp(t)) = softplus(t). Same values, finite where the math is.
    """

    def fn(node, kids):
        if kids and any(k is not c for k, c in zip(kids, node.args)):
            node = _rebuilt(node, kids)
        if not (isinstance(node, Func) and node.name == "log" and node.order == 0):
            return node
        a = node.arg
        if isinstance(a, Sum) and _is_exp(a.arg) and is_vector(a.arg.arg):
            x = a.arg.arg
            return Sum(Hadamard((Softmax(x), build.sub(x, LogSoftmax(x)))))
        if isinstance(a, Softmax):
            return LogSoftmax(a.arg)
        if isinstance(a, Func) and a.name == "sigmoid" and a.order == 0:
            return build.neg(Func("softplus", build.neg(a.arg)))
        if isinstance(a, Add) and len(a.terms) == 2:
            one, other = a.terms if isinstance(a.terms[0], Number) else a.terms[::-1]
            if isinstance(one, Number) and one.value == 1 and _is_exp(other):
                return Func("softplus", other.arg)
        return node

    return fold(e, fn)


def _is_exp(e: Expr) -> bool:
    return isinstance(e, Func) and e.name == "exp" and e.order == 0


def _rebuilt(node: Expr, kids: list[Expr]) -> Expr:
    t = type(node)
    if t in (Add, Hadamard) or isinstance(node, Nary):
        return t(tuple(kids))
    if t is Func:
        return Func(node.name, kids[0], node.order)
    return t(*kids)
