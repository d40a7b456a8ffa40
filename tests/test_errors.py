"""Every error class, with the exact text a person sees: message, caret line, hint.

The CLI prints ``str(error)``; these tests pin that text through the Python API.
"""
import pytest

import matcalc
from matcalc import LimitError, MatcalcError, ParseError, ShapeError, SymbolError
from matcalc.core.errors import Span, render_caret


def error_of(text):
    with pytest.raises(MatcalcError) as info:
        matcalc.parse(text)
    return info.value


def caret_column(err) -> int:
    """0-based column of the first caret in the rendered message."""
    line = str(err).split("\n")[2]
    return line.index("^") - 2


# ---------------------------------------------------------------- exact renderings

EXACT = [
    pytest.param(
        "W : n x m; x : k; W x", ShapeError,
        'error: W x: W is n x m but x has k rows\n'
        '  W : n x m; x : k; W x\n'
        '                    ^^^',
        id="matmul-dims"),
    pytest.param(
        "W : n x m; x : m; Wx", SymbolError,
        'error: unknown symbol "Wx"\n'
        '  W : n x m; x : m; Wx\n'
        '                    ^^\n'
        'hint: did you mean "W x"?',
        id="run-together"),
    pytest.param(
        "u^T f(W x + b", ParseError,
        'error: unexpected end of input at line 1, column 14 (expected ")" or "+")\n'
        '  u^T f(W x + b\n'
        '               ^\n'
        'hint: close the 1 open bracket with ")"',
        id="end-of-input"),
    pytest.param(
        "x + $", ParseError,
        "error: unexpected character '$' at line 1, column 5\n"
        "  x + $\n"
        "      ^",
        id="unknown-character"),
    pytest.param(
        "x + [y]", ParseError,
        "error: unexpected \"]\" at line 1, column 7 (expected \"+\" or a name)\n"
        "  x + [y]\n"
        "        ^\n"
        "hint: [a; b] stacks vectors or matrices vertically and [A, B] side by side; use ( ) for grouping",
        id="square-bracket"),
    pytest.param(
        "x + y)", ParseError,
        'error: unexpected ")" at line 1, column 6 (expected "+" or a name)\n'
        '  x + y)\n'
        '       ^\n'
        'hint: this ")" closes no bracket; remove it or add a "(" before it',
        id="unbalanced-close"),
    pytest.param(
        "(x + y", ParseError,
        'error: unexpected end of input at line 1, column 7 (expected ")" or "+")\n'
        '  (x + y\n'
        '        ^\n'
        'hint: close the 1 open bracket with ")"',
        id="unbalanced-open"),
    pytest.param(
        "a = x; a = y; a", SymbolError,
        "error: a is defined twice\n"
        "  a = x; a = y; a\n"
        "         ^^^^^\n"
        "hint: give the second definition another name",
        id="duplicate-definition"),
    pytest.param(
        "a = b; b = c; c = a; a", SymbolError,
        "error: a is defined in terms of itself: a → b → c → a\n"
        "  a = b; b = c; c = a; a\n"
        "  ^^^^^",
        id="cycle"),
    pytest.param(
        "max(x, y, z)", SymbolError,
        "error: max(x, y, z): max takes two arguments, not 3\n"
        "  max(x, y, z)\n"
        "  ^^^^^^^^^^^^",
        id="arity-max"),
    pytest.param(
        "exp(x, y)", SymbolError,
        "error: exp(x, y): exp takes one argument, not 2\n"
        "  exp(x, y)\n"
        "  ^^^^^^^^^",
        id="arity-exp"),
    pytest.param(
        "f(x, y)", SymbolError,
        "error: f(x, y): a generic function such as f takes one argument (it acts elementwise), not 2\n"
        "  f(x, y)\n"
        "  ^^^^^^^",
        id="arity-generic"),
    pytest.param(
        "W : n x m; det(W)", ShapeError,
        "error: det(W): W is n x m, not square\n"
        "  W : n x m; det(W)\n"
        "             ^^^^^^",
        id="det-not-square"),
    pytest.param(
        "W : n x m; tr(W)", ShapeError,
        "error: tr(W): W is n x m, not square\n"
        "  W : n x m; tr(W)\n"
        "             ^^^^^",
        id="trace-not-square"),
    pytest.param(
        "W : n x m; inv(W)", ShapeError,
        "error: inv(W): W is n x m, not square\n"
        "  W : n x m; inv(W)\n"
        "             ^^^^^^\n"
        "hint: only square matrices have inverses",
        id="inverse-not-square"),
    pytest.param(
        "x : n; tr(x)", ShapeError,
        "error: tr(x): tr takes a square matrix, but x is a vector (n)\n"
        "  x : n; tr(x)\n"
        "         ^^^^^",
        id="trace-of-vector"),
    pytest.param(
        "x : n; x^2", ShapeError,
        'error: x^2: ^ raises a scalar to a power, but x is a vector (n)\n'
        '  x : n; x^2\n'
        '         ^^^\n'
        'hint: for an elementwise power write "x .^ 2"',
        id="vector-squared"),
    pytest.param(
        "x ^ T", ShapeError,
        'error: x ^ T: ^ followed by a space and T is a power, not a transpose\n'
        '  x ^ T\n'
        '  ^^^^^\n'
        'hint: write "x^T" with no space for the transpose; to raise to a power T, declare it (T : scalar)',
        id="spaced-transpose"),
    pytest.param(
        "x y", ShapeError,
        'error: x y: x is a vector (n) and y is a vector (m); two column vectors do not multiply\n'
        '  x y\n'
        '  ^^^\n'
        'hint: did you mean "x^T y" (inner product) or "x y^T" (outer product)? '
        'If one of them is a scalar, declare it (e.g. "x : scalar")',
        id="two-vectors"),
    pytest.param(
        "x : n; y : m; x + y", ShapeError,
        "error: x + y: x is a vector (n) but y is a vector (m)\n"
        "  x : n; y : m; x + y\n"
        "                ^^^^^",
        id="sum-dims"),
    pytest.param(
        "W : n x m; W : m x n; W", ShapeError,
        "error: W is declared twice, with different shapes (n x m and m x n)\n"
        "  W : n x m; W : m x n; W\n"
        "             ^^^^^^^^^",
        id="declared-twice"),
    pytest.param(
        "x; y", SymbolError,
        "error: a program has one expression to differentiate, but this one has 2\n"
        "  x; y\n"
        "     ^\n"
        "hint: name the other expressions with definitions (a = …)",
        id="two-expressions"),
    pytest.param(
        "", SymbolError,
        'error: the program has no expression\n'
        'hint: write an expression such as "u^T f(W x + b)"',
        id="empty"),
    pytest.param(
        "x ** 2", ParseError,
        'error: unexpected "*" at line 1, column 4 (expected a name or a number)\n'
        '  x ** 2\n'
        '     ^\n'
        'hint: write powers with ^ (scalars) or .^ (elementwise), not **',
        id="double-star"),
    pytest.param(
        "x : n; x / 0", ShapeError,
        "error: x / 0: division by zero\n"
        "  x : n; x / 0\n"
        "         ^^^^^",
        id="division-by-zero"),
    pytest.param(
        "W : n x m x k; W", ShapeError,
        "error: W : n x m x k: matcalc works with scalars, vectors and matrices, not arrays of 3 dimensions\n"
        "  W : n x m x k; W\n"
        "  ^^^^^^^^^^^^^",
        id="three-dims"),
]


