"""Products without forming diagonal or ones matrices.

Each factor of a product is classified (:func:`factor`): a diagonal ``diag(s)``, a ones
column or row, an identity, a row ``xᵀ``, a column, a scalar or a dense matrix. Pairs are
combined by their kinds (``A diag(s) B`` is ``(A * s) @ B``, ``1ᵀ M`` a column sum); a symmetric
``Mᵀ diag(s) M`` is :func:`symmetric` (``B.T @ B``, BLAS syrk, half the work of a gemm); an
outer product with a ones vector is a read-only ``np.broadcast_to`` view unless it is
returned; a chain of three or more dense factors is ``np.linalg.multi_dot`` (numpy picks the
cheapest association from the runtime dims); otherwise the order keeps matrix-vector products.
"""
from __future__ import annotations

from ...core.nodes import Diag, Expr, Identity, MatMul, Ones, Transpose
from .names import CodegenError
from .source import BROADCAST, Code, Val, indexed, p, plain, simple


def factor(w, node: Expr, val: Val, vals: dict) -> tuple[str, str | Val]:
    """(kind, payload) of one factor of a product, without materializing diag/ones/transposes."""
    t = type(node)
    shape = w.shape(node)
    if t is Diag:
        return "diag", vals[node.arg]
    if t is Ones:
        return "ones_col", w.dim(node.dim)
    if t is Identity:
        return "eye", w.dim(node.dim)
    if t is Transpose:
        inner = node.arg
        if type(inner) is Ones:
            return "ones_row", w.dim(inner.dim)
        if len(w.shape(inner)) == 1:
            return "row1", vals[inner]
    if len(shape) == 1:
        return "col", val
    if len(shape) == 0:
        return "scal", val
    return "mat", val


_DENSE = {"col", "row1", "mat", "diag"}


def _scalar_times(ka, A, kb, B, xa, xb):
    if kb == "scal" and ka in _DENSE | {"scal"}:
        return ka, f"{A} * {B}"
    if ka == "scal":
        if kb in _DENSE:
            return kb, f"{A} * {B}"
        if kb == "ones_col":
            return "col", f"{A} * np.ones({xb})"
        if kb == "ones_row":
            return "row1", f"{A} * np.ones({xb})"
    if kb == "scal" and ka in ("ones_col", "ones_row"):
        return ("col" if ka == "ones_col" else "row1"), f"np.ones({xa}) * {B}"
    return None


def combine(a: tuple, b: tuple) -> tuple[str, str]:
    """The product of two classified factors, as (kind, code)."""
    ka, xa = a
    kb, xb = b
    A, B = p(xa), p(xb)
    found = _scalar_times(ka, A, kb, B, xa, xb)
    if found is not None:
        return found
    if ka in ("col", "ones_col"):
        left = A if ka == "col" else f"np.ones({xa})"
        right = {"row1": B, "mat": B, "ones_row": f"np.ones({xb})"}.get(kb)
        if right is not None:
            return "mat", f"np.outer({left}, {right})"
    table = {
        ("row1", "col"): ("scal", lambda: f"{A} @ {B}"),
        ("row1", "mat"): ("row1", lambda: f"{A} @ {B}"),
        ("row1", "diag"): ("row1", lambda: f"{A} * {B}"),
        ("row1", "ones_col"): ("scal", lambda: f"np.sum({plain(xa)})"),
        ("ones_row", "col"): ("scal", lambda: f"np.sum({plain(xb)})"),
        ("ones_row", "mat"): ("row1", lambda: f"np.sum({B}, axis=0)"),
        ("ones_row", "diag"): ("row1", lambda: B),
        ("ones_row", "ones_col"): ("scal", lambda: f"float({xa})"),
        ("mat", "col"): ("col", lambda: f"{A} @ {B}"),
        ("mat", "mat"): ("mat", lambda: f"{A} @ {B}"),
        ("mat", "diag"): ("mat", lambda: f"{A} * {B}"),
        ("mat", "ones_col"): ("col", lambda: f"np.sum({A}, axis=1)"),
        ("mat", "row1"): ("mat", lambda: f"{A} * {B}"),
        ("mat", "ones_row"): ("mat", lambda: f"{A} * np.ones({xb})"),
        ("diag", "col"): ("col", lambda: f"{A} * {B}"),
        ("diag", "mat"): ("mat", lambda: f"{A}[:, None] * {B}"),
        ("diag", "diag"): ("diag", lambda: f"{A} * {B}"),
        ("diag", "ones_col"): ("col", lambda: A),
        ("diag", "row1"): ("mat", lambda: f"{A}[:, None] * {B}"),
    }
    if (ka, kb) in table:
        kind, code = table[(ka, kb)]
        return kind, code()
    raise CodegenError(f"no code for a product of a {ka} and a {kb}")  # shapes rule these out


def _ones_outer(w, node: MatMul, factors: list) -> Code | None:
    """An outer product with a ones vector as a read-only broadcast view (no k × n copy),
    or None. A result the function returns is materialized."""
    if len(factors) != 2 or node in w.roots:
        return None
    (ka, xa), (kb, xb) = factors
    try:
        k, n = (w.dim(d) for d in w.shape(node))
    except (CodegenError, ValueError):
        return None
    if ka == "ones_col" and kb == "ones_row":
        return Code(f"np.broadcast_to(1.0, ({k}, {n}))", BROADCAST)
    if ka == "ones_col" and kb in ("row1", "mat"):
        return Code(f"np.broadcast_to({plain(xb)}, ({k}, {n}))", BROADCAST)
    if ka == "col" and kb == "ones_row":
        return Code(f"np.broadcast_to({p(xa)}[:, None], ({k}, {n}))", BROADCAST)
    return None


