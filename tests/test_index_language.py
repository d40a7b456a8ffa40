"""Index notation is part of the language (issue 12): every tensor result reads back and becomes code.

Every generalized Jacobian and Hessian by a matrix of the suite (the cases of test_indices.py and
more) is printed, read back by matcalc.parse (with the program's declarations, and alone), and
evaluated to the same array as the engine's; compiled (np.einsum) and compared with central
differences of the function at random points with distinct dims. Zeros keep their shape.
Expected values are by hand (einsum) or by central differences, never copied from output.
"""
from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.calculus.numeric import random_env
from matcalc.core.nodes import Delta, Entry, IndexSum, Symbol, Tensor, Zeros, walk
from matcalc.language.printing import declarations
from matcalc.views import codegen

from test_indices import AGREE, EXACT

EXTRA = [
    ("x : 1 x n; W : n x m; x W", "x", "any"),             # a row by a row
    ("r : 1 x n; t1 = r^T; t1 - t1", "r", "any"),          # a zero tensor keeps its shape
    ("G : k x m; K : n x k; (K G)^T", "G", "any"),         # a user symbol named G
    ("a a^T a a^T", "a", "any"),                            # Σ letters avoid symbol names
    ("z = W x; h = tanh(z); V h", "W", "any"),              # placeholders stay named
    ("W : n x m; r : 1 x n; x : n; t1 = r x; 2 t1 + W", "r", "any"),  # F_ij = 2 r x + W_ij: F : n x m says i, j
]
HESSIANS = ["tr(X^T X X)", "‖X‖^2", "u^T X v", "sum(exp(X))", "logdet(X)"]
CASES = [(s, w, "any") for s, w, _ in EXACT] + list(AGREE) + EXTRA
IDS = [f"{s} by {w}" for s, w, _ in CASES]


def _derived(source: str, wrt: str, hessian: bool = False):
    program = matcalc.parse(source)
    d = matcalc.hessian(program, wrt) if hessian else matcalc.derive(program, wrt)
    assert d.kind == "tensor", (source, d.kind)
    return program, d


def _declared(program) -> str:
    return "\n".join(declarations(program.shapes, list(program.shapes)))


def _domain(source: str, domain: str) -> str:
    return "spd" if "logdet" in source or "^{-1}" in source or "det" in source else domain


# ---------------------------------------------------------------- text → parse → evaluate

