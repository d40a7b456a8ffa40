"""What a derivation found: plain data, read by the printers and the views.

A :class:`Result` is one derivative ∂F/∂V: its expression, the placeholders it uses, its kind
(SPEC §2) and layout, and how it was found (the trace of the backward pass, the function, the
shapes). Its text and LaTeX are the language's (index notation for a generalized Jacobian);
steps, code and graphs are views that read it (:mod:`matcalc.views`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..core import limits
from ..core.dims import value as dim_value
from ..core.evaluate import dim_values, evaluate_expr
from ..core.lazy import np
from ..core.nodes import Expr
from ..core.program import Program, inline_definitions, substitute
from ..core.shapes import plain, shape_of, transposed
from ..language.latex import latex, latex_name
from ..language.printing import program_text
from .naming import cotangent_name

KINDS = ("gradient", "jacobian", "hessian", "derivative", "tensor")


@dataclass
class Step:
    """One node of the backward pass: downstream = upstream × local, for each input."""
    node: Expr
    upstream: Expr
    downstream: list[tuple[Expr, Expr]]


@dataclass
class Result:
    """∂F/∂V: its expression, the placeholders it uses, its shape, and how it was found."""

    program: Program
    wrt: str
    expr: Expr
    definitions: dict[str, Expr]
    kind: str  # one of KINDS
    layout: str = "shape"
    trace: list[Step] = field(default_factory=list, repr=False)
    linear: Expr | None = field(default=None, repr=False)  # for "tensor": <G, dF> as a function of G
    shapes: dict = field(default_factory=dict, repr=False)
    function: Expr | None = field(default=None, repr=False)
    function_shape: tuple | None = field(default=None, repr=False)  # F's, even if F simplifies to 0

    def __str__(self) -> str:
        if self.kind == "tensor":  # ∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk, not the raw product with G
            from .indices import index_text  # index notation: imported when a tensor is shown (start-up)
            return index_text(self)
        return program_text(self.definitions, self.expr)

    @property
    def text(self) -> str:
        return str(self)

    @property
    def shape(self) -> tuple:
        """The result's shape, dims as names (str) or integers."""
        return tuple(plain(d) for d in self.target_shape)

    @property
    def target_shape(self) -> tuple:
        """The shape SPEC §2 gives this derivative, whatever form its expression took."""
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
        return substitute(self.expr, inline_definitions(self.definitions))

    def evaluate(self, env: dict):
        """The numeric value at the point env (name -> array, number or callable)."""
        dims = dim_values(self.program, env)
        env = {**dims, **env}  # the sizes of I and ones(n) even where the result names no input
        if self.kind == "tensor":
            return _evaluate_tensor(self, env)
        value = evaluate_expr(self.expr, self.shapes, env, definitions=self.definitions)
        want = tuple(dim_value(d, dims) for d in self.target_shape)
        if np.ndim(value) == 0 and want and None not in want:  # a zero folded to the number 0
            return np.full(want, float(value))
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
            from .indices import index_latex
            return index_latex(self)
        # a name with its own subscript is braced ({v_{c}}), so that the head reads back as that name,
        # not as index notation's entry c of v
        f, v = (rf"{{{n}}}" if "_" in n else n for n in (latex_name(self.function_name), latex_name(self.wrt)))
        if self.kind == "hessian":
            lhs = rf"\frac{{\partial^2 {f}}}{{\partial {v}\, \partial {v}^{{\top}}}}"
        else:
            lhs = rf"\frac{{\partial {f}}}{{\partial {v}}}"
        body = latex(self.expr)
        if self.definitions:
            defs = r" \\ ".join(rf"{latex_name(n)} &= {latex(e)}" for n, e in self.definitions.items())
            return rf"\begin{{aligned}} {defs} \\ {lhs} &= {body} \end{{aligned}}"
        return f"{lhs} = {body}"


def _evaluate_tensor(d: Result, env: dict):
    """J[i…, k…] = ∂F_{i…}/∂V_{k…}: <E_{i…}, dF> for each basis tensor E of F's shape."""
    dims = dim_values(d.program, env)
    f_dims = d.function_shape if d.function_shape is not None else shape_of(d.function, d.shapes)
    sizes = [dim_value(x, dims) for x in d.target_shape]
    f_shape, v_shape = tuple(sizes[:len(f_dims)]), tuple(sizes[len(f_dims):])
    G = cotangent_name(d)
    limits.check_elements(math.prod((*f_shape, *v_shape)), "the generalized Jacobian")
    out = np.zeros((*f_shape, *v_shape))
    for index in np.ndindex(*f_shape):
        limits.check_time()
        basis = np.zeros(f_shape)
        basis[index] = 1.0
        value = evaluate_expr(d.expr, d.shapes, {**env, G: basis}, definitions=d.definitions)
        out[index] = np.broadcast_to(np.asarray(value, dtype=float).reshape(-1) if np.ndim(value) else value,
                                     (int(np.prod(v_shape)),)).reshape(v_shape)
    return out
