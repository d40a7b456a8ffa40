"""Stable numbers where a log meets σ, softmax, exp or det, and huge integer powers: matcalc.evaluate,
Derivative.evaluate and the generated code agree, at logits ±40 and ±800.

Every expected value is written from the math (log σ(t) = -softplus(-t), softplus(t) = max(t, 0) +
log1p(e^-|t|), σ(-t) = 1 - σ(t)), computed in closed form on numbers that do not overflow.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import matcalc

LOGITS = (40.0, -40.0, 800.0, -800.0)
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def softplus(t: float) -> float:
    """log(1 + e^t) = max(t, 0) + log1p(e^-|t|): no overflow."""
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


def sigmoid(t: float) -> float:
    """1 / (1 + e^-t), written with e^-|t| only."""
    e = math.exp(-abs(t))
    return 1 / (1 + e) if t >= 0 else e / (1 + e)


def _all_three(source: str, wrt: str, env: dict):
    """(value, derivative) by matcalc.evaluate / Derivative.evaluate, and by the compiled code."""
    d = matcalc.derive(source, wrt)
    by_eval = (matcalc.evaluate(d.program, env), d.evaluate(env))
    by_code = d.compile()(**env)
    return by_eval, by_code


def _agree(got, want, atol=1e-300):
    for pair in got:
        for a, b in zip(pair, want, strict=True):
            assert np.all(np.isfinite(a)) or not np.all(np.isfinite(b)), (a, b)
            np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-12, atol=atol)


@pytest.mark.parametrize("t", LOGITS)
def test_log_sigmoid(t):
    # log σ(t) = -softplus(-t); d/dt = 1 - σ(t) = σ(-t)
    _agree(_all_three("z : n\nsum(log(σ(z)))", "z", {"z": np.array([t])}), (-softplus(-t), [sigmoid(-t)]))


@pytest.mark.parametrize("t", LOGITS)
def test_log_one_minus_sigmoid(t):
    # log(1 - σ(t)) = log σ(-t) = -softplus(t); d/dt = -σ(t)
    _agree(_all_three("z : n\nsum(log(1 - σ(z)))", "z", {"z": np.array([t])}), (-softplus(t), [-sigmoid(t)]))


@pytest.mark.parametrize("named", [False, True])
@pytest.mark.parametrize("t", LOGITS)
def test_binary_cross_entropy(t, named):
    """Two examples: y = 1 at logit t and y = 0 at logit -t (both right for t > 0, both wrong for t < 0).
    L = softplus(-t) + softplus(-t); ∇w = Xᵀ (σ(X w) - y) = (σ(t) - 1) - σ(-t) = -2 σ(-t)."""
    body = ("p = σ(X w)\nL = -sum(y .* log(p) + (1 - y) .* log(1 - p))" if named
            else "L = -sum(y .* log(σ(X w)) + (1 - y) .* log(1 - σ(X w)))")
    env = {"y": np.array([1.0, 0.0]), "X": np.array([[1.0], [-1.0]]), "w": np.array([t])}
    # the gradient's σ(t) - 1 rounds to 0 next to 1 (absolute error ~1e-18 on an O(1) scale)
    _agree(_all_three("y : n\nX : n x d\n" + body, "w", env), (2 * softplus(-t), [-2 * sigmoid(-t)]), atol=1e-15)


@pytest.mark.parametrize("t", LOGITS)
def test_log_of_exp(t):
    # log(e^t) = t where e^800 overflows
    _agree(_all_three("z : n\nsum(log(exp(z)))", "z", {"z": np.array([t])}), (t, [1.0]))


def test_log_det_where_det_overflows():
    # det(20 I_300) = 20^300 > 1.8e308; log det = 300 log 20, d/dX = X^{-T} = I / 20
    X = 20.0 * np.eye(300)
    (value, grad), (cvalue, cgrad) = _all_three("X : n x n\nlog(det(X))", "X", {"X": X})
    for v in (value, cvalue):
        assert v == pytest.approx(300 * math.log(20.0), rel=1e-12)
    for g in (grad, cgrad):
        np.testing.assert_allclose(g, np.eye(300) / 20.0, rtol=1e-12, atol=1e-15)


ODD = 99999999999999999999   # odd, past 2^53: float(ODD) = 1e20 is even
EVEN = ODD + 1


@pytest.mark.parametrize("source,x,want", [
    (f"x : n\nsum(x .^ {ODD})", -1.0, -1.0),          # (-1)^odd
    (f"x : n\nsum(x .^ {ODD})", -2.0, -math.inf),      # sign kept past overflow
    (f"x : n\nsum(x .^ {ODD})", 1.0, 1.0),
    (f"x : n\nsum(x .^ {EVEN})", -1.0, 1.0),           # (-1)^even
    (f"x : n\nsum(x .^ {{-{ODD}}})", -1.0, -1.0),      # (-1)^-odd
    (f"x : n\nsum(x .^ {{-{ODD}}})", -0.5, -math.inf),  # (-1/2)^-odd = -(2^odd)
    (f"α^{ODD}", -1.0, -1.0),
    (f"α^{EVEN}", -1.0, 1.0),
])
def test_huge_integer_powers_keep_their_parity(source, x, want):
    wrt = "α" if source.startswith("α") else "x"
    env = {wrt: x if wrt == "α" else np.array([x])}
    d = matcalc.derive(source, wrt)
    for got in (matcalc.evaluate(d.program, env), d.compile()(**env)[0]):
        assert float(got) == want


def test_the_derivative_of_a_huge_odd_power():
    # d/dx x^p = p x^(p-1), p - 1 even: at x = -1 that is +p = 1e20 (as a float)
    d = matcalc.derive(f"x : n\nsum(x .^ {ODD})", "x")
    env = {"x": np.array([-1.0, 0.5])}
    for got in (d.evaluate(env), d.compile()(**env)[1]):
        np.testing.assert_array_equal(got, [float(ODD), 0.0])


def test_a_literal_past_floats_range_is_refused_by_both():
    # 1e399 is past float64's largest (1.8e308): IEEE would make it inf, another number than the
    # one written; evaluate and the code generator refuse it alike, and say what to write instead
    d = matcalc.derive("1e399 sum(x)", "x")
    env = {"x": np.array([1.0, 2.0])}
    for attempt in (lambda: matcalc.evaluate(d.program, env), lambda: d.evaluate(env), d.compile, d.to_torch):
        with pytest.raises(matcalc.EvaluationError, match="about 1e399 is beyond the range of float64"):
            attempt()


@pytest.mark.parametrize("t", LOGITS)
def test_log_of_a_sum_of_exps(t):
    # log(e^a + e^0) = softplus(a); d/da = e^a / (e^a + 1) = σ(a)
    env = {"a": t, "b": 0.0}
    _agree(_all_three("a : scalar\nb : scalar\nlog(exp(a) + exp(b))", "a", env), (softplus(t), sigmoid(t)))


@pytest.mark.parametrize("t", LOGITS)
def test_softmax_written_with_an_elementwise_quotient(t):
    # e^z ./ sum(e^z) at z = (t, 0): (σ(t), σ(-t))
    from matcalc.views import codegen
    program = matcalc.parse("z : n\nexp(z) ./ sum(exp(z))")
    env = {"z": np.array([t, 0.0])}
    want = [sigmoid(t), sigmoid(-t)]
    np.testing.assert_allclose(matcalc.evaluate(program, env), want, rtol=1e-12, atol=1e-300)
    (value,) = codegen.compile_source(codegen.generate(program, ()))(env["z"])
    np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-300)
