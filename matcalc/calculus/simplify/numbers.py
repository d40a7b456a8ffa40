"""Numbers, signs, scalar quotients and scalar powers.

Every rewrite here (and in the sibling modules) is ``rewrite(e, s) -> Expr | None``: the
rewritten node, or None where it does not apply; ``s`` is the :class:`~.driver.Simplifier`
(shapes, declared properties). The docstring's first line is the identity.
"""
from __future__ import annotations

from ...core import build
from ...core.nodes import Add, Div, Expr, Neg, Number, Power, Scale


def zero_argument(e: Expr, s) -> Expr | None:
    """tr(0) = diag(0) = sum(0) = 0ᵀ = -0 = vec(0) = unvec(0) = rows(0) = padrows(0) = 0 (a zero of any shape)"""
    if build.is_zero(e.arg):
        return build.ZERO
    return None


# ---------------------------------------------------------------- negation
def negated_negative_sum(e: Neg, s) -> Expr | None:
    """-(-a - b) = a + b"""
    a = e.arg
    if isinstance(a, Add) and all(is_negative(t) for t in a.terms):
        return build.add(*[build.neg(t) for t in a.terms])
    return None


def negated_sign(e: Neg, s) -> Expr | None:
    """-(-a) = a, -(2) = -2, -(3 A) = -3 A"""
    a = e.arg
    if isinstance(a, (Neg, Number)) or (isinstance(a, Scale) and isinstance(a.left, Number)):
        return build.neg(a)
    return None


# ---------------------------------------------------------------- scalar quotients  A / c
def quotient_by_number(e: Div, s) -> Expr | None:
    """A / 2 = (1/2) A"""
    c = e.right
    if isinstance(c, Number) and c.value != 0:
        return build.scale(Number(1 / c.value), e.left)
    return None


def quotient_by_itself(e: Div, s) -> Expr | None:
    """a / a = 1"""
    return build.ONE if e.left == e.right else None


def quotient_of_negation(e: Div, s) -> Expr | None:
    """(-A) / c = -(A / c)"""
    a = e.left
    if isinstance(a, Neg):
        return build.neg(build.div(a.arg, e.right))
    return None


def quotient_of_its_multiple(e: Div, s) -> Expr | None:
    """(c A) / c = A"""
    a = e.left
    if isinstance(a, Scale) and a.left == e.right:
        return a.right
    return None


def number_out_of_quotient(e: Div, s) -> Expr | None:
    """(2 A) / c = 2 (A / c)"""
    a = e.left
    if isinstance(a, Scale) and isinstance(a.left, Number):
        return build.scale(a.left, build.div(a.right, e.right))
    return None


def quotient_of_quotient(e: Div, s) -> Expr | None:
    """(x / p) / q = x / (p q)"""
    a = e.left
    if isinstance(a, Div):
        return build.div(a.left, build.scale(a.right, e.right))
    return None


# ---------------------------------------------------------------- scalar powers  c^p
def first_power(e: Power, s) -> Expr | None:
    """c¹ = c"""
    p = e.right
    return e.left if isinstance(p, Number) and p.value == 1 else None


def zeroth_power(e: Power, s) -> Expr | None:
    """c⁰ = 1"""
    p = e.right
    return build.ONE if isinstance(p, Number) and p.value == 0 else None


def power_of_number(e: Power, s) -> Expr | None:
    """2³ = 8 (an integer exponent under 64; no 0 to a negative power)"""
    c, p = e.left, e.right
    if isinstance(p, Number) and isinstance(c, Number) and p.value.denominator == 1 and abs(p.value) < 64 \
            and (c.value != 0 or p.value > 0):
        return Number(c.value ** int(p.value))
    return None


def power_of_power(e: Power, s) -> Expr | None:
    """(c^p)^q = c^(p q), p and q numbers"""
    c, p = e.left, e.right
    if isinstance(p, Number) and isinstance(c, Power) and isinstance(c.right, Number):
        return build.power(c.left, Number(c.right.value * p.value))
    return None


# ---------------------------------------------------------------- shared tests
def is_negative(t: Expr) -> bool:
    """-a, a negative number, or a negative multiple."""
    return isinstance(t, Neg) or (isinstance(t, Number) and t.value < 0) or \
        (isinstance(t, Scale) and isinstance(t.left, Number) and t.left.value < 0)


def reciprocal_of(c: Expr) -> Expr | None:
    """a, where c is 1 / a or a⁻¹ (a scalar power)."""
    if isinstance(c, Div) and isinstance(c.left, Number) and c.left.value == 1:
        return c.right
    if isinstance(c, Power) and isinstance(c.right, Number) and c.right.value == -1:
        return c.left
    return None
