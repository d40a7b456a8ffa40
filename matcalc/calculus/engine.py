"""The engine: reverse-mode differentiation of a whole program, and its results.

Placeholders are substituted into one DAG, so a shared subexpression (the δ of
backpropagation) gets its cotangent once, whichever parameters are asked for; the
cost is linear in the size of the program. A scalar function gives gradients in the
shape of each variable; a vector function gives Jacobians (the vector-Jacobian
product with a symbolic cotangent G, read off as the matrix A in A G); anything else
gives a generalized Jacobian, evaluated entry by entry and printed in index notation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import build
from ..views import codegen
from ..core import limits
from ..core.errors import DerivativeError
from ..core.evaluate import dim_values, evaluate_expr
from ..views.indices import index_latex, index_text
from ..core.nodes import (
    Add, Diag, Div, ElemDiv, Expr, Func, Hadamard, MatMul, Neg, Scale,
    Sum, Symbol, Transpose, fold, walk,
)
from ..language.printing import latex, latex_name, program_text, text
from .rules import Context, rule_for
from ..core.program import Program, substitute
from ..core.shapes import shape_of, transposed
from .simplify import Simplifier
from ..views.steps import chain_rule, steps_latex as _steps_latex, steps_text as _steps_text

COTANGENT = "G"  # the symbolic cotangent of a non-scalar function (never a user name: see _fresh)
LAYOUTS = ("shape", "numerator", "denominator")
FORWARD_SIZE_TO_NAME = 8  # a shared subexpression at least this big gets a name


@dataclass
class Step:
    """One node of the backward pass: downstream = upstream × local, for each input."""
    node: Expr
    upstream: Expr
    downstream: list[tuple[Expr, Expr]]


@dataclass
class Derivative:
    """∂F/∂V: its expression, the placeholders it uses, its shape, and how it was found."""

    program: Program
    wrt: str
    expr: Expr
    definitions: dict[str, Expr]
    kind: str  # "gradient", "jacobian", "hessian", "derivative" or "tensor"
    layout: str = "shape"
    trace: list[Step] = field(default_factory=list, repr=False)
    linear: Expr | None = field(default=None, repr=False)  # for "tensor": <G, dF> as a function of G
    shapes: dict = field(default_factory=dict, repr=False)
    function: Expr | None = field(default=None, repr=False)
    function_shape: tuple | None = field(default=None, repr=False)  # F's, even if F simplifies to 0

    def __str__(self) -> str:
        if self.kind == "tensor":  # ∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk, not the raw product with G
            return index_text(self)
        return program_text(self.definitions, self.expr)

    @property
    def text(self) -> str:
        return str(self)

    @property
    def shape(self) -> tuple:
        """The result's shape, dims as names (str) or integers."""
        return tuple(_plain(d) for d in self.target_shape)

    @property
    def target_shape(self) -> tuple:
        """The shape SPEC §2 gives this derivative (sympy dims), whatever form its expression took."""
        f = self.function_shape if self.function_shape is not None else \
            shape_of(self.function, self.shapes) if self.function is not None else ()
        v = self.shapes[self.wrt]
        if self.kind == "tensor":
            return (*f, *v)
        if self.kind == "gradient":
            return transposed(v) if self.layout == "numerator" else v
        if self.kind == "derivative":
            return transposed(f) if self.layout == "denominator" and f else f
        square = (*f, *v) if self.kind == "jacobian" else (*v, *v)
        return (square[1], square[0]) if self.layout == "denominator" and len(square) == 2 else square

    def inlined(self) -> Expr:
        """The expression with every placeholder substituted."""
        mapping: dict[str, Expr] = {}
        for name, value in self.definitions.items():
            mapping[name] = substitute(value, mapping)
        return substitute(self.expr, mapping)

    def evaluate(self, env: dict) -> np.ndarray:
        """The numeric value at the point env (name -> array, number or callable)."""
        dims = dim_values(self.program, env)
        env = {**dims, **env}  # the sizes of I and ones(n) even where the result names no input
        if self.kind == "tensor":
            return _evaluate_tensor(self, env)
        value = evaluate_expr(self.expr, self.shapes, env, definitions=self.definitions)
        want = tuple(int(d) if getattr(d, "is_Integer", False) else dims.get(str(d)) for d in
                     self.target_shape)
        if np.ndim(value) == 0 and want and None not in want:  # a zero folded to the number 0
            return np.full(_numeric(want), float(value))
        return value

    @property
    def function_name(self) -> str:
        """The program's name for its function, else s for a scalar (the cheatsheet's score), else F."""
        if self.program.name:
            return self.program.name
        taken = set(self.program.shapes) | set(self.program.functions)
        scalar = (self.function_shape if self.function_shape is not None else
                  self.program.shape(self.function) if self.function is not None else ()) == ()
        for candidate in (("s", "J", "L", "ℓ") if scalar else ("F", "Y", "H")):
            if candidate not in taken:
                return candidate
        return "f"

    def latex(self) -> str:
        """\\frac{\\partial s}{\\partial W} = …"""
        if self.kind == "tensor":
            return index_latex(self)
        f = latex_name(self.function_name)
        v = latex_name(self.wrt)
        if self.kind == "hessian":
            lhs = rf"\frac{{\partial^2 {f}}}{{\partial {v}\, \partial {v}^{{\top}}}}"
        else:
            lhs = rf"\frac{{\partial {f}}}{{\partial {v}}}"
        body = latex(self.expr)
        if self.definitions:
            defs = r" \\ ".join(rf"{latex_name(n)} &= {latex(e)}" for n, e in self.definitions.items())
            return rf"\begin{{aligned}} {defs} \\ {lhs} &= {body} \end{{aligned}}"
        return f"{lhs} = {body}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    @property
    def steps(self) -> list:
        """The chain rule step by step (see matcalc.steps): placeholders, upstream × local, δ, the reshape."""
        return chain_rule(self, backprop, linear_coefficient)

    def steps_text(self) -> str:
        return _steps_text(self.steps)

    def steps_latex(self) -> str:
        return _steps_latex(self.steps)

    def to_numpy(self, name: str = codegen.FUNCTION_NAME) -> str:
        """Python source of ``name(inputs…) -> (value, derivative)`` (see matcalc.codegen)."""
        return codegen.generate(self.program, self, name).source

    def compile(self, name: str = codegen.FUNCTION_NAME):
        """The callable of :meth:`to_numpy`: ``(value, derivative)`` at its inputs."""
        return codegen.compile_source(codegen.generate(self.program, self, name), name)


