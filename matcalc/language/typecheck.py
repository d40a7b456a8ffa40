"""Kinds, shapes and dims: untyped statements to a typed, shape-checked :class:`Program`.

A shape is a tuple of dims: ``()`` a scalar, ``(n,)`` a column vector, ``(n, m)`` a
matrix (a row vector is ``(1, m)``). Dims are names (str) or integers (:mod:`matcalc.core.dims`).

Undeclared symbols get their kind by convention: a name that starts with an upper-case
letter (Latin or Greek: ``W``, ``Θ``) is a matrix, a lower-case Greek name is a scalar, any
other name is a vector. Use overrides the convention:

* the base of a scalar power (``c^2``, ``s^{1/2}``) and a power's exponent are scalars;
* a Greek name written transposed (``θ^T x``) is a vector, and so is a Greek name that can
  only be a vector where it is used (``X θ - y``);
* if the program cannot be typed as written, names are *demoted* from vector to scalar,
  the fewest that make it type: ``x / y`` makes y a scalar, ``(x + y) * max(y, z)`` makes all
  three scalars. A demotion is made only when it is the one way out: ``x y`` could be
  "x scalar" or "y scalar" (or an inner or outer product the user forgot to write), so it is an
  error with the hint ``did you mean "x^T y" (inner product) or "x y^T" (outer product)?``.
  A demoted name is never broadcast against a vector or matrix (``x + y`` with y demoted),
  so a program like ``(x + y) * max(y, z)`` is typed all-scalar or not at all.

Dims are found by unification over the whole program, definitions included (in dependency
order, whatever order they were written in). Dims the user wrote (in declarations or
``ones(n)``) are fixed names and two different names never agree; free dims get the first
unused names of n, m, k, p, ….
"""
from __future__ import annotations

import dataclasses
import itertools
import unicodedata

from .parse import parse_statements
from ..core import build, limits
from ..core.program import Program
from ..core.build import rebuild
from ..core.dims import dim as dim_of_text
from ..core.functions import FUNCTIONS
from ..core.ops import CALLS, Op
from ..core.shapes import describe_shape, dims_text, normalize, transposed
from ..core.errors import LimitError, ShapeError, Span, SymbolError
from ..core.nodes import (
    Add, Call, Declaration, Definition, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr,
    ExprStatement, Func, Hadamard, Identity, Inverse, MatMul, Neg, Paren, Norm, Number, Ones, Power, Scale, Statement, Sum, Symbol, Trace, Transpose,
    depth as _depth, fold, walk,
)

FUNCTION_SPELLINGS = {s: f for f in FUNCTIONS.values() for s in f.spellings}
"""a name that calls an elementwise function (σ, sigmoid, ln, …) -> its row"""

RESERVED = set(CALLS) | set(FUNCTION_SPELLINGS)
"""Names of the language's functions: no variable or placeholder may take them."""

DIM_NAMES = ["n", "m", "k", "p", "q", "r", "d", "l", "s", "t", "a", "b", "c", "h", "w", "v"]


def is_greek(name: str) -> bool:
    return "GREEK" in unicodedata.name(name[0], "")


def conventional_kind(name: str) -> str:
    """'scalar', 'vector' or 'matrix', by the naming convention."""
    if name[0].isupper():  # W, Θ
        return "matrix"
    if is_greek(name):  # λ, α
        return "scalar"
    return "vector"



# ---------------------------------------------------------------- inference

class _Var:
    """An unknown dim, to be unified."""
    __slots__ = ("serial",)
    counter = itertools.count()

    def __init__(self):
        self.serial = next(_Var.counter)

    def __repr__(self):
        return f"?{self.serial}"


class _Retry(Exception):
    """A kind conflict that making one more name a scalar may resolve."""

    def __init__(self, error: ShapeError, candidates: list[str]):
        self.error = error
        self.candidates = candidates


