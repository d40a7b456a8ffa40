"""The elementwise functions: one row each, with everything the surface knows about it.

A row gives the spellings the parser accepts, how the text and LaTeX printers write the
function, its numpy kernel, the numpy source the code generator emits (and the same writing
into its argument's buffer, where numpy allows), its label in a computation graph, and the
SymPy function from which its derivatives are taken (:mod:`matcalc.core.symbolic`). Its
derivative rule is the one rule of :class:`matcalc.core.nodes.Func` in the rule table.

Any other name applied like a function is a generic f: its derivative is written f'.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import kernels
from .lazy import LazyModule, np, sympy

symbolic = LazyModule("matcalc.core.symbolic")


@dataclass(frozen=True)
class Function:
    """One named elementwise function."""

    name: str                      # canonical name (the key of FUNCTIONS)
    spellings: tuple[str, ...]     # names that call it in the language (LaTeX \\name reads as name)
    text: str                      # how the text printer writes it
    latex: str                     # the LaTeX command before the brackets: \tanh(x)
    numpy: Callable                # the kernel
    code: str                      # numpy source, {0} the argument
    code_into: str | None          # the same, writing into the argument's buffer {0}
    label: str                     # the node's label in a computation graph
    sympy: Callable[[], object]    # () -> the SymPy function of one argument
    latex_form: str | None = None  # a LaTeX template for f itself ({0} the argument): \sqrt{x}
    code_operand: bool = False     # the code needs its argument bracketed (it negates it)


def _ufunc(name: str, numpy_name: str | None = None, latex: str | None = None, **kw) -> Function:
    """A function that is a numpy ufunc of the same name (exp, tanh, …)."""
    np_name = numpy_name or name
    return Function(name=name, spellings=kw.pop("spellings", (name,)), text=name,
                    latex=latex or "\\" + name, numpy=lambda x: getattr(np, np_name)(x),
                    code=f"np.{np_name}({{0}})", code_into=f"np.{np_name}({{0}}, out={{0}})", label=name,
                    sympy=kw.pop("sympy", lambda: getattr(sympy, name)), **kw)


ROWS: tuple[Function, ...] = (
    _ufunc("exp"),
    _ufunc("log", spellings=("log", "ln")),
    _ufunc("sin"),
    _ufunc("cos"),
    _ufunc("tan"),
    _ufunc("tanh"),
    _ufunc("sinh"),
    _ufunc("cosh"),
    _ufunc("sqrt", latex=r"\operatorname{sqrt}", latex_form=r"\sqrt{{{0}}}"),
    _ufunc("atan", "arctan", latex=r"\arctan", spellings=("atan", "arctan")),
    Function("sigmoid", ("sigmoid", "σ"), text="σ", latex=r"\sigma", numpy=kernels.sigmoid,
             code="np.exp(-np.logaddexp(0.0, -{0}))", code_into=None, label="σ",
             sympy=lambda: symbolic.sigmoid, code_operand=True),
    Function("relu", ("relu",), text="relu", latex=r"\operatorname{relu}", numpy=kernels.relu,
             code="np.maximum({0}, 0.0)", code_into="np.maximum({0}, 0.0, out={0})", label="relu",
             sympy=lambda: symbolic.relu),
    Function("softplus", ("softplus",), text="softplus", latex=r"\operatorname{softplus}",
             numpy=kernels.softplus, code="np.logaddexp(0.0, {0})", code_into=None, label="softplus",
             sympy=lambda: symbolic.softplus),
    Function("step", ("step", "heaviside"), text="step", latex=r"\operatorname{step}", numpy=kernels.step,
             code="np.heaviside({0}, 0.5)", code_into=None, label="step", sympy=lambda: symbolic.step),
    _ufunc("sign", latex=r"\operatorname{sign}", sympy=lambda: symbolic.sign),
    _ufunc("abs", latex=r"\operatorname{abs}", latex_form=r"\lvert {0} \rvert", sympy=lambda: symbolic.abs_),
)

FUNCTIONS: dict[str, Function] = {f.name: f for f in ROWS}
"""canonical name -> row"""