class Gradients(dict):
    """Several derivatives of one program from one backward pass, by variable name."""

    def to_numpy(self, name: str = codegen.FUNCTION_NAME) -> str:
        """Python source of ``name(inputs…) -> (value, d_first, d_second, …)`` in this dict's order."""
        return codegen.generate(next(iter(self.values())).program, self, name).source

    def compile(self, name: str = codegen.FUNCTION_NAME):
        """The callable of :meth:`to_numpy`."""
        return codegen.compile_source(codegen.generate(next(iter(self.values())).program, self, name), name)

    def __str__(self) -> str:
        """The definitions they share once, then ∂s/∂V = … for each variable."""
        definitions: dict[str, Expr] = {}
        for d in self.values():
            definitions.update(d.definitions)
        lines = [f"{n} = {text(v)}" for n, v in definitions.items()]
        lines += [str(d) if d.kind == "tensor" else f"∂{d.function_name}/∂{d.wrt} = {text(d.expr)}"
                  for d in self.values()]
        return "\n".join(lines)


def _numeric(shape: tuple) -> tuple:
    return tuple(int(n) for n in shape)


def _plain(d):
    return int(d) if getattr(d, "is_Integer", False) else str(d)


# ---------------------------------------------------------------- the backward pass

def backprop(f: Expr, seed: Expr, wrt: list[str], ctx: Context, trace: list | None = None) -> dict[str, Expr]:
    """Cotangents of the named symbols, from the cotangent ``seed`` of f."""
    targets = set(wrt)
    needed: dict[Expr, bool] = {}
    fold(f, lambda n, kids: (isinstance(n, Symbol) and n.name in targets) or any(kids), needed)
    cotangent: dict[Expr, Expr] = {f: seed}
    for node in reversed(walk(f)):  # parents before children
        limits.check_time()
        g = cotangent.get(node)
        if g is None or not node.args or not needed[node]:
            continue
        downstream = []
        for child, d in zip(node.args, rule_for(node)(node, g, ctx), strict=True):
            if d is None or not needed[child]:
                continue
            if ctx.is_scalar(child) and not ctx.is_scalar(d):  # a scalar broadcast to every entry
                d = build.total(d)
            cotangent[child] = build.add(cotangent[child], d) if child in cotangent else d
            downstream.append((child, d))
        if trace is not None:
            trace.append(Step(node, g, downstream))
    return {name: cotangent.get(Symbol(name)) for name in wrt}


