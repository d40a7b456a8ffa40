"""The public functions: parse, derive, hessian, evaluate, verify, graph (``matcalc.<name>``).

Each is one call within matcalc's limits (:mod:`matcalc.core.limits`: one deadline for the
whole call, parsing included) and raises nothing but a :class:`~matcalc.MatcalcError`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .calculus import engine
from .core.errors import ShapeError
from .core.limits import guarded
from .core.program import Program
from .language import pasted
from .language.readings import explain
from .language.typecheck import read
from .results import Derivative, Gradients

if TYPE_CHECKING:  # imported by the functions that need them (start-up: issue 14)
    from .calculus.verify import Verdict
    from .views import graph as graphs


@guarded("parse")
def parse(text: str | Program) -> Program:
    """A typed program from text. Raises ParseError, ShapeError, … (all MatcalcError)."""
    return text if isinstance(text, Program) else read(text)


@guarded("derivation")
def derive(program: str | Program, wrt, layout: str = "shape") -> Derivative | Gradients:
    """∂F/∂wrt for the program's function F; a list of names gives several from one pass."""
    wrt = _names(wrt)
    found = engine.derive(parse(program), wrt, layout)
    return Derivative.of(found) if isinstance(wrt, str) else Gradients.of(found)


@guarded("derivation")
def grad(program: str | Program, wrt, layout: str = "shape") -> Derivative | Gradients:
    """The gradient of a scalar function: names are read so that the function is a scalar, or a
    ShapeError says what was inferred and what to declare (see matcalc.language.readings)."""
    return derive(_scalar_program(program), wrt, layout)


@guarded("Hessian")
def hessian(program: str | Program, wrt: str, layout: str = "shape") -> Derivative:
    """Second derivatives of a scalar function with respect to one variable (read as grad reads it)."""
    return Derivative.of(engine.hessian(_scalar_program(program), _names(wrt), layout))


def _names(wrt):
    """Variable names as the program reads them: --wrt '\\theta' or 'W_{hh}' is θ or W_hh."""
    if isinstance(wrt, str):
        return pasted.normalize(wrt).strip() if wrt.strip() else wrt
    if isinstance(wrt, (list, tuple)):
        return [_names(w) if isinstance(w, str) else w for w in wrt]
    return wrt


def _scalar_program(program: str | Program) -> Program:
    typed = program if isinstance(program, Program) else read(program, prefer_scalar=True)
    if typed.scalar_hint is not None:
        message, hint = typed.scalar_hint
        raise ShapeError(message, typed.source, getattr(typed.expr, "span", None), hint)
    return typed


@guarded("typing")
def explain_types(program: str | Program) -> list[str]:
    """The kind and dims of every symbol of the program, and why it has them."""
    return explain(parse(program))


@guarded("evaluation")
def evaluate(program: str | Program, env: dict):
    """The value of the program's function at env (name -> array, number or callable).

    Text is typed with the ranks of the env values (a number makes a name a scalar, a 1-D
    array a vector, a 2-D array a matrix), overriding the naming convention.
    """
    if isinstance(env, dict):  # names as the program reads them: "𝐱" or "\\theta" is x or θ
        env = {(_names(k) if isinstance(k, str) and (not k.isascii() or "\\" in k or "{" in k) else k): v
               for k, v in env.items()}
    from .core.evaluate import evaluate_program, kinds_of
    typed = program if isinstance(program, Program) else \
        read(program, kinds_of(env), functions={n for n, v in env.items() if callable(v)})
    return evaluate_program(typed, env)


@guarded("verdict")
def verify(program: str | Program, wrt: str, claim: str, layout: str = "shape") -> Verdict:
    """Is ``claim`` (a hand derivation in the language) ∂F/∂wrt? Verdict.ok, Verdict.message say."""
    import dataclasses

    from .calculus import verify as verdicts
    v = verdicts.verify(parse(program), wrt, claim, layout)
    return dataclasses.replace(v, derivative=Derivative.of(v.derivative))


@guarded("graph")
def graph(program: str | Program, at: dict | None = None) -> graphs.Graph:
    """The computation graph of a program; with values ``at``, forward values and gradients on its edges."""
    from .views import graph as graphs
    return graphs.graph(program, at)
