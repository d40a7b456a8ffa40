"""Generalized Jacobians in index notation (matcalc.indices).

Each printed formula is also evaluated on its own (indices.evaluate_index, einsum per
term) and compared with the engine's basis evaluation (Derivative.evaluate) and, where
the math is short, with a Jacobian written here by hand, so the text is proven right.
Expected strings are written from the math: F_ij = x_i x_j gives δ_ik x_j + x_i δ_jk.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc.calculus.indices import Translator, Unsupported, index_form
from matcalc.core.nodes import Func, Symbol
from matcalc.calculus.numeric import random_env

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (0, 1, 7)


def _derivative(source: str, wrt: str):
    d = matcalc.derive(source, wrt=wrt)
    assert d.kind == "tensor", (source, d.kind)
    return d


def _agrees(source: str, wrt: str, domain="any"):
    """The index formula, evaluated term by term, equals the engine's Jacobian at random points."""
    program = matcalc.parse(source)
    d = matcalc.derive(program, wrt=wrt)
    form = index_form(d)
    for seed in SEEDS:
        env = random_env(program, seed=seed, domain=domain)
        mine = form.evaluate(env)
        engine = d.evaluate(env)
        assert mine.shape == engine.shape, (source, mine.shape, engine.shape)
        np.testing.assert_allclose(mine, engine, rtol=1e-10, atol=1e-12, err_msg=f"{source} wrt {wrt}")
    return d


# ---------------------------------------------------------------- the forms, exactly

EXACT = [
    # F_ij = x_i x_j (SPEC §2)
    ("x x^T", "x", "∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk"),
    # F_i = tanh(Σ_a W_ia x_a): only row i of W matters, through tanh' = 1 - tanh²
    ("tanh(W x)", "W", "∂F_i/∂W_kl = δ_ik (1 - tanh(W x)_i^2) x_l"),
    ("W x", "W", "∂F_i/∂W_kl = δ_ik x_l"),
    ("W x + b", "W", "∂F_i/∂W_kl = δ_ik x_l"),
    # F_ij = Σ_a A_ia X_aj
    ("A X", "X", "∂F_ij/∂X_kl = A_ik δ_jl"),
    # F_ij = Σ_a A_ia X_ab B_bj
    ("A X B", "X", "∂F_ij/∂X_kl = A_ik B_lj"),
    # F_ij = Σ_a X_ai X_aj: X_kl meets the first factor when i = l, the second when j = l
    ("X^T X", "X", "∂F_ij/∂X_kl = X_ki δ_jl + δ_il X_kj"),
    ("X^T", "X", "∂F_ij/∂X_kl = δ_il δ_jk"),
    # F_ij = δ_ij x_i
    ("diag(x)", "x", "∂F_ij/∂x_k = δ_ij δ_ik"),
    # F_i = X_ii
    ("diag(X)", "X", "∂F_i/∂X_kl = δ_ik δ_il"),
    # matrix functions of a scalar: F_ij = c A_ij, and exp(c) A_ij + c² B_ij
    ("c A", "c", "∂F_ij/∂c = A_ij"),
    ("exp(c) A + c^2 B", "c", "∂F_ij/∂c = 2 c B_ij + exp(c) A_ij"),
    # ∂(X^{-1})_ij = -(X^{-1} dX X^{-1})_ij
    ("X^{-1}", "X", "∂F_ij/∂X_kl = -(X^{-1})_ik (X^{-1})_lj"),
    # the program's own name for its function
    ("f = x x^T", "x", "∂f_ij/∂x_k = δ_ik x_j + x_i δ_jk"),
    # a row: F_1j = Σ_a x_a X_aj (the 1 is the row's one position: the tensor keeps its shape 1 x m x n x m)
    ("x^T X", "X", "∂F_1i/∂X_kl = δ_il x_k"),
    # a scalar times the matrix: tr(X) δ_ik δ_jl + X_ij δ_kl
    ("tr(X) X", "X", "∂F_ij/∂X_kl = tr(X) δ_ik δ_jl + X_ij δ_kl"),
]


@pytest.mark.parametrize("source, wrt, expected", EXACT)
def test_index_text(source, wrt, expected):
    d = _derivative(source, wrt)
    assert str(d) == expected
    _agrees(source, wrt)


def test_latex_of_the_spec_example():
    d = _derivative("x x^T", "x")
    assert d.latex() == r"\frac{\partial F_{ij}}{\partial x_{k}} = \delta_{ik} x_{j} + x_{i} \delta_{jk}"


