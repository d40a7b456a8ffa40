"""The expression tree: immutable, hashable nodes with structural equality.

Nodes are data. Shapes, derivatives, printing and evaluation live in their own
modules, keyed by node class. Spans record where a node came from in the source
and never take part in equality.

A *typed* tree (what :func:`matcalc.parse` returns) has every product resolved:
``MatMul`` multiplies matrices and vectors, ``Scale`` multiplies by a scalar.
"""
from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field, fields, make_dataclass
from fractions import Fraction

from .errors import Span

Dim = str | int


_INITS: dict = {}
"""One __init__ per list of fields and defaults, shared by the node classes that have it (19 for 58)."""


def node(cls):
    """A dataclass whose equality and hash are the base class's (structural, cached), frozen by Expr.

    Making 58 frozen dataclasses generated four methods each (~half of matcalc's start-up in this
    module); nodes share Expr's __setattr__, __delattr__ and __repr__, and one __init__ per list of
    fields (made by a frozen dataclass, so it sets the fields as frozen dataclasses do)."""
    if any("__post_init__" in vars(k) for k in cls.__mro__ if k is not Expr):
        # the shared __init__ calls Expr.__post_init__ only: another would be skipped without a word
        raise TypeError(f"{cls.__name__}: a node may not define __post_init__ (the shared __init__ would not call it)")
    documented = cls.__dict__.get("__doc__") is not None
    if not documented:
        cls.__doc__ = "-"  # written below, once the class has its __init__
    cls = dataclass(init=False, repr=False, eq=False)(cls)
    own = fields(cls)
    signature = tuple((f.name, type(f.default), repr(f.default)) for f in own)
    init = _INITS.get(signature)
    if init is None:
        template = make_dataclass(f"_{cls.__name__}Init", [(f.name, f.type, field(default=f.default)) for f in own],
                                  namespace={"__post_init__": Expr.__post_init__, "__doc__": "-"}, frozen=True, eq=False, repr=False)
        init = _INITS[signature] = template.__init__
    cls.__init__ = init
    if not documented:  # as a dataclass would: "Unary(arg: 'Expr')"
        import inspect
        cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
    cls._keys = tuple(f.name for f in own if f.name != "span")
    cls._repr_keys = tuple(f.name for f in own if f.repr)
    return cls


class Expr:
    """Base of every node: structural equality and a hash cached at construction.

    Both are iterative, so trees deeper than Python's recursion limit compare and hash.
    """

    __slots__ = ()
    _keys: tuple[str, ...] = ()
    _repr_keys: tuple[str, ...] = ()

    @property
    def args(self) -> tuple["Expr", ...]:
        return ()

    def __post_init__(self):
        parts: list = [type(self).__name__]
        for key in self._keys:
            value = getattr(self, key)
            if isinstance(value, tuple):
                parts.append(tuple(map(hash, value)))
            else:
                parts.append(hash(value))
        object.__setattr__(self, "_hash", hash(tuple(parts)))

    def __hash__(self) -> int:
        return self._hash

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __repr__(self) -> str:
        """As a dataclass's: ``Symbol(name='x')`` (the fields shown in repr, in order)."""
        inner = ", ".join(f"{key}={getattr(self, key)!r}" for key in self._repr_keys)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self, other: object) -> bool:
        """Structural equality (spans aside). Two trees once found equal remember it: the second points
        at the first's representative (``_same``), so comparing either again, or a tree built on them,
        stops there (a union of classes, as union-find's: no cycles). Without it a memo keyed by nodes
        (fold's) walked every equal-but-distinct tree in full on each lookup: the 64-layer chain's
        gradients took 130 ms, quadratic in the depth."""
        if self is other:
            return True
        if not isinstance(other, Expr):
            return NotImplemented
        if type(self) is not type(other) or self._hash != other._hash:  # most unequal pairs: no walk
            return False
        if _representative(self) is _representative(other):
            return True
        stack = [(self, other)]
        compared: dict = {}  # pairs already being compared: equal DAGs compare in linear time
        while stack:
            a, b = stack.pop()
            if a is b:
                continue
            if type(a) is not type(b) or a._hash != b._hash:
                return False
            pair = (id(a), id(b))
            if pair in compared:
                continue
            if _representative(a) is _representative(b):
                continue
            compared[pair] = (a, b)
            for key in a._keys:
                x, y = getattr(a, key), getattr(b, key)
                if isinstance(x, Expr):
                    stack.append((x, y))
                elif isinstance(x, tuple) and x and isinstance(x[0], Expr):
                    if len(x) != len(y):
                        return False
                    stack.extend(zip(x, y))
                elif x != y:
                    return False
        for a, b in compared.values():  # every pair compared is equal, since the whole is: one class
            root_a, root_b = _representative(a), _representative(b)
            if root_a is not root_b:
                object.__setattr__(root_b, "_same", root_a)
        return True

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result


def _representative(e: Expr) -> Expr:
    """The node that e was found equal to first (itself if none): equal trees share one."""
    while (same := e.__dict__.get("_same")) is not None:
        e = same
    return e


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------- leaves

