"""The code of the batch operations in numpy: sizes as numbers (1ᵀ 1 = n), rows and cols and their
paddings (their code in the operation table, the sizes filled in), concatenations, Kronecker products
and their adjoints, unvec, and a column added to (multiplying, dividing) each column of a matrix.

:func:`expression` returns ``(code, atom, lines)`` as :func:`.expressions.expression` does, or
None for a node that is none of these.
"""
from __future__ import annotations

from ...core.nodes import Add, ElemDiv, Expr, Hadamard, HCat, Kron, KronLeft, KronRight, Size, Unvec, VCat
from ...core.ops import DIM_FIELDS, OPS


def _kron_lines(t, n: str, a: str, b: str, rank: int) -> list[str]:
    """A ⊗ B, kronleft(G, B), kronright(A, G) in numpy, each operand as a 2-D array (a vector a column)."""
    lines = [f"{n}_a = np.atleast_1d({a})", f"{n}_a = {n}_a.reshape({n}_a.shape[0], -1)",
             f"{n}_b = np.atleast_1d({b})", f"{n}_b = {n}_b.reshape({n}_b.shape[0], -1)"]
    if t is Kron:
        lines.append(f"{n} = np.kron({n}_a, {n}_b)")
    elif t is KronLeft:  # <G_ij, B>: G is a, B is b
        lines.append(f"{n} = np.einsum('ikjl,kl->ij', {n}_a.reshape({n}_a.shape[0] // {n}_b.shape[0], "
                     f"{n}_b.shape[0], {n}_a.shape[1] // {n}_b.shape[1], {n}_b.shape[1]), {n}_b)")
    else:  # Σ A_ij G_ij: A is a, G is b
        lines.append(f"{n} = np.einsum('ikjl,ij->kl', {n}_b.reshape({n}_a.shape[0], {n}_b.shape[0] // {n}_a.shape[0], "
                     f"{n}_a.shape[1], {n}_b.shape[1] // {n}_a.shape[1]), {n}_a)")
    if rank == 1:
        lines.append(f"{n} = {n}.reshape(-1)")
    elif rank == 0:
        lines.append(f"{n} = {n}[0, 0]")
    return lines


def expression(w, node: Expr, kid: list, shape: tuple):
    t = type(node)
    if t is Size:
        return f"float({w.dim(node.dim)})", True, None
    if t in DIM_FIELDS:
        sizes = {f"d{i}": w.dim(getattr(node, f)) for i, f in enumerate(DIM_FIELDS[t])}
        code = OPS[t].code
        operand = kid[0].get() if w.shape(node.arg) else f"np.atleast_1d({kid[0].get()})"
        if isinstance(code, tuple):
            return "", True, lambda n: [line.format(operand, t=n, **sizes) for line in code]
        code = code.format(kid[0].op() if w.shape(node.arg) else f"({operand})", **sizes)
        return (code if shape else f"np.reshape({code}, -1)[0]"), True, None
    if t in (VCat, HCat):
        parts = []
        for c, v in zip(node.terms, kid):
            rank = len(w.shape(c))
            if t is VCat and len(shape) == 1:
                parts.append(v.get() if rank == 1 else f"[{v.get()}]")
            else:
                parts.append(v.get() if rank == 2 else f"np.reshape({v.get()}, (-1, 1))")
        join = "np.concatenate" if t is VCat and len(shape) == 1 else ("np.vstack" if t is VCat else "np.hstack")
        return f"{join}([{', '.join(parts)}])", True, None
    if t in (Kron, KronLeft, KronRight):
        return "", True, lambda n: _kron_lines(t, n, kid[0].op(), kid[1].op(), len(shape))
    if t is Unvec:
        return f"np.reshape({kid[0].get()}, ({w.dim(node.rows)}, {w.dim(node.cols)}), order='F')", True, None
    if t in (Add, Hadamard, ElemDiv) and len(shape) == 2 and any(len(w.shape(c)) == 1 for c in node.args):
        # a column added to (multiplying, dividing) each column of a matrix: as a (n, 1) array
        sign = {Add: " + ", Hadamard: " * ", ElemDiv: " / "}[t]
        code = sign.join(f"{v.op()}[:, None]" if len(w.shape(c)) == 1 else v.op() for c, v in zip(node.args, kid))
        return code, False, None
    return None
