"""Every documented limit (matcalc/limits.py) at its edge, and numerical range at large inputs.

Each limit: just below passes, just above fails with a LimitError whose message names the
limit. The time budget is tested with a fake clock, never by waiting. Expected numbers in the
numerical tests are worked out by hand (e.g. log(e^1000 + e^1000) = 1000 + log 2).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import matcalc
from matcalc.core import limits
from matcalc.core.errors import LimitError


# ---------------------------------------------------------------- input size

def test_input_of_exactly_max_input_characters_is_read():
    text = "x : n; sum(x)"
    text += " " * (limits.MAX_INPUT - len(text))
    assert len(text) == limits.MAX_INPUT == 100_000
    assert str(matcalc.derive(text, "x")) == "ones(n)"


def test_input_one_character_over_is_refused_with_the_limit_named():
    text = "x : n; sum(x)"
    text += " " * (limits.MAX_INPUT + 1 - len(text))
    with pytest.raises(LimitError, match="100,000"):
        matcalc.parse(text)


# ---------------------------------------------------------------- nesting depth

def _nested(levels: int) -> str:
    return "exp(" * levels + "x" + ")" * levels  # levels + 1 nodes deep


def test_nesting_at_max_depth_is_accepted():
    assert limits.MAX_DEPTH == 2000
    program = matcalc.parse("x : scalar; " + _nested(limits.MAX_DEPTH - 1))
    assert program.variables == ["x"]


def test_a_sum_nested_to_max_depth_is_differentiated():
    levels = limits.MAX_DEPTH - 2
    text = "x : n; y : n; sum(" + "(" * levels + "x" + " + y)" * levels + ")"
    d = matcalc.derive(text, "x")
    assert str(d) == "ones(n)"
    np.testing.assert_allclose(d.evaluate({"x": np.zeros(3), "y": np.zeros(3), "n": 3}), np.ones(3))


def test_nesting_one_level_over_is_refused_with_the_limit_named():
    with pytest.raises(LimitError, match=r"nests 2001 levels deep; matcalc accepts at most 2000"):
        matcalc.parse("x : scalar; " + _nested(limits.MAX_DEPTH))


# ---------------------------------------------------------------- number size

def test_number_literal_size_edge():
    ok = "1" * limits.MAX_NUMBER_DIGITS
    matcalc.parse(f"x : n; {ok} sum(x)")
    with pytest.raises(LimitError, match="too large"):
        matcalc.parse(f"x : n; {ok}1 sum(x)")


# ---------------------------------------------------------------- result size

SOURCE = "W : n x m; x : m; u : n; u^T tanh(W x)"


def _size(wrt: str) -> int:
    d = matcalc.derive(SOURCE, wrt)
    return limits.result_size(d.expr, d.definitions)


def test_result_at_the_size_limit_passes(monkeypatch):
    size = _size("W")
    monkeypatch.setattr(limits, "MAX_RESULT_NODES", size)
    matcalc.derive(SOURCE, "W")


def test_result_one_node_over_the_size_limit_fails(monkeypatch):
    size = _size("W")
    monkeypatch.setattr(limits, "MAX_RESULT_NODES", size - 1)
    with pytest.raises(LimitError, match=rf"with respect to W has {size:,} nodes; matcalc's result size limit"):
        matcalc.derive(SOURCE, "W")


def test_result_size_counts_shared_nodes_once():
    from matcalc.core.nodes import Add, Symbol
    x = Symbol("x")
    assert limits.result_size(Add((x, x))) == 2
    assert limits.result_size(x, {"y": Add((x, Symbol("z")))}) == 3


def test_the_default_result_limit_is_documented():
    assert limits.MAX_RESULT_NODES == 200_000
    assert "200,000" in limits.__doc__


# ---------------------------------------------------------------- time budget (a fake clock)

class _Clock:
    """A fake monotonic clock: each reading is ``step`` seconds after the last."""

    def __init__(self, step: float = 1.0):
        self.now = 0.0
        self.step = step
        self.readings = 0

    def __call__(self):
        self.now += self.step
        self.readings += 1
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The deadline read on a fake clock, at every check."""
    fake = _Clock()
    monkeypatch.setattr(limits, "clock", fake)
    monkeypatch.setattr(limits, "CHECK_EVERY", 1)
    return fake


