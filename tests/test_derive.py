"""Derivatives: every rule against central differences, and the textbook form of known results.

Expected forms are written by hand from the cheatsheet and the Matrix Cookbook (equation
numbers cite the 2012 edition); values are checked numerically at random points with
distinct dims.
"""
from dataclasses import dataclass

import numpy as np
import pytest

import matcalc
from matcalc.core.nodes import Size
from matcalc.core.nodes import NODE_CLASSES, Identity, Number, Ones, Scale, Symbol, Trace
from matcalc.calculus.rules import RULES
from matcalc.calculus.numeric import check_grad, random_env


@dataclass
class GradCase:
    name: str
    source: str
    wrt: str
    domain: str | dict = "any"
    expected: str | None = None  # the textbook form, exactly as printed


GRAD_CASES = [
    # the cheatsheet
    GradCase("one_layer_W", "u^T f(W x + b)", "W", expected="(u ⊙ f'(W x + b)) x^T"),
    GradCase("one_layer_b", "u^T f(W x + b)", "b", expected="u ⊙ f'(W x + b)"),
    GradCase("one_layer_x", "u^T f(W x + b)", "x", expected="W^T (u ⊙ f'(W x + b))"),
    GradCase("one_layer_u", "u^T f(W x + b)", "u", expected="f(W x + b)"),
    GradCase("placeholders_W", "z = W x + b; h = f(z); s = u^T h", "W", expected="z = W x + b\n(u ⊙ f'(z)) x^T"),
    GradCase("placeholders_b", "z = W x + b; h = f(z); s = u^T h", "b", expected="z = W x + b\nu ⊙ f'(z)"),
    GradCase("scalar_chain", "z = 3 y; y = x^2", "x", expected="6 x"),
    GradCase("affine_inner", "u^T (W x + b)", "W", expected="u x^T"),
    GradCase("linear_form", "v^T x", "x", expected="v"),
    GradCase("log_exp_cancel", "log(exp(u^T v))", "v", expected="u"),
    GradCase("sigmoid", "sigmoid(w^T x)", "w", expected="σ(w^T x) (1 - σ(w^T x)) x"),
    GradCase("example_0_8_x", "(x + y) * max(y, z)", "x", expected="max(y, z)"),
    # Matrix Cookbook
    GradCase("quadratic_form", "x^T A x", "x", expected="(A + A^T) x"),          # (81)
    GradCase("bilinear_X", "a^T X b", "X", expected="a b^T"),                     # (70)
    GradCase("bilinear_XT", "a^T X^T b", "X", expected="b a^T"),                  # (71)
    GradCase("trace_AX", "tr(A X)", "X", expected="A^T"),                          # (100)
    GradCase("trace_XA", "tr(X A)", "X", expected="A^T"),
    GradCase("trace_XTX", "tr(X^T X)", "X", expected="2 X"),
    GradCase("trace_AXB", "tr(A X B)", "X", expected="A^T B^T"),                   # (102)
    GradCase("trace_XAXT", "tr(X A X^T)", "X", expected="X (A + A^T)"),
    GradCase("det", "det(X)", "X", expected="det(X) X^{-T}"),                     # (49)
    GradCase("logdet", "logdet(X)", "X", domain="spd", expected="X^{-T}"),       # (57)
    GradCase("log_det", "log(det(X))", "X", domain="spd", expected="X^{-T}"),
    GradCase("inverse_form", "a^T X^{-1} b", "X", expected="-X^{-T} a b^T X^{-T}"),  # (61)
    GradCase("least_squares", "norm(X w - y)^2", "w", expected="2 X^T (X w - y)"),
    GradCase("norm", "norm(x)", "x", expected="x / ‖x‖"),
    GradCase("norm_sq", "x^T x", "x", expected="2 x"),
    GradCase("frobenius", "norm(X)^2", "X", expected="2 X"),
    GradCase("sum", "sum(x)", "x", expected="ones(n)"),
    GradCase("diag", "u^T diag(x) v", "x", expected="u ⊙ v"),
    GradCase("diagpart", "sum(diag(X))", "X"),
    GradCase("softmax_ce", "y^T logsoftmax(W x)", "W", expected="(y - sum(y) softmax(W x)) x^T"),
    GradCase("softmax", "u^T softmax(x)", "x"),
    GradCase("logistic", "sum(log(1 + exp(-y .* (X w))))", "w", expected="-X^T (σ(-(y ⊙ X w)) ⊙ y)"),
    GradCase("power_elem", "sum(x .^ 3)", "x", expected="3 x.^2"),
    GradCase("elemdiv", "sum(a ./ x)", "x", domain="positive"),
    GradCase("elemdiv_num", "sum(x ./ a)", "x", domain="positive"),
    GradCase("div_scalar", "c : scalar; x^T y / c", "c", domain="positive"),
    GradCase("scale_by_scalar", "c : scalar; c u^T x", "c"),
    GradCase("hadamard", "u^T (x ⊙ y)", "x", expected="u ⊙ y"),
    GradCase("inverse_trace", "tr(X^{-1})", "X"),
    GradCase("max_route", "sum(max(x, y))", "x"),
    GradCase("min_route", "sum(min(x, y))", "y"),
    GradCase("relu_net", "u^T relu(W x)", "W"),
    GradCase("tanh_net", "u^T tanh(W x + b)", "W"),
    GradCase("two_layer", "u^T tanh(W_2 tanh(W_1 x + b_1) + b_2)", "W_1"),
    GradCase("sqrt", "sum(sqrt(x))", "x", domain="positive"),
    GradCase("exp_log", "sum(log(x) + exp(x) + sin(x) + cos(x))", "x", domain="positive"),
    GradCase("softplus", "sum(softplus(x))", "x", expected="σ(x)"),
    GradCase("scalar_power_symbolic", "c^p", "p", domain="positive"),
    GradCase("elempower_symbolic", "sum(x .^ p)", "p", domain="positive"),
    GradCase("abs", "sum(abs(x))", "x"),
    GradCase("transpose_chain", "x^T A^T B y", "A"),
    GradCase("logistic_one_example", "γ : scalar; h = σ(θ^T x); γ log(h) + (1 - γ) log(1 - h)", "θ",
             expected="h = σ(θ^T x)\n(γ - h) x"),
    GradCase("rayleigh", "x^T A x / (x^T x)", "x", expected="(A + A^T) x / (x^T x) - 2 (x^T A x / (x^T x)^2) x"),
    GradCase("unit_vector", "a^T x / norm(x)", "x"),
    GradCase("logsumexp", "log(sum(exp(x)))", "x", expected="softmax(x)"),
    GradCase("negative_sampling_v", "-log(σ(u_o^T v_c)) - sum(log(σ(-U v_c)))", "v_c",
             expected="U^T (1 - σ(-U v_c)) - (1 - σ(u_o^T v_c)) u_o"),
    GradCase("negative_sampling_U", "-log(σ(u_o^T v_c)) - sum(log(σ(-U v_c)))", "U",
             expected="(1 - σ(-U v_c)) v_c^T"),
    GradCase("two_layer_softmax_W2", "h = relu(W_1 x + b_1); s = W_2 h + b_2; L = -y^T logsoftmax(s)", "W_2",
             expected="h = relu(W_1 x + b_1)\ns = W_2 h + b_2\n(sum(y) softmax(s) - y) h^T"),
    GradCase("trace_AXBXTC", "tr(A X B X^T C)", "X", expected="A^T C^T X B^T + C A X B"),
    GradCase("matrix_inverse_vector", "u^T X^{-1} v", "v"),
    GradCase("neg", "-u^T x", "x", expected="-u"),
    GradCase("broadcast_scalar", "c : scalar; sum(x + c)", "c"),
    GradCase("layout_placeholder", "z = W x; s = u^T tanh(z)", "z"),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=lambda c: c.name)
