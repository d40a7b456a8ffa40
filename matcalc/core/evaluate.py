"""Numeric values of typed trees: numpy float64, one engine for programs and derivatives.

Representation (fixed by each node's static shape, never guessed from the numbers):
a scalar is an ``np.float64``; a column vector (n,) a 1-D array; a matrix a 2-D array;
a row vector (1, m) a 2-D (1, m) array. In a product a 1-D vector acts as a column.

Dims are read off the input arrays: each dim name of the program is bound to the first
size seen for it, and every later use must agree. Inputs are checked before anything is
computed, so a bad env fails with a message about the env, not a numpy traceback.
Inf and nan are legitimate values: numpy's floating-point warnings are silenced inside.
"""
from __future__ import annotations

from functools import reduce

import numpy as np
import sympy

from . import functions
from .errors import EvaluationError
from ..calculus.algebra import stable
from .nodes import (
    Add, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse,
    LogDet, LogSoftmax, MatMul, Max, Min, Neg, Norm, Number, Ones, Power, Scale, Softmax, Sum,
    Symbol, Trace, Transpose, fold, walk,
)
from ..language.parse import parse_statements
from .program import Program
from .shapes import describe_shape, shape_of
from ..language.typecheck import typecheck


def evaluate(program_or_text: str | Program, env: dict):
    """The value of a program's function at ``env`` (name -> array, number or callable).

    Text is typed with the ranks of the env values (a number makes a name a scalar, a 1-D
    array a vector, a 2-D array a matrix), overriding the naming convention.
    """
    if isinstance(program_or_text, Program):
        program = program_or_text
    else:
        text = program_or_text
        program = typecheck(parse_statements(text), text, kinds=_kinds(env))
    env = {**dim_values(program, env), **env}  # sizes every input shows, for I and ones(n) too
    return evaluate_expr(program.expr, program.shapes, env, program.definitions, source=program.source)


def dim_values(program: Program, env: dict) -> dict[str, int]:
    """Sizes of the program's named dims, read off the arrays in env."""
    sizes: dict[str, int] = {}
    for name in program.variables:
        if name not in env or callable(env[name]):
            continue
        shape = program.shapes[name]
        got = np.shape(env[name])
        if len(shape) == 2 and len(got) == 1:  # a row given flat
            got = (1, got[0]) if shape[0] == 1 else (got[0], 1)
        for d, n in zip(shape, got):
            if not getattr(d, "is_Integer", False):
                sizes.setdefault(str(d), int(n))
    return sizes


def evaluate_expr(expr: Expr, shapes: dict[str, tuple], env: dict,
                  definitions: dict[str, Expr] | None = None, *, source: str | None = None):
    """The value of a typed tree, given its symbols' shapes, their values and placeholders.

    Placeholders (``definitions``) that the tree needs are computed once each, in
    dependency order. Raises :class:`EvaluationError` for missing, misshapen or
    inconsistent inputs and for bad callables.
    """
    definitions = definitions or {}
    needed = _needed_definitions(expr, definitions)
    roots = [definitions[n] for n in needed] + [expr]
    inputs = _inputs(roots, definitions)
    dims = _Dims(env, set(inputs), source)
    values = _check_inputs(inputs, shapes, env, dims, source)

    shape_memo: dict = {}
    memo: dict = {}
    evaluator = _Evaluator(shapes, shape_memo, env, dims, values, source)
    def is_vector(e: Expr) -> bool:
        return len(evaluator.shape(e)) == 1

    with np.errstate(all="ignore"):  # inf and nan are values like any other; stable forms avoid them
        for name in needed:
            values[name] = _conform(fold(stable(definitions[name], is_vector), evaluator, memo),
                                    evaluator.shape(definitions[name]), dims, name)
        return fold(stable(expr, is_vector), evaluator, memo)


# ---------------------------------------------------------------- inputs and dims

def _kinds(env: dict) -> dict[str, int]:
    """name -> rank 0, 1 or 2 of each numeric env value (others are left to the convention)."""
    kinds = {}
    for name, value in env.items():
        if callable(value):
            continue
        try:
            rank = np.ndim(value)
        except Exception:  # noqa: BLE001 - a value numpy cannot read is reported when used
            continue
        if rank in (0, 1, 2):
            kinds[name] = rank
    return kinds


