"""Index notation read and typed: ``∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk`` as a typed Tensor.

The grammar (its index-notation block) gives a :class:`~matcalc.core.nodes.Tensor` whose body
is an ordinary expression in which ``x_j``, ``δ_ik`` and ``Σ_a`` are still names, and
``(W x)_i`` an :class:`~matcalc.core.nodes.Entry`. :func:`resolve` reads those names against
the program's own names (a declared or defined ``x_j`` stays a name): ``x_j`` is the entry j
of x, ``δ_ik`` (two index letters) the Kronecker delta, and ``Σ_a`` at a place in a product
the sum over a of the rest of that product. :class:`IndexRules` (mixed into the typer) types
them: an entry is a scalar whose indices range over its expression's dims, a delta unifies
its two ranges, a letter has one range throughout its tensor (Σ_a in two terms sums over
the same range, as matcalc prints them), a tensor's shape is the ranges of its free
indices in order (F's, then V's, which also range over the variable's own dims).

Indices are single letters; ``1`` is the one position of an axis of size 1.
"""
from __future__ import annotations

import re

from ..core.dims import dim as dim_of_text, is_one
from ..core.errors import ParseError, ShapeError
from ..core.indexed import ONE, free_indices
from ..core.nodes import (
    Add, Delta, Entry, Expr, IndexSum, MatMul, Neg, Symbol, Tensor, Zeros, with_args,
)

_INDEXED_NAME = re.compile(r"([^_]+)_([A-Za-z1]+)")
_DIMS = re.compile(r"\s*(?:\\times|×|x|,)\s*")


# ---------------------------------------------------------------- from the grammar

def subscript_indices(token: str) -> tuple[str, ...]:
    """``_ij`` → (i, j); ``_{a,b}`` → (a, b)."""
    body = token[1:]
    if body.startswith("{"):
        body = body[1:-1]
        return tuple(p for p in body.split(",") if p) if "," in body else tuple(body)
    return tuple(body)


def zeros(token: str, span) -> Zeros:
    """``0_{k x m}`` (or ``0_{k \\times m}``, ``0_{n}``): the zero of that shape."""
    inner = token[token.index("{") + 1:-1].strip()
    parts = [p for p in _DIMS.split(inner) if p]
    if not parts or not all(re.fullmatch(r"[0-9]+|[A-Za-z][A-Za-z0-9_]*", p) for p in parts):
        raise ParseError(f"{token}: a sized zero is 0_{{n}} or 0_{{n x m}} (a tensor's 0_{{n x m x k}}), with dims that are names or integers",
                         None, span)
    return Zeros(tuple(int(p) if p.isdigit() else p for p in parts), span)


def lhs_name(tokens) -> tuple[str, tuple[str, ...]]:
    """``F_ij`` → (F, (i, j)); ``(W_1)_kl`` → (W_1, (k, l)); ``c`` → (c, ())."""
    names = [t for t in tokens if t.type == "NAME"]
    sub = [t for t in tokens if t.type == "SUBSCRIPT"]
    if len(tokens) > 1:
        return str(names[0]), subscript_indices(str(sub[0])) if sub else ()
    text = str(names[0])
    m = _INDEXED_NAME.fullmatch(text)
    if m:
        return m[1], tuple(m[2])
    return text, ()


def tensor(f, v, body: Expr, token) -> Tensor:
    from .parse import _span_of
    (fname, fi), (vname, vi) = f, v
    if not fi and not vi:  # ∂s/∂W = (u ⊙ f'(z)) x^T: the derivative in matrix notation, as its LaTeX prints
        return body
    return Tensor(body, fi + vi, (), fname, vname, len(fi), False, _span_of(token, body))


def hessian(s, v1, v2, body: Expr, token) -> Tensor:
    from .parse import _span_of
    (sname, si), (w1, i1), (w2, i2) = s, v1, v2
    if si or w1 != w2:
        raise ParseError(f"∂²{sname}/∂{w1} ∂{w2}: a Hessian in index notation is ∂²s/∂X_ij ∂X_kl, "
                         "one scalar by one variable twice", None, _span_of(token, body))
    if not i1 and not i2:  # ∂²s/∂x ∂x = A + A^T: the Hessian in matrix notation
        return body
    return Tensor(body, i1 + i2, (), sname, w1, len(i1), True, _span_of(token, body))


# ---------------------------------------------------------------- names to index notation

def resolve(e: Expr, known: set[str]) -> Expr:
    """The body of a tensor with its indexed names read: x_j, δ_ik, Σ_a (see the module)."""
    t = type(e)
    if t is Symbol:
        return _indexed_symbol(e, known)
    if t is Entry:
        return e  # (W x)_i: what is inside the brackets is an ordinary expression
    if t is MatMul:
        return _product(e, known)
    if not e.args:
        return e
    return with_args(e, [resolve(k, known) for k in e.args])


def _split(e: Symbol, known: set[str]):
    if e.name in known:
        return None
    m = _INDEXED_NAME.fullmatch(e.name)
    if m is None or not any(c.isalpha() for c in m[2]):
        return None
    return m[1], tuple(m[2])


