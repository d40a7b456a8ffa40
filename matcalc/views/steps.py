"""The chain rule, step by step, as the cheatsheet derives the one-layer network by hand.

From the backward pass of a scalar function s: the placeholders of the forward pass
(the program's own names; the cheatsheet's z, h, a, b, … for nodes without one), then for
each node, parents first, the upstream gradient it receives, its local gradient for each
input and downstream = upstream × local. A composite upstream gradient is memoized as δ
(δ = ∂s/∂z = ∂s/∂h ∂h/∂z, a 1 x n row as in the cheatsheet) and reused for every input of
its node; an input fed by several nodes adds their downstream gradients; the last step
transposes the result to the shape of the variable (δ x → δ^T x^T).

Scalars and vectors are shown in pure-math (numerator) layout, so "upstream × local" is a
real matrix product: a row times a Jacobian. Where a matrix is involved the local gradient
is a tensor, and it is shown by what it does to an upstream gradient G (∂z/∂W takes G to
G x^T), in the shape of the variable.

A view: it reads a :class:`~matcalc.calculus.result.Result` and reruns the engine's own
backward pass (:func:`matcalc.calculus.engine.backprop`) node by node.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..calculus.engine import backprop
from ..calculus.jacobian import linear_coefficient
from ..calculus.rules import Context
from ..calculus.simplify import Simplifier
from ..core import build
from ..core.build import rebuild
from ..core.nodes import Add, Expr, Func, MatMul, Neg, Number, Scale, Symbol, Transpose, fold, walk
from ..core.program import short, substitute
from ..core.shapes import shape_of, shape_words
from ..language.latex import latex, latex_name
from ..language.printing import text

UPSTREAM = "G"
LETTERS = "abcdegkpqrtvw"


def _d(f: str, v: str) -> str:
    return f"∂{f}/∂{v}"


def _dl(f: str, v: str) -> str:
    return rf"\frac{{\partial {latex_name(f)}}}{{\partial {latex_name(v)}}}"


# ---------------------------------------------------------------- the steps

class _Short:
    """A step's repr: its kind and first line (the dataclass repr would print whole trees)."""

    def __repr__(self) -> str:
        return short(f"matcalc {type(self).__name__.lower()} {str(self).split(chr(10))[0].strip()}")

    def _repr_latex_(self) -> str:
        return rf"$$\begin{{aligned}} {self.latex()} \end{{aligned}}$$"


class Steps(list):
    """The chain rule of one derivative, step by step: a list of steps that prints as the text
    (``str``) and displays as LaTeX in Jupyter."""

    def __init__(self, steps=(), equation: str = ""):
        super().__init__(steps)
        self.equation = equation

    def __str__(self) -> str:
        return steps_text(self)

    def __repr__(self) -> str:
        return short(f"matcalc chain rule for {self.equation}: {len(self)} steps") if self else \
            "<matcalc chain rule: no steps (they are shown for gradients of scalar functions)>"

    def latex(self) -> str:
        return steps_latex(self)

    def _repr_latex_(self) -> str:
        return f"$${steps_latex(self)}$$"

@dataclass(repr=False)
class Placeholder(_Short):
    """A node of the forward pass: name = expression."""
    name: str
    expr: Expr

    def __str__(self) -> str:
        return f"{self.name} = {text(self.expr)}"

    def latex(self) -> str:
        return rf"{latex_name(self.name)} &= {latex(self.expr)}"


