"""The chain rule step by step, on the cheatsheet's one-layer network and its Example 0.8.

Expected forms are written by hand from the cheatsheet's own derivation.
"""
import numpy as np
import pytest

import matcalc
from matcalc.language.printing import text
from matcalc.views.steps import Accumulate, Backward, Final, Memo, Placeholder

NET = "z = W x + b; h = f(z); s = u^T h"


def _by_type(steps, cls):
    return [s for s in steps if isinstance(s, cls)]


def _same(a_text: str, b_text: str, decls: str, env: dict) -> bool:
    """Two expressions agree at a point (values written by hand in env)."""
    a = matcalc.evaluate(decls + a_text, env)
    b = matcalc.evaluate(decls + b_text, env)
    return np.allclose(a, b)


@pytest.fixture(scope="module")
def net():
    return matcalc.derive(NET, wrt=["W", "b"])


def test_forward_pass_uses_the_programs_names(net):
    forward = [str(s) for s in _by_type(net["W"].steps, Placeholder)]
    assert forward == ["z = W x + b", "h = f(z)", "s = u^T h"]


def test_local_gradients_are_the_cheatsheets(net):
    edges = {(e.node, e.child): e for s in _by_type(net["W"].steps, Backward) for e in s.edges}
    assert str(matcalc.parse("u : n; q : n; u^T").expr) == str(matcalc.parse("u : n; u^T").expr)
    assert edges[("s", "h")].local == matcalc.parse("u : n; u^T").expr            # ∂s/∂h = u^T
    assert edges[("h", "z")].local == matcalc.parse("z : n; diag(f'(z))").expr   # ∂h/∂z = diag(f'(z))
    # ∂z/∂W is a tensor: it is shown by what it does to an upstream G, G x^T
    assert edges[("z", "W")].local is None
    assert matcalc.parse("G : n; x : m; G x^T").expr == edges[("z", "W")].vjp


def test_downstream_is_upstream_times_local(net):
    h_step = next(s for s in _by_type(net["W"].steps, Backward) if s.node == "h")
    assert h_step.upstream == matcalc.parse("u : n; u^T").expr
    (edge,) = h_step.edges
    assert edge.product == matcalc.parse("u : n; z : n; u^T diag(f'(z))").expr
    assert edge.downstream == matcalc.parse("u : n; z : n; (u ⊙ f'(z))^T").expr


def test_delta_is_memoized_and_reused_for_W_and_b(net):
    for wrt in ("W", "b"):
        (memo,) = _by_type(net[wrt].steps, Memo)
        assert memo.name == "δ" and memo.node == "z"
        assert memo.value == matcalc.parse("u : n; z : n; (u ⊙ f'(z))^T").expr     # a 1 x n row
        assert memo.shaped == matcalc.parse("u : n; z : n; u ⊙ f'(z)").expr
        assert {"W", "b"} <= set(memo.users)
        z_step = next(s for s in _by_type(net[wrt].steps, Backward) if s.node == "z")
        assert z_step.upstream == matcalc.parse("δ : 1 x n; δ").expr
    text_W, text_b = net["W"].steps_text(), net["b"].steps_text()
    assert "δ = ∂s/∂z" in text_W and "δ = ∂s/∂z" in text_b
    assert "reused for ∂s/∂W" in text_W and "∂s/∂b" in text_W


def test_final_transpose_to_the_shape_of_W(net):
    (result,) = _by_type(net["W"].steps, Final)
    assert result.named == matcalc.parse("δ : 1 x n; x : m; δ^T x^T").expr           # δ x → δ^T x^T
    assert result.shorthand is not None and "δ x" == text(result.shorthand)
    shown = net["W"].steps_text()
    assert "δ x → δ^T x^T" in shown
    assert "∂s/∂W = δ^T x^T = (u ⊙ f'(z)) x^T" in shown


def test_b_is_delta_transposed(net):
    (result,) = _by_type(net["b"].steps, Final)
    assert result.named == matcalc.parse("δ : 1 x n; δ^T").expr
    assert "∂s/∂b = δ^T = u ⊙ f'(z)" in net["b"].steps_text()


def test_unnamed_program_gets_the_cheatsheets_names():
    d = matcalc.derive("u^T f(W x + b)", wrt="W")
    forward = [str(s) for s in _by_type(d.steps, Placeholder)]
    assert forward == ["z = W x + b", "h = f(z)", "s = u^T h"]
    assert _by_type(d.steps, Memo)[0].name == "δ"


# ---------------------------------------------------------------- Example 0.8

EX08 = "x : scalar; y : scalar; z : scalar; a = x + y; b = max(y, z); f = a b"


@pytest.mark.parametrize("wrt, expected", [
    ("x", "b"),                        # ∂f/∂x = ∂f/∂a ∂a/∂x = b · 1
    ("y", "b + a step(y - z)"),        # y feeds a and b: the two downstream gradients add
    ("z", "a step(z - y)"),
])
def test_example_0_8(wrt, expected):
    d = matcalc.derive(EX08, wrt=wrt)
    steps = d.steps
    assert [str(s) for s in _by_type(steps, Placeholder)] == ["a = x + y", "b = max(y, z)", "f = a b"]
    (result,) = _by_type(steps, Final)
    decls = "a : scalar; b : scalar; y : scalar; z : scalar; "
    for a, b, y, z in [(3.0, 5.0, 5.0, -4.0), (1.5, -2.0, -1.0, 2.0)]:   # y > z, then y < z
        env = {"a": a, "b": b, "y": y, "z": z}
        got = matcalc.evaluate_expr(result.named, {"a": (), "b": (), "y": (), "z": ()}, env)
        want = matcalc.evaluate(decls + expected, env)
        assert np.isclose(got, want)
    assert f"∂f/∂{wrt} = " in d.steps_text()


def test_example_0_8_local_gradients():
    steps = matcalc.derive(EX08, wrt="y").steps
    edges = {(e.node, e.child): e for s in _by_type(steps, Backward) for e in s.edges}
    assert edges[("f", "a")].local == matcalc.parse("b : scalar; b").expr      # ∂f/∂a = b
    assert edges[("f", "b")].local == matcalc.parse("a : scalar; a").expr      # ∂f/∂b = a
    assert edges[("a", "y")].local == matcalc.parse("1").expr                   # ∂a/∂y = 1
    assert edges[("b", "y")].local == matcalc.parse("y : scalar; z : scalar; step(y - z)").expr
    (acc,) = _by_type(steps, Accumulate)
    assert acc.name == "y" and set(acc.sources) == {"a", "b"}


def test_unnamed_example_0_8_introduces_a_and_b():
    d = matcalc.derive("(x + y) * max(y, z)", wrt="x")
    assert [str(s) for s in _by_type(d.steps, Placeholder)] == ["a = x + y", "b = max(y, z)", "s = a b"]
    assert "∂s/∂x = b = max(y, z)" in d.steps_text()


def test_latex_steps():
    d = matcalc.derive(NET, wrt="W")
    tex = d.steps_latex()
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"\end{aligned}")
    assert r"\delta = \frac{\partial s}{\partial z}" in tex
    assert r"\operatorname{diag}" in tex
    assert tex.count(r"\left(") == tex.count(r"\right)")


def test_vector_function_has_no_steps():
    d = matcalc.derive("tanh(W x)", wrt="x")
    assert d.steps == []
    assert "scalar functions" in d.steps_text()