def _indexed_symbol(e: Symbol, known: set[str]) -> Expr:
    split = _split(e, known)
    if split is None:
        return e
    base, idx = split
    if base == "δ" and len(idx) == 2:
        return Delta(idx[0], idx[1], None, e.span)
    if base in ("Σ", "∑"):
        raise ShapeError(f"{e.name} sums nothing: write what it sums after it, as in Σ_a x_a y_a",
                         None, e.span)
    return Entry(Symbol(base, e.span), idx, e.span)


def _product(e: MatMul, known: set[str]) -> Expr:
    terms = list(e.terms)
    for n, term in enumerate(terms):
        split = _split(term, known) if isinstance(term, Symbol) else None
        if split is not None and split[0] in ("Σ", "∑"):
            rest = terms[n + 1:]
            if not rest:
                raise ShapeError(f"{term.name} sums nothing: write what it sums after it", None, term.span)
            body = resolve(rest[0] if len(rest) == 1 else MatMul(tuple(rest), e.span), known)
            for index in reversed(split[1]):
                body = IndexSum(index, body, None, term.span)
            head = [resolve(x, known) for x in terms[:n]]
            return MatMul(tuple(head + [body]), e.span) if head else body
    return MatMul(tuple(resolve(x, known) for x in terms), e.span)


# ---------------------------------------------------------------- typing

class IndexRules:
    """The typer's rules for index notation (mixed into :class:`~matcalc.language.typer.Typer`)."""

    def index_dim(self, i: str):
        ranges = self.__dict__.setdefault("index_ranges", {})
        if i not in ranges:
            ranges[i] = self.var()
        return ranges[i]

    def bind_index(self, node, i: str, d) -> None:
        if i == ONE:
            if not is_one(self.find(d)):
                raise ShapeError(f"{self.text(node)}: the index 1 stands for an axis of size 1, but this "
                                 f"axis is {self.show_dim(d)}", self.source, getattr(node, "span", None))
            return
        r = self.index_dim(i)
        if not self.unify(r, d):
            raise ShapeError(f"{self.text(node)}: the index {i} ranges over {self.show_dim(r)} elsewhere but "
                             f"over {self.show_dim(d)} here", self.source, getattr(node, "span", None))

    def type_index(self, node: Expr, kids: list) -> tuple[Expr, tuple]:
        t = type(node)
        if t is Zeros:
            dims = tuple(self.dim_of(d) for d in node.dims)
            from ..core.shapes import normalize
            return Zeros(dims, node.span), normalize(dims)
        if t is Delta:
            self.bind_index(node, node.b, self.index_dim(node.a))
            return Delta(node.a, node.b, self.index_dim(node.a), node.span), ()
        (arg, shape), = kids
        if t is Entry:
            indices = self.entry_indices(node, shape)
            for i, d in zip(indices, shape):
                self.bind_index(node, i, d)
            return Entry(arg, indices, node.span), ()
        if t is Tensor and isinstance(arg, Zeros) and len(arg.dims) == len(node.indices):
            for i, d in zip(node.indices, arg.dims):  # ∂F_ij/∂x_k = 0_{n x m x p}: a zero of that shape
                self.bind_index(node, i, d)
        elif shape:
            raise ShapeError(f"{self.text(node.arg)} is {self.show(shape)}, but in index notation every "
                             "term is a number: write its entries, as in x_i or (W x)_i",
                             self.source, getattr(node.arg, "span", None))
        if t is IndexSum:
            d = self.index_dim(node.index)  # (a letter has one range throughout its tensor)
            return IndexSum(node.index, arg, d, node.span), ()
        return self.tensor(node, arg)

    def entry_indices(self, node: Entry, shape: tuple) -> tuple[str, ...]:
        idx = tuple(node.indices)
        if len(idx) == len(shape):
            return idx
        ones = [n for n, d in enumerate(shape) if is_one(self.find(d))]
        if len(shape) == 2 and len(idx) == 1 and len(ones) == 1:  # a row's entry: (u^T X)_a
            return (ONE, idx[0]) if ones[0] == 0 else (idx[0], ONE)
        what = self.show(shape) if shape else "a scalar"
        raise ShapeError(f"{self.text(node)}: {self.text(node.arg)} is {what}, so it takes "
                         f"{len(shape)} ind{'ex' if len(shape) == 1 else 'ices'}, not {len(idx)}",
                         self.source, node.span)

    def tensor(self, node: Tensor, body: Expr) -> tuple[Expr, tuple]:
        f, v = node.indices[:node.split], node.indices[node.split:]
        wrt = self.known_shape(node.wrt, v)
        declared = getattr(self, "function_dims", None)
        if declared is not None:  # F : n x m, for indices the body does not mention
            dims = tuple(self.dim_of(d) for d in declared)
            if len(dims) != len(f) and len([i for i in f if i != ONE]) == len([d for d in dims if d != 1]):
                dims = tuple(d for d in dims if d != 1)
                f_real = tuple(i for i in f if i != ONE)
            else:
                f_real = f
            if len(dims) != len(f_real):
                raise ShapeError(f"{node.function} is declared {' x '.join(map(str, declared))}, so "
                                 f"∂{node.function} takes {len(declared)} indices", self.source, node.span)
            for i, d in zip(f_real, dims):
                self.bind_index(node, i, d)
        for half in ([f, v] if node.hessian else [v]):
            if len(half) != len(wrt):  # a row's ∂x_1k against a vector x, or the other way round
                half = tuple(i for i in half if i != ONE)
                axes = tuple(d for d in wrt if not is_one(self.find(d)))
            else:
                axes = wrt
            if len(axes) != len(half):
                raise ShapeError(f"{node.wrt} is {self.show(wrt)}, so ∂{node.wrt} takes {len(wrt)} "
                                 f"ind{'ex' if len(wrt) == 1 else 'ices'}", self.source, node.span)
            for i, d in zip(half, axes):
                self.bind_index(node, i, d)
        free = set(node.indices)
        body = self.einstein(body, free)
        stray = [i for i in free_indices(body) if i not in free]
        if stray:
            raise ShapeError(f"the index {stray[0]} is neither on the left (∂{node.function}…/∂{node.wrt}…) "
                             "nor summed (Σ_…, or written twice in one term)", self.source, node.span)
        dims = tuple(1 if i == ONE else self.index_dim(i) for i in node.indices)
        typed = Tensor(body, node.indices, dims, node.function, node.wrt, node.split, node.hessian, node.span)
        return typed, dims

    def einstein(self, body: Expr, free: set) -> Expr:
        """The summation convention: in a term of the body, an index that is not on the left and
        not summed but appears exactly twice (``y_a A_ak``) is summed over, as if ``Σ_a`` were written."""
        if type(body) is Add:
            terms = tuple(self.einstein(t, free) for t in body.terms)
            return body if all(a is b for a, b in zip(terms, body.terms)) else Add(terms, body.span)
        if type(body) is Neg:
            inner = self.einstein(body.arg, free)
            return body if inner is body.arg else Neg(inner, body.span)
        counts: dict[str, int] = {}
        stack = [(body, frozenset())]
        while stack:
            n, bound = stack.pop()
            if isinstance(n, Entry):
                own = n.indices
            elif isinstance(n, Delta):
                own = (n.a, n.b)
            else:
                own = ()
            for i in own:
                if i != ONE and i not in bound:
                    counts[i] = counts.get(i, 0) + 1
            if isinstance(n, IndexSum):
                bound = bound | {n.index}
            if not isinstance(n, Tensor):
                stack.extend((c, bound) for c in n.args)
        for i in sorted(i for i, k in counts.items() if k == 2 and i not in free):
            body = IndexSum(i, body, self.index_dim(i), getattr(body, "span", None))
        return body

    def known_shape(self, name: str, indices: tuple[str, ...]):
        """The variable's shape; one the program does not say is read off its indices (∂x_1k: 1 x n)."""
        if name in self.def_shapes:
            return self.def_shapes[name]
        if name not in self.symbol_shapes and name not in self.declared:
            self.symbol_shapes[name] = tuple(1 if i == ONE else self.var() for i in indices)
        return self.symbol(Symbol(name))[1]


