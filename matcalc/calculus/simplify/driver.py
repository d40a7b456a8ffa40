"""The driver: the rewrites of :data:`~.table.REWRITES`, applied bottom-up to a fixed point.

At every node (children first) the rewrites for the node's type are tried in the table's
order; the first that applies gives the new node, whose new parts are simplified in turn
(children first, then the new root). Passes repeat until one rewrites nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from operator import is_not

from ...core import build, limits
from ...core.build import rebuild
from ...core.nodes import Add, Diag, Expr, Identity, Inverse, MatMul, Neg, Scale, Symbol, fold
from .table import REWRITES

MAX_PASSES = 12
MAX_LOCAL = 50


class Simplifier:
    """Rewrites trees over one program's symbols; remembers what it has simplified.

    The rewrites read from it what they need of the program: :meth:`shape`,
    :meth:`is_scalar`, :meth:`is_symmetric`, the names declared to sum to one
    (``sums_to_one``), and :meth:`simplified` for parts they build.
    """

    def __init__(self, shape: Callable[[Expr], tuple], properties: dict | None = None):
        self.shape = shape
        props = properties or {}
        self.symmetric = {n for n, p in props.items() if p & {"symmetric", "spd"}}
        self.sums_to_one = {n for n, p in props.items() if p & {"onehot", "simplex"}}
        self.memo: dict[Expr, Expr] = {}
        self.nesting = 0
        self.cut = False  # whether this pass left a rewrite undone (nested past MAX_LOCAL)
        self.rewrites = 0
        self.bases: dict[Expr, frozenset | None] = {}  # memo of products.scalar_bases
        self.symmetric_memo: dict[Expr, bool] = {}
        self.quotients: dict[Expr, bool] = {}  # memo of elementwise.has_quotient

    def __call__(self, e: Expr) -> Expr:
        for _ in range(MAX_PASSES):
            self.rewrites = 0
            self.cut = False
            out = fold(e, self._node, self.memo)
            if self.rewrites == 0 or out is e:  # a pass that rewrote nothing: a fixed point
                return out
            e = out
        return e

    def simplified(self, e: Expr) -> Expr:
        """e simplified within the current pass (for a rewrite that looks at parts it builds)."""
        return fold(e, self._node, self.memo)

    def _node(self, node: Expr, kids: list[Expr]) -> Expr:
        limits.check_time()
        rebuilt = False
        if kids and any(map(is_not, kids, node.args)):
            node = rebuild(node, kids)
            rebuilt = True
        out = self.local(node)
        if out is node or out == node:
            if rebuilt and not self.cut:
                # a node made of simplified parts that no rewrite changes is simplified: the next
                # pass finds it so at once (unless a part was left unsimplified at MAX_LOCAL)
                self.memo.setdefault(node, node)
            return node
        if self.nesting > MAX_LOCAL:
            self.cut = True
            return node
        self.rewrites += 1
        # the rewrite made new nodes: simplify them (children first), then the new root
        self.nesting += 1
        try:
            return fold(out, self._node, self.memo)
        finally:
            self.nesting -= 1

    def local(self, e: Expr) -> Expr:
        """e after the first rewrite of its type that applies (e itself if none does)."""
        for rewrite in REWRITES.get(type(e), ()):
            out = rewrite(e, self)
            if out is not None:
                return out
        return e

    def is_scalar(self, e: Expr) -> bool:
        return self.shape(e) == ()

    def is_symmetric(self, e: Expr) -> bool:
        """Whether e is a symmetric matrix by its form (or by declaration)."""
        if e in self.symmetric_memo:
            return self.symmetric_memo[e]
        t = type(e)
        if t is Symbol:
            out = e.name in self.symmetric
        elif t in (Identity, Diag):
            out = True
        elif t in (Inverse, Neg):
            out = self.is_symmetric(e.arg)
        elif t is Scale:
            out = self.is_scalar(e.left) and self.is_symmetric(e.right)
        elif t is Add:
            out = all(self.is_symmetric(x) for x in e.terms) or _transposed_twins(e.terms)
        elif t is MatMul:
            # P S P^T with S symmetric (X X^T is P I P^T)
            terms = e.terms
            half = len(terms) // 2
            mirrored = all(terms[-1 - i] == build.transpose(terms[i]) for i in range(half))
            out = mirrored and (len(terms) % 2 == 0 or self.is_symmetric(terms[half])) \
                and len(self.shape(e)) == 2
        else:
            out = False
        self.symmetric_memo[e] = out
        return out


def _transposed_twins(terms) -> bool:
    """A + A^T (each term's transpose is a term too)."""
    return all(build.transpose(t) in terms for t in terms)
