"""Every spelling of SPEC §1 parses to the typed tree a person would build by hand.

Expected trees are written with matcalc.nodes / matcalc.build, never copied from output.
Equivalent spellings must give equal trees; spans never take part in equality.
"""
from fractions import Fraction

import pytest

import matcalc
import matcalc.core.dims
import matcalc.core.shapes
from matcalc.core import build
from matcalc.core.nodes import (
    Add, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Func, Hadamard, Identity, Inverse, LogDet,
    LogSoftmax, MatMul, Max, Min, Neg, Norm, Number, Ones, Power, Scale, Softmax, Sum, Symbol,
    Trace, Transpose,
)
from matcalc.language.parse import parse_statements
from matcalc.core.nodes import Call, Declaration, Definition, ExprStatement

W, A, X, B = Symbol("W"), Symbol("A"), Symbol("X"), Symbol("B")
x, y, u, b, z, a, c, s = (Symbol(n) for n in "xyubzacs")
alpha = Symbol("α")


def num(v) -> Number:
    return Number(Fraction(v))


def tree(text: str):
    return matcalc.parse(text).expr


# declarations that fix the kinds, so each case tests one spelling only
VEC = "x : n; y : n; "
MAT = "X : n x n; "


def case(text, expected, id=None):
    return pytest.param(text, expected, id=id or text)


SPELLINGS = [
    # matrix product and scaling: juxtaposition and *
    case("W x", MatMul((W, x))),
    case("W*x", MatMul((W, x))),
    case("W * x", MatMul((W, x))),
    case("W \\cdot x", MatMul((W, x))),
    case("A B x", MatMul((A, B, x))),
    case("(A B) x", MatMul((A, B, x))),
    case("A (B x)", MatMul((A, B, x))),
    case("c : scalar; c x", Scale(c, x)),
    case("c : scalar; c * x", Scale(c, x)),
    case("c : scalar; x c", Scale(c, x)),
    case("2 x", Scale(num(2), x)),
    case("α x", Scale(alpha, x)),
    # transpose
    case("x^T", Transpose(x)),
    case("x'", Transpose(x)),
    case("x^\\top", Transpose(x)),
    case("x^⊤", Transpose(x)),
    case("x^{T}", Transpose(x)),
    case("x^{\\top}", Transpose(x)),
    case("x''", x),
    case("(W x)^T", Transpose(MatMul((W, x)))),
    # inverse
    case("X^{-1}", Inverse(X)),
    case("X^-1", Inverse(X)),
    case("inv(X)", Inverse(X)),
    case("X^{-T}", Transpose(Inverse(X))),
    case("X^{-1} y", MatMul((Inverse(X), y))),
    # Hadamard product, division, power
    case("a .* b", Hadamard((a, b))),
    case("a ⊙ b", Hadamard((a, b))),
    case("a \\odot b", Hadamard((a, b))),
    case("a ∘ b", Hadamard((a, b))),
    case("a .* b .* z", Hadamard((a, b, z))),
    case("a ./ b", ElemDiv(a, b)),
    case("a .^ 2", ElemPower(a, num(2))),
    case("a.^2", ElemPower(a, num(2))),
    case("a .^ {1/2}", ElemPower(a, num(Fraction(1, 2)))),
    # sum, difference, negation, scalar division
    case("a + b", Add((a, b))),
    case("a - b", Add((a, Neg(b)))),
    case("a + b + z", Add((a, b, z))),
    case("a + (b + z)", Add((a, b, z))),
    case("-a", Neg(a)),
    case("- -a", a),
    case("c : scalar; a / c", Div(a, c)),
    case("a / 2", Div(a, num(2))),
    # scalar powers
    case("c^2", Power(c, num(2))),
    case("s^{1/2}", Power(s, num(Fraction(1, 2)))),
    case("s^(1/2)", Power(s, num(Fraction(1, 2)))),
    case("s^-2", Power(s, num(-2))),
    case("s^{-2}", Power(s, num(-2))),
    case("α^2", Power(alpha, num(2))),
    case("(x^T x)^2", Power(MatMul((Transpose(x), x)), num(2))),
    case("c^n", Power(c, Symbol("n"))),
    # numbers
    case("3", num(3)),
    case("3.25", num(Fraction(13, 4))),
    case(".5", num(Fraction(1, 2))),
    case("5.", num(5)),
    case("1e-5", num(Fraction(1, 100000))),
    case("2.5E3", num(2500)),
    case("1/2", num(Fraction(1, 2))),
    case("-3", num(-3)),
    case(".5 x", Scale(num(Fraction(1, 2)), x)),
    case("1e-5 x", Scale(num(Fraction(1, 100000)), x)),
    # elementwise functions (named; σ is sigmoid; ln is log)
    *[case(f"{f}(x)", Func(f, x)) for f in
      ["exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sigmoid", "relu", "softplus",
       "sqrt", "abs", "step", "sign", "atan"]],
    case("σ(x)", Func("sigmoid", x)),
    case("\\sigma(x)", Func("sigmoid", x)),
    case("ln(x)", Func("log", x)),
    case("\\exp(x)", Func("exp", x)),
    case("\\sqrt{x}", Func("sqrt", x)),
    case("exp(W x)", Func("exp", MatMul((W, x)))),
    # generic functions and their derivatives
    case("f(z)", Func("f", z)),
    case("f'(z)", Func("f", z, 1)),
    case("f''(z)", Func("f", z, 2)),
    case("g(W x + b)", Func("g", Add((MatMul((W, x)), b)))),
    case("tanh'(x)", Func("tanh", x, 1)),
    # vector and matrix functions
    case("sum(x)", Sum(x)),
    case("norm(x)", Norm(x)),
    case("‖x‖", Norm(x)),
    case("|x|", Norm(x)),
    case("\\|x\\|", Norm(x)),
    case("\\lVert x \\rVert", Norm(x)),
    case("\\left\\| x \\right\\|", Norm(x)),
    case("‖x‖^2", Power(Norm(x), num(2))),
    case("norm(X)", Norm(X)),
    case("|α|", Func("abs", alpha)),
    case("norm(α)", Func("abs", alpha)),
    case("tr(X)", Trace(X)),
    case("trace(X)", Trace(X)),
    case("\\operatorname{tr}(X)", Trace(X)),
    case("det(X)", Det(X)),
    case("logdet(X)", LogDet(X)),
    case("diag(x)", Diag(x)),
    case("diag(X)", DiagPart(X)),
    case("softmax(x)", Softmax(x)),
    case("logsoftmax(x)", LogSoftmax(x)),
    case("max(a, b)", Max(a, b)),
    case("min(a, b)", Min(a, b)),
    case("max(x, 0)", Max(x, num(0))),
    # constants
    case("I", Identity("n")),
    case("X : n x n; X + I", Add((X, Identity("n")))),
    case("x : m; ones(m)^T x", MatMul((Transpose(Ones("m")), x))),
    case("ones(3)", Ones(3)),
    case("x : m; 1^T x", MatMul((Transpose(Ones("m")), x))),
    case("x + 1", Add((x, num(1)))),
    case("0", num(0)),
    case("x + 0", x),
    # LaTeX grouping and fractions
    case("\\left( x \\right)", x),
    case("\\left( W x \\right)^T", Transpose(MatMul((W, x)))),
    case("\\frac{1}{2} x^T x", Scale(num(Fraction(1, 2)), MatMul((Transpose(x), x)))),
    case("\\frac{x}{2}", Div(x, num(2))),
    # Greek identifiers
    case("λ : scalar; λ x", Scale(Symbol("λ"), x)),
    case("α β", Scale(alpha, Symbol("β"))),
    case("x_1 + x_2", Add((Symbol("x_1"), Symbol("x_2")))),
    # comments and spacing
    case("W x  # the product", MatMul((W, x))),
    case("W\tx", MatMul((W, x))),
    case("W \\, x", MatMul((W, x))),
]


