"""Index notation's values: a tensor's body as arrays over named indices, contracted by einsum.

An index expression (``δ_ik x_j + x_i δ_jk``, ``Σ_a A_ia X_aj``) is a scalar with free
indices. Its value here is a *labelled array*: a numpy array and the index of each axis.
Entries read the value of their vector or matrix expression (computed by the evaluator like
any other node); ``δ_ab`` is an identity; products are einsum over the union of their
indices; ``Σ_a`` over a product is one einsum that sums ``a`` (``optimize=True``). A
:class:`~matcalc.core.nodes.Tensor` broadcasts its body to its free indices, in order.

The index ``1`` stands for the one position of an axis of size 1 (a row's first axis).
"""
from __future__ import annotations

from .errors import EvaluationError
from .lazy import np
from .nodes import (
    Add, Delta, Div, ElemDiv, ElemPower, Entry, Expr, Func, Hadamard, IndexSum, MatMul, Neg, Number, Power,
    Scale, Tensor, Zeros, fold,
)

ONE = "1"
"""The index of an axis of size 1: fixed, never summed."""

PRODUCTS = (Scale, MatMul, Hadamard)


def free_indices(e: Expr, memo: dict | None = None) -> tuple[str, ...]:
    """The free indices of an index expression, in order of first appearance (ONE excluded)."""
    def fn(node, kids):
        if isinstance(node, Tensor):
            return ()
        own: tuple = ()
        if isinstance(node, Entry):
            own = node.indices
        elif isinstance(node, Delta):
            own = (node.a, node.b)
        found = dict.fromkeys(i for i in own if i != ONE)
        for k in kids:
            found.update(dict.fromkeys(k))
        if isinstance(node, IndexSum):
            found.pop(node.index, None)
        return tuple(found)
    return fold(e, fn, memo)


def is_indexed(e: Expr) -> bool:
    """Does e hold index notation (an entry, a δ or a Σ)?"""
    return fold(e, lambda node, kids: isinstance(node, (Entry, Delta, IndexSum)) or any(kids))


class _Labelled:
    __slots__ = ("array", "indices")

    def __init__(self, array, indices):
        self.array = np.asarray(array, dtype=float)
        self.indices = tuple(indices)


def _letters(names) -> dict[str, str]:
    pool = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    names = list(dict.fromkeys(names))
    if len(names) > len(pool):
        raise EvaluationError(f"an index expression with {len(names)} indices is too large for einsum")
    return {n: pool[k] for k, n in enumerate(names)}


def _einsum(parts: list[_Labelled], keep: tuple[str, ...]) -> _Labelled:
    """Π parts, summed over every index not in keep (one einsum, optimized path)."""
    if not parts:
        return _Labelled(1.0, ())
    letters = _letters([i for p in parts for i in p.indices])
    spec = ",".join("".join(letters[i] for i in p.indices) for p in parts)
    out = [i for i in dict.fromkeys(i for p in parts for i in p.indices) if i in keep]
    spec += "->" + "".join(letters[i] for i in out)
    return _Labelled(np.einsum(spec, *[p.array for p in parts], optimize=len(parts) > 2), out)


def _aligned(p: _Labelled, target: tuple[str, ...], sizes: dict[str, int]):
    """p's array with its axes in target's order, size-1 axes where p lacks an index."""
    order = [i for i in target if i in p.indices]
    arr = np.transpose(p.array, [p.indices.index(i) for i in order]) if p.indices else p.array
    return np.reshape(arr, tuple(sizes[i] if i in p.indices else 1 for i in target))


