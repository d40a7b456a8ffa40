"""Reading the same text twice: the typed program is remembered, but every caller gets one of its own."""
from __future__ import annotations

import pytest

import matcalc
from matcalc.core import limits
from matcalc.core.errors import LimitError
from matcalc.language import typecheck
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