@dataclass(repr=False)
class Edge(_Short):
    """One input of a node: its local gradient, and downstream = upstream × local."""
    function: str
    node: str
    child: str
    local: Expr | None          # ∂node/∂child (numerator layout) when no matrix is involved
    vjp: Expr | None            # otherwise: what ∂node/∂child does to an upstream G
    product: Expr | None        # upstream × local, as written (numerator layout)
    downstream: Expr            # numerator layout, or the shape of the child when shaped
    shaped: bool = False
    node_shape: tuple = ()
    child_shape: tuple = ()

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def latex(self) -> str:
        return r" \\ ".join(self.latex_lines())

    def lines(self) -> list[str]:
        f, n, c = self.function, self.node, self.child
        if self.local is not None:
            out = [f"local       {_d(n, c)} = {text(self.local)}"]
            chain = f"{_d(f, n)} {_d(n, c)} = " if self.product is not None else ""
            product = f"{text(self.product)} = " if self.product is not None and \
                self.product != self.downstream else ""
            out.append(f"downstream  {_d(f, c)} = {chain}{product}{text(self.downstream)}")
            return out
        out = [f"local       {_d(n, c)} takes an upstream {UPSTREAM} ({shape_words(self.node_shape)}) "
               f"to {text(self.vjp)} ({shape_words(self.child_shape)})"]
        out.append(f"downstream  {_d(f, c)} = {_d(f, n)} {_d(n, c)} = {text(self.downstream)}   "
                   f"(in the shape of {c})")
        return out

    def latex_lines(self) -> list[str]:
        f, n, c = self.function, self.node, self.child
        if self.local is not None:
            out = [rf"&\text{{local: }} {_dl(n, c)} = {latex(self.local)}"]
            chain = rf" = {_dl(f, n)} {_dl(n, c)}" if self.product is not None else ""
            product = f" = {latex(self.product)}" if self.product is not None and \
                self.product != self.downstream else ""
            out.append(rf"&\text{{downstream: }} {_dl(f, c)}{chain}{product} = {latex(self.downstream)}")
            return out
        return [rf"&\text{{local: }} {_dl(n, c)} \text{{ takes an upstream }} {UPSTREAM} "
                rf"\text{{ to }} {latex(self.vjp)}",
                rf"&\text{{downstream: }} {_dl(f, c)} = {latex(self.downstream)} "
                rf"\quad \text{{(in the shape of }} {latex_name(c)} \text{{)}}"]


@dataclass(repr=False)
class Backward(_Short):
    """A node of the backward pass: the upstream gradient it receives, and one edge per input."""
    function: str
    node: str
    expr: Expr
    upstream: Expr              # numerator layout (a row for a vector node)
    edges: list[Edge] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"{self.node} = {text(self.expr)}" if self.node != self.function else \
            f"{self.function} = {text(self.expr)}"
        lines = [head, f"  upstream    {_d(self.function, self.node)} = {text(self.upstream)}"]
        for e in self.edges:
            lines.extend("  " + line for line in e.lines())
        return "\n".join(lines)

    def latex(self) -> str:
        lines = [rf"{latex_name(self.node)} &= {latex(self.expr)}",
                 rf"&\text{{upstream: }} {_dl(self.function, self.node)} = {latex(self.upstream)}"]
        for e in self.edges:
            lines.extend(e.latex_lines())
        return r" \\ ".join(lines)


@dataclass(repr=False)
class Memo(_Short):
    """δ = ∂s/∂z, computed once and reused by every input of z."""
    function: str
    name: str
    node: str
    value: Expr                 # numerator layout
    shaped: Expr | None         # the same in the shape of the node (δ^T = u ⊙ f'(z))
    shape: tuple = ()
    users: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        s = f"memoize     {self.name} = {_d(self.function, self.node)} = {text(self.value)}   " \
            f"({shape_words(self.shape)}"
        if self.shaped is not None:
            s += f"; in the shape of {self.node}: {text(Transpose(Symbol(self.name)))} = {text(self.shaped)}"
        s += ")"
        if len(self.users) > 1:
            grads = [_d(self.function, u) for u in self.users]
            s += f", reused for {', '.join(grads[:-1])} and {grads[-1]}"
        return s

    def latex(self) -> str:
        s = rf"&\text{{memoize: }} {latex_name(self.name)} = {_dl(self.function, self.node)} = {latex(self.value)}"
        if self.shaped is not None:
            s += rf", \quad {latex(Transpose(Symbol(self.name)))} = {latex(self.shaped)}"
        return s


