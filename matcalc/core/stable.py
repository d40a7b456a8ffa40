"""Stable forms: the same values, computed so that they stay finite where the math is.

One set for the evaluator and the code generator, so the two agree. :func:`stable` rewrites
a tree:

* log(softmax(x)) = logsoftmax(x); log(e^t) = t; log(det X) = logdet X (by ``slogdet``);
* log(σ(t)) = -softplus(-t); log(1 - σ(t)) = -softplus(t) (so binary cross-entropy stays
  finite at any logit); 1 - σ(t) = σ(-t) (no cancellation next to 1); log(1 + e^t) = softplus(t);
* log(e^a + e^b + …) = m + log(e^(a-m) + e^(b-m) + …) with m = max(a, b, …), and its
  derivative e^a / (e^a + e^b + …) = e^(a-m) / (e^(a-m) + e^(b-m) + …);
* e^z / sum(e^z) = softmax(z) (also written e^z ./ sum(e^z) and (1 / sum(e^z)) e^z);
* x^p for an integer p beyond 2^53, which float(p) would round to an even number: |x|^p for
  an even p, x ⊙ |x|^(p-1) for an odd p > 0, |x|^(p+1) ./ x for an odd p < 0 (the parity,
  and so the sign, survive).

A log whose argument is a placeholder is matched through its definition (``definitions``),
so a program that names σ(z) before taking its log gets the same stable form as one that
writes it inline. Log-sum-exps are recognized where they are computed
(:func:`logsumexp_arg`, :func:`logsumexp_columns_arg`) and computed with the max subtracted.
"""
from __future__ import annotations

from . import build
from .nodes import (
    Add, Det, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Largest, LogDet, LogSoftmax, MatMul, Max, Neg, Number,
    Ones, Power, Scale, Softmax, Sum, Symbol, Transpose, fold, with_args,
)

EXACT_INTEGERS = 2 ** 53
"""floats hold every integer up to this one; past it float(p) may lose p's parity"""


def is_exp(e: Expr) -> bool:
    return type(e) is Func and e.name == "exp" and e.order == 0


def is_log(e: Expr) -> bool:
    return type(e) is Func and e.name == "log" and e.order == 0


def one_plus_exp(e: Expr) -> Expr | None:
    """t, where e is 1 + e^t (or e^t + 1)."""
    if type(e) is Add and len(e.terms) == 2:
        a, b = e.terms
        if build.is_one(a) and is_exp(b):
            return b.arg
        if build.is_one(b) and is_exp(a):
            return a.arg
    return None


def _is_sigmoid(e: Expr) -> bool:
    return type(e) is Func and e.name == "sigmoid" and e.order == 0


def _one_minus_sigmoid(e: Expr, see) -> Expr | None:
    """t, where e is 1 - σ(t) (or -σ(t) + 1)."""
    if type(e) is Add and len(e.terms) == 2:
        for one, other in (e.terms, reversed(e.terms)):
            other = see(other)
            if build.is_one(one) and type(other) is Neg and _is_sigmoid(see(other.arg)):
                return see(other.arg).arg
    return None


def _huge_power(node: Expr) -> Expr | None:
    """x^p (or x.^p) for an integer p past EXACT_INTEGERS, with its parity kept."""
    if type(node) not in (Power, ElemPower) or type(node.right) is not Number:
        return None
    p = node.right.value
    if p.denominator != 1 or abs(p) <= EXACT_INTEGERS:
        return None
    x, power = node.left, type(node)
    size = Func("abs", x)
    if p % 2 == 0:  # x^p = |x|^p
        return power(size, Number(p))
    if p > 0:  # x^p = x |x|^(p-1)
        rest = power(size, Number(p - 1))
        return Scale(x, rest) if power is Power else Hadamard((x, rest))
    rest = power(size, Number(p + 1))  # x^p = |x|^(p+1) / x
    return Div(rest, x) if power is Power else ElemDiv(rest, x)


def _log_add_exp(ts: list[Expr]) -> Expr:
    """log(e^a + e^b + …) = m + log(e^(a-m) + e^(b-m) + …), m = max(a, b, …): no term overflows;
    two terms as max(a, b) + softplus(-|a - b|), exact also where the smaller term is tiny."""
    if len(ts) == 2:
        a, b = ts
        return build.add(Max(a, b), Func("softplus", build.neg(Func("abs", build.sub(a, b)))))
    m = ts[0]
    for x in ts[1:]:
        m = Max(m, x)
    return build.add(m, Func("log", build.add(*(Func("exp", build.sub(x, m)) for x in ts))))


