"""Reading the same text twice: the typed program is remembered, but every caller gets one of its own."""
from __future__ import annotations

import pytest

import matcalc
from matcalc.core import limits
from matcalc.core.errors import LimitError
from matcalc.language import typecheck
from matcalc.language.printing import text as text_of
from matcalc.language.typecheck import read


def test_each_reading_is_a_program_of_its_own():
    first = read("A : n x n; x^T A x")
    first.shapes["x"] = ("q",)  # a caller changing its program …
    first.definitions["z"] = first.expr
    second = read("A : n x n; x^T A x")
    assert second.shapes["x"] == ("n",) and "z" not in second.definitions  # … changes no other reading
    assert second is not first and second.shapes is not first.shapes
    assert str(matcalc.derive("A : n x n; x^T A x", "x")) == "(A + A^T) x"


def test_a_remembered_reading_counts_against_the_work_limit(monkeypatch):
    text = "W : n x m; x : m; u : n; u^T tanh(W x)"
    matcalc.derive(text, "W")  # remembered
    assert any(k[0] == text for k in typecheck._READ)
    monkeypatch.setattr(limits, "MAX_WORK", 10)
    with pytest.raises(LimitError, match="work limit is 10 nodes per call") as caught:
        matcalc.derive(text, "W")
    assert "this part of the input" in str(caught.value)  # where a fresh reading runs out


def test_the_functions_textbook_form_is_remembered_and_charged(monkeypatch):
    """A function derived again (by another variable, in another call) is not simplified again
    (engine._FORMS), yet the call counts its work as simplifying afresh would."""
    from matcalc.calculus import engine
    monkeypatch.setattr(engine, "_FORMS", {})
    text = "x : n; y : n; log(1 + exp(x^T y))"
    cold = matcalc.derive(text, "x")
    assert len(engine._FORMS) == 1
    (form, *_), _work = next(iter(engine._FORMS.values()))
    assert text_of(form) == "softplus(x^T y)"  # the function's own textbook form
    warm = matcalc.derive(text, "x")
    assert str(warm) == str(cold) == "σ(x^T y) y" and str(matcalc.derive(text, "y")) == "σ(x^T y) x"
    assert len(engine._FORMS) == 1
    with limits.call("derivation"):  # the remembered form charges the work it took
        engine._derive(read(text), "x", "shape")
        charged = limits._current().work
    monkeypatch.setattr(engine, "_FORMS", {})
    with limits.call("derivation"):
        engine._derive(read(text), "x", "shape")
        afresh = limits._current().work
    assert charged == afresh > 0


def test_a_remembered_form_is_of_its_shapes():
    """The same tree over other shapes is another function: x^T A x with A symmetric by declaration
    has the gradient 2 A x, not the (A + A^T) x remembered for a general A."""
    assert str(matcalc.derive("A : n x n; x^T A x", "x")) == "(A + A^T) x"
    assert str(matcalc.derive("A : n x n symmetric; x^T A x", "x")) == "2 A x"
    assert str(matcalc.derive("A : n x n; x^T A x", "x")) == "(A + A^T) x"