def _reads_back(program, d, domain):
    for seed in (0, 1):
        env = random_env(program, seed=seed, domain=domain)
        expected = d.evaluate(env)
        again = matcalc.parse(_declared(program) + "\n" + str(d))
        assert isinstance(again.expr, Tensor)
        np.testing.assert_allclose(matcalc.evaluate(again, env), expected, rtol=1e-10, atol=1e-12)
        # alone, without declarations: the conventions and the indices say the shapes
        alone = matcalc.parse(str(d))
        t = alone.expr  # a first line F : n x m names the dims it states
        stated = {str(x) for x in t.dims[:t.split]} if str(d).startswith(f"{t.function} : ") else set()
        inputs = {k: v for k, v in env.items() if k in program.variables or callable(v) or k in stated}
        np.testing.assert_allclose(matcalc.evaluate(alone, inputs), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("source, wrt, domain", CASES, ids=IDS)
def test_every_tensor_result_reads_back_to_the_same_array(source, wrt, domain):
    program, d = _derived(source, wrt)
    _reads_back(program, d, domain)


@pytest.mark.parametrize("source", HESSIANS)
def test_every_hessian_by_a_matrix_reads_back(source):
    program, d = _derived(source, "X", hessian=True)
    assert str(d).startswith("∂²s/∂X_ij ∂X_kl = ")
    _reads_back(program, d, _domain(source, "any"))


@pytest.mark.parametrize("source, wrt, domain", CASES, ids=IDS)
def test_every_tensor_result_is_a_claim_verify_accepts(source, wrt, domain):
    v = matcalc.verify(source, wrt, str(d := _derived(source, wrt)[1]))
    assert v.ok, (str(d), v.message)


# ---------------------------------------------------------------- code, against central differences

def _central(program, wrt: str, env: dict, h: float = 1e-6):
    """∂F/∂V by central differences: F's shape then V's."""
    base = np.asarray(matcalc.evaluate(program, env), dtype=float)
    v0 = np.asarray(env[wrt], dtype=float)
    out = np.zeros(base.shape + v0.shape)
    for k in np.ndindex(*v0.shape):
        e = np.zeros_like(v0)
        e[k] = h
        plus = np.asarray(matcalc.evaluate(program, {**env, wrt: v0 + e}), dtype=float)
        minus = np.asarray(matcalc.evaluate(program, {**env, wrt: v0 - e}), dtype=float)
        out[(...,) + k] = (plus - minus) / (2 * h)
    return out


def _compiled(d, env):
    generated = codegen.generate(d.program, d)
    fn = codegen.compile_source(generated)
    back = {codegen.safe_name(k): k for k in env if isinstance(k, str) and "'" not in k}
    args = []
    for p in generated.parameters:
        if p in generated.function_parameters:
            base, _, order = p.partition("_prime")
            args.append(env[back[base] + "'" * (int(order or 1) if "_prime" in p else 0)])
        else:
            args.append(env[back[p]])
    return fn(*args)


@pytest.mark.parametrize("source, wrt, domain", CASES, ids=IDS)
def test_every_tensor_result_compiles_and_agrees_with_central_differences(source, wrt, domain):
    program, d = _derived(source, wrt)
    env = random_env(program, seed=5, domain=domain)
    sizes = {k: v for k, v in env.items() if isinstance(v, int)}
    assert len(set(sizes.values())) == len(sizes)  # distinct dims
    value, got = _compiled(d, env)
    expected = _central(program, wrt, env)
    assert got.shape == d.evaluate(env).shape
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value, matcalc.evaluate(program, env), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("source", HESSIANS)
def test_every_hessian_by_a_matrix_compiles_and_agrees_with_central_differences(source):
    program, d = _derived(source, "X", hessian=True)
    env = random_env(program, seed=2, domain=_domain(source, "any"))
    _, got = _compiled(d, env)
    gradient = matcalc.derive(program, "X")
    X, h = env["X"], 1e-6
    expected = np.zeros(X.shape + X.shape)
    for k in np.ndindex(*X.shape):
        e = np.zeros_like(X)
        e[k] = h
        expected[(...,) + k] = (gradient.evaluate({**env, "X": X + e}) - gradient.evaluate({**env, "X": X - e})) / (2 * h)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- the language itself

def test_the_spec_example_reads_as_nodes():
    program = matcalc.parse("x : n; ∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk")
    t = program.expr
    assert isinstance(t, Tensor) and t.indices == ("i", "j", "k") and t.dims == ("n", "n", "n")
    kinds = {type(n) for n in walk(t)}
    assert {Entry, Delta} <= kinds
    x = np.array([1.0, 2.0, -1.0])
    eye = np.eye(3)
    expected = np.einsum("ik,j->ijk", eye, x) + np.einsum("i,jk->ijk", x, eye)
    np.testing.assert_allclose(matcalc.evaluate(program, {"x": x}), expected)


def test_entries_of_expressions_sums_and_their_text():
    source = "A : n x m; X : m x p; B : p x q; ∂F_ij/∂X_kl = Σ_a (A X)_ia B_aj A_ik + tanh(A X B)_ij (B^T)_jl"
    program = matcalc.parse(source)
    assert any(isinstance(n, IndexSum) for n in walk(program.expr))
    text = str(matcalc.language.printing.text(program.expr))
    again = matcalc.parse("A : n x m; X : m x p; B : p x q\n" + text)
    assert again.expr == program.expr


def test_indices_the_body_leaves_out_range_over_the_functions_declared_shape():
    d = matcalc.derive("W : n x m; r : 1 x n; x : n; t1 = r x; 2 t1 + W", "r")
    assert str(d) == "F : n x m\n∂F_ij/∂r_1k = 2 x_k"  # ∂(2 r x + W_ij)/∂r_1k = 2 x_k for every i, j
    again = matcalc.parse("x : n\n" + str(d))
    assert again.expr.dims == ("n", "m", 1, "n") and "F" not in again.shapes


def test_a_tensor_that_is_one_matrix_is_said_in_matrix_notation():
    # F = x W (a row by a row): ∂F_1i/∂x_1k = W_ki, the Jacobian Wᵀ
    d = matcalc.derive("x : 1 x n; W : n x m; x W", "x")
    assert str(d) == "∂F_1i/∂x_1k = (W^T)_ik"
    W = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(d.evaluate({"x": np.ones((1, 2)), "W": W}), W.T.reshape(1, 3, 1, 2))


def test_a_declared_name_with_a_subscript_stays_a_name():
    # x_j declared: a scalar of its own, not the entry j of x
    program = matcalc.parse("x : n; x_j : scalar; ∂F_i/∂x_k = x_j δ_ik")
    assert Symbol("x_j") in set(walk(program.expr))
    env = {"x": np.ones(3), "x_j": 2.0}
    np.testing.assert_allclose(matcalc.evaluate(program, env), 2 * np.eye(3))


def test_kronecker_delta_and_the_backprop_temporaries_do_not_clash():
    # δ with two index letters is the Kronecker delta; δ with a number (δ_1, a temporary) is a name
    program = matcalc.parse("x : n; δ_1 = 2 x; ∂F_i/∂x_k = (δ_1)_i δ_ik")
    assert "δ_1" in program.definitions
    np.testing.assert_allclose(matcalc.evaluate(program, {"x": np.array([1.0, 3.0])}), np.diag([2.0, 6.0]))


@pytest.mark.parametrize("source, message", [
    ("x : n; ∂F_ij/∂x_k = x_ij", "takes 1 index, not 2"),
    ("x : n; ∂F_i/∂x_k = x_q", "neither on the left"),
    ("x : n; y : m; ∂F_i/∂x_k = x_i y_i", "ranges over"),
    ("x : n; ∂F_i/∂x_k = x_i Σ_a", "sums nothing"),
    ("x : n; ∂F_i/∂x_k = x", "every term is a number"),
    ("X : n x m; ∂F_i/∂X_k = X_ik", "takes 2 indices"),
    ("x : n; (x)_i", "stands only in a tensor"),             # never a silent non-value
    ("x : n; y = (x)_i; y", "stands only in a tensor"),
    ("0_{n x m x k}", "a tensor's"),
    ("0_{n x 2.5}", "a sized zero is"),
    ("∂²s/∂x_i ∂y_k = x_i", "one scalar by one variable twice"),
])
def test_bad_index_notation_is_a_clear_error(source, message):
    with pytest.raises(matcalc.MatcalcError, match=message):
        matcalc.parse(source)


def test_wrong_claims_in_index_notation_are_diagnosed():
    right = matcalc.verify("x x^T", "x", "∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk")
    assert right.ok
    sign = matcalc.verify("x x^T", "x", "∂F_ij/∂x_k = -δ_ik x_j - x_i δ_jk")
    assert not sign.ok and sign.reason == "sign"
    half = matcalc.verify("x x^T", "x", "∂F_ij/∂x_k = δ_ik x_j")
    assert not half.ok and half.reason == "value"
    plain = matcalc.verify("A X B", "X", "A B")
    assert not plain.ok and plain.reason == "shape" and "∂F_ij/∂X_kl = A_ik B_lj" in plain.message


# ---------------------------------------------------------------- zeros keep their shape

@pytest.mark.parametrize("source, wrt, text, shape", [
    ("Y : k x m; v : m; (Y + (-Y)) v", "v", "0_{k x m}", (4, 2)),
    ("x : n; y : n; x^T x", "y", "0_{n}", (3,)),
    ("y : n; t1 = y - y; t1", "y", "0_{n x n}", (3, 3)),
])
def test_a_zero_keeps_its_shape_in_text_latex_and_code(source, wrt, text, shape):
    d = matcalc.derive(source, wrt)
    assert str(d) == text
    assert r"\times" in d.latex() or len(shape) == 1
    program = matcalc.parse(source)
    sizes = {"k": 4, "m": 2, "n": 3}
    env = {name: np.ones(tuple(sizes[str(x)] for x in s)) for name, s in program.shapes.items()}
    again = matcalc.parse(_declared(program) + "\n" + str(d))
    assert isinstance(again.expr, Zeros)
    assert np.shape(matcalc.evaluate(again, env)) == shape
    assert np.shape(d.evaluate(env)) == shape
    _, got = _compiled(d, env)
    assert got.shape == shape and not got.any()


def test_a_zero_reads_from_latex_too():
    program = matcalc.parse(r"Y : k x m; Y + 0_{k \times m}")
    assert program.expr == Symbol("Y")  # a zero vanishes from a sum, as 0 does
    alone = matcalc.parse("k : scalar; 0_{3 x 2}")
    assert np.shape(matcalc.evaluate(alone, {"k": 1.0})) == (3, 2)


# ---------------------------------------------------------------- the summation convention

@pytest.mark.parametrize("written,summed", [
    ("∂s/∂x_k = y_a A_ak", "∂s/∂x_k = Σ_a y_a A_ak"),
    ("∂s/∂x_k = -y_a A_ak + x_k", "∂s/∂x_k = -(Σ_a y_a A_ak) + x_k"),
    ("∂F_ij/∂X_kl = δ_ik A_la B_aj", "∂F_ij/∂X_kl = δ_ik Σ_a A_la B_aj"),
])
def test_an_index_written_twice_in_a_term_is_summed(written, summed):
    decl = "A : m x p; B : p x q; X : n x m; x : m; y : n\n"
    decl = decl.replace("A : m x p", "A : n x m") if "∂s" in written else decl
    a, b = matcalc.parse(decl + written), matcalc.parse(decl + summed)
    env = random_env(a, seed=3)
    np.testing.assert_allclose(matcalc.evaluate(a, env), matcalc.evaluate(b, env), rtol=1e-12)


def test_the_convention_gives_the_textbook_gradient():
    src = "A : n x m; x : m; y : n\n∂s/∂x_k = y_a A_ak"
    env = random_env(matcalc.parse(src), seed=4)
    np.testing.assert_allclose(matcalc.evaluate(src, env), env["A"].T @ env["y"], rtol=1e-12)
    assert matcalc.verify("A : n x m; x : m; y : n\ns = y^T A x", "x", "∂s/∂x_k = y_a A_ak").ok


@pytest.mark.parametrize("body", ["y_a A_ak A_ak", "A_ak"])
def test_an_index_once_or_three_times_is_still_an_error(body):
    with pytest.raises(matcalc.ShapeError, match="neither on the left"):
        matcalc.parse(f"A : n x m; x : m; y : n\n∂s/∂x_k = {body}")