def test_a_derivation_within_the_time_budget_passes(clock, monkeypatch):
    clock.step = 0.0  # time stands still
    monkeypatch.setattr(limits, "TIME_BUDGET", 1.0)
    assert str(matcalc.derive("x : n; A : n x n; x^T A x", "x")) == "(A + A^T) x"


def test_a_derivation_past_the_time_budget_fails_with_the_limit_named(clock, monkeypatch):
    monkeypatch.setattr(limits, "TIME_BUDGET", 0.99)
    with pytest.raises(LimitError, match=r"beyond matcalc's time budget of 0.99 s"):
        matcalc.derive("x : n; A : n x n; x^T A x", "x")


def test_the_time_budget_stops_a_derivation_inside_its_loops(clock, monkeypatch):
    """exp(exp(…(x)…)) 1,500 deep: with a clock that moves a second per reading and a 50 s budget,
    the derivation stops at the 50th check, long before it ends (the loops read the clock)."""
    monkeypatch.setattr(limits, "TIME_BUDGET", 50.0)
    program = matcalc.parse("x : scalar; " + _nested(1500))
    before = clock.readings
    with pytest.raises(LimitError, match=r"time budget of 50 s"):
        matcalc.derive(program, "x")
    assert clock.readings - before == 52  # the entry (t0), 50 checks up to t0 + 50, one past it
    clock.step = 0.0
    assert str(matcalc.derive("x : n; sum(x)", "x")) == "ones(n)"  # and the next derivation runs


def test_the_clock_is_read_every_check_every_checks(monkeypatch):
    fake = _Clock(step=0.0)
    monkeypatch.setattr(limits, "clock", fake)
    monkeypatch.setattr(limits, "CHECK_EVERY", 10)
    with limits.budget():
        for _ in range(100):
            limits.check_time()
    assert fake.readings == 1 + 10  # the entry, then one reading per 10 checks


def test_checks_outside_a_call_do_nothing(clock):
    limits.check_time()
    limits.spend(10 ** 9)
    assert clock.readings == 0


def test_a_failed_call_leaves_no_state_and_later_calls_work(monkeypatch):
    """The reproduction of issue 15: a size limit hit, the limit restored, the budget long past
    (a clock that jumps 100 s at each reading), then a derivation, its steps, code and a verdict."""
    fake = _Clock(step=0.0)
    monkeypatch.setattr(limits, "clock", fake)
    monkeypatch.setattr(limits, "MAX_RESULT_NODES", 5)
    with pytest.raises(LimitError, match="result size limit"):
        matcalc.derive("u^T f(W x + b)", "W")
    assert limits._current() is None
    monkeypatch.setattr(limits, "MAX_RESULT_NODES", 200_000)
    fake.now += 1000.0  # long past the old call's deadline
    d = matcalc.derive("u^T f(W x + b)", "W")
    assert str(d) == "(u ⊙ f'(W x + b)) x^T"
    assert d.steps and "def" in d.to_numpy()
    assert matcalc.verify("u^T f(W x + b)", "W", "(u .* f'(W x + b)) x^T").ok
    assert limits._current() is None


def test_a_call_that_fails_inside_its_budget_leaves_none(monkeypatch):
    with pytest.raises(matcalc.MatcalcError):
        matcalc.derive("x : n; sum(x)", "nope")
    assert limits._current() is None
    with pytest.raises(matcalc.MatcalcError):
        matcalc.hessian("x : n; A : n x n; A x", "x")  # not a scalar
    assert limits._current() is None