def _zeros(shape: tuple) -> Expr:
    return build.ZERO


# ---------------------------------------------------------------- the public entry

def derive(program: Program, wrt: str | list[str], layout: str = "shape") -> Derivative | Gradients:
    """∂F/∂V for the program's function F (see SPEC §2)."""
    if layout not in LAYOUTS:
        raise DerivativeError(f'unknown layout "{layout}"', hint=f"use one of {', '.join(LAYOUTS)}")
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    if not names:
        raise DerivativeError("nothing to differentiate with respect to", hint="name a variable with wrt")
    for n in names:
        if n not in program.shapes:
            known = ", ".join(program.variables) or "none"
            raise DerivativeError(f'"{n}" is not a variable of the program', program.source, None,
                                  f"the variables are: {known}")
        if n == program.name:
            raise DerivativeError(f"{n} is the function itself", hint="differentiate with respect to an input")
    plain = [n for n in names if n not in program.definitions]
    results: dict[str, Derivative] = limits.Checked()  # time budget and result size: limits.py
    if plain:
        results.update(_derive_many(program, plain, layout, keep=None))
    for n in names:
        if n in program.definitions:  # ∂s/∂z for a placeholder z: z is held fixed as a symbol
            results.update(_derive_many(program, [n], layout, keep=n))
    if isinstance(wrt, str):
        return results[wrt]
    return Gradients((n, results[n]) for n in names)


def _inline_except(program: Program, keep: str | None) -> tuple[Expr, dict[str, Expr]]:
    mapping: dict[str, Expr] = {}
    for name, value in program.definitions.items():
        if name == keep:
            continue
        mapping[name] = substitute(value, mapping)
    return substitute(program.expr, mapping), mapping


def _derive_many(program: Program, names: list[str], layout: str, keep: str | None) -> dict[str, Derivative]:
    f, inlined = _inline_except(program, keep)
    shapes = dict(program.shapes)
    f_shape = shape_of(f, shapes)
    ctx = Context(lambda e: shape_of(e, shapes, memo))
    memo: dict = {}
    simp = Simplifier(ctx.shape, program.properties)
    f = simp(f)  # the function in its own textbook form first: log(1 + e^t) is softplus(t)
    trace: list[Step] = []
    found: list[tuple[str, Expr, str, Expr | None]] = []  # (variable, result, kind, <G, dF> if a tensor)
    if f_shape == ():
        raw = backprop(f, build.ONE, names, ctx, trace)
        for n in names:
            g = simp(raw[n]) if raw[n] is not None else build.ZERO
            if layout == "numerator" and shapes[n] != ():
                g = simp(build.transpose(g))
            found.append((n, g, "gradient" if shapes[n] != () else "derivative", None))
    else:
        # a non-scalar function: the vector-Jacobian product with a symbolic cotangent G
        G = _fresh(COTANGENT, shapes)
        shapes[G] = f_shape
        raw = backprop(f, Symbol(G), names, ctx, trace)
        for n in names:
            lin = simp(raw[n]) if raw[n] is not None else build.ZERO
            v_shape = shapes[n]
            coefficient = None
            if len(f_shape) == 1 and len(v_shape) <= 1:
                coefficient = linear_coefficient(lin, G, ctx, f_shape[0])
            if coefficient is None:
                found.append((n, lin, "tensor", lin))
                continue
            # lin = A G, so the Jacobian J = ∂F/∂V has Jᵀ = A (for a scalar v, A is the row (dF/dv)ᵀ)
            j = simp(build.transpose(coefficient))
            if layout == "denominator":
                j = simp(coefficient)
            found.append((n, j, "derivative" if len(v_shape) == 0 else "jacobian", None))
    exprs, definitions = name_shared([e for _, e, _, _ in found], program, inlined, simp, shapes, f)
    out = {}
    uses = {name: _symbols_in(value, definitions) for name, value in definitions.items()}  # each walked once
    for (n, _, kind, lin), e in zip(found, exprs):
        d = Derivative(program=program, wrt=n, expr=e, definitions=_needed(e, definitions, uses), kind=kind,
                       layout=layout, trace=trace, shapes=shapes, function=f, function_shape=f_shape)
        if lin is not None:
            d.linear = lin
        out[n] = d
    return out


