"""Hostile input: every program ends quickly in a result or a MatcalcError, never anything else.

No RecursionError, no lark exception, no hang; each case has a time budget.
"""
import string
import time

import pytest
from hypothesis import given, settings, strategies as st

import matcalc
from matcalc import LimitError, MatcalcError, ParseError
from matcalc.core.nodes import depth

BUDGET = 3.0  # seconds per case; the real cost is well under one


def outcome(text):
    """'ok' or the MatcalcError subclass; anything else fails the test."""
    start = time.perf_counter()
    try:
        prog = matcalc.parse(text)
        result = "ok"
        assert depth(prog.expr) <= 2001
        for e in prog.definitions.values():
            assert depth(e) <= 2001
    except MatcalcError as err:
        str(err)  # renders without failing
        result = type(err)
    elapsed = time.perf_counter() - start
    assert elapsed < BUDGET, f"{elapsed:.1f} s"
    return result


HOSTILE = {
    "10,000 nested brackets": "(" * 10_000 + "x" + ")" * 10_000,
    "10,000 open brackets": "(" * 10_000,
    "10,000 close brackets": "x" + ")" * 10_000,
    "10,000 unary minuses": "-" * 10_000 + "x",
    "10,000 transposes": "x" + "'" * 10_000,
    "10,000 powers": "α" + "^2" * 10_000,
    "10,000 bars": "|" * 10_000,
    "10,000 norm bars": "‖" * 10_000,
    "1 MB of input": "x + " * 250_000 + "x",
    "just under the size limit": ("x + " * 24_999 + "x"),
    "20,000 factors": "α " * 20_000,
    "20,000 starred factors": "α*" * 20_000 + "α",
    "20,000 differences": "x" + " - x" * 20_000,
    "huge number": "1e999999",
    "huge negative exponent": "1e-999999 x",
    "long digits": "9" * 5000,
    "huge exponent on a scalar": "α^" + "9" * 300,
    "deeply nested functions": "exp(" * 5000 + "x" + ")" * 5000,
    "deeply nested generic functions": "f(" * 3000 + "x" + ")" * 3000,
    "nested norms": "norm(" * 3000 + "x" + ")" * 3000,
    "very long name": "a" * 50_000,
    "very long declared name": "W" * 30_000 + " : n x m; " + "W" * 30_000,
    "NUL byte": "x\x00",
    "NUL first": "\x00",
    "random unicode": "∀x∃y: x ⊂ y ⇒ ∫ f dμ",
    "emoji": "😀 + x",
    "right-to-left mark": "x \u202e y",
    "zero width space": "x\u200by",
    "non-breaking space": "x\u00a0y",
    "control characters": "x \x01\x02\x7f",
    "LaTeX junk": r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}",
    "LaTeX frac junk": r"\frac{\partial}{\partial x}",
    "LaTeX sum": r"\sum_{i=1}^n x_i",
    "LaTeX unbalanced": r"\left( x",
    "empty": "",
    "only spaces": "   \t  ",
    "only newlines": "\n\n\n",
    "only comments": "# a comment\n# another",
    "semicolons": ";;;;",
    "5,000 definitions": "\n".join(["a0 = x"] + [f"a{i} = a{i - 1} + x" for i in range(1, 5000)]),
    "5,000 chained products": "\n".join(["a0 = W x"] + [f"a{i} = W a{i - 1}" for i in range(1, 5000)]),
    "5,000 declarations": "\n".join(f"x{i} : n" for i in range(5000)) + "\nx0 + x4999",
    "5,000 expressions": "; ".join("x" for _ in range(5000)),
    "5,000 duplicate definitions": "; ".join("a = x" for _ in range(5000)),
    "cycle of 5,000": "; ".join(f"a{i} = a{(i + 1) % 5000}" for i in range(5000)),
    "many demotion candidates": " ".join(f"v{i}" for i in range(200)),
    "sum of many vector pairs": " + ".join(f"p{i} q{i}" for i in range(100)),
    "huge dim": "x : 99999999999999999999999999; x",
    "zero dim": "x : 0; x",
    "negative dim": "x : -3; x",
    "fractional dim": "x : 2.5; x",
    "dims only": "W : n x m",
    "unicode in declaration": "W : ∞ x m; W",
    "ones of a vector": "ones(x + 1)",
    "ones of zero": "ones(0)",
    "zero to a negative power": "0^{-1}",
    "division by zero": "α / 0",
    "zero over zero": "0/0",
    "lone carriage return": "x\ry",
    "CRLF": "z = x\r\nz",
    "prime storm": "f" + "'" * 5000 + "(x)",
    "identity alone": "I",
    "identity times identity": "I I",
    "keywords": "in R x scalar",
    "assignment to number": "3 = x",
    "double equals": "x == y",
    "definition of I": "I = x; I",
    "empty call": "exp()",
    "trailing comma": "max(x, )",
    "tab soup": "\t\t\tx\t\t",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_ends_in_a_result_or_a_matcalc_error(text):
    outcome(text)


@pytest.mark.parametrize("text", [
    "(" * 10_000 + "x" + ")" * 10_000, "-" * 10_000 + "x", "exp(" * 5000 + "x" + ")" * 5000,
    "x" + "'" * 10_000,
])
def test_deep_nesting_is_a_limit_error_or_a_shallow_result(text):
    assert outcome(text) in ("ok", LimitError)


def test_one_megabyte_is_a_clear_limit_error():
    assert outcome("x + " * 250_000 + "x") is LimitError


def test_long_flat_programs_are_accepted():
    assert outcome("x" + " + x" * 20_000) == "ok"
    assert outcome("α " * 20_000 + "x") == "ok"
    assert outcome("\n".join(["a0 = x"] + [f"a{i} = a{i - 1} + x" for i in range(1, 5000)])) == "ok"


def test_nul_is_a_parse_error():
    assert outcome("x\x00y") is ParseError


ALPHABET = (string.ascii_letters[:8] + "WXTIα" + "0123456789." + " \t\n;:,=#'"
            + "+-*/^.()|{}[]" + "⊙‖⊤∘ℝ∈×\\" + "\x00é")
TOKENS = ["x", "W", "A", "b", "f", "exp", "max", "sum", "tr", "inv", "norm", "ones", "I", "α", "2", "1e3",
          ".5", " ", " ", "\n", ";", ":", "n", "x", "m", "in", "R", "=", "+", "-", "*", "/", "^", "^T", "'",
          "^{-1}", ".*", "./", ".^", "⊙", "(", ")", "{", "}", "|", "‖", ",", "\\left(", "\\right)",
          "\\frac", "\\odot", "\\top", "#"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_random_text_parses_or_raises_matcalc_error(text):
    outcome(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_random_token_soup_parses_or_raises_matcalc_error(text):
    outcome(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_unicode_parses_or_raises_matcalc_error(text):
    outcome(text)
