"""The column softmax a cross-entropy gradient contains, recognized so that the code subtracts each
column's max (:func:`softmax_columns_arg`)."""
from __future__ import annotations

from ...core.nodes import ElemDiv, Expr, Func, Hadamard, MatMul, Number, Ones, Transpose


def softmax_columns_arg(node: Expr) -> Expr | None:
    """Z, where node is ``exp(Z) ⊙ (1 (1 ./ (1ᵀ exp(Z))))`` (either order): the softmax of each
    column, as a cross-entropy gradient has it. Computed with each column's max subtracted, as
    ``exp(Z)`` alone overflows past 709 and its ratio would come out nan."""
    if type(node) is not Hadamard or len(node.terms) != 2:
        return None
    for e, b in (node.terms, node.terms[::-1]):
        if (type(e) is Func and e.name == "exp" and e.order == 0 and type(b) is MatMul and len(b.terms) == 2
                and type(b.terms[0]) is Ones and type(r := b.terms[1]) is ElemDiv
                and type(r.left) is Number and r.left.value == 1 and type(r.right) is MatMul
                and len(r.right.terms) == 2 and type(r.right.terms[0]) is Transpose
                and type(r.right.terms[0].arg) is Ones and r.right.terms[1] == e):
            return e.arg
    return None