@dataclass(repr=False)
class Accumulate(_Short):
    """An input fed by several nodes: its gradient is the sum of their downstream gradients."""
    function: str
    name: str
    sources: list[str]
    terms: list[Expr]
    total: Expr

    def __str__(self) -> str:
        parts = " + ".join(f"({_d(self.function, self.name)} via {s})" for s in self.sources)
        return f"{self.name} feeds {' and '.join(self.sources)}, so the downstream gradients add:\n" \
               f"  {_d(self.function, self.name)} = {parts} = {text(self.total)}"

    def latex(self) -> str:
        return rf"&\text{{{self.name} feeds {', '.join(self.sources)}: }} {_dl(self.function, self.name)} = " \
               rf"{latex(self.total)}"


@dataclass(repr=False)
class Final(_Short):
    """The gradient in the shape of the variable, with δ and the introduced names substituted."""
    function: str
    wrt: str
    named: Expr                 # in the shape of wrt, over the step names (δ^T x^T)
    shorthand: Expr | None      # the cheatsheet's form before the transposes (δ x)
    final: str                  # the derivative as matcalc prints it
    final_latex: str
    shape: tuple = ()

    def __str__(self) -> str:
        lhs = _d(self.function, self.wrt)
        how = f"{text(self.shorthand)} → {text(self.named)}, " if self.shorthand is not None else ""
        same = text(self.named) == self.final
        tail = "" if same else f" = {self.final}"
        return f"in the shape of {self.wrt} ({how}{shape_words(self.shape)}):\n  {lhs} = {text(self.named)}{tail}"

    def latex(self) -> str:
        lhs = _dl(self.function, self.wrt)
        tail = "" if text(self.named) == self.final else f" = {self.final_latex}"
        return rf"{lhs} &= {latex(self.named)}{tail}"


# ---------------------------------------------------------------- building them

