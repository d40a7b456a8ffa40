"""Numeric checks of derivatives: random points in a function's domain and central differences.

``check_grad`` is the test suite's oracle: it compares a derivative with
(F(X + εV) - F(X - εV)) / 2ε along random directions V, in float64, at points drawn
with a fixed seed and dims drawn distinct (so a missing transpose shows).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.lazy import np

from ..core import limits
from ..core.dims import is_fixed, names_in
from ..core.dims import value as dim_value
from ..core.evaluate import evaluate_expr, evaluate_program, kinds_of
from ..core.program import Program
from ..language.typecheck import read
from .engine import derive, hessian
from .result import Result

EPS = 1e-6
DOMAINS = ("any", "positive", "spd", "unit")


@dataclass
class GenericFunction:
    """A smooth stand-in for a generic f, with its derivatives."""
    a: float
    b: float

    def f(self, z):
        return np.sin(self.a * z) + self.b * z * z

    def d1(self, z):
        return self.a * np.cos(self.a * z) + 2 * self.b * z

    def d2(self, z):
        return -self.a * self.a * np.sin(self.a * z) + 2 * self.b

    def d3(self, z):
        return -self.a ** 3 * np.cos(self.a * z)


def choose_dims(program: Program, rng: np.random.Generator, low: int = 2, high: int = 5) -> dict:
    """Distinct sizes for the program's named dims (integers keep their value)."""
    names = sorted({n for s in program.shapes.values() for d in s if not is_fixed(d) for n in names_in(d)})
    pool = list(range(low, max(high, low + len(names)) + 1))
    rng.shuffle(pool)
    return {n: pool[i] for i, n in enumerate(names)}


def _size(d, dims: dict) -> int:
    return d if is_fixed(d) else dims[d] if isinstance(d, str) else dim_value(d, dims)  # n + m, n m


def random_value(shape: tuple, dims: dict, rng: np.random.Generator, domain: str = "any"):
    sizes = tuple(_size(d, dims) for d in shape)
    limits.check_elements(int(np.prod(sizes, dtype=object)) if sizes else 1, "a value at a random point (for a numeric check)")
    if domain == "positive":
        value = rng.uniform(0.5, 2.0, size=sizes)
    elif domain == "unit":
        value = rng.uniform(-0.9, 0.9, size=sizes)
    else:
        value = rng.standard_normal(sizes)
    if domain == "spd" and len(sizes) == 2 and sizes[0] == sizes[1]:
        value = value @ value.T + sizes[0] * np.eye(sizes[0])
    elif domain in ("any", "spd") and len(sizes) == 2 and sizes[0] == sizes[1]:
        value = value + sizes[0] * np.eye(sizes[0])  # well conditioned under inv and det
    if not sizes:
        return float(value)
    return value


def random_env(program: Program, seed: int = 0, domain: str | dict = "any", dims: dict | None = None) -> dict:
    """Values for every input of a program, and smooth callables for its generic functions."""
    rng = np.random.default_rng(seed)
    dims = dims or choose_dims(program, rng)
    env: dict = {}
    for name in program.variables:
        d = domain.get(name, "any") if isinstance(domain, dict) else domain
        env[name] = _declared(program, name, random_value(program.shapes[name], dims, rng, _domain(program, name, d)),
                              rng)
    for name in sorted(program.functions):
        g = GenericFunction(float(rng.uniform(0.5, 1.5)), float(rng.uniform(0.1, 0.5)))
        env[name], env[name + "'"], env[name + "''"], env[name + "'''"] = g.f, g.d1, g.d2, g.d3
    for n, v in dims.items():
        env.setdefault(n, v)
    return env


def _domain(program: Program, name: str, domain: str) -> str:
    """The domain a declaration asks for (spd, positive), unless the caller chose one."""
    if domain == "any":
        if program.has(name, "spd"):
            return "spd"
        if program.has(name, "positive"):
            return "positive"
    return domain


def _declared(program: Program, name: str, value, rng: np.random.Generator):
    """A value that keeps its declaration's promise: symmetric, one-hot or a probability vector."""
    if program.has(name, "symmetric") and np.ndim(value) == 2:
        return (value + value.T) / 2
    if program.has(name, "onehot") and np.ndim(value) == 1:
        hot = np.zeros_like(value)
        hot[rng.integers(len(value))] = 1.0
        return hot
    if program.has(name, "simplex") and np.ndim(value) == 1:
        p = rng.uniform(0.1, 1.0, size=len(value))
        return p / p.sum()
    return value