def _needed_definitions(expr: Expr, definitions: dict[str, Expr]) -> list[str]:
    """The placeholders expr depends on (transitively), dependencies first; iterative."""
    if not definitions:
        return []
    direct: dict[str, list[str]] = {}

    def uses(e: Expr) -> list[str]:
        return [s.name for s in walk(e) if isinstance(s, Symbol) and s.name in definitions]

    order: list[str] = []
    state: dict[str, int] = {}
    for root in uses(expr):
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(direct.setdefault(root, uses(definitions[root]))))]
        while stack:
            name, it = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                state[name] = 2
                order.append(name)
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(direct.setdefault(child, uses(definitions[child])))))
            elif state[child] == 1:
                raise EvaluationError(f"{child} is defined in terms of itself")
    return order


def _inputs(roots: list[Expr], definitions: dict[str, Expr]) -> dict[str, Symbol]:
    """The free symbols of the trees, in order of first appearance (name -> a node, for its span)."""
    found: dict[str, Symbol] = {}
    for e in roots:
        for node in walk(e):
            if isinstance(node, Symbol) and node.name not in definitions and node.name not in found:
                found[node.name] = node
    return found


class _Dims:
    """Dim name -> size, each bound by the first array that shows it, with where it came from."""

    def __init__(self, env: dict, inputs: set[str], source: str | None):
        self.env = env
        self.inputs = inputs
        self.source = source
        self.size: dict[str, int] = {}
        self.origin: dict[str, str] = {}

    def bind(self, dim, seen: int, origin: str, where: str, span=None) -> None:
        """Require dim == seen; ``origin`` says how the array shows it ("W is 3 x 4"),
        ``where`` the same fact as a clause for a conflict ("x has 5 entries")."""
        if isinstance(dim, (int, sympy.Integer)):
            if int(dim) != seen:
                raise EvaluationError(f"{where}, but the program fixes that dim to {int(dim)}",
                                      self.source, span)
            return
        key = str(dim)
        if not isinstance(dim, (str, sympy.Symbol)):
            known = self.resolve(dim)
            if known is not None and known != seen:
                raise EvaluationError(f"{where}, but the program needs {dim} = {known}", self.source, span)
            return
        if key not in self.size:
            self.size[key] = seen
            self.origin[key] = f"{origin} (so {key} = {seen})"
        elif self.size[key] != seen:
            raise EvaluationError(f"{self.origin[key]} but {where}", self.source, span)

    def resolve(self, dim) -> int | None:
        """The size of a dim if known: an integer, a bound name, or a name given in env."""
        if dim is None:
            dim = "n"
        if isinstance(dim, (int, sympy.Integer)):
            return int(dim)
        if isinstance(dim, (str, sympy.Symbol)):
            key = str(dim)
            if key in self.size:
                return self.size[key]
            given = self.env.get(key)
            if key not in self.inputs and _is_whole(given):
                self.size[key] = int(given)
                self.origin[key] = f"env gives {key} = {int(given)}"
                return int(given)
            return None
        value = dim.subs({sympy.Symbol(k, integer=True, positive=True): v for k, v in self.size.items()})
        return int(value) if value.is_Integer else None

    def require(self, dim, what: str, span=None) -> int:
        size = self.resolve(dim)
        if size is None:
            name = "n" if dim is None else str(dim)
            raise EvaluationError(f"the size of {what} is {name}, which no input array shows",
                                  self.source, span, f"pass the size in env, e.g. {{'{name}': 3}}")
        return size


def _is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0


def _check_inputs(inputs: dict[str, Symbol], shapes: dict[str, tuple], env: dict, dims: _Dims,
                  source: str | None) -> dict[str, object]:
    """Each input converted to float64 in its representation, its dims bound and checked."""
    missing = [name for name in inputs if name not in env]
    if missing:
        listed = ", ".join(f"{n} ({describe_shape(shapes[n]) if n in shapes else 'unknown shape'})"
                           for n in missing)
        plural = "s" if len(missing) > 1 else ""
        raise EvaluationError(f"no value for {listed}", source, inputs[missing[0]].span,
                              f"pass the value{plural} in env, e.g. {{'{missing[0]}': ...}}")
    values: dict[str, object] = {}
    for name, node in inputs.items():
        if name not in shapes:
            raise EvaluationError(f"{name} has no shape in this program", source, node.span)
        values[name] = _read_input(name, env[name], shapes[name], dims, node.span)
    return values


