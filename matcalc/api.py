"""The public functions: parse, derive, hessian, evaluate, verify, graph (``matcalc.<name>``)."""
from __future__ import annotations

import dataclasses

from .calculus import engine, verify as verdicts
from .calculus.verify import Verdict
from .core.evaluate import evaluate_program, kinds_of
from .core.program import Program
from .language.typecheck import read
from .results import Derivative, Gradients
from .views import graph as graphs


def parse(text: str | Program) -> Program:
    """A typed program from text. Raises ParseError, ShapeError, … (all MatcalcError)."""
    return text if isinstance(text, Program) else read(text)


def derive(program: str | Program, wrt, layout: str = "shape") -> Derivative | Gradients:
    """∂F/∂wrt for the program's function F; a list of names gives several from one pass."""
    found = engine.derive(parse(program), wrt, layout)
    return Derivative.of(found) if isinstance(wrt, str) else Gradients.of(found)


def hessian(program: str | Program, wrt: str, layout: str = "shape") -> Derivative:
    """Second derivatives of a scalar function with respect to one variable."""
    return Derivative.of(engine.hessian(parse(program), wrt, layout))


def evaluate(program: str | Program, env: dict):
    """The value of the program's function at env (name -> array, number or callable).

    Text is typed with the ranks of the env values (a number makes a name a scalar, a 1-D
    array a vector, a 2-D array a matrix), overriding the naming convention.
    """
    typed = program if isinstance(program, Program) else \
        read(program, kinds_of(env), functions={n for n, v in env.items() if callable(v)})
    return evaluate_program(typed, env)


def verify(program: str | Program, wrt: str, claim: str, layout: str = "shape") -> Verdict:
    """Is ``claim`` (a hand derivation in the language) ∂F/∂wrt? Verdict.ok, Verdict.message say."""
    v = verdicts.verify(parse(program), wrt, claim, layout)
    return dataclasses.replace(v, derivative=Derivative.of(v.derivative))


def graph(program: str | Program, at: dict | None = None) -> graphs.Graph:
    """The computation graph of a program; with values ``at``, forward values and gradients on its edges."""
    return graphs.graph(program, at)
