"""The typer: one attempt at typing a program's trees, children first, with union-find over dims.

It types each untyped node given its typed children (:meth:`Typer.type_node`): operators here,
calls by the shape rule of their row in the operation table (:mod:`matcalc.language.calls`).
A kind conflict that demoting a vector name to a scalar may resolve raises :class:`Retry`,
naming the candidates, for :mod:`matcalc.language.typecheck` to search.
"""
from __future__ import annotations

import dataclasses
import itertools

from ..core import build
from ..core.errors import ShapeError, SymbolError
from ..core.nodes import (
    Add, Call, Delta, Div, ElemDiv, ElemPower, Entry, Expr, IndexSum, Tensor, Zeros,
    Func, Hadamard, Identity, Inverse, MatMul, Neg, Paren, Norm, Number, Ones, Power, Scale,
    Symbol, Transpose, walk,
)
from ..core.nodes import MatPower, Size
from ..core.shapes import describe_shape, normalize, transposed
from .calls import CallRules
from .indexing import IndexRules
from .kinds import DIM_NAMES, GREEK_SPELLINGS, RESERVED, conventional_kind


INDEXING = (Entry, Delta, IndexSum, Tensor, Zeros)


class Var:
    """An unknown dim, to be unified."""
    __slots__ = ("serial",)
    counter = itertools.count()

    def __init__(self):
        self.serial = next(Var.counter)

    def __repr__(self):
        return f"?{self.serial}"


class Retry(Exception):
    """A kind conflict that making one more name a scalar may resolve."""

    def __init__(self, error: ShapeError, candidates: list[str]):
        self.error = error
        self.candidates = candidates