def chain_rule(d) -> list:
    """The steps of ∂s/∂wrt for a Derivative d of a scalar function (else an empty list)."""
    f = d.function
    if f is None or not d.trace:
        return []
    shapes = dict(d.shapes)
    shape = lambda e: shape_of(e, shapes, memo)  # noqa: E731
    memo: dict = {}
    if shape(f) != ():
        return []
    ctx = Context(shape)
    simp = Simplifier(shape)
    program = d.program
    function = d.function_name
    wrt = d.wrt

    # which nodes lie on a path from f to wrt
    needed: dict[Expr, bool] = {}
    fold(f, lambda n, kids: (isinstance(n, Symbol) and n.name == wrt) or any(kids), needed)
    order = [n for n in walk(f) if needed.get(n)]          # children first
    parents: dict[Expr, set] = {}
    for n in order:
        for c in n.args:
            if needed.get(c):
                parents.setdefault(c, set()).add(n)

    # names: the program's placeholders, then the cheatsheet's for the nodes that need one
    names: dict[Expr, str] = {}
    for name, value in program.inlined_definitions().items():
        if value.args:
            names.setdefault(simp(value), name)
            names.setdefault(value, name)
    names[f] = function
    taken = set(shapes) | set(program.functions) | {str(x) for s in shapes.values() for x in s} | {function}
    taken |= set(names.values())

    def absorbed(n: Expr) -> bool:
        if n in names or not n.args or len(parents.get(n, ())) != 1:
            return False
        (p,) = parents[n]
        if isinstance(n, (Transpose, Neg)) and not n.arg.args:
            return True
        return isinstance(n, (MatMul, Scale, Neg, Transpose)) and isinstance(p, Add)

    def fresh(n: Expr) -> str:
        if isinstance(n, Func):
            bases = ["h", "h_1", "h_2", "h_3"]
        elif isinstance(n, Add) and any(isinstance(t, MatMul) for t in n.terms) or isinstance(n, MatMul):
            bases = ["z", "z_1", "z_2", "z_3"]
        else:
            bases = []
        for b in [*bases, *LETTERS, *(f"a_{i}" for i in range(1, 1000))]:
            if b not in taken:
                taken.add(b)
                return b
        raise AssertionError("no free name")

    step_nodes = [n for n in order if n.args and not absorbed(n)]
    for n in step_nodes:
        if n not in names:
            names[n] = fresh(n)
    for n in step_nodes:      # inputs off the path still get a name, so each step reads like the cheatsheet's
        for c in n.args:
            if c.args and c not in names and not needed.get(c) and not (
                    isinstance(c, (Transpose, Neg)) and not c.arg.args) and not (
                    isinstance(c, (MatMul, Scale, Neg, Transpose)) and isinstance(n, Add)):
                names[c] = fresh(c)
    for n, name in names.items():
        shapes.setdefault(name, shape(n))

    def local_expr(n: Expr) -> Expr:
        """n over the names of its inputs (absorbed nodes written out)."""
        def fn(node, kids):
            if node is not n and node in names:
                return Symbol(names[node])
            if not kids or all(k is c for k, c in zip(kids, node.args)):
                return node
            return rebuild(node, kids)
        return fold(n, fn, {})

    def inputs(n: Expr) -> list[Expr]:
        """The step nodes and leaves directly below n (through absorbed nodes)."""
        out, stack = [], list(reversed(n.args))
        while stack:
            c = stack.pop()
            if not needed.get(c):
                continue
            if c.args and absorbed(c):
                stack.extend(reversed(c.args))
            elif c not in out:
                out.append(c)
        return out

    steps: list = [Placeholder(names[n], local_expr(n)) for n in walk(f) if n in names and n.args]
    received: dict[Expr, list[tuple[str, Expr]]] = {f: [("", build.ONE)]}
    deltas = 0
    delta_values: dict[str, Expr] = {}
    for n in reversed(step_nodes):                          # parents first
        node_name = names[n]
        contributions = received.get(n, [])
        total = simp(build.add(*(t for _, t in contributions))) if contributions else build.ZERO
        if len(contributions) > 1:
            steps.append(Accumulate(function, node_name, [s for s, _ in contributions],
                                    [t for _, t in contributions], total))
        n_shape = shape(n)
        kids = inputs(n)
        upstream = total
        if n is not f and not _simple(total):
            deltas += 1
            delta = "δ" if deltas == 1 else f"δ_{deltas}"
            while delta in taken:
                deltas += 1
                delta = f"δ_{deltas}"
            taken.add(delta)
            numerator = simp(build.transpose(total)) if len(n_shape) == 1 else total
            shapes[delta] = (1, n_shape[0]) if len(n_shape) == 1 else n_shape
            delta_values[delta] = numerator
            steps.append(Memo(function, delta, node_name, numerator, total if len(n_shape) == 1 else None,
                              shapes[delta], _users(local_expr(n), program)))
            upstream = build.transpose(Symbol(delta)) if len(n_shape) == 1 else Symbol(delta)
        up_numerator = simp(build.transpose(upstream)) if len(n_shape) == 1 else upstream
        step = Backward(function, node_name, local_expr(n), up_numerator)
        body = local_expr(n)
        g_name = f"__upstream_{len(steps)}"   # one per node: shapes and simplifications are memoized
        shapes[g_name] = n_shape
        child_names = [_name(c, names) for c in kids]
        vjps = backprop(body, Symbol(g_name), child_names, ctx)
        for c, cname in zip(kids, child_names):
            lin = vjps.get(cname)
            if lin is None:
                continue
            lin = simp(lin)
            c_shape = shape(c)
            down = simp(substitute(lin, {g_name: upstream}))
            if len(n_shape) <= 1 and len(c_shape) <= 1:
                local = _local(lin, g_name, n_shape, c_shape, ctx, simp)
                if local is not None:
                    down_num = simp(build.transpose(down)) if len(c_shape) == 1 else down
                    product = _product(up_numerator, local, ctx)
                    step.edges.append(Edge(function, node_name, cname, local, None, product, down_num,
                                           node_shape=n_shape, child_shape=c_shape))
                    received.setdefault(c, []).append((node_name, down))
                    continue
            shown = substitute(lin, {g_name: Symbol(UPSTREAM)})
            step.edges.append(Edge(function, node_name, cname, None, shown, None, down, shaped=True,
                                   node_shape=n_shape, child_shape=c_shape))
            received.setdefault(c, []).append((node_name, down))
        steps.append(step)

    target = Symbol(wrt)
    contributions = received.get(target, [])
    named = simp(build.add(*(t for _, t in contributions))) if contributions else build.ZERO
    if len(contributions) > 1:
        steps.append(Accumulate(function, wrt, [s for s, _ in contributions], [t for _, t in contributions], named))
    shorthand = None
    if isinstance(named, MatMul) and len(named.terms) == 2 and all(isinstance(t, Transpose) for t in named.terms):
        shorthand = MatMul(tuple(t.arg for t in named.terms))   # δ^T x^T is the cheatsheet's δ x, transposed
    elif len(shapes[wrt]) == 1 and isinstance(named, Transpose):
        shorthand = named.arg                                     # δ^T: the row δ as a column
    final_expr = d.expr
    steps.append(Final(function, wrt, named, shorthand, text(final_expr), latex(final_expr), shapes[wrt]))
    return steps