def _read_input(name: str, raw, shape: tuple, dims: _Dims, span):
    source = dims.source
    if callable(raw) and not isinstance(raw, np.ndarray):
        raise EvaluationError(f"{name} is {describe_shape(shape)} in the program, but env[{name!r}] is a "
                              "function", source, span, "pass an array (functions are called by name, as f(z))")
    try:
        value = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"env[{name!r}] is not an array of real numbers ({exc})", source, span) from None
    want = describe_shape(shape)
    if len(shape) == 0:
        if value.size != 1 or value.ndim > 2:
            raise EvaluationError(f"{name} is a scalar, but env[{name!r}] has shape {value.shape}",
                                  source, span)
        return np.float64(value.reshape(()))
    if len(shape) == 1:
        if value.ndim == 2 and value.shape[1] == 1:
            value = value[:, 0]
        if value.ndim != 1:
            raise EvaluationError(f"{name} is {want}, but env[{name!r}] has shape {value.shape}", source, span,
                                  "pass a 1-D array" if value.ndim == 2 else None)
        n = value.shape[0]
        dims.bind(shape[0], n, f"{name} has {n} entries", f"{name} has {n} entries", span)
        return value
    # a matrix, or a row vector (1, m) that may come as a 1-D array
    if value.ndim == 1 and _is_one(shape[0]):
        value = value.reshape(1, -1)
    if value.ndim != 2:
        raise EvaluationError(f"{name} is {want}, but env[{name!r}] has shape {value.shape}", source, span,
                              "pass a 2-D array" if value.ndim < 2 else None)
    r, c = value.shape
    dims.bind(shape[0], r, f"{name} is {r} x {c}", f"{name} has {r} rows", span)
    dims.bind(shape[1], c, f"{name} is {r} x {c}", f"{name} has {c} columns", span)
    return value


def _is_one(d) -> bool:
    return isinstance(d, (int, sympy.Integer)) and int(d) == 1


def _conform(value, shape: tuple, dims: _Dims, what: str):
    """value in the representation of its static shape (scalar, 1-D, or 2-D)."""
    if len(shape) == 0:
        value = np.asarray(value, dtype=float)
        if value.size != 1:
            raise EvaluationError(f"{what} should be a scalar but came out with shape {value.shape}")
        return np.float64(value.reshape(()))
    value = np.asarray(value, dtype=float)
    if len(shape) == 1:
        if value.ndim == 1:
            return value
        if value.ndim == 2 and 1 in value.shape:
            return value.reshape(-1)
        if value.ndim == 0:
            return np.full(dims.require(shape[0], what), float(value))
        raise EvaluationError(f"{what} should be a vector but came out with shape {value.shape}")
    if value.ndim == 2:
        return value
    if value.ndim == 1:
        if _is_one(shape[0]):
            return value.reshape(1, -1)
        return value.reshape(-1, 1)
    raise EvaluationError(f"{what} should be a matrix but came out with shape {value.shape}")


# ---------------------------------------------------------------- the engine

def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def _logsoftmax(z):
    shifted = z - np.max(z)
    return shifted - np.log(np.sum(np.exp(shifted)))


def _logdet(x):
    sign, logabs = np.linalg.slogdet(x)
    if sign > 0:
        return logabs
    if sign == 0:
        return -np.inf  # log 0
    return np.nan  # log of a negative number


def _column(v):
    """A value as a 2-D factor of a product: a vector is a column, a scalar 1 x 1."""
    v = np.asarray(v, dtype=float)
    if v.ndim == 0:
        return v.reshape(1, 1)
    if v.ndim == 1:
        return v.reshape(-1, 1)
    return v


def _transpose(v):
    v = np.asarray(v)
    if v.ndim == 0:
        return v
    if v.ndim == 1:
        return v.reshape(1, -1)
    if v.shape[0] == 1:
        return v.reshape(-1)  # (1, n)^T is a column vector
    return v.T


