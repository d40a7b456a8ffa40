"""Numeric values of typed trees: numpy float64, one engine for programs and derivatives.

Representation (fixed by each node's static shape, never guessed from the numbers):
a scalar is an ``np.float64``; a column vector (n,) a 1-D array; a matrix a 2-D array;
a row vector (1, m) a 2-D (1, m) array. In a product a 1-D vector acts as a column.
Each operation's value comes from its row (:mod:`matcalc.core.ops`, :mod:`matcalc.core.functions`).

Dims are read off the input arrays: each dim name of the program is bound to the first
size seen for it, and every later use must agree. Inputs are checked before anything is
computed, so a bad env fails with a message about the env, not a numpy traceback.
Inf and nan are legitimate values: numpy's floating-point warnings are silenced inside.
Sizes are bounded: every array is counted against ``limits.MAX_ELEMENTS`` (each, and all of one
evaluation together) before numpy allocates it, and the time budget is checked at every node.
"""
from __future__ import annotations

from functools import lru_cache

from . import dims as dimlib, kernels, limits
from .errors import EvaluationError
from .functions import FUNCTIONS
from .lazy import LazyModule, np
from .indexed import IndexEvaluator
from .nodes import INDEX_NODES, Expr, Func, Identity, Number, Ones, Size, Symbol, Tensor, Unvec, Zeros, fold, walk
from .ops import DIM_FIELDS, OPS
from .program import Program, needed_definitions
from .shapes import describe_shape, shape_of
from .stable import logsumexp_arg, logsumexp_columns_arg, logsumexp_rows_arg, stable

symbolic = LazyModule("matcalc.core.symbolic")


def evaluate_program(program: Program, env: dict):
    """The value of a program's function at ``env`` (name -> array, number or callable)."""
    env = {**dim_values(program, env), **env}  # sizes every input shows, for I and ones(n) too
    return evaluate_expr(program.expr, program.shapes, env, program.definitions, source=program.source)


def kinds_of(env: dict) -> dict[str, int]:
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


def dim_values(program: Program, env: dict) -> dict[str, int]:
    """Sizes of the program's named dims, read off the arrays in env."""
    sizes: dict[str, int] = {}
    for name in program.variables:
        if name not in env or callable(env[name]):
            continue
        shape = program.shapes[name]
        got = np.shape(env[name])
        if len(shape) == 2 and len(got) == 1:  # a row given flat
            got = (1, got[0]) if dimlib.is_one(shape[0]) else (got[0], 1)
        for d, n in zip(shape, got):
            if isinstance(d, str):
                sizes.setdefault(d, int(n))
    return sizes


def evaluate_expr(expr: Expr, shapes: dict[str, tuple], env: dict,
                  definitions: dict[str, Expr] | None = None, *, source: str | None = None):
    """The value of a typed tree, given its symbols' shapes, their values and placeholders.

    Placeholders (``definitions``) that the tree needs are computed once each, in
    dependency order. Raises :class:`EvaluationError` for missing, misshapen or
    inconsistent inputs and for bad callables.
    """
    with limits.call("evaluation"):
        return _evaluate_expr(expr, shapes, env, definitions, source)


def _evaluate_expr(expr, shapes, env, definitions, source):
    definitions = definitions or {}
    needed = needed_definitions(expr, definitions)
    roots = [definitions[n] for n in needed] + [expr]
    inputs = _inputs(roots, definitions)
    dims = _Dims(env, set(inputs), source)
    values = _check_inputs(inputs, shapes, env, dims, source)

    memo: dict = {}
    evaluator = _Evaluator(shapes, {}, env, dims, values, source, memo)
    stable_memo: dict = {}
    with np.errstate(all="ignore"):  # inf and nan are values like any other; stable forms avoid them
        for name in needed:
            values[name] = _conform(fold(stable(definitions[name], stable_memo, definitions), evaluator, memo),
                                    evaluator.shape(definitions[name]), dims, name)
        return fold(stable(expr, stable_memo, definitions), evaluator, memo)


# ---------------------------------------------------------------- inputs and dims

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
        if dimlib.is_fixed(dim):
            if dim != seen:
                raise EvaluationError(f"{where}, but the program fixes that dim to {dim}",
                                      self.source, span)
            return
        key = str(dim)
        if not isinstance(dim, str):
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
        if dimlib.is_fixed(dim):
            return dim
        if isinstance(dim, str):
            key = dim
            if key in self.size:
                return self.size[key]
            given = self.env.get(key)
            if key not in self.inputs and _is_whole(given):
                self.size[key] = int(given)
                self.origin[key] = f"env gives {key} = {int(given)}"
                return int(given)
            return None
        sizes = {name: self.resolve(name) for name in dimlib.names_in(dim)}  # (n k): each name as known
        return dimlib.value(dim, {name: size for name, size in sizes.items() if size is not None})

    def require(self, dim, what: str, span=None) -> int:
        size = self.resolve(dim)
        if size is None:
            name = "n" if dim is None else str(dim)
            raise EvaluationError(f"the size of {what} is {name}, which no input array shows",
                                  self.source, span, f"pass the size in env, e.g. {{'{name}': 3}}")
        return size