def test_no_thread_is_started_per_call(monkeypatch):
    import threading

    def refuse(*args, **kwargs):
        raise AssertionError("a thread was started")

    monkeypatch.setattr(threading, "Timer", refuse)
    monkeypatch.setattr(threading.Thread, "start", refuse)
    d = matcalc.derive("u^T f(W x + b)", "W")
    matcalc.hessian("x : n; A : n x n; x^T A x", "x")
    assert d.steps


def test_nested_calls_share_one_deadline(clock, monkeypatch):
    """A Hessian's two passes (and a verdict's derivation) run on the caller's budget."""
    clock.step = 0.0
    monkeypatch.setattr(limits, "TIME_BUDGET", 5.0)
    with limits.budget("Hessian") as outer, limits.budget() as inner:
        assert inner is outer
    assert limits._current() is None


def test_the_work_limit_names_itself(monkeypatch):
    monkeypatch.setattr(limits, "MAX_WORK", 10)
    with pytest.raises(LimitError, match=r"more than 10 nodes .*work limit is 10 nodes per call") as caught:
        matcalc.derive("W : n x m; x : m; u : n; u^T tanh(W x)", "W")
    # and the part of the input being differentiated when it ran out, under a caret
    assert "this part of the input" in str(caught.value) and "^^^^" in str(caught.value)
    assert limits._current() is None


def test_the_default_time_budget_is_documented():
    assert limits.TIME_BUDGET == 20.0
    assert "20 s" in limits.__doc__


def test_limit_errors_are_matcalc_errors_and_the_cli_exits_2():
    from matcalc.cli import main
    assert issubclass(LimitError, matcalc.MatcalcError)
    assert main(["grad", "x : scalar; " + _nested(limits.MAX_DEPTH), "--wrt", "x"]) == 2


# ---------------------------------------------------------------- numerical range

X = np.array([1.0, 2.0, 3.0])


def test_softmax_of_1000_x_is_finite_and_its_jacobian_too():
    value = matcalc.evaluate("x : n; softmax(1000 x)", {"x": X})
    # e^{1000 (x_i - 3)} / Σ: [e^-2000, e^-1000, 1] / (1 + …)
    np.testing.assert_allclose(value, [0.0, 0.0, 1.0], atol=1e-300)
    d = matcalc.derive("x : n; softmax(1000 x)", "x")
    j = d.evaluate({"x": X})
    assert np.all(np.isfinite(j))
    np.testing.assert_allclose(j, np.zeros((3, 3)), atol=1e-300)  # 1000 (diag(s) - s sᵀ) with s = e_3


def test_sigmoid_of_plus_minus_800():
    assert float(matcalc.evaluate("α : scalar; sigmoid(α)", {"α": 800.0})) == 1.0
    assert float(matcalc.evaluate("α : scalar; sigmoid(α)", {"α": -800.0})) == pytest.approx(0.0, abs=1e-300)
    d = matcalc.derive("α : scalar; sigmoid(α)", "α")
    for a in (800.0, -800.0):
        v = float(d.evaluate({"α": a}))
        assert math.isfinite(v) and v == pytest.approx(0.0, abs=1e-300)  # σ(1 - σ) ≈ e^-800


def test_logsoftmax_of_large_inputs():
    value = matcalc.evaluate("x : n; logsoftmax(x)", {"x": np.array([1000.0, 0.0, -1000.0])})
    # x - log Σ e^x = x - 1000 - log(1 + e^-1000 + e^-2000)
    np.testing.assert_allclose(value, [0.0, -1000.0, -2000.0])
    d = matcalc.derive("x : n; sum(logsoftmax(1000 x))", "x")
    # 1000 (1 - n softmax(1000 x)) with softmax = e_3, n = 3
    np.testing.assert_allclose(d.evaluate({"x": X}), [1000.0, 1000.0, -2000.0])


