"""Tensors become code: a Tensor's body as ``np.einsum(..., optimize=True)`` calls.

The code generator (:mod:`matcalc.views.codegen`) writes the vector and matrix expressions that
a tensor reads entries of like any other node; :func:`tensor_lines` writes the tensor from
them. Each piece of the body is code for an array over named indices: an entry is its
expression's array (a row's axis of size 1 taken at 0), ``δ_ab`` ``np.eye(n)``, a product (with
its Σ's) one ``np.einsum`` over the union of its indices, summing the Σ's, on an optimized
contraction path; sums, quotients, powers and functions of entries are elementwise, their
operands' axes aligned and broadcast (``a[:, None] + b[None, :]``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...core.errors import MatcalcError
from ...core.functions import FUNCTIONS
from ...core.indexed import ONE, is_indexed
from ...core.indexed import factors as _factors
from ...core.nodes import INDEX_NODES
from ...core.nodes import (
    Add, Delta, Div, ElemDiv, ElemPower, Entry, Expr, Func, Hadamard, IndexSum, MatMul, Neg, Number, Power,
    Scale, Tensor, Zeros,
)

PRODUCTS = (Scale, MatMul, Hadamard)
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class EinsumCodeError(MatcalcError):
    """A tensor body this module cannot write as code."""


@dataclass
class CodeResult:
    """What the code generator reads of a result: a tensor's node for a generalized Jacobian."""
    wrt: str
    expr: Expr
    definitions: dict
    kind: str = "tensor code"
    shapes: dict = field(default_factory=dict)


def as_code_result(d) -> CodeResult:
    """A Derivative of kind "tensor" as its Tensor node and the placeholders it reads."""
    from ...calculus.indices import Unsupported, index_form
    try:
        form = index_form(d)
    except Unsupported as error:
        raise EinsumCodeError(f"∂/∂{d.wrt} has no index form here, so no code: {error.bare_message}") from None
    return CodeResult(d.wrt, form.node, form.needed_definitions(), shapes=form.shapes)


def is_index_code(node: Expr, memo: dict) -> bool:
    """Index notation (below a tensor): written by :func:`tensor_lines`, not one node at a time.

    ``memo`` is shared over a walk children first, so each node costs its own children only."""
    if node not in memo:
        if isinstance(node, Tensor):
            memo[node] = False
        elif isinstance(node, INDEX_NODES):
            memo[node] = True
        elif all(c in memo for c in node.args):
            memo[node] = any(memo[c] for c in node.args)
        else:
            memo[node] = is_indexed(node)
    return memo[node]


NUMPY = {
    "einsum": "np.einsum('{0}', {1}, optimize=True)", "permute": "np.einsum('{0}', {1})",
    "ones": "np.ones({0})", "eye": "np.eye({0})", "zeros": "np.zeros(({0}))", "square": "np.square({0})",
    "power": "np.power({0}, {1})", "reshape": "np.reshape({0}, ({1}))", "broadcast_to": "np.broadcast_to({0}, ({1}))",
    "fresh": "np.array({0}, dtype=float)",
}
"""How the tensor code of a target is spelled: a contraction ({0} its subscripts, {1} its operands), a
permutation of axes, the constant arrays ({0} a size, or a tuple's sizes), the elementwise
square and power, a reshape and a broadcast ({1} sizes), and a copy of its own ("fresh": a view or an
input is not handed out as the result). The PyTorch and JAX spellings are in :mod:`.frameworks`."""