def test_latex_of_tanh():
    d = _derivative("tanh(W x)", "W")
    assert d.latex() == (r"\frac{\partial F_{i}}{\partial W_{kl}} = "
                         r"\delta_{ik} \left(1 - {\tanh(W x)}_{i}^{2}\right) x_{l}")


def test_shape_is_f_then_v():
    assert _derivative("x x^T", "x").shape == ("n", "n", "n")
    assert _derivative("tanh(W x)", "W").shape == ("n", "n", "m")
    assert _derivative("c A", "c").shape == ("n", "m")


# ---------------------------------------------------------------- against the math, by hand

def test_x_xT_by_hand():
    program = matcalc.parse("x x^T")
    d = matcalc.derive(program, wrt="x")
    env = random_env(program, seed=3)
    x = env["x"]
    eye = np.eye(len(x))
    expected = np.einsum("ik,j->ijk", eye, x) + np.einsum("i,jk->ijk", x, eye)
    np.testing.assert_allclose(index_form(d).evaluate(env), expected)


def test_tanh_by_hand():
    program = matcalc.parse("tanh(W x)")
    d = matcalc.derive(program, wrt="W")
    env = random_env(program, seed=4)
    W, x = env["W"], env["x"]
    t = np.tanh(W @ x)
    expected = np.einsum("ik,i,l->ikl", np.eye(len(t)), 1 - t ** 2, x)
    np.testing.assert_allclose(index_form(d).evaluate(env), expected)


def test_XT_X_by_hand():
    program = matcalc.parse("X^T X")
    d = matcalc.derive(program, wrt="X")
    env = random_env(program, seed=5)
    X = env["X"]
    m = X.shape[1]
    expected = np.einsum("ki,jl->ijkl", X, np.eye(m)) + np.einsum("il,kj->ijkl", np.eye(m), X)
    np.testing.assert_allclose(index_form(d).evaluate(env), expected)


def test_matrix_function_of_a_scalar_by_hand():
    program = matcalc.parse("exp(c) A + c^2 B")
    d = matcalc.derive(program, wrt="c")
    env = random_env(program, seed=6)
    expected = np.exp(env["c"]) * env["A"] + 2 * env["c"] * env["B"]
    np.testing.assert_allclose(index_form(d).evaluate(env), expected)


# ---------------------------------------------------------------- many more, numerically

AGREE = [
    ("softmax(W x)", "W", "any"), ("logsoftmax(W x)", "W", "any"), ("sigmoid(W x + b) ⊙ u", "W", "any"),
    ("X X", "X", "any"), ("sum(X) X", "X", "any"), ("X ⊙ X", "X", "any"), ("X.^3", "X", "any"),
    ("f(X)", "X", "any"), ("x ⊙ X y", "X", "any"), ("X x x^T", "X", "any"), ("X ./ Y", "Y", "positive"),
    ("x x^T x x^T", "x", "any"), ("u^T X v X", "X", "any"), ("norm(X) X", "X", "any"),
    ("det(X) X^{-1}", "X", "any"), ("α X + X^T", "X", "any"), ("(x^T y) X", "X", "any"),
    ("log(X) / γ + 3", "γ", "positive"), ("z = W x; h = tanh(z); V h", "W", "any"),
    ("max(X, 0)", "X", "any"), ("sum(X) x", "X", "any"), ("X^T ⊙ Y", "X", "any"),
]


@pytest.mark.parametrize("source, wrt, domain", AGREE)
def test_index_formula_equals_engine(source, wrt, domain):
    d = _agrees(source, wrt, domain)
    text = str(d)
    assert "G" not in text.split("=", 1)[1], text  # the cotangent never shows


def test_summation_left_where_nothing_contracts():
    # F = x xᵀ x xᵀ = (xᵀx) x xᵀ: the inner product stays a sum over its own index
    d = _agrees("x x^T x x^T", "x")
    assert "Σ_a x_a^2" in str(d)


def test_placeholders_stay_named():
    d = _agrees("z = W x; tanh(z)", "W")
    assert str(d) == "z = W x\n∂F_i/∂W_kl = δ_ik (1 - tanh(z)_i^2) x_l"
    assert d.latex().startswith(r"\begin{aligned} z &= W x \\ ")


