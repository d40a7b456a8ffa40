"""Numeric evaluation: every node class against numpy written out by hand."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np
import pytest

import matcalc
import matcalc.core.dims
from matcalc import EvaluationError, MatcalcError, evaluate, evaluate_expr
from matcalc.core.nodes import NODE_CLASSES, Func, Neg, Number, Symbol, Transpose, walk

N, M = 3, 4  # distinct dims: n = 3, m = 4


def data(seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(N, N))
    return {
        "W": rng.normal(size=(N, M)),
        "V": rng.normal(size=(M, N)),
        "A": rng.normal(size=(N, N)),
        "X": B @ B.T + N * np.eye(N),  # symmetric positive definite
        "x": rng.normal(size=M),
        "z": rng.uniform(0.5, 2.0, size=M),  # positive, for division and powers
        "b": rng.normal(size=N),
        "u": rng.normal(size=N),
        "y": rng.normal(size=N),
        "c": 1.7,
        "f": np.tanh,
        "f'": lambda t: 1 - np.tanh(t) ** 2,
        "f''": lambda t: -2 * np.tanh(t) * (1 - np.tanh(t) ** 2),
    }


@dataclass
class Case:
    name: str
    source: str
    expected: Callable[[dict], object]


def sigmoid(t):
    return 1 / (1 + np.exp(-t))


CASES = [
    Case("mlp_layer", "u^T tanh(W x + b)", lambda e: e["u"] @ np.tanh(e["W"] @ e["x"] + e["b"])),
    Case("generic_function", "u^T f(W x + b)", lambda e: e["u"] @ np.tanh(e["W"] @ e["x"] + e["b"])),
    Case("generic_derivative", "u^T f'(W x + b)",
         lambda e: e["u"] @ (1 - np.tanh(e["W"] @ e["x"] + e["b"]) ** 2)),
    Case("generic_second_derivative", "sum(f''(x))",
         lambda e: np.sum(-2 * np.tanh(e["x"]) * (1 - np.tanh(e["x"]) ** 2))),
    Case("neg", "-W x", lambda e: -(e["W"] @ e["x"])),
    Case("number_broadcasts", "x + 2", lambda e: e["x"] + 2.0),
    Case("identity", "y^T (A + I) y", lambda e: e["y"] @ (e["A"] + np.eye(N)) @ e["y"]),
    Case("ones_integer_dim", "x^T ones(4)", lambda e: np.sum(e["x"])),
    Case("ones_from_one_transposed", "1^T x", lambda e: np.sum(e["x"])),
    Case("transpose_matrix", "W^T u", lambda e: e["W"].T @ e["u"]),
    Case("outer_product", "x b^T", lambda e: np.outer(e["x"], e["b"])),
    Case("inner_product", "x^T z", lambda e: e["x"] @ e["z"]),
    Case("transpose_then_matrix", "u^T W", lambda e: (e["u"] @ e["W"]).reshape(1, M)),
    Case("inverse", "X^{-1} y", lambda e: np.linalg.solve(e["X"], e["y"])),
    Case("inv_spelling", "tr(inv(X) A)", lambda e: np.trace(np.linalg.inv(e["X"]) @ e["A"])),
    Case("sum", "sum(W)", lambda e: e["W"].sum()),
    Case("norm_vector", "norm(x)", lambda e: np.sqrt(np.sum(e["x"] ** 2))),
    Case("norm_matrix", "‖W‖", lambda e: np.sqrt(np.sum(e["W"] ** 2))),
    Case("trace", "tr(A X)", lambda e: sum(e["A"][i, j] * e["X"][j, i] for i in range(N) for j in range(N))),
    Case("det", "det(A)", lambda e: np.linalg.det(e["A"])),
    Case("logdet", "logdet(X)", lambda e: np.log(np.linalg.det(e["X"]))),
    Case("diag", "diag(y) A", lambda e: e["y"][:, None] * e["A"]),
    Case("diag_part", "diag(A)", lambda e: np.array([e["A"][i, i] for i in range(N)])),
    Case("softmax", "softmax(y)", lambda e: np.exp(e["y"]) / np.sum(np.exp(e["y"]))),
    Case("logsoftmax", "logsoftmax(y)", lambda e: e["y"] - np.log(np.sum(np.exp(e["y"])))),
    Case("named_functions", "exp(x) + log(z) + sin(x) + cos(x) + sqrt(z) + abs(x) + relu(x) + σ(x)",
         lambda e: np.exp(e["x"]) + np.log(e["z"]) + np.sin(e["x"]) + np.cos(e["x"]) + np.sqrt(e["z"])
         + np.abs(e["x"]) + np.maximum(e["x"], 0) + sigmoid(e["x"])),
    Case("softplus", "softplus(x)", lambda e: np.log(1 + np.exp(e["x"]))),
    Case("div", "W x / 2", lambda e: e["W"] @ e["x"] / 2),
    Case("div_by_scalar_symbol", "x / c", lambda e: e["x"] / e["c"]),
    Case("elemdiv", "x ./ z", lambda e: e["x"] / e["z"]),
    Case("power", "c^3 + c^{1/2}", lambda e: e["c"] ** 3 + np.sqrt(e["c"])),
    Case("elem_power", "z .^ 3", lambda e: e["z"] ** 3),
    Case("elem_power_fraction", "sum(z .^ 0.5)", lambda e: np.sum(np.sqrt(e["z"]))),
    Case("scale", "c W", lambda e: e["c"] * e["W"]),
    Case("scale_inner_product", "(x^T z) W x", lambda e: (e["x"] @ e["z"]) * (e["W"] @ e["x"])),
    Case("max", "max(x, z)", lambda e: np.where(e["x"] > e["z"], e["x"], e["z"])),
    Case("min", "min(x, 0)", lambda e: np.where(e["x"] < 0, e["x"], 0.0)),
    Case("add_scalar_broadcast", "W + c", lambda e: e["W"] + e["c"]),
    Case("matmul_chain", "u^T A X y", lambda e: e["u"] @ e["A"] @ e["X"] @ e["y"]),
    Case("hadamard", "x ⊙ z .* x", lambda e: e["x"] * e["z"] * e["x"]),
    Case("quadratic_form", "1/2 y^T X y - b^T y",
         lambda e: 0.5 * e["y"] @ e["X"] @ e["y"] - e["b"] @ e["y"]),
    Case("gram", "W^T W", lambda e: e["W"].T @ e["W"]),
    Case("definitions", "z1 = W x + b\nh = tanh(z1)\nu^T h + sum(h)",
         lambda e: e["u"] @ np.tanh(e["W"] @ e["x"] + e["b"]) + np.sum(np.tanh(e["W"] @ e["x"] + e["b"]))),
    # batches and reductions (issue 12): the sizes n = 3, m = 4 of W
    Case("size_of_a_dim", "W : n x m; sum(W) / (n m) + 1/m", lambda e: np.mean(e["W"]) + 1 / M),
    Case("mean_var", "mean(x) + var(x)", lambda e: np.mean(e["x"]) + np.var(e["x"])),
    Case("largest_smallest", "max(W) - min(x)", lambda e: np.max(e["W"]) - np.min(e["x"])),
    Case("argmax", "argmax(W) + argmin(x)^T ones(m)",
         lambda e: (e["W"] == e["W"].max()) * 1.0 + np.sum(e["x"] == e["x"].min())),
    Case("row_and_column_sums", "rowsum(W)^T u + sum(W, 1) x + colsum(W) x + sum(W, 2)^T u",
         lambda e: 2 * e["W"].sum(axis=1) @ e["u"] + 2 * e["W"].sum(axis=0) @ e["x"]),
    Case("broadcast_row_and_column", "W : n x m; b : n; W V + b - u^T",  # a column spreads over declared sizes
         lambda e: e["W"] @ e["V"] + e["b"][:, None] - e["u"][None, :]),
    Case("softmax_rows", "softmax(W V) + logsoftmax(A)^T",
         lambda e: np.exp(e["W"] @ e["V"]) / np.exp(e["W"] @ e["V"]).sum(axis=1, keepdims=True)
         + (e["A"] - np.log(np.exp(e["A"]).sum(axis=1, keepdims=True))).T),
    Case("logsumexp_rows", "logsumexp(W)", lambda e: np.log(np.exp(e["W"]).sum(axis=1))),
    Case("matrix_powers", "tr(A^3) + y^T X^{-2} y + sum(A^0) + sum(A^1)",
         lambda e: np.trace(e["A"] @ e["A"] @ e["A"]) + e["y"] @ np.linalg.inv(e["X"] @ e["X"]) @ e["y"]
         + N + np.sum(e["A"])),
    Case("vec_unvec", "W : n x m; vec(W)^T vec(W) + sum(unvec(vec(W), n, m) ⊙ W)",
         lambda e: 2 * np.sum(e["W"] ** 2)),
    Case("vec_stacks_columns", "W : n x m; vec(W)", lambda e: e["W"].T.reshape(-1)),
    Case("kron", "W : n x m; A : n x n; kron(W, A) + 0", lambda e: np.kron(e["W"], e["A"])),
    Case("kron_vectors", "x : m; b : n; x ⊗ b", lambda e: np.kron(e["x"], e["b"])),
    Case("kron_adjoints", "W : n x m; A : n x n; sum(kronleft(W ⊗ A, A)) + sum(kronright(W, W ⊗ A))",
         lambda e: np.sum(e["W"]) * np.sum(e["A"] ** 2) + np.sum(e["W"] ** 2) * np.sum(e["A"])),
    Case("concatenation", "W : n x m; [W, b] + [b, W]",
         lambda e: np.hstack([e["W"], e["b"][:, None]]) + np.hstack([e["b"][:, None], e["W"]])),
    Case("vcat_vectors", "[x; b; c]", lambda e: np.concatenate([e["x"], e["b"], [e["c"]]])),
    Case("blocks", "W : n x m; sum(rows(W, 2, 3)) + padrows(cols(W, 1, 1)^T, 2, 2)",
         lambda e: np.sum(e["W"][1:3]) + np.vstack([np.zeros(N), e["W"][:, 0]])),
    Case("padcols", "W : n x m; padcols(W, 2, m + 1) + 0", lambda e: np.hstack([np.zeros((N, 1)), e["W"]])),
    Case("last_definition_is_the_function", "a1 = W x; s = u^T a1", lambda e: e["u"] @ e["W"] @ e["x"]),
    # index notation: Σ_a V_ia W_aj x_k + δ_jk (V b)_i, by einsum written here; a sized zero
    Case("index_notation", "∂F_ij/∂x_k = Σ_a V_ia W_aj x_k + δ_jk (V b)_i",
         lambda e: np.einsum("ia,aj,k->ijk", e["V"], e["W"], e["x"]) + np.einsum("jk,i->ijk", np.eye(M), e["V"] @ e["b"])),
    Case("sized_zero", "max(x, 0_{m})", lambda e: np.maximum(e["x"], 0.0)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_value_matches_numpy(case):
    env = data()
    got = evaluate(case.source, env)
    want = np.asarray(case.expected(env), dtype=float)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_every_node_class_has_a_case():
    covered = {type(node) for case in CASES for node in walk(_typed(case.source))}
    for e in _typed_definitions():
        covered |= {type(node) for node in walk(e)}
    missing = [cls.__name__ for cls in NODE_CLASSES if cls not in covered]
    assert not missing


def _typed(source):
    kinds = {k: np.ndim(v) for k, v in data().items() if not callable(v)}
    return matcalc.language.typecheck.typecheck(matcalc.language.parse.parse_statements(source), source, kinds=kinds).expr


def _typed_definitions():
    kinds = {k: np.ndim(v) for k, v in data().items() if not callable(v)}
    for case in CASES:
        prog = matcalc.language.typecheck.typecheck(matcalc.language.parse.parse_statements(case.source), case.source, kinds=kinds)
        yield from prog.definitions.values()


# ---------------------------------------------------------------- representation

def test_scalars_are_floats_vectors_1d_matrices_2d():
    env = data()
    s = evaluate("u^T W x", env)
    assert isinstance(s, float) and np.ndim(s) == 0
    assert evaluate("W x", env).shape == (N,)
    assert evaluate("W", env).shape == (N, M)
    assert evaluate("x^T", env).shape == (1, M)


def test_row_vector_declared_and_given_1d_or_2d():
    env = data()
    r = np.arange(1.0, M + 1)
    for given in (r, r.reshape(1, M), list(r)):
        got = evaluate("r : 1 x m; r x", {**env, "r": given})
        assert got == pytest.approx(r @ env["x"])
    assert evaluate("r : 1 x m; r^T", {"r": r}).shape == (M,)


def test_transpose_of_a_matrix_that_happens_to_be_one_row():
    # W is n x m with n = 1 at run time: W^T stays a matrix (m x 1), V is m x n
    W = np.array([[1.0, 2.0, 3.0, 4.0]])
    V = np.array([[10.0], [20.0], [30.0], [40.0]])
    got = evaluate("W^T + V", {"W": W, "V": V})
    np.testing.assert_array_equal(got, W.T + V)


def test_lists_and_ints_are_converted():
    got = evaluate("W x", {"W": [[1, 2], [3, 4], [5, 6]], "x": [1, -1]})
    np.testing.assert_array_equal(got, np.array([-1.0, -1.0, -1.0]))
    assert got.dtype == np.float64


def test_env_scalars_make_lower_case_names_scalar():
    assert evaluate("(x + y) * max(y, z)", {"x": -2, "y": 5, "z": -4}) == 15


def test_env_arrays_override_the_naming_convention():
    # upper-case V given as a vector, Greek λ given as a vector
    env = {"V": np.array([1.0, 2.0, 3.0]), "λ": np.array([2.0, 0.5, -1.0])}
    assert evaluate("V^T λ", env) == pytest.approx(2.0 + 1.0 - 3.0)


def test_program_object_is_accepted():
    env = data()
    prog = matcalc.parse("u^T tanh(W x + b)")
    assert evaluate(prog, env) == pytest.approx(env["u"] @ np.tanh(env["W"] @ env["x"] + env["b"]))


def test_identity_size_from_env_when_no_array_shows_it():
    assert evaluate("tr(I)", {"n": 5}) == 5.0


# ---------------------------------------------------------------- evaluate_expr

def test_evaluate_expr_named_derivatives():
    x = data()["x"]
    shapes = {"x": (matcalc.core.dims.dim("m"),)}
    np.testing.assert_allclose(evaluate_expr(Func("tanh", Symbol("x"), 1), shapes, {"x": x}),
                               1 - np.tanh(x) ** 2, rtol=1e-12)
    np.testing.assert_allclose(evaluate_expr(Func("sigmoid", Symbol("x"), 1), shapes, {"x": x}),
                               sigmoid(x) * (1 - sigmoid(x)), rtol=1e-12)


def test_evaluate_expr_with_definitions_and_shared_memo():
    calls = []

    def f(t):
        calls.append(t.shape)
        return np.exp(t)

    env = {**data(), "f": f}
    prog = matcalc.parse("h = f(W x)\nu^T h + sum(h) + h^T h")
    got = evaluate_expr(prog.expr, prog.shapes, env, prog.definitions)
    h = np.exp(env["W"] @ env["x"])
    assert got == pytest.approx(env["u"] @ h + h.sum() + h @ h)
    assert calls == [(N,)]  # the placeholder is computed once


def test_evaluate_expr_deep_tree_is_iterative():
    e = Symbol("x")
    for _ in range(5001):
        e = Neg(e)
    x = np.array([1.0, -2.0])
    got = evaluate_expr(e, {"x": (matcalc.core.dims.dim("n"),)}, {"x": x})
    np.testing.assert_array_equal(got, -x)


def test_evaluate_expr_transpose_of_row_is_vector():
    shapes = {"x": (matcalc.core.dims.dim("n"),)}
    x = np.array([1.0, 2.0, 3.0])
    row = evaluate_expr(Transpose(Symbol("x")), shapes, {"x": x})
    assert row.shape == (1, 3)
    back = evaluate_expr(Transpose(Transpose(Symbol("x"))), shapes, {"x": x})
    assert back.shape == (3,)
    assert evaluate_expr(Number(Fraction(3, 4)), {}, {}) == 0.75


# ---------------------------------------------------------------- errors

def test_dims_conflict_names_both_sides():
    env = {**data(), "x": np.ones(5)}
    with pytest.raises(EvaluationError) as err:
        evaluate("u^T f(W x + b)", env)
    assert "W is 3 x 4 (so m = 4) but x has 5 entries" in str(err.value)


def test_dims_conflict_between_rows_and_entries():
    env = {**data(), "b": np.ones(2)}
    with pytest.raises(EvaluationError) as err:
        evaluate("u^T f(W x + b)", env)
    assert "u has 3 entries (so n = 3) but b has 2 entries" in str(err.value)


def test_square_matrix_given_rectangular():
    with pytest.raises(EvaluationError) as err:
        evaluate("tr(A)", {"A": np.ones((3, 4))})
    assert "A is 3 x 4 (so n = 3) but A has 4 columns" in str(err.value)


def test_declared_integer_dim_checked():
    with pytest.raises(EvaluationError) as err:
        evaluate("x : 3; sum(x)", {"x": np.ones(4)})
    assert "x has 4 entries" in str(err.value) and "3" in str(err.value)


def test_missing_symbols_listed_with_shapes():
    env = {"W": data()["W"], "u": data()["u"], "f": np.tanh}
    with pytest.raises(EvaluationError) as err:
        evaluate("u^T f(W x + b)", env)
    message = str(err.value)
    assert "x (a vector (m))" in message and "b (a vector (n))" in message


def test_wrong_rank_matrix_for_vector():
    prog = matcalc.parse("W x")
    with pytest.raises(EvaluationError) as err:
        evaluate(prog, {"W": np.ones((3, 4)), "x": np.ones((4, 2))})
    assert "x is a vector (m)" in str(err.value) and "(4, 2)" in str(err.value)


def test_wrong_rank_scalar_for_matrix():
    with pytest.raises(EvaluationError) as err:
        evaluate("W : n x m; sum(W)", {"W": 2.0})
    assert "W is n x m" in str(err.value)


def test_too_many_axes():
    with pytest.raises(EvaluationError):
        evaluate(matcalc.parse("sum(W)"), {"W": np.ones((2, 3, 4))})


def test_non_numeric_value():
    with pytest.raises(EvaluationError) as err:
        evaluate(matcalc.parse("sum(x)"), {"x": "abc"})
    assert "env['x']" in str(err.value)


def test_missing_generic_function_says_what_to_pass():
    env = {k: v for k, v in data().items() if k != "f"}
    with pytest.raises(EvaluationError) as err:
        evaluate("u^T f(W x + b)", env)
    assert "generic function f" in str(err.value) and "env['f']" in str(err.value)


def test_missing_generic_derivative_says_what_to_pass():
    env = {k: v for k, v in data().items() if k != "f'"}
    with pytest.raises(EvaluationError) as err:
        evaluate("u^T f'(W x + b)", env)
    assert "env[\"f'\"]" in str(err.value)


def test_non_callable_function():
    with pytest.raises(EvaluationError) as err:
        evaluate("sum(f(x))", {"x": np.ones(3), "f": 3.0})
    assert "callable" in str(err.value)


def test_callable_that_raises_is_wrapped():
    def bad(t):
        raise RuntimeError("boom")

    with pytest.raises(EvaluationError) as err:
        evaluate("sum(f(x))", {"x": np.ones(3), "f": bad})
    assert "boom" in str(err.value)


def test_callable_that_is_not_elementwise():
    with pytest.raises(EvaluationError) as err:
        evaluate("sum(f(x))", {"x": np.ones(3), "f": np.sum})
    assert "elementwise" in str(err.value)


def test_singular_inverse():
    with pytest.raises(EvaluationError) as err:
        evaluate("X^{-1} y", {"X": np.ones((2, 2)), "y": np.ones(2)})
    assert "singular" in str(err.value)


def test_errors_are_matcalc_errors_with_caret():
    with pytest.raises(MatcalcError) as err:
        evaluate("u^T f(W x + b)", {**data(), "x": np.ones(5)})
    assert "^" in str(err.value).splitlines()[-1]


# ---------------------------------------------------------------- stability

@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_softmax_of_large_inputs_is_finite(no_warnings):
    x = data()["x"]
    got = evaluate("softmax(1000 x)", {"x": x})
    shifted = 1000 * x - np.max(1000 * x)
    want = np.exp(shifted) / np.sum(np.exp(shifted))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    assert got.sum() == pytest.approx(1.0)


def test_logsoftmax_of_large_inputs_is_finite(no_warnings):
    x = np.array([1000.0, 0.0, -1000.0])
    got = evaluate("logsoftmax(x)", {"x": x})
    np.testing.assert_allclose(got, [0.0, -1000.0, -2000.0], rtol=1e-12)


def test_sigmoid_and_softplus_saturate(no_warnings):
    x = np.array([800.0, -800.0])
    np.testing.assert_array_equal(evaluate("σ(x)", {"x": x}), [1.0, 0.0])
    np.testing.assert_allclose(evaluate("softplus(x)", {"x": x}), [800.0, 0.0], atol=1e-300)


def test_inf_and_nan_are_values_not_warnings(no_warnings):
    assert np.isnan(evaluate("logdet(X)", {"X": np.diag([1.0, -2.0])}))
    assert evaluate("logdet(X)", {"X": np.zeros((2, 2))}) == -np.inf
    got = evaluate("log(x)", {"x": np.array([0.0, -1.0, 1.0])})
    assert got[0] == -np.inf and np.isnan(got[1]) and got[2] == 0.0
    assert evaluate("x ./ z", {"x": np.ones(2), "z": np.zeros(2)})[0] == np.inf
