"""The generated function: its parameters, the checks of its inputs, its body and its return.

``generate(program, results)`` writes ``f_and_grad(<inputs>)``, which checks its inputs'
dims on entry and returns ``(value, d1, d2, …)``; :func:`compile_source` makes it callable.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field

from ...calculus.simplify import Simplifier
from ...core.dims import is_fixed, is_one
from ...core.functions import FUNCTIONS
from ...core.lazy import LazyModule
from ...core import build
from ...core.nodes import Expr, Func, Number, Symbol, Tensor, Zeros, fold, with_args
from ...core.program import Program
from ...core.shapes import shape_of
from ...core.stable import stable
from . import einsum
from .names import FUNCTION_NAME, CodegenError, ascii_name, check_function_name, safe_name
from .plan import Writer, dag, inline_results, intern, values
from .source import number
from .frameworks import JAX, TORCH
from .targets import NUMPY, Target

symbolic = LazyModule("matcalc.core.symbolic")


@dataclass
class Generated:
    """Source of f_and_grad and what it takes and returns."""
    source: str
    parameters: list[str]
    inputs: list[str]
    function_parameters: list[str]
    outputs: list[str]
    aliases: dict[str, str] = field(default_factory=dict)
    target: str = "numpy"
    """an ASCII keyword -> the parameter it stands for (theta -> θ)"""


def _expand_derivatives(node: Expr, kids: list[Expr]) -> Expr:
    """f^(k)(z) of a named function as its formula (tanh' = 1 - tanh²), a fold callback."""
    node = with_args(node, kids) if kids else node
    if type(node) is Func and node.order > 0 and node.name in FUNCTIONS:
        return fold(symbolic.derivative_tree(node.name, node.order, node.arg, False), _expand_derivatives)
    return node


def _results(results) -> list[tuple[str, object]]:
    """(label, result) for each result: d_x for a derivative by x, d2_x for the Hessian by x."""
    if isinstance(results, dict):
        return [(_label(k, v), v) for k, v in results.items()]
    if isinstance(results, (list, tuple)):
        return [(_label(r.wrt, r), r) for r in results]
    return [(_label(results.wrt, results), results)]


def _label(wrt: str, result) -> str:
    return f"{'d2' if getattr(result, 'kind', None) == 'hessian' else 'd'}_{safe_name(wrt)}"


def roots_of(program: Program, items: list) -> tuple[list[Expr], dict]:
    """The function's value and every result as one interned DAG in stable form, and the shapes."""
    shapes = dict(program.shapes)
    for _, d in items:
        shapes.update({k: v for k, v in d.shapes.items() if k not in shapes})
    simp_memo: dict = {}
    simp = Simplifier(lambda e: shape_of(e, shapes, simp_memo))
    value = simp(program.inline())
    if build.is_zero(value) and program.shape(program.inline()):  # the function's zero keeps its shape
        value = Zeros(tuple(program.shape(program.inline())))
    canon: dict = {}
    roots = [intern(value, {}, canon)] + inline_results([d for _, d in items], canon)
    stable_memo: dict = {}
    expand_memo: dict = {}
    roots = [intern(stable(fold(r, _expand_derivatives, expand_memo), stable_memo), {}, canon) for r in roots]
    return roots, shapes


def signature(program: Program, order: list[Expr], taken: set[str], reserved: frozenset = frozenset(),
              wrts: set = frozenset(), shapes: dict | None = None):
    """(inputs in order, program name -> Python name, (function, order) -> parameter name).

    Inputs in the program's order: the declared ones as declared, then the others by first
    appearance (then any a result alone brings in, by name).
    """
    names: dict[str, str] = {}
    free = {s.name for s in order if type(s) is Symbol} | set(wrts)  # derived by: a parameter even where 0
    free |= _showing_sizes(program, order, free, shapes or program.shapes)
    inputs = [v for v in program.declaration_order if v in free]
    inputs += [v for v in program.variables if v in free and v not in inputs]
    inputs += sorted(free - set(inputs))
    for v in inputs:
        py = safe_name(v)
        if py in reserved:
            raise CodegenError(f'"{v}" is a name the generated code uses itself', hint="rename the symbol")
        if py in taken:
            raise CodegenError(f'two names of the program become "{py}" in generated code')
        taken.add(py)
        names[v] = py
    fparams: dict[tuple[str, int], str] = {}
    for n in order:
        if type(n) is Func and n.name not in FUNCTIONS and (n.name, n.order) not in fparams:
            base = safe_name(n.name)
            py = base if n.order == 0 else f"{base}_prime" + (str(n.order) if n.order > 1 else "")
            if py in taken or py in reserved:
                raise CodegenError(f'the function parameter "{py}" clashes with a name of the program')
            taken.add(py)
            fparams[(n.name, n.order)] = py
    return inputs, names, dict(sorted(fparams.items()))


def _showing_sizes(program: Program, order: list[Expr], free: set, shapes: dict) -> set:
    """Variables that alone show the size of a zero or a tensor (0_{k x m} of (Y - Y) v)."""
    shown = {str(d) for v in free if v in shapes for d in shapes[v]}
    wanted: set = set()
    for n in order:
        for d in (n.dims if type(n) in (Zeros, Tensor) else ()):
            if str(d) not in shown and not is_fixed(d):
                v = next((v for v in program.variables if str(d) in map(str, shapes[v])), None)
                if v is not None:
                    wanted.add(v)
                    shown.update(str(x) for x in shapes[v])
    return wanted


def _body(target: Target, roots, order, uses, shapes, names, taken, fparams, dims, final=None):
    """One pass: the writer, and the return statement and the temporaries it reads."""
    w = Writer(shapes, names, taken, fparams, dims, uses, set(roots), final, in_place=target.in_place)
    vals = values(w, order, target.expression)
    w.reading.append(set())
    outs = []
    for r in roots:
        shape = w.shape(r)
        if type(r) is Number and shape:
            outs.append(target.full.format(", ".join(w.dim(x) for x in shape), number(r.value)))
        elif not shape:
            outs.append(target.scalar_out.format(vals[r].get()))
        else:
            outs.append(vals[r].get())
    needed = frozenset(w.reading.pop())
    return w, f"return {', '.join(outs)}" + ("," if len(outs) == 1 else ""), needed


def _temporary_names(count: int, taken: set[str]) -> list[str]:
    out, i = [], 0
    while len(out) < count:
        if f"t{i}" not in taken:
            out.append(f"t{i}")
        i += 1
    return out


def generate(program: Program, results=(), name: str = FUNCTION_NAME, target: str = "numpy") -> Generated:
    """Source of one function returning (value, *results) of the program at its inputs.

    ``results``: a Derivative, a Gradients dict, or a list of Derivatives (Hessians included).
    ``target``: "numpy", "torch" or "jax" (:data:`TARGETS`).
    """
    check_function_name(name)
    if target not in TARGETS:
        raise CodegenError(f"no code target called {target!r}", hint="use one of " + ", ".join(TARGETS))
    tgt = TARGETS[target]
    if name in tgt.reserved:
        raise CodegenError(f"{name!r} cannot name the generated function", hint="it names a module the code uses")
    # a generalized Jacobian becomes code as its Tensor node (np.einsum: codegen.einsum)
    items = [(label, einsum.as_code_result(d) if d.kind == "tensor" else d) for label, d in _results(results)]
    roots, shapes = roots_of(program, items)
    order, uses = dag(roots)
    taken: set[str] = set()
    inputs, names, fparams = signature(program, order, taken, tgt.reserved, {d.wrt for _, d in items}, shapes)
    dims: dict[str, str] = {}
    checks: list[str] = []
    for v in inputs:
        checks.extend(_check_input(tgt, names[v], shapes[v], dims, taken))
    params = [names[v] for v in inputs] + list(fparams.values())
    if name in params:
        raise CodegenError(f'the function name "{name}" is also one of its parameters')
    # first pass: which temporaries the return line needs; second: those, numbered in order
    w, _, needed = _body(tgt, roots, order, uses, shapes, names, set(taken), fparams, dims)
    live = w.live(needed)
    final = dict(zip(live, _temporary_names(len(live), taken)))
    w, ret, needed = _body(tgt, roots, order, uses, shapes, names, set(taken), fparams, dims, final)
    body = checks + w.lines(w.live(needed)) + [ret]
    note = f" ({tgt.note})" if tgt.note else ""
    doc = (f'"""Value of the program and {", ".join(lbl for lbl, _ in items) or "nothing else"}; '
           f'generated by matcalc{note}."""')
    source = (tgt.imports + "\n\n" + f"def {name}({', '.join(params)}):\n    {doc}\n"
              + "".join(f"    {line}\n" for line in body))
    return Generated(source=source, parameters=params, inputs=[names[v] for v in inputs],
                     function_parameters=list(fparams.values()), outputs=["value"] + [lbl for lbl, _ in items],
                     aliases=_aliases(inputs, names, params), target=target)


def _aliases(inputs: list[str], names: dict[str, str], params: list[str]) -> dict[str, str]:
    """Keywords that also name a parameter, where they name nothing else: the ASCII spelling
    of a name that is not ASCII (theta for θ), and the program's own name where the parameter
    had to spell it (ϑ for theta_symbol, so ``f(**values)`` by the program's names works)."""
    out: dict[str, str] = {}
    for v in inputs:
        for alias in ((v,) if v != names[v] else ()) + ((ascii_name(v),) if not names[v].isascii() else ()):
            if alias not in params and alias not in out:
                out[alias] = names[v]
    return out


def _check_input(target: Target, py: str, shape: tuple, dims: dict[str, str], taken: set[str]) -> list[str]:
    """Lines that convert one input to float64 in its representation and check its dims."""
    lines = [f"{py} = {target.asarray.format(py)}"]
    if len(shape) == 0:
        lines += [f"if {target.size.format(py)} != 1:",
                  f"    raise ValueError(f'{py} should be a scalar, got shape {{{py}.shape}}')",
                  f"{py} = {target.to_scalar.format(py)}"]
        return lines
    if len(shape) == 1:
        lines += [f"if {py}.ndim == 2 and {py}.shape[1] == 1:", f"    {py} = {py}[:, 0]",
                  f"if {py}.ndim != 1:",
                  f"    raise ValueError(f'{py} should be a vector, got shape {{{py}.shape}}')"]
        axes = [(0, shape[0], "entries")]
    else:
        if is_one(shape[0]):
            lines += [f"if {py}.ndim == 1:", f"    {py} = {py}[None, :]"]
        lines += [f"if {py}.ndim != 2:",
                  f"    raise ValueError(f'{py} should be a matrix, got shape {{{py}.shape}}')"]
        axes = [(0, shape[0], "rows"), (1, shape[1], "columns")]
    for axis, d, what in axes:
        size = f"{py}.shape[{axis}]"
        if is_fixed(d):
            lines += [f"if {size} != {d}:",
                      f"    raise ValueError(f'{py} has {{{size}}} {what}, but the program fixes {d}')"]
            continue
        if not isinstance(d, str):
            continue  # a compound dim (n + 1): numpy checks the products that use it
        key = str(d)
        if key not in dims:
            var = f"dim_{safe_name(key)}"
            while var in taken:
                var += "_"
            taken.add(var)
            dims[key] = var
            lines.append(f"{var} = {size}")
            dims[key + "@"] = f"{py}"
            continue
        first = dims[key + "@"]
        lines += [f"if {size} != {dims[key]}:",
                  f"    raise ValueError(f'{py} has {{{size}}} {what}, but {first} has {key} = {{{dims[key]}}}')"]
    return lines


def compile_source(generated: Generated, name: str = FUNCTION_NAME):
    """The callable of generated source (which this module wrote from validated names only)."""
    namespace: dict = {}
    exec(compile(generated.source, f"<matcalc {name}>", "exec"), namespace)  # noqa: S102 - our own source
    fn = namespace[name]
    if generated.aliases:
        fn = _with_aliases(fn, generated.aliases)
    fn.source = generated.source
    return fn


def _with_aliases(fn, aliases: dict[str, str]):
    """fn, also taking each parameter by its ASCII keyword (theta= for θ)."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        for alias, real in aliases.items():
            if alias in kwargs:
                if real in kwargs:
                    raise TypeError(f"{fn.__name__}() got {real} twice (as {real} and as {alias})")
                kwargs[real] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    call.__signature__ = inspect.signature(fn)
    call.aliases = dict(aliases)
    return call


TARGETS: dict[str, Target] = {"numpy": NUMPY, "torch": TORCH, "jax": JAX}
"""The code targets by name."""