class Typer(IndexRules, CallRules):
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
        self.declared_functions: set[str] = set()  # "g : function", or callables passed to evaluate
        self.variables = variables
        self.parent: dict = {}
        self.order: list[Var] = []
        self.symbol_shapes: dict[str, tuple] = {}
        self.def_shapes: dict[str, tuple] = {}
        self.rigid: set[str] = set()
        for dims in declared.values():
            self.rigid.update(d for d in dims if isinstance(d, str))
        self.dim_names = frozenset(self.rigid)  # the declared dims: their names are sizes too

    # union-find over dims ------------------------------------------------
    def var(self) -> Var:
        v = Var()
        self.order.append(v)
        return v

    def find(self, d):
        while isinstance(d, Var) and d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a is b or (not isinstance(a, Var) and not isinstance(b, Var) and a == b):
            return True
        if isinstance(a, Var) and b != 1:
            self.parent[a] = b
            return True
        if isinstance(b, Var) and a != 1:
            self.parent[b] = a
            return True
        return False

    def names(self) -> dict:
        """Names for the unresolved dims, in order of creation."""
        # never the name of one of the program's own symbols (sum(x) / n: x is m, not n)
        taken = set(self.rigid) | set(self.variables) | set(self.defs) | set(self.functions)
        pool = (n for n in itertools.chain(DIM_NAMES, (f"n{i}" for i in itertools.count(1)))
                if n not in taken)
        named = {}
        for v in self.order:
            root = self.find(v)
            if isinstance(root, Var) and root not in named:
                named[root] = next(pool)
        return named

    def show_dim(self, d, named=None) -> str:
        d = self.find(d)
        if isinstance(d, Var):
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

    def error(self, message: str, node: Expr, hint: str | None = None, retry_from: Expr | None = None,
              matrices: bool = False):
        """Raise a ShapeError, or Retry with the names whose kind might be the cause (with
        ``matrices``, upper-case names too: nobody divides by a matrix, so 1/N has a scalar N)."""
        err = ShapeError(message, self.source, getattr(node, "span", None), hint)
        if retry_from is not None:
            demotable = ("vector", "matrix") if matrices else ("vector",)
            candidates = [s.name for s in walk(retry_from) if isinstance(s, Symbol)
                          and s.name in self.variables and s.name not in self.declared
                          and s.name not in self.scalars and s.name not in self.kinds
                          and s.name not in self.promoted
                          and ((conventional_kind(s.name) in demotable and s.name not in self.never_demoted)
                               or conventional_kind(s.name) == "scalar")]
            if candidates:
                raise Retry(err, sorted(set(candidates), key=candidates.index))
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
        if t in INDEXING:
            return self.type_index(node, kids)
        if t is Symbol:
            if node.name == "I" and node.name not in self.declared and node.name not in self.defs:
                v = self.var()
                return Identity(v, node.span), (v, v)
            sized = _sized_identity(node.name)
            if sized is not None and node.name not in self.declared and node.name not in self.defs:
                d = self.dim_of(sized)
                return Identity(d, node.span), (d, d)  # I_n: the n x n identity
            if node.name in self.dim_names and node.name not in self.declared and node.name not in self.defs:
                return Size(node.name, node.span), ()  # a dim used as a number: sum(x) / n, 1/N
            if node.name in RESERVED and node.name not in self.declared and node.name not in self.defs \
                    and node.name not in GREEK_SPELLINGS:  # σ alone is a name (a standard deviation)
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
                sizes = [s.name for s in walk(node.right) if isinstance(s, Symbol) and s.name not in self.declared
                         and s.name not in self.defs and s.name not in self.kinds]
                hint = "use ./ for elementwise division"
                if sizes:  # / sqrt(d), 1/N: a size or a count, read as a vector or matrix by its name
                    hint = f'if {sizes[0]} is a number (a size, a count), declare "{sizes[0]} : scalar"; ' + hint
                self.error(f"{self.text(node)}: division by {self.text(node.right)}, which is "
                           f"{self.show(shapes[1])}, not a scalar", node, hint, retry_from=node.right, matrices=True)
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
                spread = self.broadcast(s, result)
                if spread is not None:  # X W + b^T: a row added to each row; X + b: a column to each column
                    result, first = spread, (original if spread is s else first)
                    continue
                hint = None
                if len(s) + len(result) == 3 or (len(s) == 2 and len(result) == 2):
                    hint = "a transpose may be missing"
                self.error(f"{self.text(node)}: {self.text(first)} is {self.show(result)} but "
                           f"{self.text(original)} is {self.show(s)}", node, hint, retry_from=node)
        self.no_demoted_broadcast(node, exprs, shapes, result)
        return _with_span(build.add(*exprs), node), result

    def broadcast(self, a: tuple, b: tuple) -> tuple | None:
        """The shape of a + b where one is a matrix and the other a row (1 x m) or a column (n) of
        it, broadcast along the other axis; None if they do not broadcast. (Equal shapes are
        the caller's case.)"""
        for row, mat in ((a, b), (b, a)):
            if len(mat) != 2 or self.find(mat[0]) == 1:
                continue
            if len(row) == 2 and self.find(row[0]) == 1 and self.unify(row[1], mat[1]):
                return mat
            if len(row) == 1 and self.spreads(row[0], mat[0]) and self.unify(row[0], mat[0]):
                return mat  # a column spread over the columns of a matrix
        return None

    def spreads(self, a, b) -> bool:
        """Whether a column of size a may spread over a matrix of b rows: the sizes are one already or
        one of them is known (declared, a number), or the program declares sizes (or its names' kinds are given). Two sizes still being inferred are not joined by a
        broadcast, so a name guessed a scalar (θ in X θ - y) is not read as X scaled, y taken from
        each column: that reading is left to the one without a broadcast."""
        a, b = self.find(a), self.find(b)
        return bool(self.rigid or self.kinds) or a is b or not isinstance(a, Var) or not isinstance(b, Var)

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
        return a is b or isinstance(a, Var) or isinstance(b, Var) or a == b

    def elementwise(self, node, exprs, shapes, op) -> tuple:
        result: tuple = ()
        for s in shapes:
            if not s:
                continue
            if not result:
                result = s
                continue
            if len(s) != len(result) or not all(self.unify(a, b) for a, b in zip(s, result)):
                if op in ("⊙", "./") and (spread := self.broadcast(s, result)) is not None:
                    result = spread  # γ^T ⊙ X: a row times each row; b ⊙ X a column times each column
                    continue
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
        if len(shapes[0]) == 2 and isinstance(exponent, Number) and exponent.value.denominator == 1:
            return self.matrix_power(node, base, shapes[0], int(exponent.value))
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


    def matrix_power(self, node, base, shape, k: int):
        """X^k for an integer k of a square X: X^0 = I, X^1 = X, X^{-k} = (X^{-1})^k."""
        if not self.unify(shape[0], shape[1]):
            self.error(f"{self.text(node)}: {self.text(node.left)} is {self.show(shape)}, not square; only a square "
                       "matrix has powers", node, f'for an elementwise power write "{self.text(node.left)} .^ {k}"')
        if abs(k) > MAX_MATRIX_POWER:
            self.error(f"{self.text(node)}: matcalc takes matrix powers up to {MAX_MATRIX_POWER}", node,
                       "name a power and multiply: Y = X^8; Y^8")
        if k == 0:
            return Identity(shape[0], node.span), shape
        if k < 0:
            base, k = build.inverse(base), -k
        if k == 1:
            return base, shape
        return MatPower(base, build.number(k), node.span), shape


MAX_MATRIX_POWER = 64
"""X^k for |k| up to this (its derivative has k terms)."""

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