class _Writer:
    def __init__(self, code_of, dim_of, function_of, letters: dict[str, str], lib: dict):
        self.code_of = code_of          # index-free node -> code of its array (a temporary's name)
        self.dim_of = dim_of            # dim -> code of its size
        self.function_of = function_of  # Func node -> a format string with {0}
        self.letters = letters
        self.lib = lib                  # NUMPY, or a framework's spellings

    def ordered(self, indices) -> tuple:
        """Indices in the tensor's order (its free ones first, as on the left), then as they came."""
        rank = {i: n for n, i in enumerate(self.order)}
        return tuple(sorted(dict.fromkeys(indices), key=lambda i: rank.get(i, len(rank))))

    def spec(self, indices) -> str:
        return "".join(self.letters[i] for i in indices)

    def einsum(self, parts: list[tuple[str, tuple]], keep: tuple) -> tuple[str, tuple]:
        scalars = [c for c, ix in parts if not ix]
        arrays = [(c, ix) for c, ix in parts if ix]
        out = self.ordered(i for _, ix in arrays for i in ix if i in keep)
        if not arrays:
            code = " * ".join(_wrap(c) for c in scalars) or "1.0"
            return code, ()
        if len(arrays) == 1 and arrays[0][1] == out:
            code = arrays[0][0]
        else:
            spec = ",".join(self.spec(ix) for _, ix in arrays) + "->" + self.spec(out)
            code = self.lib["einsum"].format(spec, ", ".join(c for c, _ in arrays))
        if scalars:
            code = " * ".join(_wrap(c) for c in scalars) + f" * {code}"
        return code, out

    def aligned(self, code: str, ix: tuple, target: tuple) -> str:
        order = tuple(i for i in target if i in ix)
        if order != ix:
            code = self.lib["permute"].format(f"{self.spec(ix)}->{self.spec(order)}", code)
        if not ix or order == target:
            return _wrap(code)
        return f"{_wrap(code)}[{', '.join(':' if i in ix else 'None' for i in target)}]"

    def combine(self, parts: list[tuple[str, tuple]], fmt: str) -> tuple[str, tuple]:
        union = self.ordered(i for _, ix in parts for i in ix)
        return fmt.format(*(self.aligned(c, ix, union) for c, ix in parts)), union

    def piece(self, e: Expr) -> tuple[str, tuple]:
        t = type(e)
        if t is Entry:
            return self.entry(e)
        if t is Delta:
            n = self.dim_of(e.dim)
            return (self.lib["ones"].format(n), (e.a,)) if e.a == e.b else (self.lib["eye"].format(n), (e.a, e.b))
        if t is IndexSum:
            summed, body = [], e
            while isinstance(body, IndexSum):
                summed.append(body.index)
                body = body.arg
            parts = [self.piece(f) for f in _factors(body)]
            code, ix = self.einsum(parts, tuple(i for _, p in parts for i in p if i not in summed))
            present = {i for _, p in parts for i in p}
            missing = [s for s in summed if s not in present]
            if missing:  # Σ_a of what does not mention a: the size of its range times it
                code = " * ".join(self.dim_of(self.ranges[s]) for s in missing) + f" * {code}"
            return code, ix
        if not is_indexed(e):
            return self.code_of(e), ()
        if t is Neg:
            code, ix = self.piece(e.arg)
            return f"-{_wrap(code)}", ix
        if t in PRODUCTS:
            parts = [self.piece(f) for f in _factors(e)]
            return self.einsum(parts, tuple(i for _, p in parts for i in p))
        if t is Add:
            parts = [self.piece(a) for a in e.terms]
            return self.combine(parts, " + ".join("{%d}" % k for k in range(len(parts))))
        if t in (Div, ElemDiv):
            return self.combine([self.piece(e.left), self.piece(e.right)], "{0} / {1}")
        if t in (Power, ElemPower):
            if isinstance(e.right, Number) and e.right.value == 2:
                code, ix = self.piece(e.left)
                return self.lib["square"].format(code), ix
            return self.combine([self.piece(e.left), self.piece(e.right)], self.lib["power"])
        if t is Func:
            code, ix = self.piece(e.arg)
            return self.function_of(e).format(code), ix
        raise EinsumCodeError(f"no code for {t.__name__} of an index expression")

    def entry(self, e: Entry) -> tuple[str, tuple]:
        code = self.code_of(e.arg)
        ix = list(e.indices)
        if ONE in ix:
            keep = [i for i in ix if i != ONE]
            code = self.lib["reshape"].format(code, _sizes(self.dim_of(self.ranges[i]) for i in keep))
            ix = keep
        distinct = tuple(dict.fromkeys(ix))
        if len(distinct) != len(ix):  # X_aa: the diagonal
            code = self.lib["permute"].format(f"{self.spec(ix)}->{self.spec(distinct)}", code)
        return code, distinct