class _Typer:
    """One attempt at typing a program, with a fixed set of names taken as scalars."""

    def __init__(self, source: str, declared: dict[str, tuple], defs: dict[str, Expr],
                 scalars: set[str], functions: set[str], variables: set[str],
                 kinds: dict[str, int] | None = None, demoted: frozenset[str] = frozenset()):
        self.source = source
        self.demoted = demoted
        self.never_demoted: set[str] = set()  # names written transposed: not scalars
        self.promoted: set[str] = set()  # Greek names taken as vectors (θ in X θ - y)
        self.kinds = kinds or {}
        self.declared = declared
        self.defs = defs
        self.scalars = scalars
        self.functions = functions
        self.variables = variables
        self.parent: dict = {}
        self.order: list[_Var] = []
        self.symbol_shapes: dict[str, tuple] = {}
        self.def_shapes: dict[str, tuple] = {}
        self.rigid: set[str] = set()
        for dims in declared.values():
            self.rigid.update(d for d in dims if isinstance(d, str))

    # union-find over dims ------------------------------------------------
    def var(self) -> _Var:
        v = _Var()
        self.order.append(v)
        return v

    def find(self, d):
        while isinstance(d, _Var) and d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a is b or (not isinstance(a, _Var) and not isinstance(b, _Var) and a == b):
            return True
        if isinstance(a, _Var) and b != 1:
            self.parent[a] = b
            return True
        if isinstance(b, _Var) and a != 1:
            self.parent[b] = a
            return True
        return False

    def names(self) -> dict:
        """Names for the unresolved dims, in order of creation."""
        taken = set(self.rigid)
        pool = (n for n in itertools.chain(DIM_NAMES, (f"n{i}" for i in itertools.count(1)))
                if n not in taken)
        named = {}
        for v in self.order:
            root = self.find(v)
            if isinstance(root, _Var) and root not in named:
                named[root] = next(pool)
        return named

    def show_dim(self, d, named=None) -> str:
        d = self.find(d)
        if isinstance(d, _Var):
            named = named or self.names()
            return named.get(d, "?")
        return str(d)

    def show(self, shape: tuple) -> str:
        named = self.names()
        return describe_shape(shape, lambda d: self.show_dim(d, named))

    def text(self, e: Expr) -> str:
        span = getattr(e, "span", None)
        if span is not None:
            return self.source[span.start:span.end]
        return "this expression"

    def error(self, message: str, node: Expr, hint: str | None = None, retry_from: Expr | None = None):
        err = ShapeError(message, self.source, getattr(node, "span", None), hint)
        if retry_from is not None:
            candidates = [s.name for s in walk(retry_from) if isinstance(s, Symbol)
                          and s.name in self.variables and s.name not in self.declared
                          and s.name not in self.scalars and s.name not in self.kinds
                          and s.name not in self.promoted
                          and ((conventional_kind(s.name) == "vector" and s.name not in self.never_demoted)
                               or conventional_kind(s.name) == "scalar")]
            if candidates:
                raise _Retry(err, sorted(set(candidates), key=candidates.index))
        raise err

    def misuse(self, message: str, node: Expr, hint: str | None = None):
        raise SymbolError(message, self.source, getattr(node, "span", None), hint)

    # symbols ---------------------------------------------------------------
    def dim_of(self, d):
        if isinstance(d, int):
            return d
        self.rigid.add(d)
        return d

    def symbol(self, node: Symbol) -> tuple[Expr, tuple]:
        name = node.name
        if name in self.def_shapes:
            return Symbol(name, node.span), self.def_shapes[name]
        if name in self.symbol_shapes:
            return Symbol(name, node.span), self.symbol_shapes[name]
        if name in self.declared:
            shape = normalize(tuple(self.dim_of(d) for d in self.declared[name]))
        elif name in self.promoted:
            shape = (self.var(),)
        elif name in self.scalars or (name not in self.kinds and conventional_kind(name) == "scalar"):
            shape = ()
        elif self.kinds.get(name) == 1:
            shape = (self.var(),)
        elif self.kinds.get(name) == 2 or conventional_kind(name) == "matrix":
            shape = (self.var(), self.var())
        else:
            shape = (self.var(),)
        self.symbol_shapes[name] = shape
        return Symbol(name, node.span), shape

    # the typing of one node, given its typed children -----------------------
    def type_node(self, node: Expr, kids: list) -> tuple[Expr, tuple]:
        t = type(node)
        if t is Symbol:
            if node.name == "I" and node.name not in self.declared and node.name not in self.defs:
                v = self.var()
                return Identity(v, node.span), (v, v)
            sized = _sized_identity(node.name)
            if sized is not None and node.name not in self.declared and node.name not in self.defs:
                d = self.dim_of(sized)
                return Identity(d, node.span), (d, d)  # I_n: the n x n identity
            if node.name in RESERVED and node.name not in self.declared and node.name not in self.defs:
                self.misuse(f"{node.name} is a function: write {node.name}(…)", node)
            return self.symbol(node)
        if t is Number:
            return node, ()
        if t is Paren:  # brackets as written: typed like what they hold
            return kids[0]
        if t is Identity:  # the parser's I, one per occurrence
            v = self.var()
            return Identity(v, node.span), (v, v)
        exprs = [k[0] for k in kids]
        shapes = [k[1] for k in kids]
        if t is Neg:
            return _with_span(build.neg(exprs[0]), node), shapes[0]
        if t is Transpose:
            if not shapes[0]:
                return exprs[0], ()
            return _with_span(build.transpose(exprs[0]), node), transposed(shapes[0])
        if t is Inverse:
            return self.inverse(node, exprs[0], shapes[0])
        if t is Add:
            return self.add(node, exprs, shapes)
        if t is MatMul:
            return self.product(node, list(zip(exprs, shapes, node.terms)))
        if t is Hadamard:
            return self.hadamard(node, exprs, shapes)
        if t in (Div, ElemDiv) and isinstance(node.right, Number) and node.right.value == 0:
            raise ShapeError(f"{self.text(node)}: division by zero", self.source, node.span)
        if t in (Power, ElemPower) and isinstance(node.left, Number) and node.left.value == 0 \
                and isinstance(node.right, Number) and node.right.value < 0:
            raise ShapeError(f"{self.text(node)}: division by zero", self.source, node.span)
        if t is Div:
            if shapes[1]:
                self.error(f"{self.text(node)}: division by {self.text(node.right)}, which is "
                           f"{self.show(shapes[1])}, not a scalar", node,
                           "use ./ for elementwise division", retry_from=node.right)
            return _with_span(build.div(exprs[0], exprs[1]), node), shapes[0]
        if t is ElemDiv:
            shape = self.elementwise(node, exprs, shapes, "./")
            if not shape:
                return _with_span(build.div(exprs[0], exprs[1]), node), ()
            return ElemDiv(exprs[0], exprs[1], node.span), shape
        if t is Power:
            return self.power(node, exprs, shapes)
        if t is ElemPower:
            if shapes[1]:
                self.error(f"{self.text(node)}: the exponent must be a scalar, not {self.show(shapes[1])}",
                           node.right, retry_from=node.right)
            if not shapes[0]:
                return Power(exprs[0], exprs[1], node.span), ()
            return ElemPower(exprs[0], exprs[1], node.span), shapes[0]
        if t is Norm:
            if not shapes[0]:
                return Func("abs", exprs[0], 0, node.span), ()
            return Norm(exprs[0], node.span), ()
        if t is Call:
            return self.call(node, exprs, shapes)
        raise ShapeError(f"cannot type {t.__name__}", self.source, getattr(node, "span", None))

    def inverse(self, node, e, shape):
        original = node.call_args[0] if isinstance(node, Call) else node.arg
        if isinstance(e, Number) and e.value == 0:
            raise ShapeError(f"{self.text(node)}: division by zero", self.source, node.span)
        if not shape:
            return Power(e, Number(build.number(-1).value), node.span), ()
        if len(shape) == 1:
            self.error(f"{self.text(node)}: {self.text(original)} is {self.show(shape)}; only square "
                       "matrices have inverses", node, retry_from=original)
        if not self.unify(shape[0], shape[1]):
            self.error(f"{self.text(node)}: {self.text(original)} is {self.show(shape)}, not square", node,
                       "only square matrices have inverses")
        return _with_span(build.inverse(e), node), shape

    def demoted_in(self, e: Expr) -> bool:
        """Whether e uses a name that was taken as a scalar against the naming convention."""
        return bool(self.demoted) and any(isinstance(s, Symbol) and s.name in self.demoted for s in walk(e))

    def no_demoted_broadcast(self, node, exprs, shapes, result):
        """A name demoted to a scalar is not broadcast against a vector or matrix (``x + y`` with
        y demoted would be a guess on a guess); such a program is typed as all scalars or not at all."""
        if not result or not self.demoted:
            return
        for e, s in zip(exprs, shapes):
            if not s and self.demoted_in(e):
                self.error(f"{self.text(node)}: a scalar combined with {self.show(result)}", node,
                           retry_from=node)

    def add(self, node, exprs, shapes):
        result: tuple = ()
        first = None
        for e, s, original in zip(exprs, shapes, node.terms):
            if not s:
                continue
            if not result:
                result, first = s, original
                continue
            if len(s) != len(result) or not all(self.unify(a, b) for a, b in zip(s, result)):
                hint = None
                if len(s) + len(result) == 3 or (len(s) == 2 and len(result) == 2):
                    hint = "a transpose may be missing"
                self.error(f"{self.text(node)}: {self.text(first)} is {self.show(result)} but "
                           f"{self.text(original)} is {self.show(s)}", node, hint, retry_from=node)
        self.no_demoted_broadcast(node, exprs, shapes, result)
        return _with_span(build.add(*exprs), node), result

    def product(self, node, factors) -> tuple[Expr, tuple]:
        """Left to right: scalars scale, everything else multiplies as matrices."""
        coefficient: list[Expr] = []
        acc_expr, acc_shape, acc_src = None, None, None
        for e, s, original in factors:
            if isinstance(original, Transpose) and isinstance(original.arg, Number) \
                    and original.arg.value == 1 and acc_expr is None:
                e, s = Transpose(Ones(self.var())), None  # 1^T: a row of ones, sized below
            if s == ():  # a scalar (ones(1)^T too) scales
                coefficient.append(e)
                continue
            if s is None:
                v = e.arg.dim
                e, s = build.transpose(Ones(v)), (1, v)
            if isinstance(e, Scale):  # A (c x) = c A x: the coefficient joins the others
                coefficient.append(e.left)
                e = e.right
            if acc_expr is None:
                acc_expr, acc_shape, acc_src = e, s, original
                continue
            left, right = as_matrix_dims(acc_shape), as_matrix_dims(s)
            if len(acc_shape) == 1 and len(s) == 1:
                a, b = self.text(acc_src), self.text(original)
                self.error(f"{a} {b}: {a} is {self.show(acc_shape)} and {b} is {self.show(s)}; "
                           "two column vectors do not multiply", node,
                           f'did you mean "{a}^T {b}" (inner product) or "{a} {b}^T" (outer product)? '
                           f'If one of them is a scalar, declare it (e.g. "{a} : scalar")'
                           if isinstance(acc_src, Symbol) else
                           f'did you mean "({a})^T {b}" (inner product) or "({a}) {b}^T" (outer product)?',
                           retry_from=node)
            if not self.unify(left[1], right[0]):
                rows = "row" if self.find(right[0]) == 1 else "rows"
                hint = None
                if isinstance(original, Transpose) and self.unify_probe(left[1], as_matrix_dims(s)[1]):
                    hint = f'did you mean "{self.text(acc_src)} {self.text(original.arg)}"?'
                elif len(acc_shape) == 2 and len(s) == 2 and self.unify_probe(left[1], right[1]):
                    hint = f'did you mean "{self.text(acc_src)} {self.text(original)}^T"?'
                elif len(acc_shape) == 1 and len(s) == 2:
                    hint = f'did you mean "{self.text(acc_src)}^T {self.text(original)}"?'
                self.error(f"{self.text(acc_src)} {self.text(original)}: {self.text(acc_src)} is "
                           f"{self.show(acc_shape)} but {self.text(original)} has "
                           f"{self.show_dim(right[0])} {rows}"
                           + ("" if len(acc_shape) == 2 else f" (it needs {self.show_dim(left[1])})"),
                           node, hint, retry_from=node)
            shape = normalize((left[0], right[1]))
            acc_expr = build.matmul(acc_expr, e)
            acc_shape, acc_src = shape, node
            if not shape:  # an inner product: a scalar from here on
                coefficient.append(acc_expr)
                acc_expr, acc_shape, acc_src = None, None, None
        if acc_expr is None:
            acc_expr, acc_shape = coefficient.pop(), ()
        return _with_span(_scaled(coefficient, acc_expr), node), acc_shape

    def unify_probe(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        return a is b or isinstance(a, _Var) or isinstance(b, _Var) or a == b

    def elementwise(self, node, exprs, shapes, op) -> tuple:
        result: tuple = ()
        for s in shapes:
            if not s:
                continue
            if not result:
                result = s
                continue
            if len(s) != len(result) or not all(self.unify(a, b) for a, b in zip(s, result)):
                self.error(f"{self.text(node)}: {op} needs equal shapes, but the sides are "
                           f"{self.show(result)} and {self.show(s)}", node,
                           "a transpose may be missing" if len(s) != len(result) else None,
                           retry_from=node)
        self.no_demoted_broadcast(node, exprs, shapes, result)
        return result

    def hadamard(self, node, exprs, shapes):
        shape = self.elementwise(node, exprs, shapes, "⊙")
        scalars = [e for e, s in zip(exprs, shapes) if not s]
        others = [e for e, s in zip(exprs, shapes) if s]
        if not others:
            return _with_span(_scaled(scalars[:-1], scalars[-1]), node), ()
        return _with_span(_scaled(scalars, build.hadamard(*others)), node), shape

    def power(self, node, exprs, shapes):
        base, exponent = exprs
        if isinstance(node.right, Symbol) and node.right.name in ("T", "⊤") \
                and node.right.name not in self.declared and node.right.name not in self.defs:
            # "x ^ T" (spaced) reads as x to the power T; a transpose is meant far more often
            base_text = self.text(node.left)
            raise ShapeError(f"{self.text(node)}: ^ followed by a space and T is a power, not a transpose",
                             self.source, node.span,
                             f'write "{base_text}^T" with no space for the transpose; '
                             "to raise to a power T, declare it (T : scalar)")
        if shapes[1]:
            self.error(f"{self.text(node)}: the exponent must be a scalar, not {self.show(shapes[1])}",
                       node.right, retry_from=node.right)
        if shapes[0]:
            original = node.right
            if isinstance(original, Symbol) and original.name == "T":
                hint = f'did you mean "{self.text(node.left)}^T" (transpose, no space)?'
            elif len(shapes[0]) == 1:
                hint = f'for an elementwise power write "{self.text(node.left)} .^ {self.text(original)}"'
            else:
                hint = (f'for an elementwise power write "{self.text(node.left)} .^ '
                        f'{self.text(original)}"; for a matrix power, write the product out')
            self.error(f"{self.text(node)}: ^ raises a scalar to a power, but {self.text(node.left)} is "
                       f"{self.show(shapes[0])}", node, hint, retry_from=node.left)
        return _with_span(build.power(base, exponent), node), ()

    def call(self, node: Call, exprs, shapes):
        name = node.name
        n = len(exprs)
        if name in self.variables or name in self.defs or name in self.declared:
            if n != 1 or node.order:
                self.misuse(f"{self.text(node)}: {name} is a variable here, not a function", node)
            sym = Symbol(name, _name_span(node))
            typed_sym, sym_shape = self.symbol(sym)
            return self.product(node, [(typed_sym, sym_shape, sym), (exprs[0], shapes[0], node.call_args[0])])
        op = CALLS.get(name)
        if op is not None:
            if node.order:
                self.misuse(f"{name}{chr(39) * node.order}: only elementwise functions have a derivative "
                            "written with a prime", node)
            if n != op.arity:
                self.misuse(f"{self.text(node)}: {name} takes {_count(op.arity)}, not {n}", node)
            return getattr(self, "call_" + op.shape)(node, op, exprs, shapes)
        function = FUNCTION_SPELLINGS.get(name)
        if n != 1:
            self.misuse(f"{self.text(node)}: {name} takes one argument, not {n}" if function else
                        f"{self.text(node)}: a generic function such as {name} takes one argument (it acts "
                        f"elementwise), not {n}", node)
        if function is None:
            self.functions.add(name)
        return Func(function.name if function else name, exprs[0], node.order, node.span), shapes[0]

    # calls, by the shape rule of the operation's row ------------------------
    def call_ones(self, node, op: Op, exprs, shapes):
        a = node.call_args[0]
        if isinstance(a, Symbol):
            return Ones(self.dim_of(a.name), node.span), (self.dim_of(a.name),)
        if isinstance(a, Number) and a.value.denominator == 1 and a.value > 0:
            return Ones(int(a.value), node.span), (int(a.value),)
        self.error("ones(n) takes a dimension: a name or a positive integer", node)

    def call_reduce(self, node, op: Op, exprs, shapes):
        return op.node(exprs[0], node.span), ()

    def call_lse(self, node, op: Op, exprs, shapes):
        """logsumexp(x) = log(sum(exp(x))), x a vector."""
        if len(shapes[0]) != 1:
            self.error(f"{self.text(node)}: logsumexp takes a vector, not {self.show(shapes[0])}", node)
        return Func("log", Sum(Func("exp", exprs[0])), 0, node.span), ()

    def call_norm(self, node, op: Op, exprs, shapes):
        if not shapes[0]:  # the norm of a scalar is its absolute value
            return Func("abs", exprs[0], 0, node.span), ()
        return Norm(exprs[0], node.span), ()

    def call_broadcast(self, node, op: Op, exprs, shapes):
        shape = self.elementwise(node, exprs, shapes, op.name)
        return op.node(exprs[0], exprs[1], node.span), shape

    def call_square(self, node, op: Op, exprs, shapes):
        return self.inverse(node, exprs[0], shapes[0])

    def call_vector(self, node, op: Op, exprs, shapes):
        s = shapes[0]
        if len(s) != 1:
            self.error(f"{self.text(node)}: {op.name} takes a vector, but {self.text(node.call_args[0])} is "
                       f"{self.show(s)}", node, "apply it to one column at a time" if len(s) == 2 else None)
        return op.node(exprs[0], node.span), s

    def call_diag(self, node, op: Op, exprs, shapes):
        """diag(x) of a vector is a diagonal matrix; diag(X) of a square matrix its diagonal."""
        s = shapes[0]
        if len(s) == 1:
            return Diag(exprs[0], node.span), (s[0], s[0])
        if len(s) == 2:
            if not self.unify(s[0], s[1]):
                self.error(f"{self.text(node)}: {self.text(node.call_args[0])} is {self.show(s)}, not square", node)
            return DiagPart(exprs[0], node.span), (s[0],)
        self.error(f"{self.text(node)}: diag takes a vector or a square matrix, not a scalar", node)

    def call_square_to_scalar(self, node, op: Op, exprs, shapes):
        s, src = shapes[0], self.text(node.call_args[0])
        if len(s) != 2:
            if not s and op.node in (Trace, Det):  # tr(c) = det(c) = c
                return exprs[0], ()
            self.error(f"{self.text(node)}: {op.name} takes a square matrix, but {src} is {self.show(s)}", node)
        if not self.unify(s[0], s[1]):
            self.error(f"{self.text(node)}: {src} is {self.show(s)}, not square", node)
        return op.node(exprs[0], node.span), ()


BALANCE_FROM = 16
"""Longer runs of scalar factors are multiplied as a balanced tree, not a chain."""


def _scaled(coefficients: list[Expr], e: Expr) -> Expr:
    """c1 (c2 (… e)): the scalars in front of e, as written; a long run (``α α α … x``) is
    grouped as a balanced tree so the typed tree stays shallow."""
    if len(coefficients) >= BALANCE_FROM:
        level = list(coefficients)
        while len(level) > 1:
            level = [build.scale(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                     for i in range(0, len(level), 2)]
        coefficients = level
    for c in reversed(coefficients):
        # 0 X is written as the user wrote it: folding it to the number 0 would lose its shape
        e = Scale(c, e) if build.is_zero(c) and not isinstance(e, Number) else build.scale(c, e)
    return e


def as_matrix_dims(shape: tuple) -> tuple:
    if len(shape) == 1:
        return (shape[0], 1)
    return shape


def _sized_identity(name: str):
    """n for I_n (n a dim name in lower case, or a positive integer): the n x n identity."""
    if not name.startswith("I_"):
        return None
    suffix = name[2:]
    if suffix.isdigit() and int(suffix) > 0:
        return int(suffix)
    return suffix if suffix.isidentifier() and suffix.islower() else None


def _with_span(e: Expr, node: Expr) -> Expr:
    """e, carrying node's place in the source (for error carets) if it has none yet."""
    span = getattr(node, "span", None)
    if span is None or getattr(e, "span", None) is not None or "span" not in e.__dataclass_fields__:
        return e
    return dataclasses.replace(e, span=span)


def _name_span(node: Call) -> Span | None:
    if node.span is None:
        return None
    s = node.span
    return Span(s.start, s.start + len(node.name), s.line, s.column)


# ---------------------------------------------------------------- the program

def typecheck(statements: list[Statement], source: str, kinds: dict[str, tuple] | None = None) -> Program:
    """Type a parsed program: kinds, dims, placeholders and the function.

    ``kinds`` (name -> rank 0, 1 or 2) overrides the naming convention for undeclared
    symbols, e.g. from the arrays a caller is about to evaluate with.
    """
    properties: dict[str, set[str]] = {}
    declared: dict[str, tuple] = {}
    decl_spans: dict[str, Span | None] = {}
    defs: dict[str, Expr] = {}
    def_spans: dict[str, Span | None] = {}
    exprs: list[ExprStatement] = []
    for st in statements:
        if isinstance(st, Declaration):
            if st.name in declared and declared[st.name] != st.dims:
                raise ShapeError(f"{st.name} is declared twice, with different shapes "
                                 f"({dims_text(declared[st.name])} and {dims_text(st.dims)})", source, st.span)
            if len(st.dims) > 2:
                raise ShapeError(f"{st.name} : {dims_text(st.dims)}: matcalc works with scalars, vectors and "
                                 f"matrices, not arrays of {len(st.dims)} dimensions", source, st.span)
            if any(d == 0 for d in st.dims):
                raise ShapeError(f"{st.name} : {dims_text(st.dims)}: a dimension must be a name or a "
                                 "positive integer", source, st.span)
            if st.name in RESERVED:
                raise SymbolError(f"{st.name} is a function name and cannot be declared", source, st.span)
            declared[st.name] = st.dims
            decl_spans[st.name] = st.span
            _check_properties(st, source)
            properties.setdefault(st.name, set()).update(st.properties)
        elif isinstance(st, Definition):
            if st.name in defs:
                raise SymbolError(f"{st.name} is defined twice", source, st.span,
                                  "give the second definition another name")
            if st.name in RESERVED or st.name == "I":
                raise SymbolError(f"{st.name} is a built-in name and cannot be defined", source, st.span)
            defs[st.name] = st.value
            def_spans[st.name] = st.span
        else:
            exprs.append(st)
    if len(exprs) > 1:
        raise SymbolError("a program has one expression to differentiate, but this one has "
                          f"{len(exprs)}", source, exprs[1].span,
                          "name the other expressions with definitions (a = …)")
    if not exprs and not defs:
        raise SymbolError("the program has no expression", source, None,
                          'write an expression such as "u^T f(W x + b)"')

    for e in [*defs.values(), *(x.value for x in exprs)]:
        if (d := _depth(e)) > limits.MAX_DEPTH:
            raise LimitError(f"the expression nests {d} levels deep; matcalc accepts at most {limits.MAX_DEPTH}",
                             source, getattr(e, "span", None), "name inner parts with definitions")

    order = _dependency_order(defs, def_spans, source)
    if exprs:
        target, name = exprs[0].value, None
    else:
        used = {s.name for v in defs.values() for s in walk(v) if isinstance(s, Symbol)}
        roots = [n for n in defs if n not in used]
        name = roots[-1] if roots else list(defs)[-1]
        target = Symbol(name, def_spans[name])

    all_exprs = [defs[n] for n in order] + ([target] if exprs else [])
    symbols: list[str] = []
    used: set[str] = set()  # names used as values (not only as the n of ones(n))
    calls: set[str] = set()
    powered: set[str] = set()
    transposed_names: set[str] = set()
    for e in all_exprs:
        if isinstance(e, Symbol):
            used.add(e.name)
        for node in walk(e):
            if isinstance(node, Symbol) and node.name not in defs:
                symbols.append(node.name)
            is_ones = isinstance(node, Call) and CALLS.get(node.name) is CALLS["ones"]
            used.update(c.name for c in node.args if isinstance(c, Symbol) and not is_ones)
            if isinstance(node, Call):
                calls.add(node.name)
            elif isinstance(node, Power) and isinstance(node.left, Symbol):
                powered.add(node.left.name)
            elif isinstance(node, Transpose) and isinstance(node.arg, Symbol):
                transposed_names.add(node.arg.name)
            if isinstance(node, Power) and isinstance(node.right, Symbol):
                powered.add(node.right.name)
    symbols = [n for n in dict.fromkeys(symbols) if n in used]
    variables = set(symbols) | set(declared)
    _check_run_together(symbols, variables | set(defs), declared, defs, all_exprs, source)

    kinds = {n: k for n, k in (kinds or {}).items() if n not in declared and n in symbols}
    scalars = {s for s in powered if s not in declared} | {n for n, k in kinds.items() if k == 0}
    def attempt(flipped: frozenset[str]):
        # a flipped name goes against the convention: a vector name becomes a scalar (demoted),
        # a lower-case Greek name a vector (promoted: θ in X θ - y)
        promoted = frozenset(n for n in flipped if conventional_kind(n) == "scalar")
        demoted = flipped - promoted
        typer = _Typer(source, declared, defs, scalars | demoted, set(), variables, kinds, demoted)
        typer.never_demoted = transposed_names
        # a Greek name written transposed (θ^T x) is a vector: nobody transposes a scalar
        typer.promoted = set(promoted) | {n for n in transposed_names
                                          if n not in declared and conventional_kind(n) == "scalar"}
        typed_defs: dict[str, Expr] = {}
        for n in order:
            e, s = fold(defs[n], typer.type_node)
            if n in declared:
                want = normalize(tuple(typer.dim_of(d) for d in declared[n]))
                if len(want) != len(s) or not all(typer.unify(a, b) for a, b in zip(want, s)):
                    raise ShapeError(f"{n} is declared {typer.show(want)} but its definition is "
                                     f"{typer.show(s)}", source, def_spans[n])
            typed_defs[n] = e
            typer.def_shapes[n] = s
        if exprs:
            typed_target, _ = fold(target, typer.type_node)
        else:
            typed_target = Symbol(name, def_spans[name])
        return typer, typed_defs, typed_target

    size = sum(len(walk(e)) for e in all_exprs)
    typer, typed_defs, typed_target = _type_with_demotion(attempt, size)
    for e in [*typed_defs.values(), typed_target]:
        if (d := _depth(e)) > limits.MAX_DEPTH:
            raise LimitError(f"the typed expression nests {d} levels deep; matcalc accepts at most {limits.MAX_DEPTH}",
                             source, getattr(e, "span", None), "name inner parts with definitions")
    # name the free dims, then fix the dims inside I and ones(n)
    named = typer.names()

    def final(d):
        d = typer.find(d)
        if isinstance(d, _Var):
            return named[d]
        return dim_of_text(d)

    shapes: dict[str, tuple] = {}
    for n in symbols:
        if n in typer.symbol_shapes:
            shapes[n] = tuple(final(d) for d in typer.symbol_shapes[n])
    for n in declared:
        if n not in shapes and n not in defs:
            shapes[n] = normalize(tuple(dim_of_text(d) for d in declared[n]))
    for n in order:
        shapes[n] = tuple(final(d) for d in typer.def_shapes[n])

    def fix_dims(node, kids):
        if isinstance(node, (Identity, Ones)) and isinstance(node.dim, _Var):
            d = final(node.dim)
            return type(node)(d, getattr(node, "span", None))
        if kids and any(k is not c for k, c in zip(kids, node.args)):
            return _with_span(rebuild(node, kids), node)
        return node

    typed_defs = {n: fold(e, fix_dims) for n, e in typed_defs.items()}
    typed_target = fold(typed_target, fix_dims)
    return Program(source=source, expr=typed_target, definitions=typed_defs, shapes=shapes, name=name,
                   properties={n: frozenset(p) for n, p in properties.items() if p},
                   functions=frozenset(typer.functions), declared=frozenset(declared))


MAX_DEMOTION_ATTEMPTS = 64
"""How many sets of names-taken-as-scalars to try before giving up on a conflict."""

DEMOTION_WORK = 100_000
"""Attempts times program size (in nodes) spent on demotion, so big programs fail fast."""


def _type_with_demotion(attempt, size: int = 1):
    """Type with the naming convention; if that fails, with the fewest names demoted to scalars.

    Breadth first over sets of demoted names (each failure names its candidates): the first
    level that types the program wins if exactly one set at that level does; if two or more
    do (``x y``: x or y could be the scalar), the choice is the user's, and the original
    error is raised with its hint.
    """
    try:
        return attempt(frozenset())
    except _Retry as retry:
        first = retry.error
        level = {frozenset([c]) for c in retry.candidates}
    tries, most = 1, max(4, min(MAX_DEMOTION_ATTEMPTS, DEMOTION_WORK // max(size, 1)))
    while level and tries < most:
        successes, following = [], set()
        for demoted in sorted(level, key=sorted):
            tries += 1
            if tries > most:
                raise first
            try:
                successes.append((demoted, attempt(demoted)))
            except _Retry as retry:
                following.update(demoted | {c} for c in retry.candidates if c not in demoted)
            except ShapeError:
                continue
        if len(successes) == 1:
            return successes[0][1]
        if successes:
            raise first
        level = following
    raise first


def _count(k: int) -> str:
    return {1: "one argument", 2: "two arguments"}.get(k, f"{k} arguments")


PROPERTY_KINDS = {"symmetric": 2, "spd": 2, "onehot": 1, "simplex": 1}
"""The rank a property needs (positive fits any)."""


def _check_properties(st: Declaration, source: str) -> None:
    for prop in st.properties:
        rank = PROPERTY_KINDS.get(prop)
        if rank == 2 and (len(st.dims) != 2 or st.dims[0] != st.dims[1]):
            raise ShapeError(f"{st.name} : {dims_text(st.dims)} {prop}: only a square matrix can be {prop}",
                             source, st.span, f"declare it n x n {prop}")
        if rank == 1 and len(st.dims) != 1:
            raise ShapeError(f"{st.name} : {dims_text(st.dims)} {prop}: only a vector can be {prop}",
                             source, st.span)


def _dependency_order(defs: dict[str, Expr], spans, source) -> list[str]:
    deps = {n: [s.name for s in walk(v) if isinstance(s, Symbol) and s.name in defs] for n, v in defs.items()}
    order: list[str] = []
    state: dict[str, int] = {}
    for root in defs:
        if root in state:
            continue
        stack = [(root, iter(deps[root]))]
        state[root] = 1
        path = [root]
        while stack:
            n, it = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                path.pop()
                state[n] = 2
                order.append(n)
            elif state.get(child) == 1:
                cycle = path[path.index(child):] + [child]
                raise SymbolError(f"{child} is defined in terms of itself: {' → '.join(cycle)}",
                                  source, spans[child])
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(deps[child])))
    return order


def _check_run_together(symbols, known, declared, defs, exprs, source):
    """Wx where W and x are known: a missing space, not a new symbol."""
    for name in symbols:
        if name in declared or len(name) < 2:
            continue
        parts = _split(name, known - {name})
        if parts:
            span = next((s.span for e in exprs for s in walk(e)
                         if isinstance(s, Symbol) and s.name == name), None)
            raise SymbolError(f'unknown symbol "{name}"', source, span,
                              f'did you mean "{" ".join(parts)}"?')


def _split(name: str, known: set[str]) -> list[str] | None:
    """name as two or more known names run together, if it is one."""
    best: dict[int, list[str]] = {0: []}
    for i in range(len(name)):
        if i not in best:
            continue
        for j in range(i + 1, len(name) + 1):
            piece = name[i:j]
            if piece in known and j not in best:
                best[j] = best[i] + [piece]
    parts = best.get(len(name))
    return parts if parts and len(parts) > 1 else None


def read(text: str, kinds: dict[str, int] | None = None) -> Program:
    """A typed program from text (parse, then type); ``kinds`` as in :func:`typecheck`."""
    return typecheck(parse_statements(text), text, kinds=kinds)