def test_gradient_matches_central_differences(case):
    check_grad(case.source, wrt=case.wrt, domain=case.domain)


@pytest.mark.parametrize("case", [c for c in GRAD_CASES if c.expected], ids=lambda c: c.name)
def test_textbook_form(case):
    assert str(matcalc.derive(case.source, wrt=case.wrt)) == case.expected


def test_gradient_has_the_shape_of_the_variable():
    d = matcalc.derive("u^T f(W x + b)", wrt="W")
    assert d.shape == ("n", "m")
    assert matcalc.derive("u^T f(W x + b)", wrt="x").shape == ("m",)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_layer_gradient_by_hand(seed):
    rng = np.random.default_rng(seed)
    n, m = 3, 5
    W, x, b, u = rng.standard_normal((n, m)), rng.standard_normal(m), rng.standard_normal(n), rng.standard_normal(n)
    env = {"W": W, "x": x, "b": b, "u": u, "f": np.tanh, "f'": lambda z: 1 - np.tanh(z) ** 2}
    got = matcalc.derive("u^T f(W x + b)", wrt="W").evaluate(env)
    expected = np.outer(u * (1 - np.tanh(W @ x + b) ** 2), x)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_several_gradients_share_one_pass():
    grads = matcalc.derive("z = W x + b; h = f(z); s = u^T h", wrt=["W", "b"])
    assert list(grads) == ["W", "b"]
    assert str(grads["b"]) == "z = W x + b\nu ⊙ f'(z)"
    # one backward pass: both results come from the same trace
    assert grads["W"].trace is grads["b"].trace