def _symbols_in(e: Expr, definitions: dict[str, Expr]) -> set[str]:
    return {s.name for s in walk(e) if isinstance(s, Symbol) and s.name in definitions}


def _needed(e: Expr, definitions: dict[str, Expr], uses: dict[str, set[str]]) -> dict[str, Expr]:
    """The definitions that e uses, directly or through others (``uses``: name -> names), in their order."""
    pending = list(_symbols_in(e, definitions))
    seen: set[str] = set(pending)
    while pending:
        for name in uses[pending.pop()]:
            if name not in seen:
                seen.add(name)
                pending.append(name)
    return {n: v for n, v in definitions.items() if n in seen}


def _fresh(base: str, taken) -> str:
    name = base
    i = 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    return name


# ---------------------------------------------------------------- reading off A in A G

def linear_coefficient(e: Expr, g: str, ctx: Context, n) -> Expr | None:
    """A with e = A G, for e linear in the vector G (n entries); a row for a scalar e.

    None where e is not visibly of that form (the caller falls back to index notation).
    """
    G = Symbol(g)
    has: dict[Expr, bool] = {}
    fold(e, lambda node, kids: node == G or any(kids), has)
    ident = build.identity(_plain(n))

    def coef(x: Expr) -> Expr | None:
        if x == G:
            return ident
        if not has.get(x, False):
            return build.ZERO
        t = type(x)
        if t is Add:
            parts = [coef(a) for a in x.terms if has.get(a, False)]
            if any(p is None for p in parts):
                return None
            shape = ctx.shape(x)
            if shape:  # a scalar term is added to every entry: its row of coefficients, once per entry
                ones = build.ones(_plain(shape[0]))
                parts = [build.matmul(ones, p) if ctx.is_scalar(a) else p
                         for a, p in zip([a for a in x.terms if has.get(a, False)], parts)]
            return build.add(*parts)
        if t is Neg:
            c = coef(x.arg)
            return None if c is None else build.neg(c)
        if t is Scale:
            if not has.get(x.left, False):
                c = coef(x.right)
                return None if c is None else build.scale(x.left, c)
            if not has.get(x.right, False):  # (r G) v = v r G
                c = coef(x.left)
                return None if c is None else build.matmul(x.right, c) if not ctx.is_scalar(x.right) \
                    else build.scale(x.right, c)
            return None
        if t is Div and not has.get(x.right, False):
            c = coef(x.left)
            return None if c is None else build.div(c, x.right)
        if t is Hadamard:
            inside = [a for a in x.terms if has.get(a, False)]
            if len(inside) != 1:
                return None
            others = [a for a in x.terms if not has.get(a, False)]
            c = coef(inside[0])
            return None if c is None else build.matmul(build.diag(build.hadamard(*others)), c)
        if t is ElemDiv and not has.get(x.right, False):
            c = coef(x.left)
            return None if c is None else build.matmul(build.diag(build.elemdiv(build.ONE, x.right)), c)
        if t is Sum:
            c = coef(x.arg)
            if c is None or len(ctx.shape(x.arg)) != 1:
                return None
            return build.matmul(build.transpose(build.ones(_plain(ctx.shape(x.arg)[0]))), c)
        if t is Transpose and len(ctx.shape(x)) != 2:
            return coef(x.arg) if ctx.is_scalar(x) else None
        if t is MatMul:
            inside = [i for i, a in enumerate(x.terms) if has.get(a, False)]
            if len(inside) != 1:
                return None
            i = inside[0]
            left, mid, right = x.terms[:i], x.terms[i], x.terms[i + 1:]
            if not right:
                c = coef(mid)
                return None if c is None else build.matmul(*left, c)
            # mid is a row or a matrix linear in G, followed by constants
            if isinstance(mid, Transpose) and len(ctx.shape(mid.arg)) == 1:
                # Gᵀ-like row (A G)ᵀ times the column r: a scalar rᵀ A G
                c = coef(mid.arg)
                r = build.matmul(*right)
                if c is None or len(ctx.shape(r)) != 1 or left:
                    return None
                return build.matmul(build.transpose(r), c)
            if isinstance(mid, Diag):  # diag(v) r = diag(r) v
                c = coef(mid.arg)
                r = build.matmul(*right)
                if c is None or len(ctx.shape(r)) != 1:
                    return None
                return build.matmul(*left, build.diag(r), c)
            return None
        return None

    result = coef(e)
    if result is None or result == build.ZERO and has.get(e, False):
        return None
    return result