@node
class Symbol(Expr):
    """A named variable (or a placeholder defined in the program)."""
    name: str
    span: Span | None = _span()


@node
class Number(Expr):
    """A numeric constant; broadcast to a constant vector or matrix in sums."""
    value: Fraction
    span: Span | None = _span()


@node
class Identity(Expr):
    """I, the identity matrix; its dim is known once the tree is typed."""
    dim: Dim | None = None
    span: Span | None = _span()


@node
class Ones(Expr):
    """ones(n), the vector of ones."""
    dim: Dim | None = None
    span: Span | None = _span()


@node
class Size(Expr):
    """n, a dim's size used as a number (a scalar): sum(x) / n, 1/N."""
    dim: Dim | None = None
    span: Span | None = _span()


# ---------------------------------------------------------------- unary

@node
class Unary(Expr):
    arg: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


@node
class Neg(Unary):
    """-A"""
    span: Span | None = _span()


@node
class Transpose(Unary):
    """A^T"""
    span: Span | None = _span()


@node
class Inverse(Unary):
    """A^{-1}"""
    span: Span | None = _span()


@node
class Sum(Unary):
    """sum(A): the sum of all entries, a scalar."""
    span: Span | None = _span()


@node
class Norm(Unary):
    """‖x‖: the Euclidean norm of a vector, the Frobenius norm of a matrix, |c| of a scalar."""
    span: Span | None = _span()


@node
class Trace(Unary):
    """tr(X)"""
    span: Span | None = _span()


@node
class Det(Unary):
    """det(X)"""
    span: Span | None = _span()


@node
class LogDet(Unary):
    """logdet(X) = log det(X)"""
    span: Span | None = _span()


@node
class Diag(Unary):
    """diag(x): the vector x on the diagonal of a square matrix."""
    span: Span | None = _span()


@node
class DiagPart(Unary):
    """diag(X): the diagonal of a square matrix, as a vector."""
    span: Span | None = _span()


@node
class Softmax(Unary):
    """softmax(x) = exp(x) / sum(exp(x))"""
    span: Span | None = _span()


@node
class LogSoftmax(Unary):
    """logsoftmax(x) = x - log(sum(exp(x)))"""
    span: Span | None = _span()


@node
class Largest(Unary):
    """max(x): the largest entry, a scalar."""
    span: Span | None = _span()


@node
class Smallest(Unary):
    """min(x): the smallest entry, a scalar."""
    span: Span | None = _span()


@node
class ArgMax(Unary):
    """argmax(x): the indicator of the largest entry, x's shape (ties share it equally)."""
    span: Span | None = _span()


@node
class ArgMin(Unary):
    """argmin(x): the indicator of the smallest entry, x's shape (ties share it equally)."""
    span: Span | None = _span()


@node
class Vec(Unary):
    """vec(X): the columns of X stacked into one vector (n m entries)."""
    span: Span | None = _span()


@node
class Unvec(Expr):
    """unvec(v, n, m): the n x m matrix whose columns stacked are v (vec's inverse)."""
    arg: Expr
    rows: Dim | None = None
    cols: Dim | None = None
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


@node
class Rows(Expr):
    """rows(X, i, j): rows i..j of X (stored as start = i - 1 and count = j - i + 1)."""
    arg: Expr
    start: Dim | None = None
    count: Dim | None = None
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


@node
class Cols(Rows):
    """cols(X, i, j): columns i..j of X."""


@node
class PadRows(Expr):
    """padrows(X, i, N): X as rows i.. of an N-row matrix of zeros (the adjoint of rows)."""
    arg: Expr
    start: Dim | None = None
    total: Dim | None = None
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


@node
class PadCols(PadRows):
    """padcols(X, i, N): X as columns i.. of an N-column matrix of zeros (the adjoint of cols)."""


@node
class Func(Expr):
    """An elementwise function: a named one (exp, tanh, σ, …) or a generic f.

    ``order`` counts derivatives: ``Func("f", z, 1)`` is f'(z).
    """
    name: str
    arg: Expr
    order: int = 0
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


# ---------------------------------------------------------------- binary

@node
class Binary(Expr):
    left: Expr
    right: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@node
class Div(Binary):
    """A / c, division by a scalar."""
    span: Span | None = _span()


@node
class ElemDiv(Binary):
    """a ./ b, elementwise division."""
    span: Span | None = _span()


@node
class Power(Binary):
    """c^p, a power of a scalar."""
    span: Span | None = _span()


@node
class ElemPower(Binary):
    """a .^ p, an elementwise power (p a scalar)."""
    span: Span | None = _span()


@node
class Scale(Binary):
    """c A, a scalar times anything (typed trees only)."""
    span: Span | None = _span()


@node
class MatPower(Binary):
    """X^k, an integer power k ≥ 2 of a square matrix (the number k on the right)."""
    span: Span | None = _span()


@node
class Kron(Binary):
    """A ⊗ B, the Kronecker product: the blocks A_ij B."""
    span: Span | None = _span()


