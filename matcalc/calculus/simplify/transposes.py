"""Transposes and inverses: pushed into products, dropped from scalars and symmetric matrices.

``X^{-T}`` is kept as the transpose of the inverse, ``(X^{-1})^T``.
"""
from __future__ import annotations

from ...core import build
from ...core.nodes import Add, Diag, Div, Expr, Identity, Inverse, MatMul, Neg, Number, Scale, Transpose


# ---------------------------------------------------------------- transposes  Aᵀ
def transpose_of_scalar(e: Transpose, s) -> Expr | None:
    """aᵀ = a for a scalar a"""
    return e.arg if s.is_scalar(e.arg) else None


def transpose_of_symmetric(e: Transpose, s) -> Expr | None:
    """Sᵀ = S for S symmetric: declared so, X Xᵀ, A + Aᵀ, (Xᵀ X)⁻¹, …"""
    return e.arg if s.is_symmetric(e.arg) else None


def double_transpose(e: Transpose, s) -> Expr | None:
    """(Aᵀ)ᵀ = A"""
    return e.arg.arg if isinstance(e.arg, Transpose) else None


def transpose_of_diagonal(e: Transpose, s) -> Expr | None:
    """Iᵀ = I, diag(a)ᵀ = diag(a), 2ᵀ = 2"""
    return e.arg if isinstance(e.arg, (Number, Identity, Diag)) else None


def transpose_of_negation(e: Transpose, s) -> Expr | None:
    """(-A)ᵀ = -Aᵀ"""
    a = e.arg
    return build.neg(build.transpose(a.arg)) if isinstance(a, Neg) else None


def transpose_of_multiple(e: Transpose, s) -> Expr | None:
    """(c A)ᵀ = c Aᵀ"""
    a = e.arg
    return build.scale(a.left, build.transpose(a.right)) if isinstance(a, Scale) else None


def transpose_of_product(e: Transpose, s) -> Expr | None:
    """(A B)ᵀ = Bᵀ Aᵀ"""
    a = e.arg
    if isinstance(a, MatMul):
        return build.matmul(*[build.transpose(t) for t in reversed(a.terms)])
    return None


def transpose_of_sum(e: Transpose, s) -> Expr | None:
    """(A + B)ᵀ = Aᵀ + Bᵀ, where at most one term stays transposed

    (A + Aᵀ)ᵀ = A + Aᵀ and (diag(s) - s sᵀ)ᵀ = diag(s) - s sᵀ, but (x - μ)ᵀ stays."""
    a = e.arg
    if isinstance(a, Add):
        terms = [s.simplified(build.transpose(t)) for t in a.terms]
        if sum(_is_transposed(t) for t in terms) <= 1:
            return build.add(*terms)
    return None


def transpose_of_inverse_transpose(e: Transpose, s) -> Expr | None:
    """(Xᵀ)⁻ᵀ = X⁻¹"""
    a = e.arg
    if isinstance(a, Inverse) and isinstance(a.arg, Transpose):
        return build.inverse(a.arg.arg)
    return None


def transpose_of_quotient(e: Transpose, s) -> Expr | None:
    """(A / c)ᵀ = Aᵀ / c"""
    a = e.arg
    return build.div(build.transpose(a.left), a.right) if isinstance(a, Div) else None


# ---------------------------------------------------------------- inverses  X⁻¹
def double_inverse(e: Inverse, s) -> Expr | None:
    """(X⁻¹)⁻¹ = X"""
    return e.arg.arg if isinstance(e.arg, Inverse) else None


def inverse_of_identity(e: Inverse, s) -> Expr | None:
    """I⁻¹ = I"""
    return e.arg if isinstance(e.arg, Identity) else None


def inverse_of_transpose(e: Inverse, s) -> Expr | None:
    """(Xᵀ)⁻¹ = X⁻ᵀ, written (X⁻¹)ᵀ"""
    a = e.arg
    return build.transpose(build.inverse(a.arg)) if isinstance(a, Transpose) else None


def _is_transposed(t: Expr) -> bool:
    while isinstance(t, (Neg, Scale)):
        t = t.arg if isinstance(t, Neg) else t.right
    return isinstance(t, Transpose)
