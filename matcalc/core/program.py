"""A typed program: its function, placeholders and the shape of every symbol; substitution."""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from operator import is_not

from . import build, limits
from .errors import SymbolError
from .nodes import Expr, Symbol, fold, walk
from .shapes import dims_text, shape_of

REPR_WIDTH = 200


def short(text: str, width: int = REPR_WIDTH) -> str:
    """<text> on one line, cut to width with an ellipsis: the reprs a REPL shows."""
    one = " ".join(text.split())
    return f"<{one}>" if len(one) <= width - 2 else f"<{one[:width - 3]}…>"


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
    declaration_order: tuple[str, ...] = ()
    """the declared names in the order the program declares them"""
    properties: dict[str, frozenset[str]] = field(default_factory=dict)
    """name -> what its declaration adds: symmetric, spd, positive, onehot, simplex"""
    notes: dict[str, str] = field(default_factory=dict)
    """name -> why it has the kind it has, where inference went against the naming convention"""
    scalar_hint: tuple[str, str | None] | None = None  # (why the function is not a scalar, what to do)
    """why the function is not a scalar and what to declare, for grad and hessian (None: it is one)"""
    _shape_memo: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        decls = "; ".join(f"{n} : {dims_text(self.shapes[n])}" for n in self.variables)
        return short(f"matcalc program {self.source.strip()!r} ({decls})")

    def _repr_html_(self) -> str:
        """The source and the declarations it was typed with (inferred or given)."""
        from html import escape  # here, not at start-up
        rows = "".join(f"<tr><td><code>{escape(n)}</code></td><td>{escape(dims_text(self.shapes[n]))}</td>"
                       f"<td>{'declared' if n in self.declared else 'inferred'}</td></tr>"
                       for n in self.variables)
        return (f"<div class='matcalc-program'><pre>{escape(self.source.strip())}</pre>"
                f"<table><tr><th>symbol</th><th>shape</th><th></th></tr>{rows}</table></div>")

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
        memo = self.__dict__.get("_inlined")
        if memo is None:
            memo = self.__dict__["_inlined"] = inline_definitions(self.definitions)
        return memo


def substitute(e: Expr, mapping: dict[str, Expr]) -> Expr:
    """Replace symbols by expressions (iteratively; shared subtrees stay shared, and the
    flattening of sums and products stops where it would copy them: see core.build)."""
    if not mapping:
        return e

    def fn(node, kids):
        limits.check_time()
        if isinstance(node, Symbol) and node.name in mapping:
            return mapping[node.name]
        if not kids or not any(map(is_not, kids, node.args)):
            return node
        limits.spend(1, "substituting the definitions")
        return build.rebuild(node, kids)

    return fold(e, fn)


def inline_definitions(definitions: dict[str, Expr], keep: str | None = None) -> dict[str, Expr]:
    """Each placeholder's value with the placeholders it uses substituted (dependency order),
    except ``keep``, which stays a symbol."""
    inlined: dict[str, Expr] = {}
    for name, value in definitions.items():
        if name != keep:
            inlined[name] = substitute(value, inlined)
    return inlined


def symbols_in(e: Expr, among) -> set[str]:
    """The names of ``among`` (a dict or set of names) that e uses."""
    return {s.name for s in walk(e) if isinstance(s, Symbol) and s.name in among}


def needed_definitions(roots, definitions: dict[str, Expr], uses: dict[str, set[str]] | None = None) -> list[str]:
    """The placeholders that the expressions ``roots`` use, directly or through others, in an
    order where each comes after those it uses (the definitions' own order where that is one).

    ``uses`` (name -> the placeholders its value uses) may be shared across calls, so that the
    results of one derivation walk each definition once.
    """
    if not definitions:
        return []
    uses = {} if uses is None else uses

    def used_by(name: str) -> set[str]:
        if name not in uses:
            uses[name] = symbols_in(definitions[name], definitions)
        return uses[name]

    pending = list({n for r in ([roots] if isinstance(roots, Expr) else roots) for n in symbols_in(r, definitions)})
    needed = set(pending)
    while pending:
        for name in used_by(pending.pop()):
            if name not in needed:
                needed.add(name)
                pending.append(name)
    position = {n: i for i, n in enumerate(definitions)}
    waiting = {n: len(used_by(n) & needed) for n in needed}
    users: dict[str, list[str]] = {}
    for n in needed:
        for m in used_by(n) & needed:
            users.setdefault(m, []).append(n)
    ready = [position[n] for n, k in waiting.items() if k == 0]
    heapq.heapify(ready)
    names = list(definitions)
    order: list[str] = []
    while ready:
        n = names[heapq.heappop(ready)]
        order.append(n)
        for u in users.get(n, ()):
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, position[u])
    if len(order) != len(needed):
        cycle = sorted(n for n, k in waiting.items() if k)
        raise SymbolError(f"{cycle[0]} is defined in terms of itself")
    return order
