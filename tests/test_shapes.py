"""Kinds, dims and shapes: the convention, inference by use, unification across definitions."""
import pytest

import matcalc
from matcalc.core.nodes import Cols, HCat, PadCols, PadRows, Rows, VCat
from matcalc.core.nodes import ArgMax, ArgMin, Kron, KronLeft, KronRight, Largest, MatPower, Size, Smallest, Unvec, Vec
from matcalc import ShapeError
from matcalc.core.nodes import (
    NODE_CLASSES, Add, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Func, Hadamard, Identity,
    Inverse, LogDet, LogSoftmax, MatMul, Max, Min, Neg, Norm, Number, Ones, Power, Scale, Softmax,
    Sum, Symbol, Trace, Transpose, walk, Entry, Delta, IndexSum, Tensor, Zeros,
)
from matcalc.language.kinds import conventional_kind
from matcalc.core.dims import dim as dim_expr
from matcalc.core.dims import plus as dim_plus
from matcalc.core.dims import times as dim_times
from matcalc.core.shapes import shape_of

n, m, k, p, q = (dim_expr(d) for d in "nmkpq")


def shapes(text):
    return matcalc.parse(text).shapes


# ---------------------------------------------------------------- kinds

@pytest.mark.parametrize("name, kind", [
    ("W", "matrix"), ("Xs", "matrix"), ("x", "vector"), ("u_1", "vector"), ("α", "scalar"),
    ("λ2", "scalar"), ("Σ", "matrix"),
])
def test_kind_by_convention(name, kind):
    assert conventional_kind(name) == kind


def test_headline_dims_by_unification():
    # W is n x m, x is m, u and b are n
    assert shapes("u^T f(W x + b)") == {"u": (n,), "W": (n, m), "x": (m,), "b": (n,)}


def test_kinds_by_use():
    assert shapes("c^2 x") == {"c": (), "x": (n,)}                  # base of ^ is a scalar
    assert shapes("x^T y") == {"x": (n,), "y": (n,)}
    assert shapes("x / y") == {"x": (n,), "y": ()}                  # only a scalar divides
    assert shapes("x^{-1}") == {"x": ()}                            # only a scalar has x^{-1} of a vector name
    assert shapes("x .^ p") == {"x": (n,), "p": ()}                 # an exponent is a scalar
    assert shapes("α + x") == {"α": (), "x": (n,)}                  # declared/Greek scalars broadcast


def test_scalar_program_by_use():
    # the CS231n example: every name is a scalar
    assert shapes("(x + y) * max(y, z)") == {"x": (), "y": (), "z": ()}


def test_out_of_order_definitions():
    prog = matcalc.parse("z = 3 y; y = x^2")
    assert prog.shapes == {"x": (), "y": (), "z": ()}
    assert list(prog.definitions) == ["y", "z"]      # dependency order
    assert prog.name == "z"
    assert prog.expr == Symbol("z")


def test_definitions_carry_shapes_to_their_uses():
    prog = matcalc.parse("z = W x + b; h = tanh(z); s = u^T h")
    assert prog.shapes == {"W": (n, m), "x": (m,), "b": (n,), "u": (n,), "z": (n,), "h": (n,), "s": ()}
    assert prog.shape(prog.expr) == ()
    assert prog.shape(prog.definitions["z"]) == (n,)


def test_dims_unify_through_definitions_both_ways():
    # V's dims are known only from the use of y after the definition
    s = shapes("y = V x; A y")
    assert s["A"][1] == s["V"][0] == s["y"][0]
    assert s["V"][1] == s["x"][0]


def test_declared_dims():
    assert shapes("W : 3 x m; x : m; W x") == {"W": (3, m), "x": (m,)}
    assert shapes("W : n x m; W x + b") == {"W": (n, m), "x": (m,), "b": (n,)}
    assert shapes("x : n; A x") == {"x": (n,), "A": (m, n)}


def test_free_dims_avoid_declared_names():
    s = shapes("x : m; y + A x")
    assert s["x"] == (m,)
    assert s["A"] == (s["y"][0], m)
    assert s["y"][0] != m


def test_row_vector_declaration():
    assert shapes("r : 1 x m; r W") == {"r": (1, m), "W": (m, n)}
    prog = matcalc.parse("r : 1 x m; x : m; r x")
    assert prog.shape(prog.expr) == ()


def test_one_by_one_is_a_scalar_and_n_by_one_a_vector():
    assert shapes("c : 1 x 1; c") == {"c": ()}
    assert shapes("v : n x 1; v") == {"v": (n,)}


def test_identity_and_ones_take_their_dims_from_use():
    prog = matcalc.parse("A : n x n; A + I")
    assert prog.expr == Add((Symbol("A"), Identity("n")))
    prog = matcalc.parse("x : 4; ones(4)^T x")
    assert prog.expr == MatMul((Transpose(Ones(4)), Symbol("x")))
    assert shapes("ones(n) + x") == {"x": (n,)}


def test_scalar_combines_with_vectors_where_math_allows():
    assert matcalc.parse("c : scalar; c x").expr == Scale(Symbol("c"), Symbol("x"))
    assert matcalc.parse("c : scalar; x / c").expr == Div(Symbol("x"), Symbol("c"))
    assert matcalc.parse("c : scalar; x + c").expr == Add((Symbol("x"), Symbol("c")))
    with pytest.raises(ShapeError):
        matcalc.parse("c : scalar; x : n; c / x")   # a scalar over a vector: use ./


# ---------------------------------------------------------------- the shape of every node class

