"""σ and softplus from one ``e = exp(-|u|)``: every σ(u), σ(-u), softplus(u) and softplus(-u) of the
same u reads the one e (the logistic loss and its derivatives have all four).

    softplus(u) = max(u, 0) + log1p(e)        softplus(-u) = log1p(e) - min(u, 0)
    σ(u) = (1 if u ≥ 0 else e) / (1 + e)      σ(-u) = (e if u ≥ 0 else 1) / (1 + e)

No exp of a positive number is taken, so nothing overflows at any logit (the same forms as the
evaluator's kernels, :mod:`matcalc.core.kernels`); ``np.logaddexp``, which these replace, is a
scalar loop in NumPy, some 20 times the cost of ``np.exp`` over the same vector.
"""
from __future__ import annotations

from ...core.nodes import Expr, Func, Neg

NAMES = ("sigmoid", "softplus")


def core(node: Expr) -> tuple[Expr, bool] | None:
    """(u, negated) where node is σ(u) or softplus(u) (negated False), σ(-u) or softplus(-u) (True)."""
    if type(node) is not Func or node.name not in NAMES or node.order != 0:
        return None
    return (node.arg.arg, True) if type(node.arg) is Neg else (node.arg, False)


def code(name: str, negated: bool, u: str, e: str) -> str:
    """The source of σ(±u) or softplus(±u), with u and e = exp(-|u|) the names of computed arrays."""
    if name == "softplus":
        return f"np.log1p({e}) - np.minimum({u}, 0.0)" if negated else f"np.maximum({u}, 0.0) + np.log1p({e})"
    top = f"{e}, 1.0" if negated else f"1.0, {e}"
    return f"np.where({u} >= 0, {top}) / (1.0 + {e})"
