"""Traversals of the expression tree: iterative, so trees deeper than Python's recursion limit
are walked; shared subtrees are visited once."""
from __future__ import annotations

from operator import is_not

from .nodes import Expr


def with_args(node: Expr, kids) -> Expr:
    """The same node with other children (no folding: see matcalc.core.build.rebuild for that)."""
    if len(kids) == len(node.args) and not any(map(is_not, kids, node.args)):
        return node
    kids = iter(kids)
    values = {}
    for key in node._keys:
        value = getattr(node, key)
        if isinstance(value, Expr):
            values[key] = next(kids)
        elif isinstance(value, tuple) and value and isinstance(value[0], Expr):
            values[key] = tuple(next(kids) for _ in value)
        else:
            values[key] = value
    return type(node)(**values)


def walk(e: Expr, done: set | None = None):
    """Every node of e, children before parents, each distinct node once (iterative).

    ``done`` (a set of nodes) may be shared across calls: nodes already in it are skipped, so
    walking several roots that share subtrees costs the size of their union.
    """
    seen: set[int] = set()
    order: list[Expr] = []
    done = set() if done is None else done
    if e in done:
        return order
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if node not in done:
                done.add(node)
                order.append(node)
            continue
        if node in done or id(node) in seen:
            continue
        args = node.args
        if not args:  # a leaf: done at once (as its second visit would do)
            done.add(node)
            order.append(node)
            continue
        seen.add(id(node))
        stack.append((node, True))
        for child in reversed(args):
            if child not in done:
                stack.append((child, False))
    return order


_MISSING = object()


def fold(e: Expr, fn, memo: dict | None = None):
    """fn(node, [results of node.args]) for every distinct node, children first, iteratively.

    Returns the result for e. ``memo`` (node -> result) may be shared across calls.
    """
    if memo is None:
        memo = {}
    else:
        out = memo.get(e, _MISSING)
        if out is not _MISSING:
            return out
    # most calls meet a node whose children are known already (a shape or a rewrite of a node just
    # built): no stack for those
    kids = []
    for child in e.args:
        out = memo.get(child, _MISSING)
        if out is _MISSING:
            break
        kids.append(out)
    else:
        out = memo[e] = fn(e, kids)
        return out
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, expanded = stack.pop()
        if node in memo:
            continue
        if expanded:
            memo[node] = fn(node, [memo[c] for c in node.args])
            continue
        args = node.args
        if not args:  # a leaf: computed at once (as its second visit would do)
            memo[node] = fn(node, [])
            continue
        stack.append((node, True))
        for child in reversed(args):
            if child not in memo:
                stack.append((child, False))
    return memo[e]


def depth(e: Expr) -> int:
    """The height of the tree (a leaf is 1), computed iteratively."""
    return fold(e, lambda node, kids: 1 + max(kids, default=0))