@pytest.mark.parametrize("text, expected", SPELLINGS)
def test_spelling(text, expected):
    assert tree(text) == expected


PRECEDENCE = [
    # u^T f(W x + b) is (u^T) f((W x) + b)
    case("u^T f(W x + b)", MatMul((Transpose(u), Func("f", Add((MatMul((W, x)), b)))))),
    # -x^T y is -(x^T y)
    case("-x^T y", Neg(MatMul((Transpose(x), y)))),
    # a .* b c is a ⊙ (b c): the Hadamard product binds looser than juxtaposition
    case("b : scalar; a .* b c", Hadamard((a, Scale(b, c)))),
    case("a .* B c", Hadamard((a, MatMul((B, c))))),
    case("B c .* a", Hadamard((MatMul((B, c)), a))),
    # 1/2 x^T A x is (1/2) (x^T A x)
    case("1/2 x^T A x", Scale(num(Fraction(1, 2)), MatMul((Transpose(x), A, x)))),
    # postfix binds tighter than juxtaposition and unary minus
    case("-x^T", Neg(Transpose(x))),
    case("x y^T", MatMul((x, Transpose(y)))),
    case("A^T B", MatMul((Transpose(A), B))),
    case("(A B)^T", Transpose(MatMul((A, B)))),
    case("c : scalar; -c^2", Neg(Power(c, num(2)))),
    # + is loosest
    case("a + b .* z", Add((a, Hadamard((b, z))))),
    case("W x + b", Add((MatMul((W, x)), b))),
    case("a - b - z", Add((a, Neg(b), Neg(z)))),
    case("a - (b - z)", Add((a, Neg(Add((b, Neg(z))))))),
    # / binds like juxtaposition, left to right
    case("c : scalar; x / c / 2", Div(Div(x, c), num(2))),
    case("c : scalar; W x / c", Div(MatMul((W, x)), c)),
    # a transposed product: postfix on the bracket
    case("(W x + b)^T u", MatMul((Transpose(Add((MatMul((W, x)), b))), u))),
    # bars after * are fine (after juxtaposition they would be ambiguous)
    case("x * |α|", Scale(Func("abs", alpha), x)),
]