# ---------------------------------------------------------------- presentation

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
        if kids and any(k is not c for k, c in zip(kids, node.args)):
            return type(node)(*_fields(node, kids))
        return node

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
    size: dict[Expr, int] = {}
    for e in exprs:
        fold(e, lambda n, kids: min(10**6, 1 + sum(kids)), size)
    forward = set(walk(f))
    taken = set(shapes) | set(user)
    counters = {"z": 0, "h": 0, "δ": 0}
    names: dict[Expr, str] = {}
    for node in order:  # children first: inner temporaries get the lower numbers
        if parents.get(node, 0) >= 2 and size[node] >= FORWARD_SIZE_TO_NAME and node.args:
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
            rebuilt = type(node)(*_fields(node, kids)) if kids and any(
                k is not c for k, c in zip(kids, node.args)) else node
            if node in names:
                temps[names[node]] = rebuilt
                return Symbol(names[node])
            return rebuilt

        memo = {}
        exprs = [fold(e, use_names, memo) for e in exprs]
        for n, v in temps.items():
            shapes[n] = shape_of(v, shapes)
    return exprs, {**user, **temps}


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


def _fields(node: Expr, kids: list[Expr]) -> list:
    """Constructor arguments of node with new children (no folding: values are already simple)."""
    t = type(node)
    if t in (Add, MatMul, Hadamard):
        return [tuple(kids)]
    if t is Func:
        return [node.name, kids[0], node.order]
    return list(kids)


def _evaluate_tensor(d: Derivative, env: dict) -> np.ndarray:
    """J[i…, k…] = ∂F_{i…}/∂V_{k…}: <E_{i…}, dF> for each basis tensor E of F's shape."""
    dims = dim_values(d.program, env)
    f_dims = d.function_shape if d.function_shape is not None else shape_of(d.function, d.shapes)
    sizes = [int(x) if getattr(x, "is_Integer", False) else dims[str(x)] for x in d.target_shape]
    f_shape, v_shape = tuple(sizes[:len(f_dims)]), tuple(sizes[len(f_dims):])
    G = next(n for n in d.shapes if (n == COTANGENT or n.startswith(COTANGENT + "_"))
             and n not in d.program.shapes)  # the engine's G, not a user's symbol of that name
    out = np.zeros((*f_shape, *v_shape))
    for index in np.ndindex(*f_shape):
        basis = np.zeros(f_shape)
        basis[index] = 1.0
        value = evaluate_expr(d.expr, d.shapes, {**env, G: basis}, definitions=d.definitions)
        out[index] = np.broadcast_to(np.asarray(value, dtype=float).reshape(-1) if np.ndim(value) else value,
                                     (int(np.prod(v_shape)),)).reshape(v_shape)
    return out


def hessian(program: Program, wrt: str, layout: str = "shape") -> Derivative:
    """Second derivatives of a scalar function: the Jacobian of its gradient.

    A matrix (∂²f/∂x∂xᵀ) for a scalar or vector variable; index notation otherwise.
    """
    if program.shape(program.inline()) != ():
        raise DerivativeError("a Hessian needs a scalar function", program.source, None,
                              "take the Jacobian of a vector function instead")
    gradient = derive(program, wrt, layout="shape")
    g = gradient.inlined()
    if build.is_zero(g) and program.shapes[wrt]:  # a zero gradient still has the variable's shape
        g = Scale(build.ZERO, Symbol(wrt))
    shapes = dict(program.shapes)
    shapes.update({n: s for n, s in gradient.shapes.items() if n not in shapes})
    inner = Program(source=program.source, expr=g, definitions={}, shapes=shapes, name=None,
                    properties=program.properties,
                    functions=program.functions, declared=program.declared)
    if len(shapes[wrt]) == 0:
        result = derive(inner, wrt, layout)
        result.kind = "hessian"
    else:
        result = _derive_many(inner, [wrt], layout, keep=None)[wrt]
        if result.kind == "jacobian":
            result.kind = "hessian"
    result.program = program
    return result