def _exp_ratio(node: Expr, see) -> Expr | None:
    """e^a / (e^a + e^b + …) — also (1 / (…)) e^a and 1 ./ (…) ⊙ e^a — with the max
    subtracted: e^(a-m) / (e^(a-m) + e^(b-m) + …), m = max(a, b, …)."""
    t = type(node)
    if t in (Div, ElemDiv):
        top, bottom, elementwise = node.left, node.right, t is ElemDiv
    elif t in (Scale, Hadamard) and len(node.args) == 2 and type(node.args[0]) in (Div, ElemDiv) \
            and build.is_one(node.args[0].left):
        top, bottom, elementwise = node.args[1], node.args[0].right, t is Hadamard
    else:
        return None
    top, bottom = see(top), see(bottom)
    if not (is_exp(top) and type(bottom) is Add and all(is_exp(see(x)) for x in bottom.terms)
            and any(see(x) == top for x in bottom.terms)):
        return None
    ts = [see(x).arg for x in bottom.terms]
    m = ts[0]
    for x in ts[1:]:
        m = Max(m, x)
    shifted = build.add(*(Func("exp", build.sub(x, m)) for x in ts))
    return (ElemDiv if elementwise else Div)(Func("exp", build.sub(top.arg, m)), shifted)


def _rewrite(node: Expr, see) -> Expr:
    t = type(node)
    if is_log(node):
        a = see(node.arg)
        if type(a) is Softmax:  # log(softmax(x)) = logsoftmax(x)
            return LogSoftmax(a.arg)
        if _is_sigmoid(a):  # log σ(t) = -softplus(-t)
            return build.neg(Func("softplus", build.neg(a.arg)))
        if (inner := _one_minus_sigmoid(a, see)) is not None:  # log(1 - σ(t)) = -softplus(t)
            return build.neg(Func("softplus", inner))
        if is_exp(a):  # log(e^t) = t
            return a.arg
        if type(a) is Det:  # log(det X) = logdet X, by slogdet: no overflow of det
            return LogDet(a.arg)
        inner = one_plus_exp(a)
        if inner is not None:  # log(1 + e^t) = softplus(t)
            return Func("softplus", inner)
        if type(a) is Add and all(is_exp(see(x)) for x in a.terms):
            return _log_add_exp([see(x).arg for x in a.terms])
    if (ratio := _exp_ratio(node, see)) is not None:
        return ratio
    if t is Add and (inner := _one_minus_sigmoid(node, see)) is not None:  # 1 - σ(t) = σ(-t): no cancellation
        return Func("sigmoid", build.neg(inner))
    if (rewritten := _huge_power(node)) is not None:
        return rewritten
    # e^z / sum(e^z), e^z ./ sum(e^z) and (1 / sum(e^z)) e^z: softmax(z)
    if t in (Div, ElemDiv) and is_exp(node.left) and node.right == Sum(node.left):
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


def stable(e: Expr, memo: dict | None = None, definitions: dict[str, Expr] | None = None) -> Expr:
    """e with every stable form applied (bottom-up); placeholders of ``definitions`` are
    looked through when a log's argument is matched."""
    definitions = definitions or {}

    def see(x: Expr) -> Expr:
        seen = 0
        while type(x) is Symbol and x.name in definitions and seen < 64:
            x, seen = definitions[x.name], seen + 1
        return x

    return fold(e, lambda node, kids: _rewrite(with_args(node, kids) if kids else node, see), memo)


def logsumexp_arg(node: Expr) -> Expr | None:
    """z, where node is log(sum(exp(z))): computed as m + log(sum(exp(z - m))), m = max z."""
    if is_log(node) and type(node.arg) is Sum and is_exp(node.arg.arg):
        return node.arg.arg.arg
    return None


def logsumexp_columns_arg(node: Expr) -> Expr | None:
    """Z, where node is log(1ᵀ exp(Z)): the log-sum-exp of each column, max subtracted."""
    if is_log(node) and type(node.arg) is MatMul and len(node.arg.terms) == 2:
        ones, e = node.arg.terms
        if type(ones) is Transpose and type(ones.arg) is Ones and is_exp(e):
            return e.arg
    return None




def logsumexp_rows_arg(node: Expr) -> Expr | None:
    """Z, where node is log(exp(Z) 1): the log-sum-exp of each row (logsumexp(Z)), max subtracted."""
    if is_log(node) and type(node.arg) is MatMul and len(node.arg.terms) == 2:
        e, ones = node.arg.terms
        if type(ones) is Ones and is_exp(e):
            return e.arg
    return None