@pytest.mark.parametrize("text, expected", PRECEDENCE)
def test_precedence(text, expected):
    assert tree(text) == expected


EQUIVALENT = [
    ["x^T", "x'", "x^\\top", "x^⊤", "x^{T}", "(x)^T", "\\left(x\\right)^T"],
    ["X^{-1}", "X^-1", "inv(X)", "inverse(X)"],
    ["a .* b", "a ⊙ b", "a \\odot b", "a∘b"],
    ["norm(x)", "‖x‖", "|x|", "\\|x\\|", "\\lVert x\\rVert"],
    ["W x", "W*x", "W * x", "(W)(x)", "W (x)"],
    ["σ(x)", "sigmoid(x)", "\\sigma(x)"],
    ["1/2 x^T A x", "0.5 x^T A x", "\\frac{1}{2} x^T A x", ".5 x^T A x", "5e-1 x^T A x"],
    ["W in R^{n x m}; W", "W : n x m; W", "W ∈ ℝ^{n × m}; W", "W \\in \\mathbb{R}^{n \\times m}; W",
     "W : n, m; W"],
]


@pytest.mark.parametrize("spellings", EQUIVALENT, ids=lambda s: s[0])
def test_equivalent_spellings_give_equal_trees(spellings):
    trees = [matcalc.parse(t) for t in spellings]
    for t, p in zip(spellings, trees):
        assert p.expr == trees[0].expr, t
        assert p.shapes == trees[0].shapes, t


def test_equal_trees_hash_equally_and_spans_do_not_count():
    p, q = tree("W x + b"), tree("  W   x+b")
    assert p == q and hash(p) == hash(q)
    assert p.terms[0].span != q.terms[0].span


# ---------------------------------------------------------------- statements

def test_declaration_forms():
    sts = parse_statements("W : n x m\nx : m; c : scalar; r : 1 x m; V in R^{n x 3}; v in R^n; s in R")
    assert sts == [
        Declaration(name="W", dims=("n", "m")), Declaration(name="x", dims=("m",)),
        Declaration(name="c", dims=()), Declaration(name="r", dims=(1, "m")),
        Declaration(name="V", dims=("n", 3)), Declaration(name="v", dims=("n",)),
        Declaration(name="s", dims=()),
    ]


def test_declaring_several_names_at_once():
    assert parse_statements("a, b : n") == [Declaration(name="a", dims=("n",)),
                                            Declaration(name="b", dims=("n",))]


def test_declared_shapes_reach_the_program():
    p = matcalc.parse("W in R^{n x m}; x : m; c : scalar; r : 1 x n; s in R; c s r W x")
    n, m = (matcalc.core.dims.dim(d) for d in "nm")
    assert p.shapes == {"c": (), "s": (), "r": (1, n), "W": (n, m), "x": (m,)}
    assert p.expr == Scale(c, Scale(s, MatMul((Symbol("r"), W, x))))


def test_definitions_and_separators():
    text = "z = W x + b\nh = f(z); u^T h"
    sts = parse_statements(text)
    assert [type(st) for st in sts] == [Definition, Definition, ExprStatement]
    assert sts[0] == Definition(name="z", value=Add((MatMul((W, x)), b)))
    assert sts[1] == Definition(name="h", value=Call("f", (Symbol("z"),)))
    p = matcalc.parse(text)
    assert p.definitions == {"z": Add((MatMul((W, x)), b)), "h": Func("f", Symbol("z"))}
    assert p.expr == MatMul((Transpose(u), Symbol("h")))


@pytest.mark.parametrize("text", [
    "z = W x + b; u^T f(z)", "z = W x + b\nu^T f(z)", "z = W x + b\r\nu^T f(z)",
    "\n\nz = W x + b;;\n;u^T f(z)\n\n", "# a comment\nz = W x + b # why\nu^T f(z)  # the loss",
    "z = W x + b ; u^T f(z) ;",
])
def test_separators_and_blank_statements(text):
    p = matcalc.parse(text)
    assert p.definitions == {"z": Add((MatMul((W, x)), b))}
    assert p.expr == MatMul((Transpose(u), Func("f", Symbol("z"))))


def test_program_without_expression_is_its_last_definition():
    p = matcalc.parse("z = W x; s = u^T z")
    assert p.name == "s"
    assert p.expr == Symbol("s")


def test_generic_functions_are_recorded():
    assert matcalc.parse("f(z) + g'(z)").functions == {"f", "g"}
    assert matcalc.parse("exp(z)").functions == frozenset()


def test_untyped_tree_keeps_juxtaposition_as_written():
    (st,) = parse_statements("a .* b c")
    assert st.value == Hadamard((a, MatMul((b, c))))
    (st,) = parse_statements("-x^T y")
    assert st.value == Neg(MatMul((Transpose(x), y)))


def test_build_helpers_agree_with_the_parser():
    assert tree("W x + b") == build.add(build.matmul(W, x), b)
    assert tree("x^T A x") == build.matmul(build.transpose(x), A, x)
    assert tree("-(a .* b)") == build.neg(build.hadamard(a, b))