@pytest.mark.parametrize("text, cls, rendered", EXACT)
def test_exact_error_text(text, cls, rendered):
    err = error_of(text)
    assert type(err) is cls
    assert str(err) == rendered


# ---------------------------------------------------------------- carets and positions

def test_end_of_input_caret_is_after_the_last_character():
    for text in ["x +", "x +   ", "W x + (b", "x + # why"]:
        err = error_of(text)
        assert isinstance(err, ParseError)
        assert "unexpected end of input" in err.bare_message
        assert caret_column(err) == len(text.rstrip())


def test_caret_on_a_later_line():
    err = error_of("W : n x m\nx : m\nW x +\n")
    assert "line 3, column 6" in err.bare_message
    assert str(err).split("\n")[1] == "  W x +"


def test_error_on_second_line_shows_that_line():
    err = error_of("z = W x\nu^T f(z) )")
    assert err.span.line == 2
    assert str(err).split("\n")[1] == "  u^T f(z) )"
    assert caret_column(err) == len("u^T f(z) ")


def test_unexpected_newline_names_the_line_end():
    err = error_of("x +\ny")
    assert err.bare_message.startswith("unexpected end of line at line 1, column 4")
    assert err.hint == "a statement cannot end with an operator; finish the expression"


def test_expected_list_shows_text_not_terminal_names():
    for text in ["(x", "exp(x", "x +", "W : ", "|x"]:
        msg = error_of(text).bare_message
        assert "RPAR" not in msg and "__ANON" not in msg and "$END" not in msg and "NAME" not in msg
    assert error_of("|x").bare_message.endswith('(expected "|" or "‖")') or \
        '"|"' in error_of("|x").bare_message
    assert error_of("W : ").bare_message.endswith("(expected a dimension: a name or a positive integer)")


