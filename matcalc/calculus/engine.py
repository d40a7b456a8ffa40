"""The engine: reverse-mode differentiation of a whole program.

Placeholders are substituted into one DAG, so a shared subexpression (the δ of
backpropagation) gets its cotangent once, whichever parameters are asked for; the
cost is linear in the size of the program. A scalar function gives gradients in the
shape of each variable; a vector function gives Jacobians (the vector-Jacobian
product with a symbolic cotangent G, read off as the matrix A in A G:
:mod:`matcalc.calculus.jacobian`); anything else gives a generalized Jacobian, printed in
index notation (:mod:`matcalc.calculus.indices`). What is found is a plain
:class:`~matcalc.calculus.result.Result`.
"""
from __future__ import annotations

from ..core import build, limits
from ..core.dims import is_one
from ..core.errors import DerivativeError, LimitError
from ..core.nodes import Expr, Scale, Symbol, Zeros, walk
from ..core.program import Program, inline_definitions, needed_definitions, substitute
from ..core.shapes import shape_of
from .jacobian import linear_coefficient
from .naming import COTANGENT, fresh, name_shared
from .result import Result, Step
from .rules import Context, rule_for
from .simplify import Simplifier

LAYOUTS = ("shape", "numerator", "denominator")


# ---------------------------------------------------------------- the backward pass

def backprop(f: Expr, seed: Expr, wrt: list[str], ctx: Context, trace: list | None = None,
             source: str | None = None) -> dict[str, Expr]:
    """Cotangents of the named symbols, from the cotangent ``seed`` of f.

    A limit reached on the way (time, work) is reported at the node being differentiated, with a
    caret under it in ``source`` where the node has a span."""
    here = [f]
    try:
        return _backprop(f, seed, wrt, ctx, trace, here)
    except LimitError as error:
        span = getattr(here[0], "span", None)
        if error.span is not None or span is None or source is None:
            raise
        raise type(error)(f"{error.bare_message} (differentiating this part of the input)", source, span,
                          error.hint) from None


def _backprop(f: Expr, seed: Expr, wrt: list[str], ctx: Context, trace: list | None, here: list) -> dict[str, Expr]:
    targets = set(wrt)
    order = walk(f)  # children before parents, each distinct node once
    needed: dict[Expr, bool] = {}  # whether a node holds a target (one pass over the same order)
    for n in order:
        needed[n] = (isinstance(n, Symbol) and n.name in targets) or any(map(needed.__getitem__, n.args))
    ctx.needed = needed  # the rules skip the cotangents of parts that hold no target
    cotangent: dict[Expr, Expr] = {f: seed}
    for node in reversed(order):  # parents before children
        here[0] = node
        limits.check_time()
        g = cotangent.get(node)
        if g is None or not node.args or not needed[node]:
            continue
        limits.spend(len(node.args), "the backward pass")
        downstream = []
        for child, d in zip(node.args, rule_for(node)(node, g, ctx), strict=True):
            if d is None or not needed[child]:
                continue
            if ctx.is_scalar(child) and not ctx.is_scalar(d):  # a scalar broadcast to every entry
                d = build.total(d)
            else:
                d = unbroadcast(child, d, ctx)
            cotangent[child] = build.add(cotangent[child], d) if child in cotangent else d
            downstream.append((child, d))
        if trace is not None:
            trace.append(Step(node, g, downstream))
    return {name: cotangent.get(Symbol(name)) for name in wrt}


def unbroadcast(child: Expr, d: Expr, ctx: Context) -> Expr:
    """The cotangent of a row or column broadcast along a matrix, summed over that axis:
    1ᵀ G for a row added to each row (X W + bᵀ), G 1 for a column added to each column."""
    c, s = ctx.shape(child), ctx.shape(d)
    if len(s) != 2 or c == s or is_one(s[0]):
        return d
    if len(c) == 1:  # a column (n) against n x m
        return build.matmul(d, build.ones(s[1]))
    if len(c) == 2 and is_one(c[0]):  # a row (1 x m) against n x m
        return build.matmul(build.transpose(build.ones(s[0])), d)
    return d


# ---------------------------------------------------------------- the public entry

def derive(program: Program, wrt: str | list[str], layout: str = "shape") -> Result | dict[str, Result]:
    """∂F/∂V for the program's function F (see SPEC §2); a list of names gives a dict, from one pass.

    One call within matcalc's limits (a deadline, a work and a result size: core.limits)."""
    with limits.call("derivation"):
        return _derive(program, wrt, layout)