def test_layouts():
    src = "u^T f(W x + b)"
    assert str(matcalc.derive(src, "x", layout="numerator")) == "(u ⊙ f'(W x + b))^T W"
    assert matcalc.derive(src, "W", layout="numerator").shape == ("m", "n")
    check_grad(src, "x", layout="numerator")
    check_grad(src, "W", layout="numerator")
    j = matcalc.derive("tanh(W x)", "x", layout="denominator")
    assert j.shape == ("m", "n")
    check_grad("tanh(W x)", "x", layout="denominator")


JACOBIAN_CASES = [
    ("affine", "W x + b", "x", "W"),
    ("affine_b", "W x + b", "b", "I"),
    ("elementwise", "f(z)", "z", "diag(f'(z))"),
    ("tanh_layer", "tanh(W x)", "x", "diag(1 - tanh(W x).^2) W"),
    ("softmax", "softmax(x)", "x", "diag(softmax(x)) - softmax(x) softmax(x)^T"),
    ("scalar_var", "c : scalar; x c", "c", "x"),
    ("sigmoid", "σ(x)", "x", "diag(σ(x) ⊙ (1 - σ(x)))"),
    ("scalar_broadcast_in_sum", "W x - y^T W x", "x", "(I - ones(n) y^T) W"),
]