def _users(e: Expr, program) -> list[str]:
    """The inputs and placeholders a node's expression reads: every one of them reuses its δ."""
    return list(dict.fromkeys(s.name for s in walk(e) if isinstance(s, Symbol) and s.name in program.shapes))


def _name(e: Expr, names: dict) -> str:
    return names[e] if e in names else e.name


def _simple(e: Expr) -> bool:
    """Not worth a δ: a name, a number, or the transpose or negation of one."""
    while isinstance(e, (Transpose, Neg)):
        e = e.arg
    return isinstance(e, (Symbol, Number))


def _local(lin: Expr, g: str, n_shape: tuple, c_shape: tuple, ctx, simp) -> Expr | None:
    """∂node/∂child in numerator layout, from its vector-Jacobian product lin (linear in G)."""
    if not n_shape:                       # a scalar node: lin = G × (gradient in the shape of the child)
        grad = simp(substitute(lin, {g: build.ONE}))
        return simp(build.transpose(grad)) if len(c_shape) == 1 else grad
    a = linear_coefficient(lin, g, ctx, n_shape[0])   # lin = A G, and the Jacobian is Aᵀ
    if a is None:
        return None
    return simp(build.transpose(a))


def _product(upstream: Expr, local: Expr, ctx) -> Expr | None:
    """upstream × local as written (no simplification), or None when one side is 1."""
    if upstream == build.ONE or local == build.ONE:
        return None
    if ctx.is_scalar(upstream):
        return Scale(upstream, local)
    if ctx.is_scalar(local):
        return Scale(local, upstream)
    return MatMul((upstream, local))


# ---------------------------------------------------------------- rendering

def steps_text(steps: list) -> str:
    if not steps:
        return "(steps are shown for gradients of scalar functions)"
    forward = [s for s in steps if isinstance(s, Placeholder)]
    rest = [s for s in steps if not isinstance(s, Placeholder)]
    lines = ["forward pass (placeholders):"] + [f"  {s}" for s in forward]
    lines.append("backward pass (downstream = upstream × local):")
    for s in rest:
        if isinstance(s, Final):
            lines.append(str(s))
        else:
            lines.extend("  " + line for line in str(s).split("\n"))
    return "\n".join(lines)


def steps_latex(steps: list) -> str:
    if not steps:
        return r"\text{(steps are shown for gradients of scalar functions)}"
    rows = [s.latex() for s in steps]
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"