def test_hessian_of_a_matrix_variable():
    # s = tr(Xᵀ X X): ds = <X X + X Xᵀ + Xᵀ X, dX>, and the Hessian is the derivative of that gradient,
    # H[:, :, k, l] = d(X X + X Xᵀ + Xᵀ X) along the basis matrix E_kl
    program = matcalc.parse("tr(X^T X X)")
    d = matcalc.hessian(program, "X")
    assert str(d).startswith("∂²s/∂X_ij ∂X_kl = ")
    env = random_env(program, seed=2)
    X = env["X"]
    n = X.shape[0]
    expected = np.zeros((n, n, n, n))
    for k in range(n):
        for l in range(n):
            E = np.zeros((n, n))
            E[k, l] = 1
            expected[:, :, k, l] = E @ X + X @ E + E @ X.T + X @ E.T + E.T @ X + X.T @ E
    np.testing.assert_allclose(index_form(d).evaluate(env), expected, atol=1e-12)
    np.testing.assert_allclose(d.evaluate(env), expected, atol=1e-12)


def test_a_user_symbol_named_G():
    # the engine's cotangent is G_1 here; the user's G stays the user's
    program = matcalc.parse("tr(G) X")
    d = matcalc.derive(program, wrt="X")
    assert str(d) == "∂F_ij/∂X_kl = tr(G) δ_ik δ_jl"
    env = random_env(program, seed=0)
    n, m = env["X"].shape
    expected = np.trace(env["G"]) * np.einsum("ik,jl->ijkl", np.eye(n), np.eye(m))
    np.testing.assert_allclose(index_form(d).evaluate(env), expected)


def test_summation_letters_avoid_symbol_names():
    d = _agrees("a a^T a a^T", "a")
    rhs = str(d).split("=", 1)[1]
    assert "Σ_b" in rhs and "Σ_a" not in rhs


def test_untranslatable_form_is_refused():
    tr = Translator({"G": ("n",)}, "G")
    with pytest.raises(Unsupported):
        tr.terms(Func("tanh", Symbol("G")), ("k",))


# ---------------------------------------------------------------- KaTeX renders it

KATEX_SOURCES = [(s, w) for s, w, _ in EXACT] + [(s, w) for s, w, _ in AGREE]


@pytest.mark.skipif(not (ROOT / "node_modules" / "katex").exists() or shutil.which("node") is None
                    or not (ROOT / "tests" / "katex_render.js").exists(), reason="KaTeX or node not installed")
def test_latex_renders_in_katex():
    strings = [matcalc.derive(s, wrt=w).latex() for s, w in KATEX_SOURCES]
    strings.append(matcalc.hessian("tr(X^T X X)", "X").latex())
    result = subprocess.run(["node", str(ROOT / "tests" / "katex_render.js")], input=json.dumps(strings),
                            capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("source, expected", [
    # F_ij = (X_ij + b_i) X_ij: the column b is added along each row i, so it carries i only
    ("X : n x m\nb : n\n(X + b) ⊙ X", "∂F_ij/∂X_kl = δ_ik (X_ij + b_i) δ_jl + δ_ik X_ij δ_jl"),
    # F_ij = X_ij (X_ij - c_j): the row cᵀ is subtracted from each row, so it carries j only
    ("X : n x m\nc : m\nX ⊙ (X - c^T)", "∂F_ij/∂X_kl = δ_ik (X_ij - c_j) δ_jl + δ_ik X_ij δ_jl"),
])
def test_broadcast_operands_carry_their_own_indices(source, expected):
    d = _derivative(source, "X")
    assert str(d) == expected
    program = matcalc.parse(source)
    env = random_env(program, seed=3)
    again = matcalc.evaluate(source.rsplit("\n", 1)[0] + "\n" + str(d), env)
    np.testing.assert_allclose(again, d.evaluate(env), rtol=1e-10, atol=1e-12)


def test_hessian_through_a_row_wise_softmax_reads_back():
    # found by the fuzzer: the Hessian of sum(logsumexp(softmax(A))) holds a column broadcast along
    # the rows of a matrix; its entry is (…)_i, not (…)_ij
    source = "A : n x m\nsum(logsumexp(softmax(A)))"
    program = matcalc.parse(source)
    h = matcalc.hessian(program, "A")
    env = random_env(program, seed=4)
    again = matcalc.evaluate("A : n x m\n" + str(h), env)
    np.testing.assert_allclose(again, h.evaluate(env), rtol=1e-9, atol=1e-12)
