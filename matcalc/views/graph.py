"""Computation graphs: a program drawn as the cheatsheet draws backpropagation (its Examples 0.5–0.8).

Inputs on the left, one node per operation, the function on the right; each edge carries
the result of the node it leaves, with its shape. Given values (``at``), each edge also
shows the forward value (green) and, under it, the backward gradient ∂f/∂(that edge) (red):
the downstream gradient of the same backward pass that :mod:`matcalc.derive` runs
(:func:`matcalc.derive.backprop`), evaluated numerically. An input used twice gets one
gradient per edge, and its node shows their sum, ∂f/∂input.

The graph is the inlined program as a DAG (equal subexpressions are one node); an edge
leaving the value of a placeholder is labelled with the placeholder's name. The DOT text
needs nothing; drawing it needs the Python ``graphviz`` package and Graphviz's ``dot``.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..calculus.engine import backprop
from ..calculus.result import Step
from ..calculus.rules import Context
from ..core import build
from ..core.errors import MatcalcError
from ..core.evaluate import evaluate_expr
from ..core.functions import FUNCTIONS
from ..core.ops import OPS
from ..core.nodes import (
    ElemPower, Expr, Func, Number, Power, Symbol, fold, walk,
)
from ..core.program import Program, short
from ..core.shapes import shape_of
from ..language.printing import text
from ..language.typecheck import read

SMALL = 4  # an array with at most this many entries is shown entry by entry
VALUE_COLOR = "#1b7f3b"
GRADIENT_COLOR = "#c62828"
INSTALL_HINT = ("install Graphviz's dot program (apt-get install graphviz, brew install graphviz); the Python "
                "package comes with matcalc (pip install graphviz if it was removed); writing FILE.dot needs neither")
FORMATS = ("svg", "png", "pdf", "dot", "gv")


@dataclass
class Edge:
    """The result of ``tail`` flowing into ``head`` (node ids), with its value and gradient."""
    tail: str
    head: str
    name: str | None  # the placeholder this edge carries, if any
    shape: tuple
    value: object = None
    gradient: object = None


@dataclass
class Node:
    id: str
    label: str
    kind: str  # "input", "constant", "operation" or "output"
    expr: Expr | None = None
    gradient: object = None  # for an input: ∂f/∂input, the sum over its edges


@dataclass
class Graph:
    """A drawn program: ``.source`` is DOT; ``.render(path)`` writes .svg/.png/.pdf/.dot."""

    program: Program
    nodes: list[Node]
    edges: list[Edge]
    function_name: str
    value: object = None  # f at the point, when values were given
    gradients: dict[str, object] = field(default_factory=dict)  # input -> ∂f/∂input
    source: str = ""

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        at = f", {self.function_name} = {self.value:g}" if isinstance(self.value, (int, float)) else ""
        return short(f"matcalc graph of {self.program.source.strip()!r}: {len(self.nodes)} nodes, "
                     f"{len(self.edges)} edges{at}")

    def pipe(self, format: str = "svg") -> bytes:
        """The drawing in a format of Graphviz (svg, png, pdf, …)."""
        if format in ("dot", "gv"):
            return self.source.encode("utf-8")
        try:
            import graphviz  # an optional dependency: only drawing needs it
        except ImportError:
            raise MatcalcError(f"drawing {format.upper()} needs the Python graphviz package",
                               hint=INSTALL_HINT) from None
        if shutil.which("dot") is None:
            raise MatcalcError(f"drawing {format.upper()} needs Graphviz's dot program, which is not installed",
                               hint=INSTALL_HINT)
        try:
            return graphviz.Source(self.source).pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise MatcalcError("Graphviz's dot program is not installed", hint=INSTALL_HINT) from None
        except (graphviz.CalledProcessError, ValueError) as error:
            raise MatcalcError(f"Graphviz cannot draw {format}: {error}") from None

    def render(self, path: str | Path) -> Path:
        """Write the graph to path, in the format its extension names (.svg, .png, .pdf, .dot)."""
        path = Path(path)
        fmt = path.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise MatcalcError(f'cannot tell the format of "{path}"',
                               hint="name a file ending in " + ", ".join("." + f for f in FORMATS))
        data = self.pipe(fmt)
        try:
            path.write_bytes(data)
        except OSError as error:
            raise MatcalcError(f"cannot write {path}: {error.strerror}") from None
        return path

    def _repr_svg_(self) -> str | None:
        """Inline SVG in Jupyter; None (the text repr instead) where dot is missing."""
        try:
            return self.pipe("svg").decode("utf-8")
        except MatcalcError:
            return None


# ---------------------------------------------------------------- building

def graph(program: str | Program, at: dict | None = None) -> Graph:
    """The computation graph of a program; with values ``at`` (name -> number or array),
    the forward value and backward gradient on every edge."""
    program = _typed(program, at)
    f = program.inline()
    shapes = dict(program.shapes)
    memo: dict = {}
    ctx = Context(lambda e: shape_of(e, shapes, memo))
    function_name = program.name or _free_name(program)
    names = _placeholder_names(program)

    env = None if at is None else {k: _as_value(v) for k, v in at.items()}
    values: dict[Expr, object] = {}
    edge_gradients: dict[tuple[Expr, int], Expr] = {}
    totals: dict[str, Expr] = {}
    scalar = ctx.is_scalar(f)
    if env is not None:
        for node in walk(f):
            values[node] = evaluate_expr(node, shapes, env)
        if scalar:
            trace: list[Step] = []
            totals = backprop(f, build.ONE, list(program.variables), ctx, trace)
            for step in trace:
                edge_gradients.update(_per_position(step))

    variable: dict[Expr, bool] = {}
    fold(f, lambda n, kids: isinstance(n, Symbol) or any(kids), variable)
    ids: dict[Expr, str] = {}
    nodes: list[Node] = []
    edges: list[Edge] = []
    order = walk(f)
    for i, node in enumerate(order):
        ids[node] = f"n{i}"
    gradients: dict[str, object] = {}
    for node in order:
        nid = ids[node]
        if isinstance(node, Symbol):
            g = None
            if env is not None and scalar:
                cot = totals.get(node.name)
                g = _evaluate(cot, shapes, env, ctx.shape(node)) if cot is not None else 0.0
                gradients[node.name] = g
            nodes.append(Node(nid, node.name, "input", node, g))
            continue
        if not node.args:
            nodes.append(Node(nid, text(node), "constant", node))
            continue
        nodes.append(Node(nid, _operation_label(node), "operation", node))
        for position, child in enumerate(node.args):
            if _folded_exponent(node, position):
                continue
            cot = edge_gradients.get((node, position))
            g = None
            if env is not None and scalar and variable[child]:  # no gradient for a constant
                g = _evaluate(cot, shapes, env, ctx.shape(child)) if cot is not None else 0.0
            edges.append(Edge(ids[child], nid, names.get(child), ctx.shape(child),
                              values.get(child), g))
    fed = {e.tail for e in edges} | {ids[f]}
    nodes = [n for n in nodes if n.kind != "constant" or n.id in fed]  # a folded exponent
    out = Node("out", function_name, "output")
    nodes.append(out)
    edges.append(Edge(ids[f], "out", names.get(f) if names.get(f) != function_name else None,
                      ctx.shape(f), values.get(f), 1.0 if env is not None and scalar else None))
    result = Graph(program=program, nodes=nodes, edges=edges, function_name=function_name,
                   value=values.get(f), gradients=gradients)
    result.source = to_dot(result, with_values=env is not None, scalar=scalar)
    return result


def _typed(program: str | Program, at: dict | None) -> Program:
    if isinstance(program, Program):
        return program
    kinds = None
    if at:
        kinds = {}
        for name, value in at.items():
            if not callable(value):
                kinds[name] = int(np.ndim(_as_value(value)))
    return read(program, kinds)


def _as_value(v):
    if callable(v):
        return v
    a = np.asarray(v, dtype=float)
    return float(a) if a.ndim == 0 else a


def _free_name(program: Program) -> str:
    taken = set(program.shapes) | set(program.functions)
    return next((c for c in ("f", "s", "J", "F") if c not in taken), "f")


def _placeholder_names(program: Program) -> dict[Expr, str]:
    """inlined value -> placeholder name (the later name wins: s in "a = …; s = a")."""
    return {value: name for name, value in program.inlined_definitions().items()}


def _per_position(step: Step) -> dict[tuple[Expr, int], Expr]:
    """The downstream gradient on each argument position of step.node.

    ``step.downstream`` lists (child, cotangent) in argument order, skipping arguments
    without one; match them to positions in order.
    """
    out = {}
    k = 0
    for position, child in enumerate(step.node.args):
        if k < len(step.downstream) and step.downstream[k][0] == child:
            out[(step.node, position)] = step.downstream[k][1]
            k += 1
    return out


def _evaluate(e: Expr, shapes: dict, env: dict, shape: tuple):
    value = evaluate_expr(e, shapes, env)
    if shape == () and np.ndim(value) > 0:  # a scalar's cotangent, given as its broadcast
        value = np.sum(value)
    return value


def _operation_label(node: Expr) -> str:
    """The node's label from its row of the operation table (tanh, ⊙, ^2)."""
    if isinstance(node, Func):
        return (FUNCTIONS[node.name].label if node.name in FUNCTIONS else node.name) + "'" * node.order
    if isinstance(node, (Power, ElemPower)) and isinstance(node.right, Number):
        return OPS[type(node)].label + text(node.right)
    return OPS[type(node)].label