def _wrap(code: str) -> str:
    """code as an operand: bracketed unless a name, a number or one call."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*|[0-9.]+", code):
        return code
    m = re.match(r"[A-Za-z_][A-Za-z0-9_.]*\(", code)
    if m and code.endswith(")"):
        depth = 0
        for k, ch in enumerate(code):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and k >= m.end() - 1:
                return code if k == len(code) - 1 else f"({code})"
    return f"({code})"


def _sizes(codes) -> str:
    """Sizes as the inside of a tuple: "n, m", "n," or "" (a scalar's)."""
    codes = list(codes)
    return f"{codes[0]}," if len(codes) == 1 else ", ".join(codes)


def _ranges(node: Tensor) -> dict:
    """index -> its dim, from the tensor's free indices, its δ's and Σ's, and its entries."""
    from ...core.nodes import walk
    ranges = {i: d for i, d in zip(node.indices, node.dims) if i != ONE}
    for n in walk(node.arg):
        if isinstance(n, IndexSum):
            ranges.setdefault(n.index, n.dim)
        elif isinstance(n, Delta):
            ranges.setdefault(n.a, n.dim)
            ranges.setdefault(n.b, n.dim)
    return ranges


def tensor_lines(node: Tensor, code_of, dim_of, function_of, lib: dict = NUMPY):
    """A function of a temporary's name: the lines computing the tensor ``node`` into it, in the
    spellings ``lib`` (NumPy's unless a framework's)."""
    from ...core.nodes import walk
    names = list(dict.fromkeys([*node.indices, *(i for n in walk(node.arg) for i in _indices(n))]))
    names = [i for i in names if i != ONE]
    if len(names) > len(_LETTERS):
        raise EinsumCodeError(f"a tensor with {len(names)} indices is too large for einsum")
    w = _Writer(code_of, dim_of, function_of, {i: _LETTERS[k] for k, i in enumerate(names)}, lib)
    w.ranges = _ranges(node)
    w.order = [i for i in node.indices if i != ONE] + [i for i in names if i not in node.indices]
    if isinstance(node.arg, Zeros):  # ∂F_ij/∂x_k = 0_{n x n x n}
        return lambda t: [f"{t} = {lib['zeros'].format(_sizes(map(dim_of, node.dims)))}"]
    code, ix = w.piece(node.arg)
    free = tuple(i for i in node.indices if i != ONE)
    stray = [i for i in ix if i not in free]
    if stray:
        raise EinsumCodeError(f"the index {stray[0]} is neither on the left nor summed")
    # a new array of its own, unless a name, a view or a broadcast
    views = tuple(lib[k].partition("{")[0] for k in ("reshape", "broadcast_to"))
    fresh = not (re.fullmatch(r"\w[\w.]*", code) or code.endswith("]") or code.startswith(views))
    if ix != free:
        code = lib["broadcast_to"].format(w.aligned(code, ix, free), _sizes(dim_of(w.ranges[i]) for i in free))
        fresh = False
    if len(free) != len(node.indices):  # a row's axis of size 1
        code = lib["reshape"].format(code, _sizes(map(dim_of, node.dims)))
    if not fresh:
        code = lib["fresh"].format(code)
    return lambda t: [f"{t} = {code}"]


def _indices(n: Expr) -> tuple:
    if isinstance(n, Entry):
        return n.indices
    if isinstance(n, Delta):
        return (n.a, n.b)
    if isinstance(n, IndexSum):
        return (n.index,)
    return ()


def function_format(node: Func, fparams: dict) -> str:
    """The elementwise function's code with {0} for its argument (a named one's row, or f's parameter)."""
    row = FUNCTIONS.get(node.name) if node.order == 0 else None
    if row is not None:
        return row.code
    key = (node.name, node.order)
    if key in fparams:
        return f"np.asarray({fparams[key]}({{0}}), dtype=float)"
    raise EinsumCodeError(f"no code for the function {node.name}" + "'" * node.order + " of an entry")

