"""Stable forms: the same values, computed so that they stay finite where the math is.

One set for the evaluator and the code generator. :func:`stable` rewrites a tree:
log(softmax(x)) = logsoftmax(x); log(σ(t)) = -softplus(-t); log(1 + e^t) = softplus(t);
e^z / sum(e^z) = softmax(z) (also written (1 / sum(e^z)) e^z). Log-sum-exps are recognized
where they are computed (:func:`logsumexp_arg`, :func:`logsumexp_columns_arg`) and computed
with the max subtracted.
"""
from __future__ import annotations

from . import build
from .nodes import Largest
from .nodes import Add, Div, Expr, Func, LogSoftmax, MatMul, Ones, Scale, Softmax, Sum, Transpose, fold, with_args


def is_exp(e: Expr) -> bool:
    return type(e) is Func and e.name == "exp" and e.order == 0


def _is_log(e: Expr) -> bool:
    return type(e) is Func and e.name == "log" and e.order == 0


def _one_plus_exp(e: Expr) -> Expr | None:
    """t, where e is 1 + e^t (or e^t + 1)."""
    if type(e) is Add and len(e.terms) == 2:
        a, b = e.terms
        if build.is_one(a) and is_exp(b):
            return b.arg
        if build.is_one(b) and is_exp(a):
            return a.arg
    return None


def _rewrite(node: Expr) -> Expr:
    t = type(node)
    if _is_log(node):
        a = node.arg
        if type(a) is Softmax:  # log(softmax(x)) = logsoftmax(x)
            return LogSoftmax(a.arg)
        if type(a) is Func and a.name == "sigmoid" and a.order == 0:  # log σ(t) = -softplus(-t)
            return build.neg(Func("softplus", build.neg(a.arg)))
        inner = _one_plus_exp(a)
        if inner is not None:  # log(1 + e^t) = softplus(t)
            return Func("softplus", inner)
    # e^z / sum(e^z) and (1 / sum(e^z)) e^z: softmax(z)
    if t is Div and is_exp(node.left) and node.right == Sum(node.left):
        return _softmax_of_all(node.left.arg)
    if t is Scale and is_exp(node.right) and type(node.left) is Div and build.is_one(node.left.left) \
            and node.left.right == Sum(node.right):
        return _softmax_of_all(node.right.arg)
    return node


def _softmax_of_all(z: Expr) -> Expr:
    """e^z / sum(e^z) over every entry (softmax(z) for a vector; a matrix's softmax is row by row),
    the largest entry subtracted first."""
    shifted = Func("exp", build.sub(z, Largest(z)))
    return Div(shifted, Sum(shifted))


def stable(e: Expr, memo: dict | None = None) -> Expr:
    """e with every stable form applied (bottom-up)."""
    return fold(e, lambda node, kids: _rewrite(with_args(node, kids) if kids else node), memo)


def logsumexp_arg(node: Expr) -> Expr | None:
    """z, where node is log(sum(exp(z))): computed as m + log(sum(exp(z - m))), m = max z."""
    if _is_log(node) and type(node.arg) is Sum and is_exp(node.arg.arg):
        return node.arg.arg.arg
    return None


def logsumexp_columns_arg(node: Expr) -> Expr | None:
    """Z, where node is log(1ᵀ exp(Z)): the log-sum-exp of each column, max subtracted."""
    if _is_log(node) and type(node.arg) is MatMul and len(node.arg.terms) == 2:
        ones, e = node.arg.terms
        if type(ones) is Transpose and type(ones.arg) is Ones and is_exp(e):
            return e.arg
    return None




def logsumexp_rows_arg(node: Expr) -> Expr | None:
    """Z, where node is log(exp(Z) 1): the log-sum-exp of each row (logsumexp(Z)), max subtracted."""
    if _is_log(node) and type(node.arg) is MatMul and len(node.arg.terms) == 2:
        e, ones = node.arg.terms
        if type(ones) is Ones and is_exp(e):
            return e.arg
    return None
