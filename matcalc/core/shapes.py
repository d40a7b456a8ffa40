"""Shapes of typed trees: () a scalar, (n,) a column vector, (n, m) a matrix (a row is (1, m)).

Each operation's row (:mod:`matcalc.core.ops`) names its shape rule; :data:`RULES` holds them
(the typer types a call by the same name, with its checks). Dims are those of
:mod:`matcalc.core.dims`.
"""
from __future__ import annotations

from .dims import dim, divide, is_one, plus, times
from .errors import SymbolError
from .nodes import Expr, fold
from .ops import OPS


def normalize(shape: tuple) -> tuple:
    """(1, 1) is a scalar and (n, 1) a column vector."""
    if len(shape) == 2:
        r, c = shape
        if is_one(c) and is_one(r):
            return ()
        if is_one(c):
            return (r,)
    return tuple(shape)


def as_matrix(shape: tuple) -> tuple:
    if len(shape) == 0:
        return (1, 1)
    if len(shape) == 1:
        return (shape[0], 1)
    return shape


def transposed(shape: tuple) -> tuple:
    if not shape:
        return ()
    r, c = as_matrix(shape)
    return normalize((c, r))


def _node_dim(node) -> object:
    return dim(node.dim if node.dim is not None else "n")


def _first_shaped(node, kids, shapes):
    """The shape of an elementwise combination: a matrix over the rows (1 x m) and columns (n)
    broadcast along it, which are over the scalars; a row and a column alone make the n x m of
    their outer sum."""
    rows = cols = None
    for k in kids:
        if len(k) == 1 or (len(k) == 2 and is_one(k[1]) and not is_one(k[0])):
            rows = k[0] if rows is None or is_one(rows) else rows
        elif len(k) == 2:
            rows = k[0] if rows is None or is_one(rows) else rows
            cols = k[1] if cols is None or is_one(cols) else cols
    if cols is None:
        return () if rows is None else (rows,)
    return normalize((rows, cols))


def _matmul(node, kids, shapes):
    acc = as_matrix(kids[0])
    for k in kids[1:]:
        acc = (acc[0], as_matrix(k)[1])
    return normalize(acc)


def _vec(node, kids, shapes):
    if not kids[0]:
        return ()
    r, c = as_matrix(kids[0])
    return normalize((times(r, c), 1))


def _kron(node, kids, shapes):
    (p, q), (r, s) = as_matrix(kids[0]), as_matrix(kids[1])
    return normalize((times(p, r), times(q, s)))


def _kron_part(kids, of: int):
    """kronleft(G, B): G's dims over B's; kronright(A, G): G's over A's."""
    (n, m), (r, s) = as_matrix(kids[1 - of]), as_matrix(kids[of])
    return normalize((divide(n, r), divide(m, s)))


def _cat(kids, axis: int):
    """[a; b] (axis 0) adds the rows, [A, B] (axis 1) the columns; the other dim is the first part's."""
    parts = [as_matrix(k) for k in kids]
    total = 0
    for p in parts:
        total = plus(total, p[axis])
    out = [parts[0][0], parts[0][1]]
    out[axis] = total
    return normalize(tuple(out))


def _part(node, kids, axis: int, size: str):
    out = list(as_matrix(kids[0]))
    out[axis] = getattr(node, size)
    return normalize(tuple(out))


def _symbol(node, kids, shapes):
    try:
        return shapes[node.name]
    except KeyError:
        raise SymbolError(f"unknown symbol {node.name}") from None


_SCALAR = lambda node, kids, shapes: ()  # noqa: E731

RULES = {
    "symbol": _symbol,
    "scalar": _SCALAR,
    "reduce": _SCALAR,
    "norm": _SCALAR,
    "square_to_scalar": _SCALAR,
    "identity": lambda node, kids, shapes: (_node_dim(node), _node_dim(node)),
    "ones": lambda node, kids, shapes: (_node_dim(node),),
    "same": lambda node, kids, shapes: kids[0],
    "square": lambda node, kids, shapes: kids[0],
    "vector": lambda node, kids, shapes: kids[0],
    "first": lambda node, kids, shapes: kids[0],
    "second": lambda node, kids, shapes: kids[1],
    "transpose": lambda node, kids, shapes: transposed(kids[0]),
    # (a zero folded to the number 0 has lost its shape: it stays a broadcast 0)
    "diag": lambda node, kids, shapes: (kids[0][0], kids[0][0]) if kids[0] else (),
    "diagpart": lambda node, kids, shapes: (kids[0][0],) if kids[0] else (),
    "broadcast": _first_shaped,
    # index notation: an entry (x_i, δ_ij, Σ_a …) is a scalar; a tensor has the ranges of its
    # free indices; a sized zero its own shape
    "entry": _SCALAR,
    "tensor": lambda node, kids, shapes: tuple(node.dims),
    "zeros": lambda node, kids, shapes: normalize(tuple(node.dims)),
    "matmul": _matmul,
    "vec": _vec,
    "vcat": lambda node, kids, shapes: _cat(kids, 0),
    "hcat": lambda node, kids, shapes: _cat(kids, 1),
    "rows": lambda node, kids, shapes: _part(node, kids, 0, "count"),
    "cols": lambda node, kids, shapes: _part(node, kids, 1, "count"),
    "padrows": lambda node, kids, shapes: _part(node, kids, 0, "total"),
    "padcols": lambda node, kids, shapes: _part(node, kids, 1, "total"),
    "kron": _kron,
    "kronleft": lambda node, kids, shapes: _kron_part(kids, 1),
    "kronright": lambda node, kids, shapes: _kron_part(kids, 0),
    "unvec": lambda node, kids, shapes: normalize((node.rows, node.cols)),
}
"""shape rule name -> (node, shapes of its args, symbol shapes) -> the node's shape"""


_RULE_OF: dict[type, object] = {}
"""node class -> its shape rule (RULES by the name in its OPS row), filled as classes are met"""


def shape_of(e: Expr, shapes: dict[str, tuple], memo: dict | None = None) -> tuple:
    """Shape of a typed tree, from the shapes of its symbols (no checking)."""

    def rule(node, kids):
        cls = type(node)
        fn = _RULE_OF.get(cls)
        if fn is None:
            fn = _RULE_OF[cls] = RULES[OPS[cls].shape]
        return fn(node, kids, shapes)

    return fold(e, rule, memo)


def describe_shape(shape: tuple, show=str) -> str:
    """a scalar, a vector (n), n x m (``show`` writes a dim)."""
    if not shape:
        return "a scalar"
    if len(shape) == 1:
        return f"a vector ({show(shape[0])})"
    return f"{show(shape[0])} x {show(shape[1])}"


def shape_words(shape: tuple, article: bool = False) -> str:
    """scalar, n x 1, n x m: the shape as a matrix's (a vector is a column)."""
    if not shape:
        return "a scalar" if article else "scalar"
    if len(shape) > 2:  # a tensor (index notation)
        return " x ".join(str(d) for d in shape)
    r, c = as_matrix(shape)
    return f"{r} x {c}"


def dims_text(dims: tuple) -> str:
    """The dims as a declaration writes them: n x m, or scalar."""
    return " x ".join(str(d) for d in dims) if dims else "scalar"


def plain(d):
    """A dim as the API shows it: an int or a name (polynomials as their text)."""
    return d if isinstance(d, (int, str)) else str(d)
