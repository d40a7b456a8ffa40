"""Planning the function body: one DAG for every result, temporaries, liveness, in place.

The function and every result are walked as one DAG (:func:`intern`: equal subtrees are one
node). A node used more than once, or an expensive one (a product, a function, a reduction),
becomes a temporary ``t0, t1, …`` computed once (:class:`Writer`). Temporaries are made on
first use while walking children first, so some (an operand a stable form or a product did
not use) are never read: the writer records which temporaries each piece of code reads, keeps
those the return line needs, and a second pass writes them numbered in order of computation.

In place: an elementwise operation whose array operand is a temporary made here that nothing
else reads writes into that operand (:meth:`Writer.dead`); a temporary is never overwritten if
it is an input, a view, a broadcast, a user function's return value, a returned result, or
read again (also past ``exp`` by a stable form).
"""
from __future__ import annotations

from ...core.dims import Poly, is_fixed
from ...core.nodes import (
    Det, Diag, DiagPart, Expr, Func, Identity, Inverse, LogDet, LogSoftmax, MatMul, Norm, Number, Ones,
    Softmax, Sum, Symbol, Trace, Transpose, walk, with_args,
)
from ...core.shapes import shape_of
from ...core.stable import logsumexp_arg, logsumexp_columns_arg, logsumexp_rows_arg
from .names import CodegenError
from .sigmoid import core as sigmoid_core
from .softmax import softmax_columns_arg
from .source import BROADCAST, Code, Val, form, is_view, name

MAX_INLINE_DEPTH = 8  # an inline expression nested deeper than this becomes a temporary
EXPENSIVE = (MatMul, Inverse, Det, LogDet, Softmax, LogSoftmax, Func, Sum, Norm, Trace, Diag, DiagPart,
             Identity, Ones)


def intern(e: Expr, mapping: dict[str, Expr], canon: dict) -> Expr:
    """e with symbols of ``mapping`` replaced, every distinct subtree one shared object.

    Hash-consing by the identity of (already interned) children: equal subtrees of the
    function and of every result become the same object, so the dict and set look-ups of
    the walk that follows never compare deep trees (which made them quadratic).
    """
    done: dict[int, Expr] = {}
    keep: list[Expr] = []  # keeps ids stable while done is in use
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.args) if id(c) not in done)
            continue
        keep.append(node)
        if type(node) is Symbol and node.name in mapping:
            done[id(node)] = mapping[node.name]
            continue
        kids = [done[id(c)] for c in node.args]
        fields = tuple(v for v in (getattr(node, k) for k in node._keys)  # children are in kids; x_i ≠ x_j
                       if not isinstance(v, Expr) and not (isinstance(v, tuple) and v and isinstance(v[0], Expr)))
        key = (type(node), fields, tuple(id(k) for k in kids))
        found = canon.get(key)
        if found is None:
            found = with_args(node, kids)
            canon[key] = found
            keep.append(found)
        done[id(node)] = found
    canon.setdefault(("keep",), []).extend(keep)
    return done[id(e)]


def inline_results(results: list, canon: dict) -> list[Expr]:
    """Each result with its placeholders substituted, all through one interned mapping."""
    mapping: dict[str, Expr] = {}
    for d in results:
        for key, value in d.definitions.items():  # dependency order within each result
            if key not in mapping:
                mapping[key] = intern(value, mapping, canon)
    return [intern(d.expr, mapping, canon) for d in results]


def dag(roots: list[Expr]) -> tuple[list[Expr], dict[Expr, int]]:
    """Every node of the roots once, children first, and how many nodes read each."""
    order: list[Expr] = []
    seen: set[Expr] = set()
    for r in roots:
        for n in walk(r):
            if n not in seen:
                seen.add(n)
                order.append(n)
    uses: dict[Expr, int] = {}
    for n in order:
        for c in n.args:
            uses[c] = uses.get(c, 0) + 1
        z = logsumexp_arg(n) or logsumexp_columns_arg(n) or logsumexp_rows_arg(n) or softmax_columns_arg(n)
        if z is not None:  # a stable form reads z itself, past exp(z): z may not be overwritten
            uses[z] = uses.get(z, 0) + 1
        if (found := sigmoid_core(n)) is not None and found[1]:  # σ(-u) reads u itself, past -u
            uses[found[0]] = uses.get(found[0], 0) + 1
    return order, uses


def fresh_array(node: Expr, code: str, lines: bool, shape: tuple, fparams: dict) -> bool:
    """Whether node's code makes a new array that nothing else refers to (so a consumer may
    write into it once no one else reads it): not an input, a view, a broadcast or a value a
    user's function returned."""
    if not shape or type(node) in (Symbol, Number, Transpose):
        return False
    if type(node) is Func and (node.name, node.order) in fparams:
        return False
    if lines:
        return type(node) is not LogDet
    return not is_view(code) and form(code) != BROADCAST


