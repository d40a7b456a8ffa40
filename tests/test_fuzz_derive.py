"""Differential fuzzing: derive, hessian and the text of every result against finite differences.

For each generated program (tests/programs.py), every variable in every layout, one variable
on its own, one placeholder held as an input, the Hessian of a scalar function, the re-read text
of each result and (when present) ``matcalc.verify`` of the engine's own answer must agree with
Richardson-extrapolated central differences of ``matcalc.evaluate``.

CI runs a few hundred examples (derandomized by the "ci" profile); ``pytest -m fuzz`` runs
10,000, as does ``python scripts/fuzz.py --n 10000``. Failures that match a KNOWN_BUGS entry are
counted, not failed, so the fuzzer keeps looking for new bugs; each known bug has an
``xfail(strict=True)`` regression test below that flips when it is fixed. Expected values in the
regression tests are written from the math, not copied from output.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import matcalc
from matcalc.calculus.numeric import random_env

from programs import KnownBug, check_program, programs, random_programs

CI_EXAMPLES = 300
LONG_EXAMPLES = 10_000


def _run(gp, seed):
    try:
        checked = check_program(gp, seed)
    except KnownBug as bug:
        event(f"known bug: {bug.key}")
        return
    event("checked" if checked else "no usable point")


@settings(max_examples=CI_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs(), st.integers(0, 10_000))
def test_derivatives_agree_with_finite_differences(gp, seed):
    _run(gp, seed)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs(max_depth=4, outputs=((),)), st.integers(0, 10_000))
def test_deeper_scalar_programs(gp, seed):
    _run(gp, seed)


@pytest.mark.fuzz
@settings(max_examples=LONG_EXAMPLES, deadline=None, derandomize=False, database=None,
          suppress_health_check=list(HealthCheck))
@given(programs(), st.integers(0, 10_000))
def test_long_run(gp, seed):
    _run(gp, seed)


# ---------------------------------------------------------------- the generator itself

@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs())
def test_generated_programs_type_with_their_declared_shapes(gp):
    try:
        program = matcalc.parse(gp.text)
    except matcalc.ShapeError as error:  # KNOWN_BUGS["one-identity"]
        assert "I" in str(error)
        return
    expected = tuple(gp.output)
    got = tuple("1" if str(d) == "1" else str(d) for d in program.shape(program.expr))
    if expected == ("1", "n"):
        assert got == ("1", "n")
    else:
        assert got == expected
    for name, shape in gp.declarations.items():
        want = () if shape == "scalar" else tuple(shape.split(" x "))
        assert tuple(str(d) for d in program.shapes[name]) == want


def test_the_generator_reaches_every_operation():
    """Over 2,000 programs every function and operator of SPEC §1 appears.

    Drawn by a seeded ``random.Random`` through the same builder as the hypothesis strategy, so the
    count is the same in every test order and process (2,000 derandomized hypothesis draws were not:
    one CI run in two saw ``^{-T}`` once, the next not at all)."""
    seen = {gp.text for gp in random_programs(seed=12, count=2000)}
    text = "\n".join(seen)
    assert len(seen) > 500, len(seen)
    for op in ("exp(", "log(", "sin(", "cos(", "tanh(", "sigmoid(", "relu(", "softplus(", "sqrt(", "abs(",
               "σ(", "sum(", "norm(", "‖", "tr(", "det(", "logdet(", "diag(", "inv(", "softmax(", "logsoftmax(",
               "max(", "min(", "f(", "^{-1}", "^-1", "^{-T}", ".^", "./", "⊙", ".*", "\\odot", "^T", "'",
               "^⊤", " / ", " * ", " - ", "+ I", "t1 = ", "s = "):
        assert op in text, op


# ---------------------------------------------------------------- known bugs (xfail until fixed)

def _env(text, seed=0, domain="any"):
    return random_env(matcalc.parse(text), seed, domain)


def test_min_of_a_scalar_with_itself_has_derivative_one():
    text = "α : scalar; min(α, α)"
    d = matcalc.derive(text, "α")
    assert float(d.evaluate({"α": 0.3})) == pytest.approx(1.0)  # min(α, α) = α


def test_nested_min_where_the_inner_branch_ties():
    text = "x : n; y : n; min(x, min(x, y))"  # = min(x, y); where x < y its Jacobian is I
    d = matcalc.derive(text, "x")
    value = d.evaluate({"x": np.array([0.0, 1.0]), "y": np.array([1.0, 2.0])})
    np.testing.assert_allclose(value, np.eye(2))


def test_max_of_a_vector_with_itself():
    d = matcalc.derive("y : n; max(y, y)", "y")  # = y, Jacobian I
    np.testing.assert_allclose(d.evaluate({"y": np.array([1.0, -2.0, 3.0])}), np.eye(3))


def test_diag_of_a_hadamard_with_a_zero_difference():
    d = matcalc.derive("A : n x n; B : n x n; diag((B - B) ⊙ A)", "A")  # identically 0
    value = np.asarray(d.evaluate({"A": np.eye(3), "B": np.ones((3, 3))}))
    assert not value.any()


def test_tensor_of_a_difference_that_cancels():
    d = matcalc.derive("r : 1 x n; t1 = r^T; t1 - t1", "r")
    value = np.asarray(d.evaluate({"r": np.ones((1, 3))}))
    assert value.size == 9 and not value.any()  # ∂F/∂r: n x (1 x n), all zero


def test_a_zero_gradient_has_the_shape_of_its_variable():
    d = matcalc.derive("x : n; y : n; x^T x", "y")
    assert d.shape == ("n",)
    assert np.shape(d.evaluate({"x": np.ones(3), "y": np.ones(3)})) == (3,)


def test_a_zero_jacobian_is_not_a_placeholder():
    d = matcalc.derive("y : n; t1 = y - y; t1", "y")
    assert d.shape == ("n", "n")
    assert np.shape(d.evaluate({"y": np.ones(3)})) == (3, 3)


def test_a_tensor_derivative_with_a_user_symbol_named_G():
    text = "G : k x m; K : n x k; (K G)^T"  # F = Gᵀ Kᵀ (m x n): F_ij = Σ_a G_ai K_ja
    d = matcalc.derive(text, "G")
    rng = np.random.default_rng(0)
    G, K = rng.standard_normal((2, 3)), rng.standard_normal((4, 2))
    # ∂F_ij/∂G_kl = δ_il K_jk
    expected = np.einsum("il,jk->ijkl", np.eye(3), K)
    np.testing.assert_allclose(d.evaluate({"G": G, "K": K}), expected)


def test_two_identities_of_different_sizes():
    text = "A : n x n; B : m x m; tr(A + I) + tr(B + I)"
    d = matcalc.derive(text, "B")
    np.testing.assert_allclose(d.evaluate({"A": np.eye(2), "B": np.eye(3)}), np.eye(3))  # ∂ tr(B)/∂B = I


def test_ones_of_one_in_a_product():
    try:
        matcalc.parse("x : n; x ones(1)^T")  # x times the 1 x 1 matrix [1]: x
    except matcalc.MatcalcError:
        pass


def test_gradient_wrt_a_row_reads_back():
    d = matcalc.derive("r : 1 x n; sum(r)", "r", layout="numerator")
    again = matcalc.evaluate("r : 1 x n\n" + str(d), {"r": np.ones((1, 3))})
    np.testing.assert_allclose(np.asarray(again).reshape(-1), np.ones(3))  # ∂ sum(r)/∂r: all ones


def test_verify_accepts_the_identity_as_a_jacobian():
    assert matcalc.verify("z : m; z", wrt="z", claim="I").ok


def test_a_constant_gradient_evaluates_with_the_programs_env():
    d = matcalc.derive("x : n; sum(x)", "x")
    np.testing.assert_allclose(d.evaluate({"x": np.ones(3)}), np.ones(3))


def test_trace_of_a_scalar_broadcast_into_a_matrix():
    d = matcalc.derive("B : n x n; β : scalar; tr(β + B)", "β")  # tr(β 1 1ᵀ + B) = n β + tr(B)
    assert float(d.evaluate({"B": np.eye(3), "β": 2.0})) == pytest.approx(3.0)


def test_a_broadcast_that_survives_a_cancellation():
    d = matcalc.derive("X : n x m; α : scalar; (α + X) - X", "α")  # F = α 1 1ᵀ: ∂F/∂α = 1 1ᵀ
    np.testing.assert_allclose(np.asarray(d.evaluate({"X": np.ones((2, 3)), "α": 2.0})).reshape(2, 3),
                               np.ones((2, 3)))


def test_zero_times_a_matrix():
    d = matcalc.derive("X : n x m; (0.5 - 1/2) X", "X")
    value = np.asarray(d.evaluate({"X": np.ones((2, 3))}))
    assert value.size == 36 and not value.any()


@pytest.mark.xfail(strict=True, reason="a bare I in a result's text does not say its size (the language has "
                                       "no I_m); d.evaluate knows it, the re-read text must be told")
def test_hessian_text_with_two_identities_reads_back_with_the_right_sizes():
    text = "x : n; z : m; z^T z + logdet(I + diag(exp(x)))"
    h = matcalc.hessian(text, "z")  # 2 I (m x m)
    env = {"x": np.zeros(2), "z": np.ones(4)}
    again = matcalc.evaluate("x : n\nz : m\n" + str(h) + " + 0 logdet(I + diag(exp(x)))", env)
    np.testing.assert_allclose(again, 2 * np.eye(4))


def test_an_inner_product_in_the_middle_of_a_product_is_a_scalar():
    program = matcalc.parse("r : 1 x n; y : n; z : m; r ((z^T z) y)")  # (zᵀz) · (r y): a scalar
    assert program.shape(program.expr) == ()


@pytest.mark.xfail(strict=True, reason="scalar quotients are not cancelled across powers of products: the "
                                       "Hessian keeps exp(det A)^3 / (m exp(det A))^4, inf / inf at det A = 400")
def test_a_hessian_with_a_cancellable_quotient_is_finite_where_the_function_is():
    # found by a non-CI hypothesis draw; the function is sum(z) / (m e^{det A}), finite (tiny) here
    h = matcalc.hessian("A : n x n; z : m; t2 = det(A); t3 = exp(t2); (sum(z) / m) / t3", "A")
    assert np.isfinite(h.evaluate({"A": 20 * np.eye(2), "z": np.ones(3)})).all()


@pytest.mark.xfail(strict=True, reason="the gradient of ‖c w‖ is c² w / ‖c w‖: 0/0 = nan at c = 0, where the "
                                       "function is identically 0")
def test_the_gradient_of_a_norm_that_is_identically_zero():
    d = matcalc.derive("w : k; t1 = min(0.5, 0); norm(t1 (w + w))", "w")
    np.testing.assert_allclose(d.evaluate({"w": np.ones(3)}), np.zeros(3))


def test_min_whose_branches_differ_by_a_broadcast_scalar():
    d = matcalc.derive("y : n; min(sum(y) - y, -y)", "y")
    # sum(y) = 6 > 0, so min picks -y everywhere: the Jacobian is -I
    np.testing.assert_allclose(d.evaluate({"y": np.array([1.0, 2.0, 3.0])}), -np.eye(3))