def _is_whole(value) -> bool:
    """A positive whole number (3, or 3.0 as the graph passes numbers): a size given in env."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (float, np.floating)):
        return value > 0 and float(value).is_integer()
    return isinstance(value, (int, np.integer)) and value > 0


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
    if value.ndim == 1 and dimlib.is_one(shape[0]):
        value = value.reshape(1, -1)
    if value.ndim != 2:
        raise EvaluationError(f"{name} is {want}, but env[{name!r}] has shape {value.shape}", source, span,
                              "pass a 2-D array" if value.ndim < 2 else None)
    r, c = value.shape
    dims.bind(shape[0], r, f"{name} is {r} x {c}", f"{name} has {r} rows", span)
    dims.bind(shape[1], c, f"{name} is {r} x {c}", f"{name} has {c} columns", span)
    return value


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
        if dimlib.is_one(shape[0]):
            return value.reshape(1, -1)
        return value.reshape(-1, 1)
    raise EvaluationError(f"{what} should be a matrix but came out with shape {value.shape}")


# ---------------------------------------------------------------- the engine

@lru_cache(maxsize=None)
def _derivative_tree(name: str, order: int, rank: int) -> Expr:
    """f^(order) of a named function as a tree in the symbol t of the given rank."""
    return symbolic.derivative_tree(name, order, Symbol("t"), rank == 0)


INDEXED = object()
"""The value of a node inside a tensor's body that has free indices (computed by the tensor)."""


class _Evaluator:
    """fn(node, values of its args) for nodes.fold: one node's value, in its representation."""

    def __init__(self, shapes, shape_memo, env, dims: _Dims, values: dict, source, memo: dict):
        self.shapes = shapes
        self.shape_memo = shape_memo
        self.env = env
        self.dims = dims
        self.values = values
        self.source = source
        self.memo = memo  # the values of the nodes below, for the log-sum-exps

    def shape(self, node: Expr) -> tuple:
        return shape_of(node, self.shapes, self.shape_memo)

    def __call__(self, node: Expr, kids: list):
        limits.check_time()
        t = type(node)
        if t is Symbol:
            return self.values[node.name]
        if t is Number:
            return np.float64(kernels.number(node.value, self.source, getattr(node, "span", None)))
        self.check_size(node)
        op = OPS[t]
        if t is Tensor:
            return self.tensor(node)
        if t in INDEX_NODES or any(k is INDEXED for k in kids):
            return INDEXED  # a scalar with free indices: its tensor computes it
        if t is Zeros:
            value = op.numpy(*(self.dims.require(d, "a zero", node.span) for d in node.dims))
            if len(node.dims) > 2:  # a tensor's zero
                return value
        elif t in (Identity, Ones, Size):
            value = op.numpy(self.dims.require(node.dim, op.name, node.span))
        elif (z := logsumexp_arg(node)) is not None and z in self.memo:
            value = kernels.logsumexp(self.memo[z])
        elif (z := logsumexp_columns_arg(node)) is not None and z in self.memo and len(self.shape(z)) == 2:
            value = kernels.logsumexp_columns(self.memo[z])
        elif (z := logsumexp_rows_arg(node)) is not None and z in self.memo and len(self.shape(z)) == 2:
            value = kernels.logsumexp_rows(self.memo[z])
        elif t is Func:
            value = self.function(node, kids[0])
        elif t in DIM_FIELDS:  # rows(X, i, j) and its kin: sizes besides the values
            sizes = [self.dims.require(getattr(node, f), op.name, node.span) for f in DIM_FIELDS[t]]
            value = op.numpy(*kids, *sizes)
        elif t is Unvec:  # the columns of an n x m matrix, stacked in kids[0]
            rows = self.dims.require(node.rows, "unvec", node.span)
            value = np.reshape(kids[0], (rows, -1), order="F")
        else:
            try:
                value = op.numpy(*kids)
            except np.linalg.LinAlgError:
                raise EvaluationError("cannot invert a singular matrix", self.source,
                                      getattr(node, "span", None)) from None
            except ValueError as exc:  # only reachable with a tree whose shapes disagree
                raise EvaluationError(f"{op.label}: values that do not fit ({exc})", self.source,
                                      getattr(node, "span", None)) from None
        return _conform(value, self.shape(node), self.dims, t.__name__)

    def check_size(self, node: Expr) -> None:
        """Refuse the node's value before it is computed if it would pass the array size limit."""
        count = 1
        for d in self.shape(node):
            size = self.dims.resolve(d)
            if size is None:
                return
            count *= size
        if count > 1:
            limits.check_elements(count, f"the value of {OPS[type(node)].name} here")

    def tensor(self, node: Tensor):
        """∂F_ij/∂x_k = …: the body's entries by einsum (matcalc.core.indexed), in index order."""
        def value(e):
            v = self.memo.get(e, INDEXED)
            if v is INDEXED:
                raise EvaluationError("an index expression has no value outside its tensor", self.source,
                                      getattr(e, "span", None))
            return v
        evaluator = IndexEvaluator(value, lambda d: self.dims.require(d, "an index range", node.span),
                                   self.function)
        with np.errstate(all="ignore"):
            return evaluator.tensor(node)

    def function(self, node: Func, z):
        if node.name in FUNCTIONS:
            if node.order == 0:
                return FUNCTIONS[node.name].numpy(z)
            tree = _derivative_tree(node.name, node.order, np.ndim(z))
            shape = self.shape(node.arg)
            value = evaluate_expr(tree, {"t": shape}, {**self.env, "t": z})
            return np.broadcast_to(np.asarray(value, dtype=float), np.shape(z)).astype(float)
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
