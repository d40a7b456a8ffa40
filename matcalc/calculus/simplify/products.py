"""Matrix products and scaling: coefficients pulled to the front, inverse pairs and ones dropped.

A product's rewrites look at one factor (``rewrite(terms, i, s)``) or two neighbours
(``terms[i]``, ``terms[i + 1]``); :func:`each_factor` and :func:`each_pair` try them from
the left, position by position.
"""
from __future__ import annotations

from fractions import Fraction

from ...core import build
from ...core.nodes import Diag, Div, Expr, Inverse, MatMul, Neg, Number, Ones, Power, Scale, Symbol, Transpose
from .numbers import reciprocal_of


def each_factor(*rewrites):
    """A rewrite of a product trying each ``rewrite(terms, i, s)`` at each factor, from the left."""
    def rewrite(e: Expr, s) -> Expr | None:
        terms = list(e.terms)
        for i in range(len(terms)):
            for r in rewrites:
                out = r(terms, i, s)
                if out is not None:
                    return out
        return None
    rewrite.parts, rewrite.combinator = rewrites, each_factor
    rewrite.__name__ = rewrite.__qualname__ = "each_factor(" + ", ".join(r.__name__ for r in rewrites) + ")"
    return rewrite


def each_pair(*rewrites):
    """A rewrite of a product trying each ``rewrite(terms, i, s)`` at each two neighbours, from the left."""
    def rewrite(e: Expr, s) -> Expr | None:
        terms = list(e.terms)
        for i in range(len(terms) - 1):
            for r in rewrites:
                out = r(terms, i, s)
                if out is not None:
                    return out
        return None
    rewrite.parts, rewrite.combinator = rewrites, each_pair
    rewrite.__name__ = rewrite.__qualname__ = "each_pair(" + ", ".join(r.__name__ for r in rewrites) + ")"
    return rewrite


# ---------------------------------------------------------------- matrix products
def ones_times_distribution(terms: list, i: int, s) -> Expr | None:
    """1ᵀ y = 1 for y one-hot or a probability vector"""
    a, b = terms[i], terms[i + 1]
    if isinstance(a, Transpose) and isinstance(a.arg, Ones) and isinstance(b, Symbol) and b.name in s.sums_to_one:
        return build.matmul(*terms[:i], *terms[i + 2:]) if len(terms) > 2 else build.ONE
    return None


def coefficient_out_of_product(terms: list, i: int, s) -> Expr | None:
    """A (c B) = c (A B)"""
    t = terms[i]
    if isinstance(t, Scale):
        return build.scale(t.left, build.matmul(*terms[:i], t.right, *terms[i + 1:]))
    return None


def sign_out_of_product(terms: list, i: int, s) -> Expr | None:
    """A (-B) = -(A B)"""
    t = terms[i]
    if isinstance(t, Neg):
        return build.neg(build.matmul(*terms[:i], t.arg, *terms[i + 1:]))
    return None


def quotient_out_of_product(terms: list, i: int, s) -> Expr | None:
    """A (B / c) = (A B) / c"""
    t = terms[i]
    if isinstance(t, Div):
        return build.div(build.matmul(*terms[:i], t.left, *terms[i + 1:]), t.right)
    return None


def inverse_pair(terms: list, i: int, s) -> Expr | None:
    """X⁻¹ X = I (and X X⁻¹ = I, Xᵀ X⁻ᵀ = I, X⁻ᵀ Xᵀ = I)"""
    a, b = terms[i], terms[i + 1]
    if isinstance(a, Transpose) and isinstance(b, Transpose):
        a, b = a.arg, b.arg
    if (isinstance(a, Inverse) and a.arg == b) or (isinstance(b, Inverse) and b.arg == a):
        return build.matmul(*terms[:i], *terms[i + 2:]) if len(terms) > 2 else \
            build.identity(s.shape(terms[i])[0])
    return None