@node
class KronLeft(Binary):
    """kronleft(G, B): the p x q matrix of <G_ij, B>, G_ij the r x s blocks of G (B r x s): the
    adjoint of A ↦ A ⊗ B."""
    span: Span | None = _span()


@node
class KronRight(Binary):
    """kronright(A, G): Σ_ij A_ij G_ij, G_ij the blocks of G (A p x q): the adjoint of B ↦ A ⊗ B."""
    span: Span | None = _span()


@node
class Max(Binary):
    """max(a, b), elementwise."""
    span: Span | None = _span()


@node
class Min(Binary):
    """min(a, b), elementwise."""
    span: Span | None = _span()


# ---------------------------------------------------------------- n-ary

@node
class Nary(Expr):
    terms: tuple[Expr, ...]

    @property
    def args(self) -> tuple[Expr, ...]:
        return self.terms


@node
class Add(Nary):
    """a + b + …"""
    span: Span | None = _span()


@node
class MatMul(Nary):
    """A B …, the matrix product (in untyped trees also juxtaposition in general)."""
    span: Span | None = _span()


@node
class VCat(Nary):
    """[a; b; …]: stacked vertically."""
    span: Span | None = _span()


@node
class HCat(Nary):
    """[A, B, …]: side by side."""
    span: Span | None = _span()


@node
class Hadamard(Nary):
    """a ⊙ b ⊙ …, the elementwise product."""
    span: Span | None = _span()


# ---------------------------------------------------------------- index notation and sized zeros

@node
class Entry(Expr):
    """x_i, (W x)_i, (X^{-1})_kl: an entry of a vector or matrix expression, a scalar with free indices.

    ``indices`` has one name per axis of ``arg`` (the index ``1`` for an axis of size 1)."""
    arg: Expr
    indices: tuple[str, ...]
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


@node
class Delta(Expr):
    """δ_ij, the Kronecker delta: 1 where the indices agree, else 0 (``dim``: their range)."""
    a: str
    b: str
    dim: Dim | None = None
    span: Span | None = _span()


@node
class IndexSum(Expr):
    """Σ_a body: the sum of an index expression over a = 1 … dim."""
    index: str
    arg: Expr
    dim: Dim | None = None
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


@node
class Tensor(Expr):
    """∂F_ij/∂x_k = body: the array whose entry (i, j, k) is body, its free indices in order.

    ``dims`` are the ranges of ``indices`` (its shape). The first ``split`` indices are F's,
    the others V's (``wrt``); ``hessian`` marks F as the gradient of the scalar ``function``
    (printed ∂²s/∂X_ij ∂X_kl). Only a whole statement is a tensor."""
    arg: Expr
    indices: tuple[str, ...]
    dims: tuple = ()
    function: str = "F"
    wrt: str = "x"
    split: int = 0
    hessian: bool = False
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


@node
class Zeros(Expr):
    """0_{k x m}: the zero of a shape (a zero that keeps its shape; ``dims`` as a shape's)."""
    dims: tuple = ()
    span: Span | None = _span()


INDEX_NODES = (Entry, Delta, IndexSum)
"""The nodes of index notation inside a tensor's body (scalars with free indices)."""


# ---------------------------------------------------------------- untyped only

@node
class Call(Expr):
    """name(args) as written, before typing decides what it is."""
    name: str
    call_args: tuple[Expr, ...]
    order: int = 0
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return self.call_args


@node
class Paren(Expr):
    """(A B) as written: a bracketed product is not merged into the product around it, since
    r ((zᵀz) y) is the scalar zᵀz times r y while r zᵀ z y does not multiply."""
    arg: Expr
    span: Span | None = _span()

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)


# ---------------------------------------------------------------- programs

Shape = tuple  # () scalar, (n,) column vector, (n, m) matrix; dims as in matcalc.core.dims


@dataclass(frozen=True)
class Statement:
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Declaration(Statement):
    name: str = ""
    dims: tuple[Dim, ...] = ()
    properties: tuple[str, ...] = ()  # symmetric, spd, positive, onehot, simplex


@dataclass(frozen=True)
class Definition(Statement):
    name: str = ""
    value: Expr | None = None


@dataclass(frozen=True)
class ExprStatement(Statement):
    value: Expr | None = None


NODE_CLASSES: tuple[type[Expr], ...] = (
    Symbol, Number, Identity, Ones, Neg, Transpose, Inverse, Sum, Norm, Trace, Det,
    LogDet, Diag, DiagPart, Softmax, LogSoftmax, Func, Div, ElemDiv, Power, ElemPower,
    Scale, Max, Min, Add, MatMul, Hadamard, Entry, Delta, IndexSum, Tensor, Zeros,
    Size, Largest, Smallest, ArgMax, ArgMin, MatPower, Vec, Unvec, Kron, KronLeft, KronRight,
    VCat, HCat, Rows, Cols, PadRows, PadCols,
)
"""Every node class of a typed tree (the registry that each module must cover)."""


# the traversals (with_args, walk, fold, depth) live in their own module; imported here, last,
# so that ``from .nodes import walk`` keeps working
from .traverse import depth, fold, walk, with_args  # noqa: E402, F401 (re-exported)