def _folded_exponent(node: Expr, position: int) -> bool:
    """x^2 is one node "^2": no edge for the constant exponent."""
    return isinstance(node, (Power, ElemPower)) and position == 1 and isinstance(node.right, Number)


# ---------------------------------------------------------------- DOT

def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dims(shape: tuple) -> str:
    return " x ".join(str(d) for d in shape)


def format_value(v) -> str:
    """A number as a person writes it (15, -0.25, 1.2e-07); a small array entry by entry."""
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        x = float(a)
        if x == 0:
            return "0"
        if x.is_integer() and abs(x) < 1e6:
            return str(int(x))
        return f"{x:.4g}"
    if a.size > SMALL:
        return ""
    if a.ndim == 1:
        return "[" + ", ".join(format_value(x) for x in a) + "]"
    return "[" + "; ".join(", ".join(format_value(x) for x in row) for row in a) + "]"


def _edge_label(edge: Edge, with_values: bool) -> str:
    first = []
    if edge.name:
        first.append(f"<B>{_html(edge.name)}</B>")
    if edge.shape:
        dims = _dims(edge.shape)
        if with_values and edge.value is not None:
            concrete = " x ".join(str(n) for n in np.shape(edge.value))
            if concrete != dims:
                dims += f" ({concrete})"
        first.append(_html(dims))
    lines = [" ".join(first)] if first else []
    if with_values and edge.value is not None:
        v = format_value(edge.value)
        if v:
            lines.append(f'<FONT COLOR="{VALUE_COLOR}">{_html(v)}</FONT>')
    if with_values and edge.gradient is not None:
        g = format_value(edge.gradient) or "∂: " + " x ".join(str(n) for n in np.shape(edge.gradient))
        lines.append(f'<FONT COLOR="{GRADIENT_COLOR}">{_html(g)}</FONT>')
    return "<" + "<BR/>".join(lines) + ">" if lines else '""'