def diag_times_vector(terms: list, i: int, s) -> Expr | None:
    """diag(a) b = a ⊙ b, b a vector"""
    a, b = terms[i], terms[i + 1]
    if isinstance(a, Diag) and len(s.shape(b)) == 1:
        return build.matmul(*terms[:i], build.hadamard(a.arg, b), *terms[i + 2:])
    return None


def row_times_diag(e: MatMul, s) -> Expr | None:
    """bᵀ diag(a) = (b ⊙ a)ᵀ, b a vector"""
    terms = e.terms
    first = terms[0]
    if isinstance(terms[1], Diag) and isinstance(first, Transpose) and len(s.shape(first.arg)) == 1:
        row = build.transpose(build.hadamard(first.arg, terms[1].arg))
        return build.matmul(row, *terms[2:]) if len(terms) > 2 else row
    return None


# ---------------------------------------------------------------- scaling  c A
def reciprocal_coefficient(e: Scale, s) -> Expr | None:
    """(1/c) A = A / c, A not a scalar"""
    c = reciprocal_of(e.left)
    if c is not None and not s.is_scalar(e.right):
        return build.div(e.right, c)
    return None


def unit_coefficient(e: Scale, s) -> Expr | None:
    """1 A = A"""
    return e.right if isinstance(e.left, Number) and e.left.value == 1 else None


def zero_coefficient(e: Scale, s) -> Expr | None:
    """0 A = 0"""
    return build.ZERO if isinstance(e.left, Number) and e.left.value == 0 else None


def minus_one_coefficient(e: Scale, s) -> Expr | None:
    """(-1) A = -A"""
    return build.neg(e.right) if isinstance(e.left, Number) and e.left.value == -1 else None


def times_one(e: Scale, s) -> Expr | None:
    """c · 1 = c"""
    a = e.right
    return e.left if isinstance(a, Number) and a.value == 1 and s.is_scalar(a) else None


def negative_coefficient(e: Scale, s) -> Expr | None:
    """(-c) A = -(c A)"""
    c = e.left
    return build.neg(build.scale(c.arg, e.right)) if isinstance(c, Neg) else None


def multiple_of_negation(e: Scale, s) -> Expr | None:
    """c (-A) = -(c A)"""
    a = e.right
    return build.neg(build.scale(e.left, a.arg)) if isinstance(a, Neg) else None


def product_of_numbers(e: Scale, s) -> Expr | None:
    """2 · 3 = 6"""
    c, a = e.left, e.right
    return Number(c.value * a.value) if isinstance(c, Number) and isinstance(a, Number) else None


def name_first(e: Scale, s) -> Expr | None:
    """c x = x c for a scalar name x and a compound c: plain names before compound factors (c xᵀx)"""
    c, a = e.left, e.right
    if isinstance(a, Symbol) and s.is_scalar(a) and not isinstance(c, (Symbol, Number)):
        return build.scale(a, c)
    return None


def product_coefficient(e: Scale, s) -> Expr | None:
    """(c d) A = c (d A)"""
    c = e.left
    return build.scale(c.left, build.scale(c.right, e.right)) if isinstance(c, Scale) else None


def numbers_multiplied(e: Scale, s) -> Expr | None:
    """2 (3 A) = 6 A"""
    c, a = e.left, e.right
    if isinstance(a, Scale) and isinstance(c, Number) and isinstance(a.left, Number):
        return build.scale(Number(c.value * a.left.value), a.right)
    return None


def number_first(e: Scale, s) -> Expr | None:
    """c (2 A) = 2 (c A): numbers first"""
    c, a = e.left, e.right
    if isinstance(a, Scale) and isinstance(a.left, Number) and not isinstance(c, Number):
        return build.scale(a.left, build.scale(c, a.right))
    return None


def inner_name_first(e: Scale, s) -> Expr | None:
    """c (x A) = x (c A) for a name x and a compound c: then plain names"""
    c, a = e.left, e.right
    if isinstance(a, Scale) and isinstance(a.left, Symbol) and not isinstance(c, (Symbol, Number)):
        return build.scale(a.left, build.scale(c, a.right))
    return None


