"""A typed program: its function, placeholders and the shape of every symbol; substitution."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import build
from .nodes import Add, Div, ElemDiv, Expr, Func, Hadamard, MatMul, Neg, Scale, Symbol, Transpose, fold
from .shapes import shape_of


@dataclass
class Program:
    """A typed program: the function, its placeholders and the shape of every symbol."""

    source: str
    expr: Expr
    definitions: dict[str, Expr]
    shapes: dict[str, tuple]
    name: str | None = None
    functions: frozenset[str] = frozenset()
    declared: frozenset[str] = frozenset()
    properties: dict[str, frozenset[str]] = field(default_factory=dict)
    """name -> what its declaration adds: symmetric, spd, positive, onehot, simplex"""
    _shape_memo: dict = field(default_factory=dict, repr=False)

    def has(self, name: str, *properties: str) -> bool:
        return bool(self.properties.get(name, frozenset()) & set(properties))

    @property
    def variables(self) -> list[str]:
        """The free symbols (inputs), in order of first appearance."""
        return [n for n in self.shapes if n not in self.definitions]

    def shape(self, e: Expr) -> tuple:
        """The shape of a typed expression over this program's symbols."""
        return shape_of(e, self.shapes, self._shape_memo)

    def inline(self, e: Expr | None = None) -> Expr:
        """e (default: the function) with every placeholder replaced by its definition."""
        inlined = self.inlined_definitions()
        target = self.expr if e is None else e
        return substitute(target, inlined)

    def inlined_definitions(self) -> dict[str, Expr]:
        memo = self.__dict__.setdefault("_inlined", None)
        if memo is None:
            memo = {}
            for name, value in self.definitions.items():  # dependency order
                memo[name] = substitute(value, memo)
            self.__dict__["_inlined"] = memo
        return memo


def substitute(e: Expr, mapping: dict[str, Expr]) -> Expr:
    """Replace symbols by expressions (iteratively; shared subtrees stay shared)."""
    if not mapping:
        return e

    def fn(node, kids):
        if isinstance(node, Symbol) and node.name in mapping:
            return mapping[node.name]
        if not kids:
            return node
        if all(k is c for k, c in zip(kids, node.args)):
            return node
        return rebuild(node, kids)

    return fold(e, fn)


def rebuild(node: Expr, kids: list[Expr]) -> Expr:
    """The same node with new children, through the folding constructors."""
    t = type(node)
    if t is Add:
        return build.add(*kids)
    if t is MatMul:
        return build.matmul(*kids)
    if t is Hadamard:
        return build.hadamard(*kids)
    if t is Scale:
        return build.scale(*kids)
    if t is Neg:
        return build.neg(kids[0])
    if t is Transpose:
        return build.transpose(kids[0])
    if t is Func:
        return Func(node.name, kids[0], node.order)
    if t is Div:
        return build.div(*kids)
    if t is ElemDiv:
        return build.elemdiv(*kids)
    if len(kids) == 1:
        return t(kids[0])
    return t(*kids)