@pytest.mark.parametrize("name,source,wrt,expected", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_jacobian(name, source, wrt, expected):
    d = check_grad(source, wrt)
    assert str(d) == expected


def test_jacobian_of_vector_wrt_matrix_is_a_tensor():
    d = check_grad("tanh(W x)", "W")
    assert d.kind == "tensor"
    assert d.shape == ("n", "n", "m")


def test_generalized_jacobian_outer_product():
    d = check_grad("x x^T", "x")
    assert d.shape == ("n", "n", "n")
    program = matcalc.parse("x x^T")
    env = random_env(program, seed=3)
    x = env["x"]
    n = len(x)
    expected = np.einsum("ik,j->ijk", np.eye(n), x) + np.einsum("i,jk->ijk", x, np.eye(n))
    np.testing.assert_allclose(d.evaluate(env), expected, rtol=1e-12)


HESSIAN_CASES = [
    ("quadratic", "x^T A x", "x", "A + A^T"),
    ("least_squares", "norm(A x - b)^2", "x", "2 A^T A"),
    ("logistic", "sum(log(1 + exp(-y .* (X w))))", "w",
     "X^T diag(y.^2 ⊙ σ(-(y ⊙ X w)) ⊙ (1 - σ(-(y ⊙ X w)))) X"),
    ("one_layer", "u^T f(W x + b)", "x", "W^T diag(u ⊙ f''(W x + b)) W"),
    ("cubic", "x^3", "x", "6 x"),
]


@pytest.mark.parametrize("name,source,wrt,expected", HESSIAN_CASES, ids=[c[0] for c in HESSIAN_CASES])
def test_hessian(name, source, wrt, expected):
    d = check_grad(source, wrt, second=True)
    assert str(d) == expected


def test_every_node_class_has_a_rule():
    leaves = {Symbol, Number, Identity, Ones, Size}
    missing = [c.__name__ for c in NODE_CLASSES if c not in leaves and c not in RULES]
    assert missing == []


def test_unknown_variable_is_a_clear_error():
    with pytest.raises(matcalc.DerivativeError, match='"q" is not a variable'):
        matcalc.derive("u^T x", wrt="q")


def test_unreached_variable_gives_zero():
    d = matcalc.derive("z = W x; s = u^T x", wrt="x")
    assert str(d) == "u"


def test_deep_chain_is_linear_and_named():
    depth = 32
    body = "x"
    for i in range(1, depth + 1):
        body = f"tanh(W_{i} {body})"
    grads = matcalc.derive(f"u^T {body}", wrt=[f"W_{i}" for i in range(1, depth + 1)])
    text = str(grads["W_1"])
    # shared forward values and deltas are named once, so the text grows linearly
    assert len(text) < 120 * depth
    check_grad(f"u^T {body}", "W_1")



PROPERTY_CASES = [
    # what a declaration adds is used by the simplifier; values are drawn to keep the promise
    GradCase("symmetric_quadratic", "A : n x n symmetric; x^T A x", "x", expected="2 A x"),         # Cookbook (85)
    GradCase("gaussian_mean", "Σ : n x n spd; x : n; μ : n; -1/2 (x - μ)^T Σ^{-1} (x - μ) - 1/2 logdet(Σ)",
             "μ", expected="Σ^{-1} (x - μ)"),
    GradCase("gaussian_covariance", "Σ : n x n spd; x : n; μ : n; -1/2 (x - μ)^T Σ^{-1} (x - μ) - 1/2 logdet(Σ)",
             "Σ", expected="1/2 (Σ^{-1} (x - μ) (x - μ)^T Σ^{-1} - Σ^{-1})"),  # CS229 §4.1
    GradCase("cross_entropy_onehot", "y : k onehot; -y^T logsoftmax(W x)", "x", expected="W^T (softmax(W x) - y)"),
    GradCase("cross_entropy_simplex", "p : k simplex; -p^T logsoftmax(W x)", "W", expected="(softmax(W x) - p) x^T"),
    GradCase("positive_log", "x : n positive; sum(log(x))", "x", expected="1 ./ x"),
]


@pytest.mark.parametrize("case", PROPERTY_CASES, ids=lambda c: c.name)
def test_declared_properties(case):
    check_grad(case.source, wrt=case.wrt)
    assert str(matcalc.derive(case.source, wrt=case.wrt)) == case.expected


def test_symmetric_hessian():
    assert str(matcalc.hessian("A : n x n symmetric; x^T A x", "x")) == "2 A"


def test_properties_need_the_right_shape():
    with pytest.raises(matcalc.ShapeError, match="only a square matrix can be symmetric"):
        matcalc.parse("S : n x m symmetric; tr(S)")
    with pytest.raises(matcalc.ShapeError, match="only a vector can be onehot"):
        matcalc.parse("Y : n x m onehot; sum(Y)")


def test_a_lone_identity_keeps_its_size_in_the_text():
    # tr(‖r‖ I) is ‖r‖ times the size of I: tr(I_k) = k, a dim's size as a number, which reads back
    src = "D : k x k; r : 1 x n; tr(D - norm(r) I)"
    d = check_grad(src, "r")
    assert str(d) == "-k (r / ‖r‖)"
    env = {"D": np.eye(3), "r": np.array([[3.0, 4.0]])}
    np.testing.assert_allclose(matcalc.evaluate(matcalc.parse("D : k x k; r : 1 x n; " + str(d)), env),
                               -3 * np.array([[0.6, 0.8]]))
    assert matcalc.parse("A : k x k; tr(I_k) A").expr == Scale(Trace(Identity("k")), Symbol("A"))
    assert str(matcalc.derive("tr(I_3) x^T x", "x")) == "6 x"


def test_the_hessian_of_a_function_whose_gradient_vanishes_has_its_full_shape():
    h = matcalc.hessian("C : m x m; tr(C - C)", "C")
    assert h.shape == ("m", "m", "m", "m")
    assert not np.asarray(h.evaluate({"C": np.eye(3)})).any()


def test_log_sum_exp_of_a_row_or_a_matrix_is_not_a_softmax():
    # softmax is for vectors: exp(r) / sum(exp(r)) stays a quotient for a row r (found by the fuzzer)
    assert str(check_grad("r : 1 x n; log(sum(exp(r)))", "r")) == "exp(r) / sum(exp(r))"
    check_grad("X : n x m; log(sum(exp(X)))", "X")


def test_a_number_to_a_fractional_power_is_kept_when_scalar_factors_merge():
    """Found by `pytest -m fuzz`: the Hessian of (1 + 2^2)^0.5 / γ by γ printed 2 (1 / γ^3), wrong in silence:
    merging (5^{1/2} / γ⁴) γ into one power of γ multiplied the number 5^{1/2} by 1. It is 2 √5 / γ³."""
    program = matcalc.parse("γ : scalar; t1 = (1 + 2^2)^0.5; t1 / γ")
    h = matcalc.hessian(program, "γ")
    assert str(h) == "2 (5^{1/2} / γ^3)"
    env = {"γ": 1.7}
    want = 2 * np.sqrt(5) / 1.7 ** 3
    np.testing.assert_allclose(h.evaluate(env), want, rtol=1e-12)
    for text in ("γ : scalar; " + str(h), h.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), want, rtol=1e-12)
    assert str(matcalc.derive(matcalc.parse("γ : scalar; 2^0.5 γ 2^0.5 γ"), "γ")) == "4 γ"