def _accumulate(factors: list) -> tuple[str, str | Val]:
    for i in range(len(factors) - 1):
        if len(factors) > 2 and factors[i][0] == "col" and factors[i + 1][0] == "row1":
            # … c rᵀ …: an outer product inside a chain is (L c)(rᵀ R), two matrix-vector chains and
            # one outer product (X⁻ᵀ a bᵀ X⁻ᵀ in O(n²), not (X⁻ᵀ a bᵀ) X⁻ᵀ in O(n³))
            return combine(_accumulate(factors[:i + 1]), _accumulate(factors[i + 1:]))
    if len(factors) > 2 and all(k == "mat" for k, _ in factors):
        # a chain of dense matrices: numpy picks the cheapest association from the runtime dims. With a
        # vector at an end, the cheapest starts there (every product a matrix times a vector): x @ A @ x
        # below, without multi_dot's search (a few µs, as much as the products at n = 100)
        return "mat", f"np.linalg.multi_dot([{', '.join(plain(x) for _, x in factors)}])"
    if len(factors) > 2 and factors[-1][0] in ("col", "ones_col") and factors[0][0] not in ("row1", "ones_row"):
        acc = factors[-1]
        for f in reversed(factors[:-1]):
            acc = combine(f, acc)
        return acc
    acc = factors[0]
    for f in factors[1:]:
        acc = combine(acc, f)
    return acc


def matmul(w, node: MatMul, vals: dict) -> str:
    """The code of a product node."""
    factors = [factor(w, c, vals[c], vals) for c in node.terms]
    eyes = [f for f in factors if f[0] == "eye"]
    factors = [f for f in factors if f[0] != "eye"]
    if not factors:
        return f"np.eye({eyes[0][1]})"
    outer = _ones_outer(w, node, factors)
    if outer is not None:
        return outer
    kind, code = _accumulate(factors)
    code = plain(code)
    target = w.shape(node)
    if kind == "diag":
        return f"np.diag({code})"
    if kind == "ones_col":
        return f"np.ones({code})"
    if kind == "ones_row":
        return f"np.ones((1, {code}))"
    if len(target) == 0:
        index = {"col": "[0]", "row1": "[0]", "mat": "[0, 0]"}.get(kind)
        return code if index is None else indexed(p(code), index)
    if len(target) == 1:
        if kind == "scal":
            return f"np.full({w.dim(target[0])}, {code})"
        return indexed(p(code), "[:, 0]") if kind == "mat" else code
    if kind == "row1":
        return indexed(p(code), "[None, :]")
    if kind == "col":
        return indexed(p(code), "[:, None]")
    return code


def _sandwich(w, node: MatMul) -> tuple[Expr, Expr, str] | None:
    """(M, v, side) when the product is ``Mᵀ diag(v) M`` (side "left": M's rows weighted) or
    ``M diag(v) Mᵀ`` (side "right": its columns), M a matrix; otherwise None."""
    if len(node.terms) != 3 or type(node.terms[1]) is not Diag:
        return None
    a, d, b = node.terms
    if type(a) is Transpose and a.arg == b and len(w.shape(b)) == 2:
        return b, d.arg, "left"
    if type(b) is Transpose and b.arg == a and len(w.shape(a)) == 2:
        return a, d.arg, "right"
    return None


def symmetric(w, node: MatMul, vals: dict):
    """``Mᵀ diag(v) M`` as symmetric products (BLAS syrk, half the work of ``(M.T * v) @ M``),
    as lines of a temporary, or None for any other product.

    With B = sqrt(v) ⊙ the rows of M, the product is ``B.T @ B``, which numpy hands to syrk
    (both operands one buffer). The sign of v is decided at run time: with a negative entry
    the rows split by sign, ``Bp.T @ Bp - Bn.T @ Bn`` (same work in all: each row is in one
    of the two); a nan in v falls in the second part and comes out as nan. ``Mᵀ M`` itself
    needs nothing: ``M.T @ M`` is one buffer twice, which numpy already hands to syrk.
    """
    found = _sandwich(w, node)
    if found is None:
        return None
    m, v, side = found
    mc, vc = vals[m].get(), vals[v].get()

    def lines(n):
        rows = side == "left"
        take = (lambda sel: f"{mc}[{sel}]") if rows else (lambda sel: f"{mc}[:, {sel}]")
        weight = "[:, None]" if rows else ""
        gram = (lambda b: f"{b}.T @ {b}") if rows else (lambda b: f"{b} @ {b}.T")
        out = [] if simple(vc) else [f"{n}_v = {vc}"]
        s = vc if simple(vc) else f"{n}_v"
        out += [f"if ({s} >= 0).all():",
                f"    {n}_b = np.sqrt({s}){weight} * {mc}",
                f"    {n} = {gram(n + '_b')}",
                "else:",
                f"    {n}_p = {s} > 0",
                f"    {n}_b = {take(n + '_p')}",
                f"    {n}_b *= np.sqrt({s}[{n}_p]){weight}",
                f"    {n}_c = {take('~' + n + '_p')}",
                f"    {n}_c *= np.sqrt(-{s}[~{n}_p]){weight}",
                f"    {n} = {gram(n + '_b')}",
                f"    {n} -= {gram(n + '_c')}"]
        return out

    return lines
