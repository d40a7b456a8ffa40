"""The operation table: one row per node class, everything the surface knows about it.

A row says what an operation *is*; what its derivative is stands in the rule table
(:mod:`matcalc.calculus.rules`, one vector-Jacobian product per node class). Read by the
parser and typer (``calls``: the names that call it; ``tokens``: how the grammar spells an
operator), by shapes (``shape``: the name of its shape rule, :data:`matcalc.core.shapes.RULES`,
which the typer also types calls by), by the printers (``precedence``, ``form``, ``text``,
``latex``), the evaluator (``numpy``: a function of the arguments' values), the code generator
(``code``: numpy source, ``{0}``, ``{1}`` the arguments; a tuple is lines computing a temporary
``{t}``) and the computation graph (``label``).

Elementwise functions (exp, tanh, σ, …) are rows of :mod:`matcalc.core.functions`; the node
they share is :class:`Func`.

Adding an operation: one node (:mod:`matcalc.core.nodes`), one row here, one rule
(:mod:`matcalc.calculus.rules`), one test row (``tests/test_registry.py``). The registry test
names the operation and the facet that is missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import kernels
from .lazy import np
from .nodes import (
    Add, Delta, Det, Diag, DiagPart, Div, Entry, IndexSum, Tensor, Zeros, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse, LogDet,
    LogSoftmax, MatMul, Max, Min, Neg, Norm, Number, Ones, Power, Scale, Softmax, Sum, Symbol, Trace,
    Transpose,
)
from .nodes import ArgMax, ArgMin, Kron, KronLeft, KronRight, Largest, MatPower, Size, Smallest, Unvec, Vec
from .nodes import Cols, HCat, PadCols, PadRows, Rows, VCat

# binding strength, loosest first (the grammar's levels)
ADD = 10         # a + b, a - b
HADAMARD = 20    # a ⊙ b, a ./ b
NEG = 30         # -a
DIV = 35         # a / c   (left-associative with the product: a / c x is (a / c) x)
PRODUCT = 40     # W x, c A (juxtaposition)
POSTFIX = 50     # A^T, A^{-1}, c^2, a.^2
ATOM = 60        # names, numbers, calls, ‖x‖

TENSOR = 0       # ∂F_ij/∂x_k = …, a whole statement

FORMS = ("leaf", "call", "function", "bars", "prefix", "infix", "sum", "product", "quotient", "postfix", "power",
         "index", "bracket")
"""How the printers write a node: a name or number, name(args), an elementwise function, ‖x‖,
-a, a ⊙ b ⊙ …, a + b - …, a run of factors, a / c, A^T, c^p, index notation (x_i, δ_ij, Σ_a,
∂F_ij/∂x_k = …, each printed by its own method)."""


@dataclass(frozen=True)
class Op:
    """One operation of the language."""

    node: type[Expr] | None        # None: a spelling that types as other nodes (logsumexp)
    name: str                      # a word for it (its call name where it has one)
    calls: tuple[str, ...]         # names that call it: tr(X), trace(X)
    tokens: tuple[str, ...]        # how the grammar spells it as an operator: ^T, ⊙
    arity: int | None              # arguments as written (ones(n) has one); None for n-ary nodes
    shape: str                     # its shape rule (matcalc.core.shapes.RULES)
    precedence: int
    form: str                      # one of FORMS
    text: str                      # the call name or operator token the text printer writes
    latex: str                     # the same in LaTeX
    numpy: Callable | None         # the value from the arguments' values (leaves: from their dim)
    code: str | tuple[str, ...] | None
    label: str                     # the graph's node label


ROWS: tuple[Op, ...] = (
    # ---------------------------------------------------------------- leaves
    Op(Symbol, "symbol", (), (), 0, "symbol", ATOM, "leaf", "", "", None, None, ""),
    Op(Number, "number", (), (), 0, "scalar", ATOM, "leaf", "", "", None, None, ""),
    Op(Identity, "I", (), ("I", "I_n"), 0, "identity", ATOM, "leaf", "I", "I",
       lambda n: np.eye(n), "np.eye({0})", "I"),
    Op(Ones, "ones", ("ones",), (), 1, "ones", ATOM, "call", "ones", r"\mathbf{1}",
       lambda n: np.ones(n), "np.ones({0})", "1"),
    # ---------------------------------------------------------------- operators
    Op(Add, "add", (), ("+", "-"), None, "broadcast", ADD, "sum", " + ", " + ",
       kernels.add, "{0} + {1}", "+"),
    Op(Neg, "neg", (), ("-",), 1, "same", NEG, "prefix", "-", "-", lambda a: -a, "-{0}", "−"),
    Op(Hadamard, "hadamard", (), (".*", "⊙", r"\odot", "∘", r"\circ"), None, "broadcast", HADAMARD, "infix",
       " ⊙ ", r" \odot ", kernels.multiply, "{0} * {1}", "⊙"),
    Op(ElemDiv, "elemdiv", (), ("./",), 2, "broadcast", HADAMARD, "infix", " ./ ", r" \oslash ",
       kernels.divide, "{0} / {1}", "⊘"),
    Op(Div, "div", (), ("/", r"\frac", r"\dfrac", r"\tfrac"), 2, "first", DIV, "quotient", " / ", r"\frac",
       lambda a, c: a / c, "{0} / {1}", "÷"),
    Op(MatMul, "matmul", (), (" ", "*", r"\cdot"), None, "matmul", PRODUCT, "product", " ", " ",
       kernels.matmul, "{0} @ {1}", "×"),
    Op(Scale, "scale", (), (" ", "*", r"\cdot"), 2, "second", PRODUCT, "product", " ", " ",
       lambda c, a: c * a, "{0} * {1}", "×"),
    Op(Transpose, "transpose", (), ("^T", "'", r"^\top", "^⊤", r"^\intercal"), 1, "transpose", POSTFIX,
       "postfix", "^T", r"^{\top}", kernels.transpose, "{0}.T", "(·)ᵀ"),
    Op(Inverse, "inv", ("inv", "inverse"), ("^{-1}", "^-1"), 1, "square", POSTFIX, "postfix", "^{-1}", "^{-1}",
       lambda x: np.linalg.inv(x), "np.linalg.inv({0})", "⁻¹"),
    Op(Power, "power", (), ("^",), 2, "scalar", POSTFIX, "power", "^", "^", kernels.power,
       "np.power({0}, {1})", "^"),
    Op(ElemPower, "elempower", (), (".^",), 2, "first", POSTFIX, "power", ".^", r"^{\circ ", kernels.elempower,
       "np.power({0}, {1})", ".^"),
    # ---------------------------------------------------------------- functions of vectors and matrices
    Op(Func, "function", (), (), 1, "same", ATOM, "function", "", "", None, None, ""),
    Op(Sum, "sum", ("sum",), (), 1, "reduce", ATOM, "call", "sum", r"\operatorname{sum}",
       lambda a: np.sum(a), "np.sum({0})", "sum"),
    Op(Norm, "norm", ("norm",), ("‖", r"\|", "|", r"\lVert", r"\left|"), 1, "norm", ATOM, "bars", "‖",
       r"\lVert", lambda a: np.linalg.norm(a), "np.linalg.norm({0})", "‖·‖"),
    Op(Trace, "tr", ("tr", "trace", "Tr"), (), 1, "square_to_scalar", ATOM, "call", "tr", r"\operatorname{tr}",
       lambda x: np.trace(x), "np.trace({0})", "tr"),
    Op(Det, "det", ("det",), (), 1, "square_to_scalar", ATOM, "call", "det", r"\det",
       lambda x: np.linalg.det(x), "np.linalg.det({0})", "det"),
    Op(LogDet, "logdet", ("logdet",), (), 1, "square_to_scalar", ATOM, "call", "logdet", r"\log\det",
       kernels.logdet, ("{t}_sign, {t} = np.linalg.slogdet({0})",
                        "{t} = {t} if {t}_sign > 0 else (-np.inf if {t}_sign == 0 else np.nan)"), "logdet"),
    Op(Diag, "diag", ("diag",), (), 1, "diag", ATOM, "call", "diag", r"\operatorname{diag}",
       lambda x: np.diag(x), "np.diag({0})", "diag"),
    Op(DiagPart, "diagpart", (), (), 1, "diagpart", ATOM, "call", "diag", r"\operatorname{diag}",
       kernels.diagpart, "np.diagonal({0}).copy()", "diag"),
    Op(Softmax, "softmax", ("softmax",), (), 1, "vector", ATOM, "call", "softmax", r"\operatorname{softmax}",
       kernels.softmax, ("{t} = np.exp({0} - np.max({0}, axis=-1, keepdims=True))",
                         "{t} = {t} / np.sum({t}, axis=-1, keepdims=True)"), "softmax"),
    Op(LogSoftmax, "logsoftmax", ("logsoftmax",), (), 1, "vector", ATOM, "call", "logsoftmax",
       r"\operatorname{logsoftmax}", kernels.logsoftmax,
       ("{t} = {0} - np.max({0}, axis=-1, keepdims=True)",
        "{t} = {t} - np.log(np.sum(np.exp({t}), axis=-1, keepdims=True))"), "logsoftmax"),
    Op(Max, "max", ("max",), (), 2, "broadcast", ATOM, "call", "max", r"\max",
       lambda a, b: np.maximum(a, b), "np.maximum({0}, {1})", "max"),
    Op(Min, "min", ("min",), (), 2, "broadcast", ATOM, "call", "min", r"\min",
       lambda a, b: np.minimum(a, b), "np.minimum({0}, {1})", "min"),
    # ---------------------------------------------------------------- index notation, sized zeros
    # (an index expression's value is its tensor's, computed by einsum: matcalc.core.indexed)
    Op(Zeros, "zeros", (), ("0_{",), 0, "zeros", ATOM, "leaf", "0", "0", lambda *dims: np.zeros(dims),
       "np.zeros({0})", "0"),
    Op(Entry, "entry", (), ("_",), 1, "entry", ATOM, "index", "_", "_", None, None, "entry"),
    Op(Delta, "delta", (), ("δ",), 0, "entry", ATOM, "index", "δ", r"\delta", None, None, "δ"),
    Op(IndexSum, "indexsum", (), ("Σ",), 1, "entry", PRODUCT, "index", "Σ", r"\sum", None, None, "Σ"),
    Op(Tensor, "tensor", (), ("∂",), 1, "tensor", TENSOR, "index", "∂", r"\partial", None, None, "tensor"),
    # ---------------------------------------------------------------- spellings of other nodes
    Op(None, "logsumexp", ("logsumexp", "lse"), (), 1, "lse", ATOM, "call", "", "", None, None, ""),
    # ---------------------------------------------------------------- batches and reductions (issue 12)
    Op(Size, "size", (), (), 0, "scalar", ATOM, "leaf", "", "", lambda n: np.float64(n), "float({0})", "#"),
    Op(Largest, "largest", (), (), 1, "reduce", ATOM, "call", "max", r"\max",
       lambda a: np.max(a), "np.max({0})", "max"),
    Op(Smallest, "smallest", (), (), 1, "reduce", ATOM, "call", "min", r"\min",
       lambda a: np.min(a), "np.min({0})", "min"),
    Op(ArgMax, "argmax", ("argmax",), (), 1, "same", ATOM, "call", "argmax", r"\operatorname{argmax}",
       kernels.argmax_indicator, ("{t} = np.equal({0}, np.max({0})) * 1.0", "{t} = {t} / np.sum({t})"), "argmax"),
    Op(ArgMin, "argmin", ("argmin",), (), 1, "same", ATOM, "call", "argmin", r"\operatorname{argmin}",
       kernels.argmin_indicator, ("{t} = np.equal({0}, np.min({0})) * 1.0", "{t} = {t} / np.sum({t})"), "argmin"),
    Op(MatPower, "matpower", (), ("^",), 2, "first", POSTFIX, "power", "^", "^",
       lambda x, k: np.linalg.matrix_power(x, int(k)), "np.linalg.matrix_power({0}, int({1}))", "^k"),
    Op(Vec, "vec", ("vec",), (), 1, "vec", ATOM, "call", "vec", r"\operatorname{vec}",
       lambda x: np.reshape(x, -1, order="F"), "np.reshape({0}, -1, order='F')", "vec"),
    Op(Unvec, "unvec", ("unvec",), (), 3, "unvec", ATOM, "call", "unvec", r"\operatorname{unvec}",
       None, None, "unvec"),  # the value and code need the dims: evaluate and codegen reshape
    Op(Kron, "kron", ("kron",), ("⊗", r"\otimes"), 2, "kron", ATOM, "call", "kron", r"\otimes",
       kernels.kron, "kernels.kron({0}, {1})", "⊗"),
    Op(KronLeft, "kronleft", ("kronleft",), (), 2, "kronleft", ATOM, "call", "kronleft", r"\operatorname{kronleft}",
       kernels.kron_left, "kernels.kron_left({0}, {1})", "kronleft"),
    Op(KronRight, "kronright", ("kronright",), (), 2, "kronright", ATOM, "call", "kronright",
       r"\operatorname{kronright}", kernels.kron_right, "kernels.kron_right({0}, {1})", "kronright"),
    Op(VCat, "vcat", ("vcat",), ("[;]",), None, "vcat", ATOM, "bracket", "; ", r" \\ ", kernels.vcat,
       "np.vstack([{all}])", "[;]"),
    Op(HCat, "hcat", ("hcat",), ("[,]",), None, "hcat", ATOM, "bracket", ", ", " & ", kernels.hcat,
       "np.hstack([{all}])", "[,]"),
    Op(Rows, "rows", ("rows",), (), 3, "rows", ATOM, "call", "rows", r"\operatorname{rows}", kernels.rows,
       "{0}[{d0}:{d0} + {d1}]", "rows"),
    Op(Cols, "cols", ("cols",), (), 3, "cols", ATOM, "call", "cols", r"\operatorname{cols}", kernels.cols,
       "{0}[:, {d0}:{d0} + {d1}]", "cols"),
    Op(PadRows, "padrows", ("padrows",), (), 3, "padrows", ATOM, "call", "padrows", r"\operatorname{padrows}",
       kernels.padrows, ("{t} = np.zeros(({d1},) + np.shape({0})[1:])", "{t}[{d0}:{d0} + np.shape({0})[0]] = {0}"),
       "padrows"),
    Op(PadCols, "padcols", ("padcols",), (), 3, "padcols", ATOM, "call", "padcols", r"\operatorname{padcols}",
       kernels.padcols, ("{t} = np.zeros((np.shape({0})[0], {d1}))", "{t}[:, {d0}:{d0} + np.shape({0})[1]] = {0}"),
       "padcols"),
    Op(None, "mean", ("mean",), (), 1, "mean", ATOM, "call", "", "", None, None, ""),
    Op(None, "var", ("var",), (), 1, "var", ATOM, "call", "", "", None, None, ""),
    Op(None, "rowsum", ("rowsum",), (), 1, "rowsum", ATOM, "call", "", "", None, None, ""),
    Op(None, "colsum", ("colsum",), (), 1, "colsum", ATOM, "call", "", "", None, None, ""),
)

OPS: dict[type[Expr], Op] = {op.node: op for op in ROWS if op.node is not None}
"""node class -> its row"""

CALLS: dict[str, Op] = {name: op for op in ROWS for name in op.calls}
"""a name that calls an operation (tr, trace, Tr, sum, …) -> its row"""

_SUM_ALONG = Op(None, "sum_along", (), (), 2, "sum_along", ATOM, "call", "", "", None, None, "")

OVERLOADS: dict[tuple[str, int], Op] = {
    ("max", 1): OPS[Largest], ("min", 1): OPS[Smallest], ("sum", 2): _SUM_ALONG,
}
"""(call name, number of arguments) -> the row it calls where that differs from CALLS[name]:
max(x) is the largest entry, max(a, b) the elementwise maximum; sum(X, 1) and sum(X, 2) sum along
an axis."""


DIM_FIELDS: dict[type[Expr], tuple[str, ...]] = {
    Rows: ("start", "count"), Cols: ("start", "count"), PadRows: ("start", "total"), PadCols: ("start", "total"),
}
"""Nodes whose value needs sizes besides their arguments' values: the row's numpy takes them after the
arguments, its code has them as {d0}, {d1} (0-based offsets, counts)."""


def op_of(e: Expr) -> Op:
    return OPS[type(e)]