def _derive(program: Program, wrt: str | list[str], layout: str) -> Result | dict[str, Result]:
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
    results: dict[str, Result] = limits.Checked()  # each result within the size limit: limits.py
    if plain:
        results.update(_derive_many(program, plain, layout, keep=None))
    for n in names:
        if n in program.definitions:  # ∂s/∂z for a placeholder z: z is held fixed as a symbol
            results.update(_derive_many(program, [n], layout, keep=n))
    if isinstance(wrt, str):
        return results[wrt]
    return {n: results[n] for n in names}


MAX_FORMS = 256
"""Functions whose textbook form is remembered (all forgotten at once past this many)."""

_FORMS: dict = {}
"""(function, shapes, properties, limits) -> ((its textbook form, its shape, the shapes and forms found on
the way), the work it counted), kept by :func:`matcalc.core.limits.remembered`: the
form is a function of the key alone, as a typed program is of its text (language.typecheck.read), so
a program derived again, by another variable or in another call, does not simplify its function again."""


def _function_form(f: Expr, shapes: dict, properties: dict, simp: Simplifier, memo: dict) -> tuple[Expr, tuple]:
    """The function in its own textbook form (log(1 + e^t) is softplus(t)) and its shape; ``memo`` (node ->
    shape) and the simplifier's memo are given what finding them found, remembered or not."""
    try:
        key = (f, tuple(shapes.items()), tuple(sorted(properties.items())), limits.MAX_RESULT_NODES,
               limits.MAX_WORK)
        hash(key)
    except TypeError:  # a caller's table of something unhashable: simplify afresh
        key = None

    def fresh() -> tuple:
        f_shape = simp.shape(f)
        form = simp(f)
        return form, f_shape, dict(memo), dict(simp.memo)

    (form, f_shape, found_shapes, found_forms), again = limits.remembered(
        _FORMS, key, fresh, "simplifying the function", MAX_FORMS)
    if again:
        memo.update(found_shapes)
        simp.memo.update(found_forms)
    return form, f_shape


def _derive_many(program: Program, names: list[str], layout: str, keep: str | None) -> dict[str, Result]:
    inlined = inline_definitions(program.definitions, keep)
    f = substitute(program.expr, inlined)
    shapes = dict(program.shapes)
    memo: dict = {}  # node -> shape, for the whole derivation

    def shape(e: Expr) -> tuple:
        known = memo.get(e)
        return known if known is not None else shape_of(e, shapes, memo)

    ctx = Context(shape)
    simp = Simplifier(ctx.shape, program.properties)
    f, f_shape = _function_form(f, shapes, program.properties, simp, memo)
    trace: list[Step] = []
    found: list[tuple[str, Expr, str, Expr | None]] = []  # (variable, result, kind, <G, dF> if a tensor)
    if f_shape == ():
        raw = backprop(f, build.ONE, names, ctx, trace, program.source)
        for n in names:
            g = simp(raw[n]) if raw[n] is not None else build.ZERO
            if layout == "numerator" and shapes[n] != ():
                g = simp(build.transpose(g))
            found.append((n, g, "gradient" if shapes[n] != () else "derivative", None))
    else:
        # a non-scalar function: the vector-Jacobian product with a symbolic cotangent G
        G = fresh(COTANGENT, shapes)
        shapes[G] = f_shape
        raw = backprop(f, Symbol(G), names, ctx, trace, program.source)
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
    uses: dict[str, set[str]] = {}  # each definition walked once for all the results
    for (n, _, kind, lin), e in zip(found, exprs):
        needed = needed_definitions(e, definitions, uses)
        d = Result(program=program, wrt=n, expr=e, definitions={m: definitions[m] for m in needed}, kind=kind,
                   layout=layout, trace=trace, shapes=shapes, function=f, function_shape=f_shape)
        if lin is not None:
            d.linear = lin
        elif build.is_zero(e) and d.target_shape:  # a zero keeps its shape: 0_{k x m}, not 0
            d.expr = Zeros(tuple(d.target_shape))
        out[n] = d
    return out


def hessian(program: Program, wrt: str, layout: str = "shape") -> Result:
    """Second derivatives of a scalar function: the Jacobian of its gradient.

    A matrix (∂²f/∂x∂xᵀ) for a scalar or vector variable; index notation otherwise. Both
    passes run within one call's limits.
    """
    with limits.call("Hessian"):
        return _hessian(program, wrt, layout)


def _hessian(program: Program, wrt: str, layout: str) -> Result:
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
        limits.check_result(wrt, result)
        if result.kind == "jacobian":
            result.kind = "hessian"
    result.program = program
    return result