class IndexEvaluator:
    """The labelled value of an index expression, given the values of the nodes below it.

    ``value(node)`` is the ordinary value of an index-free node (a vector, a matrix, a scalar);
    ``size(dim)`` the size of a dim; ``function(node, value)`` applies an elementwise function.
    """

    def __init__(self, value, size, function):
        self.value = value
        self.size = size
        self.function = function
        self.sizes: dict[str, int] = {}
        self.memo: dict = {}

    def labelled(self, e: Expr) -> _Labelled:
        if e in self.memo:
            return self.memo[e]
        out = self._labelled(e)
        for i, n in zip(out.indices, out.array.shape):
            self.sizes.setdefault(i, n)
        self.memo[e] = out
        return out

    def _labelled(self, e: Expr) -> _Labelled:
        t = type(e)
        if t is Entry:
            return self.entry(e)
        if t is Delta:
            n = self.size(e.dim)
            self.sizes.setdefault(e.a, n)
            self.sizes.setdefault(e.b, n)
            if e.a == e.b:
                return _Labelled(np.ones(n), (e.a,))
            return _Labelled(np.eye(n), (e.a, e.b))
        if t is IndexSum:
            return self.index_sum(e)
        if not is_indexed(e):
            return _Labelled(self.value(e), ())
        if t is Number:
            return _Labelled(float(e.value), ())
        if t is Neg:
            p = self.labelled(e.arg)
            return _Labelled(-p.array, p.indices)
        if t in PRODUCTS:
            parts = [self.labelled(f) for f in factors(e)]
            return _einsum(parts, tuple(i for p in parts for i in p.indices))
        if t is Add:
            return self.combine([self.labelled(a) for a in e.terms], np.add)
        if t in (Div, ElemDiv):
            return self.combine([self.labelled(e.left), self.labelled(e.right)], np.divide)
        if t in (Power, ElemPower):
            return self.combine([self.labelled(e.left), self.labelled(e.right)], np.power)
        if t is Func:
            p = self.labelled(e.arg)
            return _Labelled(self.function(e, p.array), p.indices)
        raise EvaluationError(f"{t.__name__} of an index expression has no value here: write it as entries")

    def entry(self, e: Entry) -> _Labelled:
        arr = np.asarray(self.value(e.arg), dtype=float)
        idx = list(e.indices)
        if arr.ndim == len(idx) + 1 and 1 in arr.shape:  # a row's entry written with one index: x_a
            arr = arr.reshape(tuple(n for n in arr.shape if n != 1) or (1,))
        if arr.ndim != len(idx):
            raise EvaluationError(f"an entry with {len(idx)} indices of a value with {arr.ndim} axes")
        for axis in reversed(range(len(idx))):
            if idx[axis] == ONE:
                arr = np.take(arr, 0, axis=axis)
                del idx[axis]
        distinct = list(dict.fromkeys(idx))
        if len(distinct) != len(idx):  # X_aa: the diagonal
            letters = _letters(distinct)
            arr = np.einsum("".join(letters[i] for i in idx) + "->" + "".join(letters[i] for i in distinct), arr)
        return _Labelled(arr, distinct)

    def index_sum(self, e: IndexSum) -> _Labelled:
        summed = []
        body = e
        while isinstance(body, IndexSum):  # Σ_a Σ_b …: one contraction
            summed.append(body.index)
            self.sizes.setdefault(body.index, self.size(body.dim))
            body = body.arg
        parts = [self.labelled(f) for f in factors(body)] if isinstance(body, PRODUCTS) else [self.labelled(body)]
        present = {i for p in parts for i in p.indices}
        keep = tuple(i for p in parts for i in p.indices if i not in summed)
        out = _einsum(parts, keep)
        for s in summed:
            if s not in present:  # Σ_a of what does not mention a: its range's size times it
                out = _Labelled(out.array * self.sizes[s], out.indices)
        return out

    def combine(self, parts: list[_Labelled], ufunc) -> _Labelled:
        union = tuple(dict.fromkeys(i for p in parts for i in p.indices))
        acc = _aligned(parts[0], union, self.sizes)
        for p in parts[1:]:
            acc = ufunc(acc, _aligned(p, union, self.sizes))
        shape = tuple(self.sizes[i] for i in union)
        return _Labelled(np.broadcast_to(acc, shape), union)

    def tensor(self, e: Tensor):
        """The array of a tensor: its body over its free indices in order (a fixed 1 for ONE)."""
        sizes = [self.size(d) for d in e.dims]
        if isinstance(e.arg, Zeros):  # ∂F_ij/∂x_k = 0_{n x n x n}
            return np.zeros(sizes)
        for i, n in zip(e.indices, sizes):
            if i != ONE:
                self.sizes.setdefault(i, n)
        body = self.labelled(e.arg)
        free = tuple(i for i in e.indices if i != ONE)
        stray = [i for i in body.indices if i not in free]
        if stray:
            raise EvaluationError(f"the index {stray[0]} is neither on the left nor summed")
        arr = np.broadcast_to(_aligned(body, free, self.sizes), tuple(self.sizes[i] for i in free))
        return np.array(arr.reshape(sizes), dtype=float)


def factors(e: Expr) -> list[Expr]:
    """The factors of a product of scalars (a run of scales and products)."""
    out, stack = [], [e]
    while stack:
        node = stack.pop()
        if not is_indexed(node):  # u^T X v: one value, whatever products it holds
            out.append(node)
        elif isinstance(node, Scale):
            stack.extend([node.right, node.left])
        elif isinstance(node, (MatMul, Hadamard)):
            stack.extend(reversed(node.terms))
        else:
            out.append(node)
    return out