def check_placement(target: Expr, definitions: dict, source: str) -> None:
    """Index notation stands only in a tensor's body; a zero of three or more dims only as a body."""
    from ..core.nodes import INDEX_NODES, walk
    roots = list(definitions.values()) + [target.arg if isinstance(target, Tensor) else target]
    for root in roots:
        inside = isinstance(target, Tensor) and root is target.arg
        for node in walk(root):
            if isinstance(node, INDEX_NODES) and not inside:
                raise ShapeError("index notation (x_i, δ_ij, Σ_a) stands only in a tensor: write the whole "
                                 "statement as ∂F_i/∂x_k = …", source, getattr(node, "span", None),
                                 "or write the expression in matrix notation")
            if isinstance(node, Zeros) and len(node.dims) > 2 and not (inside and node is root):
                raise ShapeError(f"a zero of {len(node.dims)} dims is a tensor's: ∂F_ij/∂x_k = "
                                 f"0_{{{' x '.join(map(str, node.dims))}}}", source, getattr(node, "span", None))


def fixed(node: Expr, final) -> Expr:
    """A typed index node with its dims final (the typer's unknowns named)."""
    t = type(node)
    if t in (Delta, IndexSum) and node.dim is not None:
        return node.__class__(**{**{k: getattr(node, k) for k in node._keys}, "dim": final(node.dim),
                                 "span": node.span})
    if t in (Tensor, Zeros):
        return node.__class__(**{**{k: getattr(node, k) for k in node._keys},
                                 "dims": tuple(final(d) for d in node.dims), "span": node.span})
    return node


def is_tensor_statement(e) -> bool:
    return isinstance(e, Tensor)


def dim_text(d) -> str:
    return str(dim_of_text(d))