SIMPLE = {
    Neg: lambda a: -a,
    Sum: np.sum,
    Norm: np.linalg.norm,  # 2-norm of a vector or a row, Frobenius of a matrix
    Trace: np.trace,
    Det: np.linalg.det,
    LogDet: _logdet,
    Diag: np.diag,
    DiagPart: lambda x: np.diag(x).copy(),
    Softmax: _softmax,
    LogSoftmax: _logsoftmax,
    Div: lambda a, c: a / c,
    ElemDiv: lambda a, b: a / b,
    Power: lambda c, p: np.power(np.float64(c), np.float64(p)),
    ElemPower: lambda a, p: np.power(a, np.float64(p)),
    Scale: lambda c, a: c * a,
    Max: np.maximum,
    Min: np.minimum,
    Add: lambda *terms: reduce(np.add, terms),
    Hadamard: lambda *terms: reduce(np.multiply, terms),
    Transpose: _transpose,
}
"""node class -> numpy function of the children's values"""


class _Evaluator:
    """fn(node, values of its args) for nodes.fold: one node's value, in its representation."""

    def __init__(self, shapes, shape_memo, env, dims: _Dims, values: dict, source):
        self.shapes = shapes
        self.shape_memo = shape_memo
        self.env = env
        self.dims = dims
        self.values = values
        self.source = source

    def shape(self, node: Expr) -> tuple:
        return shape_of(node, self.shapes, self.shape_memo)

    def __call__(self, node: Expr, kids: list):
        t = type(node)
        if t is Symbol:
            return self.values[node.name]
        if t is Number:
            return np.float64(node.value)
        if t is Identity:
            return np.eye(self.dims.require(node.dim, "I", node.span))
        if t is Ones:
            return np.ones(self.dims.require(node.dim, "ones", node.span))
        if t is Func:
            value = self.function(node, kids[0])
        elif t is MatMul:
            value = self.matmul(node, kids)
        elif t is Inverse:
            value = self.inverse(node, kids[0])
        elif t in SIMPLE:
            value = SIMPLE[t](*kids)
        else:
            raise EvaluationError(f"no evaluation rule for {t.__name__}", self.source, getattr(node, "span", None))
        return _conform(value, self.shape(node), self.dims, t.__name__)

    def matmul(self, node: MatMul, kids: list):
        try:
            return reduce(np.matmul, [_column(k) for k in kids])
        except ValueError as exc:  # only reachable with a tree whose shapes disagree
            raise EvaluationError(f"a product of values that do not fit ({exc})", self.source,
                                  node.span) from None

    def inverse(self, node: Inverse, x):
        try:
            return np.linalg.inv(x)
        except np.linalg.LinAlgError:
            raise EvaluationError("cannot invert a singular matrix", self.source, node.span) from None

    def function(self, node: Func, z):
        if node.name in functions.NUMPY:
            return functions.numpy_function(node.name, node.order)(z)
        key = node.name + "'" * node.order
        f = self.env.get(key)
        if node.order == 0:
            need = f"the generic function {node.name}"
        else:
            need = f"{key}, the derivative of order {node.order} of the generic function {node.name}"
        if f is None:
            raise EvaluationError(f"env has no callable for {need}", self.source, node.span,
                                  f"pass a numpy function acting elementwise, e.g. env[{key!r}] = np.tanh")
        if not callable(f):
            raise EvaluationError(f"env[{key!r}] should be a callable ({need}), not {type(f).__name__}",
                                  self.source, node.span)
        try:
            out = np.asarray(f(np.array(z, dtype=float)), dtype=float)
        except Exception as exc:  # noqa: BLE001 - any failure of user code is reported, not raised raw
            raise EvaluationError(f"env[{key!r}] raised {type(exc).__name__}: {exc}", self.source, node.span,
                                  "it is called with a whole array and must act elementwise "
                                  "(np.vectorize makes a scalar function do so)") from None
        if out.shape != np.shape(z):
            raise EvaluationError(f"env[{key!r}] returned shape {out.shape} for an argument of shape "
                                  f"{np.shape(z)}; it must act elementwise", self.source, node.span)
        return out