def _node_line(node: Node, f: str) -> str:
    label = _html(node.label)
    if node.kind == "input":
        if node.gradient is not None:
            g = format_value(node.gradient) or " x ".join(str(n) for n in np.shape(node.gradient))
            label += f'<BR/><FONT COLOR="{GRADIENT_COLOR}" POINT-SIZE="11">∂{_html(f)}/∂{_html(node.label)} = {_html(g)}</FONT>'
        return f'  {node.id} [label=<{label}>, shape=box, style="rounded"];'
    if node.kind == "constant":
        return f'  {node.id} [label=<{label}>, shape=box, style="dashed,rounded", fontcolor="#555555"];'
    if node.kind == "output":
        return f'  {node.id} [label=<{label}>, shape=doublecircle];'
    shape = "circle" if len(node.label) <= 3 else "ellipse"  # max, tanh, logsoftmax: no huge circles
    return f'  {node.id} [label=<{label}>, shape={shape}];'


def to_dot(g: Graph, with_values: bool, scalar: bool = True) -> str:
    """The graph in Graphviz's DOT language."""
    lines = ["digraph matcalc {",
             '  graph [rankdir=LR, nodesep=0.5, ranksep=0.9, fontname="Helvetica", fontsize=12];',
             '  node [fontname="Helvetica", fontsize=14, margin="0.08,0.04"];',
             '  edge [fontname="Helvetica", fontsize=12, arrowsize=0.7];']
    if with_values:
        note = (f'values forward (<FONT COLOR="{VALUE_COLOR}">green</FONT>), gradients '
                f'∂{_html(g.function_name)}/∂· backward (<FONT COLOR="{GRADIENT_COLOR}">red</FONT>)')
        if not scalar:
            note = "values forward; gradients need a scalar function"
        lines.append(f"  labelloc=b; label=<{note}>;")
    for node in g.nodes:
        lines.append(_node_line(node, g.function_name))
    inputs = [n.id for n in g.nodes if n.kind == "input"]
    if inputs:
        lines.append("  { rank=source; " + "; ".join(inputs) + "; }")
    for edge in g.edges:
        lines.append(f"  {edge.tail} -> {edge.head} [label={_edge_label(edge, with_values)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
