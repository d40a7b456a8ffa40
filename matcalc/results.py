"""The results the API returns: a :class:`Derivative` is the engine's plain
:class:`~matcalc.calculus.result.Result` with its views at hand (the chain rule step by step,
generated code, rich display in Jupyter); :class:`Gradients` several of them from one pass.

Every method is one call within matcalc's limits and raises nothing but a MatcalcError
(:func:`matcalc.core.limits.guarded`)."""
from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from .calculus.result import Result
from .core.limits import guarded
from .core.nodes import Expr
from .core.program import short
from .core.shapes import dims_text
from .language.printing import text

if TYPE_CHECKING:
    from .views.steps import Steps

FUNCTION_NAME = "f_and_grad"
"""codegen.FUNCTION_NAME (tests/test_startup.py checks): code generation and steps are imported
when asked for, not with every derivative (start-up: issue 14)."""


class Derivative(Result):
    """∂F/∂V (see :class:`~matcalc.calculus.result.Result`), with its steps, code and display."""

    @classmethod
    def of(cls, result: Result) -> "Derivative":
        return result if isinstance(result, cls) else cls(**{f.name: getattr(result, f.name) for f in fields(result)})

    @guarded("printing")
    def __repr__(self) -> str:
        return short(f"matcalc {self.kind} {_equation(self)} ({dims_text(self.shape)})")

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    @guarded("printing")
    def __str__(self) -> str:
        return Result.__str__(self)

    @guarded("LaTeX")
    def latex(self) -> str:
        return Result.latex(self)

    @guarded("evaluation")
    def evaluate(self, env: dict):
        return Result.evaluate(self, env)

    @property
    @guarded("steps")
    def steps(self) -> Steps:
        """The chain rule step by step (see matcalc.views.steps): placeholders, upstream × local, δ, the reshape."""
        from .views.steps import Steps, chain_rule
        return Steps(chain_rule(self), _equation(self))

    @guarded("steps")
    def steps_text(self) -> str:
        from .views.steps import steps_text
        return steps_text(self.steps)

    @guarded("steps")
    def steps_latex(self) -> str:
        from .views.steps import steps_latex
        return steps_latex(self.steps)

    @guarded("code generation")
    def to_numpy(self, name: str = FUNCTION_NAME) -> str:
        """Python source of ``name(inputs…) -> (value, derivative)`` (see matcalc.views.codegen)."""
        from .views import codegen
        return codegen.generate(self.program, self, name).source

    @guarded("code generation")
    def to_torch(self, name: str = FUNCTION_NAME) -> str:
        """The same function in PyTorch (float64 tensors; needs ``pip install matcalc[torch]``)."""
        from .views import codegen
        return codegen.generate(self.program, self, name, target="torch").source

    @guarded("code generation")
    def to_jax(self, name: str = FUNCTION_NAME) -> str:
        """The same function in JAX (float64 with ``jax_enable_x64``; needs ``pip install matcalc[jax]``)."""
        from .views import codegen
        return codegen.generate(self.program, self, name, target="jax").source

    @guarded("code generation")
    def compile(self, name: str = FUNCTION_NAME, target: str = "numpy"):
        """The callable of :meth:`to_numpy` (or of :meth:`to_torch`, :meth:`to_jax` by ``target``):
        ``(value, derivative)`` at its inputs."""
        from .views import codegen
        return codegen.compile_source(codegen.generate(self.program, self, name, target=target), name)


def _equation(d: Result) -> str:
    """∂s/∂W = … on one line (placeholders named as defined before it)."""
    if d.kind == "tensor":
        return f"∂{d.function_name}/∂{d.wrt}: " + str(d)
    defs = "; ".join(f"{n} = {text(v)}" for n, v in d.definitions.items())
    f, v = d.function_name, d.wrt
    lhs = f"∂²{f}/∂{v}∂{v}^T" if d.kind == "hessian" else f"∂{f}/∂{v}"
    return (defs + "; " if defs else "") + f"{lhs} = {text(d.expr)}"


class Gradients(dict):
    """Several derivatives of one program from one backward pass, by variable name."""

    @guarded("printing")
    def __repr__(self) -> str:
        first = next(iter(self.values()), None)
        source = f" of {first.program.source.strip()!r}" if first is not None else ""
        return short(f"matcalc gradients{source}: " + "; ".join(_equation(d) for d in self.values()))

    def _repr_latex_(self) -> str:
        rows = r" \\[4pt] ".join(d.latex() for d in self.values())
        return rf"$$\begin{{gathered}} {rows} \end{{gathered}}$$"

    @classmethod
    def of(cls, results: dict[str, Result]) -> "Gradients":
        return cls((name, Derivative.of(r)) for name, r in results.items())

    @guarded("code generation")
    def to_numpy(self, name: str = FUNCTION_NAME) -> str:
        """Python source of ``name(inputs…) -> (value, d_first, d_second, …)`` in this dict's order."""
        return self._generate(name, "numpy").source

    @guarded("code generation")
    def to_torch(self, name: str = FUNCTION_NAME) -> str:
        """The same function in PyTorch."""
        return self._generate(name, "torch").source

    @guarded("code generation")
    def to_jax(self, name: str = FUNCTION_NAME) -> str:
        """The same function in JAX."""
        return self._generate(name, "jax").source

    @guarded("code generation")
    def compile(self, name: str = FUNCTION_NAME, target: str = "numpy"):
        """The callable of :meth:`to_numpy` (or of the torch or jax source, by ``target``)."""
        from .views import codegen
        return codegen.compile_source(self._generate(name, target), name)

    def _generate(self, name: str, target: str):
        from .views import codegen
        return codegen.generate(next(iter(self.values())).program, self, name, target=target)

    @guarded("printing")
    def __str__(self) -> str:
        """The definitions they share once, then ∂s/∂V = … for each variable."""
        definitions: dict[str, Expr] = {}
        for d in self.values():
            definitions.update(d.definitions)
        lines = [f"{n} = {text(v)}" for n, v in definitions.items()]
        lines += [str(d) if d.kind == "tensor" else f"∂{d.function_name}/∂{d.wrt} = {text(d.expr)}"
                  for d in self.values()]
        return "\n".join(lines)