SHAPE_CASES = {
    Symbol: ("W", (n, m)),
    Number: ("3", ()),
    Identity: ("I", (n, n)),
    Ones: ("ones(m)", (m,)),
    Neg: ("-W", (n, m)),
    Transpose: ("W^T", (m, n)),
    Inverse: ("A^{-1}", (n, n)),
    Sum: ("sum(W)", ()),
    Norm: ("‖W‖", ()),
    Trace: ("tr(A)", ()),
    Det: ("det(A)", ()),
    LogDet: ("logdet(A)", ()),
    Diag: ("diag(x)", (n, n)),
    DiagPart: ("diag(A)", (n,)),
    Softmax: ("softmax(x)", (n,)),
    LogSoftmax: ("logsoftmax(x)", (n,)),
    Func: ("f(W)", (n, m)),
    Div: ("W / 2", (n, m)),
    ElemDiv: ("W ./ V", (n, m)),
    Power: ("α^2", ()),
    ElemPower: ("W .^ 3", (n, m)),
    Scale: ("α W", (n, m)),
    Max: ("max(W, V)", (n, m)),
    Min: ("min(x, 0)", (n,)),
    Add: ("W + V", (n, m)),
    MatMul: ("W B", (n, k)),
    Hadamard: ("W ⊙ V", (n, m)),
    Zeros: ("0_{n x m}", (n, m)),
    Tensor: ("∂F_ij/∂W_kl = Σ_a δ_ia W_al δ_jk", (n, n, n, m)),
    Size: ("W : n x m; m", ()),
    Largest: ("max(W)", ()),
    Smallest: ("min(x)", ()),
    ArgMax: ("argmax(W)", (n, m)),
    ArgMin: ("argmin(x)", (n,)),
    MatPower: ("A^3", (n, n)),
    Vec: ("W : n x m; vec(W)", (dim_times(n, m),)),
    Unvec: ("v : 6; unvec(v, 2, 3)", (2, 3)),
    Kron: ("W : n x m; A : k x k; kron(W, A)", (dim_times(n, k), dim_times(m, k))),
    KronLeft: ("W : n x m; A : k x k; kronleft(W ⊗ A, A)", (n, m)),
    KronRight: ("W : n x m; A : k x k; kronright(W, W ⊗ A)", (k, k)),
    VCat: ("W : n x m; A : k x m; [W; A]", (dim_plus(n, k), m)),
    HCat: ("W : n x m; A : n x k; [W, A]", (n, dim_plus(m, k))),
    Rows: ("W : n x m; rows(W, 2, 3)", (2, m)),
    Cols: ("W : n x m; cols(W, 1, 1)", (n,)),
    PadRows: ("x : 2; padrows(x, 2, 5)", (5,)),
    PadCols: ("W : n x 2; padcols(W, 2, 4)", (n, 4)),
}
INDEX_BODY = {Entry, Delta, IndexSum}
"""Scalars with free indices, inside a tensor's body only: their shapes are checked under Tensor."""


def test_every_node_class_has_a_shape_case():
    assert set(SHAPE_CASES) | INDEX_BODY == set(NODE_CLASSES)
    body = matcalc.parse(SHAPE_CASES[Tensor][0]).expr.arg
    assert INDEX_BODY <= {type(x) for x in walk(body)}
    assert all(shape_of(x, {"W": (n, m)}) == () for x in walk(body) if type(x) in INDEX_BODY)


@pytest.mark.parametrize("cls", list(SHAPE_CASES), ids=lambda c: c.__name__)
def test_shape_of_each_node_class(cls):
    text, want = SHAPE_CASES[cls]
    prog = matcalc.parse(text)
    assert type(prog.expr) is cls
    assert prog.shape(prog.expr) == want
    assert shape_of(prog.expr, prog.shapes) == want
    for node in walk(prog.expr):      # every subtree has a shape too
        prog.shape(node)


def test_matmul_shapes():
    prog = matcalc.parse("x : m; y : n; W : n x m; y^T W x")
    assert prog.shape(prog.expr) == ()
    prog = matcalc.parse("x : m; y : n; x y^T")
    assert prog.shape(prog.expr) == (m, n)
    prog = matcalc.parse("x : m; y : n; y^T W")
    assert prog.shape(prog.expr) == (1, shapes("x : m; y : n; y^T W")["W"][1])


# ---------------------------------------------------------------- conflicts

@pytest.mark.parametrize("text", [
    "W : n x m; x : k; W x",
    "x : n; y : m; x + y",
    "A : n x m; A + A^T",
    "x : n; y : m; x .* y",
    "x : n; y : m; x ./ y",
    "x : n; y : m; max(x, y)",
    "W : n x m; det(W)",
    "W : n x m; tr(W)",
    "W : n x m; inv(W)",
    "W : n x m; diag(W)",
    "x : n; x^2",
    "W : n x m; W^2",
    "c : scalar; softmax(c)",
    "x : n; tr(x)",
    "x : n; y : n; x y",
    "x y",
    "x : n; z = x + 1; z : m; z",
    "x : n; x : m; x",
])
def test_conflicts_are_shape_errors(text):
    with pytest.raises(ShapeError):
        matcalc.parse(text)


def test_two_undeclared_vectors_side_by_side_are_not_guessed():
    # x y could mean "x is a scalar", "y is a scalar", x^T y or x y^T: the user must say
    with pytest.raises(ShapeError) as info:
        matcalc.parse("x y")
    assert "inner product" in info.value.hint and "outer product" in info.value.hint


def test_a_demotion_is_made_when_it_is_the_only_way():
    prog = matcalc.parse("x / y + z")
    assert prog.shapes["y"] == ()
    assert prog.shapes["x"] == prog.shapes["z"] != ()