class Writer:
    """The state of one pass over the DAG: names, dims, temporaries and what each reads.

    ``final`` (from a first pass) gives the name of each live temporary by its sequence number;
    without it temporaries are named as they come and :meth:`live` says which to keep.
    """

    def __init__(self, shapes: dict, names: dict[str, str], taken: set[str], fparams: dict,
                 dims: dict[str, str], uses: dict, roots: set, final: dict[int, str] | None = None,
                 in_place: bool = True):
        self.shapes = shapes
        self.names = names
        self.taken = taken
        self.fparams = fparams
        self.dims = dims
        self.uses = uses
        self.roots = roots
        self.final = final
        self.in_place = in_place
        self.groups: list[tuple[int, str, list[str], frozenset]] = []  # in order of computation
        self.reading: list[set[int]] = []
        self.seq = 0
        self.counter = 0
        self.shape_memo: dict = {}
        self.index_memo: dict = {}  # which nodes lie below a tensor (einsum.is_index_code)
        self.shared: dict = {}  # a value several nodes' code reads that is no node (exp(-|u|) of σ(±u))

    # ------------------------------------------------------------ names and shapes
    def shape(self, e: Expr) -> tuple:
        return shape_of(e, self.shapes, self.shape_memo)

    def dim(self, d) -> Code:
        if d is None:
            d = "n"
        if is_fixed(d):
            return Code(str(d), "number")
        key = str(d)
        if key in self.dims:
            return name(self.dims[key])
        if isinstance(d, Poly):  # n + m, 2 m: from the sizes of its names
            terms = [" * ".join([str(c)] * (c != 1 or not names) + [self.dim(n) for n in names])
                     for names, c in d.terms]
            return Code("(" + " + ".join(terms) + ")")
        raise CodegenError(f"the size {key} is shown by no input of the program")

    def _name(self) -> str:
        while True:
            text = f"t{self.counter}"
            self.counter += 1
            if text not in self.taken:
                self.taken.add(text)
                return text

    # ------------------------------------------------------------ temporaries and what reads them
    def temp(self, make, reads: frozenset) -> tuple[int, str]:
        """A new temporary computed by ``make(name)`` (lines); its sequence number and name."""
        seq = self.seq
        self.seq += 1
        text = self._name() if self.final is None else self.final.get(seq, f"dead{seq}")
        self.reading.append(set(reads))
        lines = list(make(text))
        self.groups.append((seq, text, lines, frozenset(self.reading.pop())))
        return seq, text

    def note(self, reads: frozenset) -> None:
        """Code that refers to these temporaries was written into the code being built."""
        if self.reading:
            self.reading[-1].update(reads)

    def live(self, needed: frozenset) -> list[int]:
        """The temporaries ``needed`` depends on, in order of computation."""
        live = set(needed)
        for seq, _, _, reads in reversed(self.groups):
            if seq in live:
                live.update(reads)
        return [seq for seq, _, _, _ in self.groups if seq in live]

    def lines(self, live: list[int]) -> list[str]:
        keep = set(live)
        return [line for seq, _, lines, _ in self.groups if seq in keep for line in lines]

    def dead(self, node: Expr, val: Val, shape: tuple) -> bool:
        """Whether ``val`` is a temporary array no one else reads after its one consumer, of
        ``shape``: that consumer may overwrite it (``out=``) instead of allocating anew."""
        return (self.in_place and val.fresh and val.temp and bool(shape)
                and self.uses.get(node, 0) == 1 and node not in self.roots and self.shape(node) == shape)


def values(w: Writer, order: list[Expr], expression) -> dict[Expr, Val]:
    """Each node's Val, children first: inline code, or a temporary made on first use."""
    vals: dict[Expr, Val] = {}
    for n in order:
        w.reading.append(set())
        code, atom, lines = expression(w, n, vals)
        reads = frozenset(w.reading.pop())
        kids = [vals[c] for c in n.args]
        depth = 1 + max((k.depth for k in kids), default=0)
        val = Val(code, atom, w, depth, w.shape(n), reads)
        trivial = type(n) in (Symbol, Number) or (type(n) is Transpose and atom)
        if lines is not None:
            val.make = lines
        elif not trivial and (w.uses.get(n, 0) >= 2 or isinstance(n, EXPENSIVE) or depth > MAX_INLINE_DEPTH
                              or n in w.roots):
            val.make = lambda t, code=code: [f"{t} = {code}"]
        val.temp = val.make is not None
        val.fresh = fresh_array(n, code, lines is not None, val.shape, w.fparams)
        vals[n] = val
    return vals