def test_cross_entropy_through_logsoftmax_of_large_logits():
    text = "x : n; y : n; -y^T logsoftmax(x)"
    env = {"x": np.array([1000.0, 0.0]), "y": np.array([0.0, 1.0])}
    assert float(matcalc.evaluate(text, env)) == pytest.approx(1000.0)  # log(1 + e^1000) - 0
    d = matcalc.derive(text, "x")
    np.testing.assert_allclose(d.evaluate(env), [1.0, -1.0])  # sum(y) softmax(x) - y


def test_softplus_of_plus_minus_800():
    value = matcalc.evaluate("x : n; softplus(x)", {"x": np.array([800.0, -800.0])})
    np.testing.assert_allclose(value, [800.0, 0.0], atol=1e-300)


def test_tanh_of_plus_minus_800_and_its_derivative():
    d = matcalc.derive("x : n; sum(tanh(x))", "x")
    np.testing.assert_allclose(d.evaluate({"x": np.array([800.0, -800.0])}), [0.0, 0.0])  # 1 - tanh²


def test_log_sum_exp_written_out_is_finite():
    value = matcalc.evaluate("x : n; log(sum(exp(x)))", {"x": np.array([1000.0, 1000.0])})
    assert float(value) == pytest.approx(1000.0 + math.log(2.0))


def test_logsumexp_is_finite():
    value = matcalc.evaluate("x : n; logsumexp(x)", {"x": np.array([1000.0, 1000.0])})
    assert float(value) == pytest.approx(1000.0 + math.log(2.0))


def test_cross_entropy_through_log_of_softmax_has_a_finite_gradient():
    env = {"x": np.array([1000.0, 0.0]), "y": np.array([0.0, 1.0])}
    d = matcalc.derive("x : n; y : n; -y^T log(softmax(x))", "x")
    np.testing.assert_allclose(d.evaluate(env), [1.0, -1.0])  # sum(y) softmax(x) - y


def test_log_sigmoid_of_minus_800():
    value = matcalc.evaluate("α : scalar; log(sigmoid(α))", {"α": -800.0})
    assert float(value) == pytest.approx(-800.0)  # -softplus(-α)


def test_a_chain_at_the_depth_limit_derives_well_within_the_budget(monkeypatch):
    """exp(exp(… x …)) nested to the depth limit derives (it used to take minutes; now ~0.4 s).
    No clock here: the budget is lifted, so a regression shows as a slow suite, not a flaky test."""
    monkeypatch.setattr(limits, "TIME_BUDGET", float("inf"))
    d = matcalc.derive("x : scalar; " + _nested(limits.MAX_DEPTH - 1), "x")
    assert d.kind == "derivative"


def test_a_pool_thread_that_hit_a_limit_is_not_poisoned(monkeypatch):
    """One worker thread: a call that fails on the size limit, then (the budget long past on a
    fake clock) a derivation and its steps in the same thread."""
    from concurrent.futures import ThreadPoolExecutor

    fake = _Clock(step=0.0)
    monkeypatch.setattr(limits, "clock", fake)

    def failing():
        monkeypatch.setattr(limits, "MAX_RESULT_NODES", 5)
        try:
            matcalc.derive("u^T f(W x + b)", "W")
        except LimitError:
            return "limit"
        finally:
            monkeypatch.setattr(limits, "MAX_RESULT_NODES", 200_000)

    def later():
        fake.now += 1000.0
        d = matcalc.derive("u^T f(W x + b)", "W")
        return str(d), bool(d.steps), limits._current() is None

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(failing).result() == "limit"
        assert pool.submit(later).result() == ("(u ⊙ f'(W x + b)) x^T", True, True)


def test_threads_have_their_own_budgets():
    from concurrent.futures import ThreadPoolExecutor

    def run(i):
        return str(matcalc.derive("x : n; A : n x n; x^T A x", "x"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(run, range(16))) == {"(A + A^T) x"}
    assert limits._current() is None