def directional(program: Program, env: dict, wrt: str, direction, eps: float = EPS):
    """(F(V + εD) - F(V - εD)) / 2ε."""
    f = program.inline()
    plus = {**env, wrt: env[wrt] + eps * direction}
    minus = {**env, wrt: env[wrt] - eps * direction}
    hi = np.asarray(evaluate_expr(f, program.shapes, plus), dtype=float)
    lo = np.asarray(evaluate_expr(f, program.shapes, minus), dtype=float)
    return (hi - lo) / (2 * eps)


def apply_derivative(d: Result, value, direction) -> np.ndarray:
    """The derivative applied to a direction D: <G, D>, J D, or the contraction of a tensor."""
    value = np.asarray(value, dtype=float)
    direction = np.asarray(direction, dtype=float)
    v_ndim = direction.ndim
    if d.kind in ("gradient", "derivative") and d.layout != "numerator" and value.shape == direction.shape:
        return np.asarray(np.sum(value * direction))
    if d.kind == "derivative" and direction.ndim == 0:
        return value * direction
    if d.layout == "numerator" and d.kind == "gradient":
        if direction.ndim == 2:
            return np.asarray(np.sum(value.T * direction))
        return np.asarray(np.sum(value.reshape(-1) * direction.reshape(-1)))
    if d.kind in ("jacobian", "hessian") and d.layout == "denominator":
        value = value.T
    if v_ndim == 0:
        return value * direction
    axes = (list(range(value.ndim - v_ndim, value.ndim)), list(range(v_ndim)))
    return np.tensordot(value, direction, axes=axes)


def check_grad(source, wrt: str, domain="any", seed: int = 0, layout: str = "shape", tol: float = 1e-5,
               reparse: bool = True, second: bool = False) -> Result:
    """Assert that derive (or hessian) agrees with central differences; return the derivative."""
    program = as_program(source)
    if wrt in program.definitions:  # ∂F/∂z for a placeholder: z becomes an input
        program = freed(program, wrt)
    d = hessian(program, wrt, layout) if second else derive(program, wrt, layout)
    env = random_env(program, seed, domain)
    rng = np.random.default_rng(seed + 1000)
    value = d.evaluate(env)
    for trial in range(2):
        direction = random_value(program.shapes[wrt], _dims_of(env, program), rng)
        if second:
            g = derive(program, wrt)
            plus = np.asarray(g.evaluate({**env, wrt: env[wrt] + EPS * direction}))
            minus = np.asarray(g.evaluate({**env, wrt: env[wrt] - EPS * direction}))
            expected = (plus - minus) / (2 * EPS)
        else:
            expected = directional(program, env, wrt, direction)
        got = apply_derivative(d, value, direction)
        scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0)
        if np.shape(got) != np.shape(expected) or not np.allclose(got, expected, atol=tol * scale, rtol=tol * 10):
            raise AssertionError(f"{'Hessian' if second else 'derivative'} of {source!r} wrt {wrt} is "
                                 f"{d}\nalong a random direction it gives {got}, central differences "
                                 f"give {expected}")
    if reparse and d.kind != "tensor":
        again = evaluate_program(read(str(d), kinds_of(env), functions=program.functions), env)
        if not np.allclose(np.asarray(again, dtype=float), np.asarray(value, dtype=float), atol=1e-9, rtol=1e-9):
            raise AssertionError(f"the text of the derivative, {str(d)!r}, evaluates differently")
    return d


def freed(program: Program, name: str) -> Program:
    """The program with placeholder ``name`` made an input (its definition dropped)."""
    definitions = {n: v for n, v in program.definitions.items() if n != name}
    return Program(source=program.source, expr=program.expr, definitions=definitions, shapes=program.shapes,
                   properties=program.properties,
                   name=program.name, functions=program.functions, declared=program.declared)


def as_program(source: str | Program) -> Program:
    return source if isinstance(source, Program) else read(source)


def _dims_of(env: dict, program: Program) -> dict:
    dims: dict = {}
    for name in program.variables:
        shape = program.shapes[name]
        value = np.asarray(env[name])
        for d, n in zip(shape, value.shape if value.ndim == len(shape) else value.shape):
            if isinstance(d, str):
                dims[d] = n
    return dims