def multiple_of_quotient_by_it(e: Scale, s) -> Expr | None:
    """c (X / c) = X"""
    c, a = e.left, e.right
    return a.left if isinstance(a, Div) and a.right == c else None


def power_times_quotient(e: Scale, s) -> Expr | None:
    """d^p (X / d) = d^(p-1) X, p a number"""
    c, a = e.left, e.right
    if isinstance(a, Div) and isinstance(c, Power) and c.left == a.right and isinstance(c.right, Number):
        return build.scale(build.power(a.right, Number(c.right.value - 1)), a.left)
    return None


def multiple_times_quotient(e: Scale, s) -> Expr | None:
    """(b d) (X / d) = b X"""
    c, a = e.left, e.right
    if isinstance(a, Div) and isinstance(c, Scale) and c.right == a.right:
        return build.scale(c.left, a.left)
    return None


def scalar_factors_merged(e: Scale, s) -> Expr | None:
    """a a X = a² X and c a (1/a) X = c X: powers of equal scalar factors add up"""
    if scalar_bases(e, s) is not None:
        return None  # no base twice: nothing to merge
    factors: list[tuple[Expr, Fraction]] = []
    core: Expr | None = None
    pending = [e]
    while pending:
        x = pending.pop(0)
        if isinstance(x, Scale):
            pending[0:0] = [x.left, x.right]
        elif not s.is_scalar(x):
            if core is not None:
                return None
            core = x
        else:
            factors.extend(powers(x))
    exponents: dict[Expr, Fraction] = {}
    for base, k in factors:
        exponents[base] = exponents.get(base, Fraction(0)) + k
    if len(exponents) == len(factors):
        return None  # nothing to merge
    number = Fraction(1)
    up: list[Expr] = []
    down: list[Expr] = []
    if any(isinstance(b, Number) and b.value == 0 and k < 0 for b, k in exponents.items()):
        return None  # 0^-1 stays as written
    for base, k in exponents.items():
        if isinstance(base, Number) and k.denominator == 1:
            number *= base.value ** int(k)
        elif k > 0:  # a number to a fractional power (5^{1/2}) stays a factor, as a name does
            up.append(base if k == 1 else build.power(base, Number(k)))
        elif k < 0:
            down.append(base if k == -1 else build.power(base, Number(-k)))
    result = core if core is not None else build.ONE
    for f in reversed(up):
        result = build.scale(f, result)
    for f in down:
        result = build.div(result, f)
    return build.scale(Number(number), result)


def scalar_bases(e: Expr, s) -> frozenset | None:
    """The scalar bases of a chain of scalings, None if two of them are equal (a merge is due).

    Remembered per node (in ``s.bases``), so checking a long chain c1 (c2 (… X)) costs one
    step per link."""
    if e in s.bases:
        return s.bases[e]
    if isinstance(e, Scale):
        left, right = scalar_bases(e.left, s), scalar_bases(e.right, s)
        out = None if left is None or right is None or left & right else left | right
    elif s.is_scalar(e):
        bases = [b for b, _ in powers(e)]
        out = frozenset(bases) if len(set(bases)) == len(bases) else None
    else:
        out = frozenset()
    s.bases[e] = out
    return out


def powers(x: Expr) -> list[tuple[Expr, Fraction]]:
    """A scalar factor as (base, exponent) pairs: 1/a is (a, -1), a^2 is (a, 2)."""
    if isinstance(x, Number):
        return [(x, Fraction(1))]
    if isinstance(x, Power) and isinstance(x.right, Number):
        return [(b, k * x.right.value) for b, k in powers(x.left)] if isinstance(x.left, Power) \
            else [(x.left, x.right.value)]
    if isinstance(x, Div):
        return powers(x.left) + [(b, -k) for b, k in powers(x.right)]
    return [(x, Fraction(1))]
