"""Presentation of results: the user's placeholders written back by name, and big shared
subexpressions named as temporaries (h_k, z_k for forward values, δ_k for backpropagated ones),
so that the results of deep networks grow linearly with depth.
"""
from __future__ import annotations

from operator import is_not

from ..core.nodes import Add, Expr, Func, Hadamard, MatMul, Symbol, fold, walk, with_args
from ..core.program import Program
from ..core.shapes import shape_of
from .simplify import Simplifier

FORWARD_SIZE_TO_NAME = 8  # a shared subexpression at least this big gets a name
COTANGENT = "G"  # the symbolic cotangent of a non-scalar function (a user's G makes it G_1: fresh)


def fresh(base: str, taken) -> str:
    """base, or base_1, base_2, … : the first not in ``taken``."""
    name = base
    i = 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    return name


def cotangent_name(d) -> str:
    """The engine's G in a result: "G", or "G_1", … where the program uses that name itself."""
    return next(n for n in d.shapes if (n == COTANGENT or n.startswith(COTANGENT + "_"))
                and n not in d.program.shapes)


def name_shared(exprs: list[Expr], program: Program, inlined: dict[str, Expr], simp: Simplifier,
                shapes: dict, f: Expr) -> tuple[list[Expr], dict[str, Expr]]:
    """Write the user's placeholders back by name, and name big shared subexpressions.

    Sharing is counted across all the results together, so the gradients of every layer
    of a deep network share their forward values and deltas. Returns the results and every
    definition they use (the user's first, then the temporaries, in dependency order).
    """
    reverse: dict[Expr, str] = {}
    for name, value in inlined.items():
        for form in (simp(value), value):
            if form.args:  # (a placeholder that simplifies to 0 or to a symbol is no name for those)
                reverse.setdefault(form, name)

    # a placeholder that is a sum or product may sit flattened inside a bigger one (S - Y with S = W H + b)
    runs: dict[tuple[type, Expr], list[tuple[tuple[Expr, ...], str]]] = {}
    for value, name in reverse.items():
        if isinstance(value, (Add, MatMul, Hadamard)):
            runs.setdefault((type(value), value.terms[0]), []).append((value.terms, name))

    def refold(node, kids):
        if node in reverse:
            return Symbol(reverse[node])
        if isinstance(node, (Add, MatMul, Hadamard)) and runs:
            return _refold_runs(node, kids, runs)
        if kids and any(map(is_not, kids, node.args)):
            return with_args(node, kids)
        return node

    if reverse:  # (no placeholders: nothing to write back, every node would stay as it is)
        memo: dict = {}
        exprs = [fold(e, refold, memo) for e in exprs]
    user = {n: program.definitions[n] for n in program.definitions}

    # shared subexpressions, big enough to be worth a name
    parents: dict[Expr, int] = {}
    counted: set[Expr] = set()
    order: list[Expr] = []
    for e in exprs:
        parents[e] = parents.get(e, 0) + 1
        for node in walk(e, counted):  # each node of the union once
            order.append(node)
            for c in node.args:
                parents[c] = parents.get(c, 0) + 1
    size: dict[Expr, int] = {}  # (tree sizes and the forward nodes: only where a node is shared)
    forward: set | None = None
    taken = set(shapes) | set(user)
    counters = {"z": 0, "h": 0, "δ": 0}
    names: dict[Expr, str] = {}
    for node in order:  # children first: inner temporaries get the lower numbers
        if parents.get(node, 0) >= 2 and node.args and \
                fold(node, _tree_size, size) >= FORWARD_SIZE_TO_NAME:
            if forward is None:
                forward = set(walk(f))
            base = ("h" if isinstance(node, Func) else "z") if node in forward else "δ"
            while True:
                counters[base] += 1
                candidate = f"{base}_{counters[base]}"
                if candidate not in taken:
                    break
            taken.add(candidate)
            names[node] = candidate
    temps: dict[str, Expr] = {}
    if names:
        def use_names(node, kids):
            rebuilt = with_args(node, kids) if kids else node
            if node in names:
                temps[names[node]] = rebuilt
                return Symbol(names[node])
            return rebuilt

        memo = {}
        exprs = [fold(e, use_names, memo) for e in exprs]
        for n, v in temps.items():
            shapes[n] = shape_of(v, shapes)
    return exprs, {**user, **temps}


def _tree_size(node: Expr, kids: list[int]) -> int:
    return min(10**6, 1 + sum(kids))


def _refold_runs(node: Expr, kids: list[Expr], runs: dict) -> Expr:
    """node with its refolded children, where a run of its (original) terms equal to a
    placeholder's own terms is replaced by the placeholder's name."""
    terms, out = node.terms, []
    i = 0
    while i < len(terms):
        for run, name in runs.get((type(node), terms[i]), ()):
            if len(run) < len(terms) and tuple(terms[i:i + len(run)]) == run:
                out.append(Symbol(name))
                i += len(run)
                break
        else:
            out.append(kids[i])
            i += 1
    if len(out) == len(terms) and all(a is b for a, b in zip(out, node.terms)):
        return node
    return type(node)(tuple(out))
