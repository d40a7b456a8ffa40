"""The text printer and the parser agree: printing a typed tree and reading it back gives it back."""
from __future__ import annotations

from hypothesis import given, settings

import matcalc
from matcalc.core import build
from matcalc.language.printing import program_text, text

from strategies import DECLARATIONS, typed_trees


@settings(max_examples=400)
@given(typed_trees())
def test_text_parses_back(case):
    decls, e = case
    printed = text(e)
    assert matcalc.parse(decls + "; " + printed).expr == e, printed


@settings(max_examples=100)
@given(typed_trees(), typed_trees())
def test_program_text_parses_back(case, other):
    """A definition used by the expression survives the round trip, in meaning and in form."""
    _, value = case
    _, inner = other
    definitions = {"h": value, "unused": inner}
    expr = build.add(build.symbol("h"), build.symbol("h"))
    printed = program_text(definitions, expr)
    assert "unused" not in printed
    program = matcalc.parse(DECLARATIONS + "\n" + printed)
    assert program.definitions == {"h": value}
    assert program.expr == expr
