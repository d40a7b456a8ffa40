"""Textbook forms: small named rewrites, applied bottom-up to a fixed point.

Each rewrite keeps the value and the shape; its docstring is its identity. Together they
bring a derivative to the forms the cheatsheet and the Matrix Cookbook print: transposes
pushed into products (``(g xᵀ)ᵀ = x gᵀ``) and dropped from scalars, ``X^{-T}`` as the
transpose of the inverse, coefficients pulled to the front (``2 Xᵀ (X w - y)``), like terms
collected, a common right factor taken out (``(A + Aᵀ) x``), ``diag(a) b = a ⊙ b``, no
identity or zero factors, σ, softmax and softplus recognized.

The house: :mod:`.driver` (the :class:`Simplifier`, the fixed-point loop), :mod:`.table`
(which rewrites each node type is offered, in order) and the rewrites by concern:
:mod:`.transposes`, :mod:`.products` (matrix products, scaling), :mod:`.elementwise`
(Hadamard products, quotients, powers), :mod:`.functions` (σ, softmax, softplus, logsoftmax),
:mod:`.sums` (collection, common factors, sum and trace), :mod:`.numbers`,
:mod:`.structure` (blocks, Kronecker products, vec, matrix powers, the row-wise softmax).
"""
from .driver import Simplifier

__all__ = ["Simplifier"]