def test_invisible_characters_are_named_by_code_point():
    err = error_of("x \u202e y")
    assert "U+202E" in err.bare_message


def test_nul_character():
    err = error_of("x\x00y")
    assert isinstance(err, ParseError)
    assert err.bare_message == "the program contains a NUL character"
    assert caret_column(err) == 1


def test_unknown_latex_command_is_named_with_a_hint():
    err = error_of("\\nabla x")
    assert isinstance(err, ParseError)
    assert str(err).startswith('error: unknown LaTeX command "\\nabla" at line 1, column 1\n'
                               '  \\nabla x\n'
                               '  ^^^^^^')


def test_pasted_latex_and_superscripts_are_read():
    """\\mathbf{x} is the name x and x² is x^2 (matcalc.language.pasted)."""
    assert matcalc.parse("\\mathbf{x}^T \\mathbf{x}").expr == matcalc.parse("x^T x").expr
    assert matcalc.parse("x²").expr == matcalc.parse("x^2").expr


def test_reserved_names():
    assert isinstance(error_of("exp"), SymbolError)
    assert isinstance(error_of("sum : n"), SymbolError)
    assert isinstance(error_of("exp = x"), SymbolError)


def test_limit_errors():
    assert isinstance(error_of("x" * 200_000), LimitError)
    assert isinstance(error_of("1e999999 x"), LimitError)


def test_every_error_is_a_matcalc_error_and_carries_its_parts():
    err = error_of("W : n x m; x : k; W x")
    assert isinstance(err, MatcalcError)
    assert err.bare_message == "W x: W is n x m but x has k rows"
    assert err.span == Span(18, 21, 1, 19)
    assert err.source == "W : n x m; x : k; W x"
    assert err.hint is None


def test_render_caret_clips_long_lines():
    source = "x + " * 100 + "$"
    text = render_caret(source, Span(len(source) - 1, len(source), 1, len(source)))
    shown, carets = text.split("\n")
    assert len(shown) < 140
    assert shown[carets.index("^")] == "$"


@pytest.mark.parametrize("text", ["0^{-1}", "x : n; 0^{-1} x", "inv(0)", "0^-2", "0 .^ -1",
                                  "A : n x n; y : n; softmax((A 0^{-1}) y)"])
def test_a_literal_zero_to_a_negative_power_is_division_by_zero(text):
    # found by the mutation fuzzer: 0^{-1} inside a product used to crash with ZeroDivisionError
    with pytest.raises(matcalc.ShapeError, match="division by zero"):
        matcalc.parse(text)
