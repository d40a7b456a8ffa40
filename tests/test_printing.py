"""Printing: exact text and LaTeX written by hand from the math, and KaTeX accepting our LaTeX."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc
from matcalc.core.nodes import (
    NODE_CLASSES, Add, Div, Func, Hadamard, MatMul, Neg, Norm, Number, Power, Scale, Symbol,
    Transpose,
)
from matcalc.core.ops import OPS
from matcalc.language.latex import LatexPrinter, latex, latex_equation, latex_name, latex_program
from matcalc.language.printing import TextPrinter, program_text, text

from strategies import typed_trees

DECLS = ("W : n x m; x, y : m; a, b, u, z : n; A : m x m; X : n x n; α, β, γ : scalar")

# (source, its text, its LaTeX): the expected strings are written from the math, not copied
CASES = [
    ("u^T f(W x + b)", "u^T f(W x + b)", r"u^{\top} f(W x + b)"),
    ("(A + A^T) x", "(A + A^T) x", r"\left(A + A^{\top}\right) x"),
    ("-X^{-T} a b^T X^{-T}", "-X^{-T} a b^T X^{-T}", r"-X^{-\top} a b^{\top} X^{-\top}"),
    ("(u .* f'(W x + b)) x^T", "(u ⊙ f'(W x + b)) x^T", r"\left(u \odot f'(W x + b)\right) x^{\top}"),
    ("1/2 x^T A x", "1/2 x^T A x", r"\frac{1}{2} x^{\top} A x"),
    ("0.5 x", "1/2 x", r"\frac{1}{2} x"),
    ("x^T y / 2", "x^T y / 2", r"\frac{x^{\top} y}{2}"),
    ("α / (β γ)", "α / (β γ)", r"\frac{\alpha}{\beta \gamma}"),
    ("W (x / α)", "W (x / α)", r"W \frac{x}{\alpha}"),
    ("a - b", "a - b", "a - b"),
    ("a - 2 b", "a - 2 b", "a - 2 b"),
    ("a - 2", "a - 2", "a - 2"),
    ("-2 x", "-2 x", "-2 x"),
    ("-α a", "-α a", r"-\alpha a"),
    ("(-α) a", "(-α) a", r"\left(-\alpha\right) a"),
    ("a - 2 (b .* a)", "a - 2 (b ⊙ a)", r"a - 2 \left(b \odot a\right)"),
    ("-(a .* b)", "-(a ⊙ b)", r"-\left(a \odot b\right)"),
    ("a - (b - a)", "a - (b - a)", r"a - \left(b - a\right)"),
    ("a .* -2 b", "a ⊙ -2 b", r"a \odot -2 b"),
    ("a ./ b", "a ./ b", r"a \oslash b"),
    ("a .^ 2", "a.^2", r"a^{\circ 2}"),
    ("α^2", "α^2", r"\alpha^{2}"),
    ("α^{1/2}", "α^{1/2}", r"\alpha^{\frac{1}{2}}"),
    ("α^-1", "α^{-1}", r"\alpha^{-1}"),
    ("(α + β)^2", "(α + β)^2", r"\left(\alpha + \beta\right)^{2}"),
    ("inv(X)", "X^{-1}", "X^{-1}"),
    ("inv(X)'", "X^{-T}", r"X^{-\top}"),
    ("inv(X')", "(X^T)^{-1}", r"\left(X^{\top}\right)^{-1}"),
    ("x^T A x", "x^T A x", r"x^{\top} A x"),
    ("sigmoid(z)", "σ(z)", r"\sigma(z)"),
    ("f''(z)", "f''(z)", "f''(z)"),
    ("exp(x) - 1", "exp(x) - 1", r"\exp(x) - 1"),
    ("relu(W x)", "relu(W x)", r"\operatorname{relu}(W x)"),
    ("norm(x)", "‖x‖", r"\lVert x \rVert"),
    ("|α|", "abs(α)", r"\lvert \alpha \rvert"),
    ("α norm(x) a", "α * ‖x‖ a", r"\alpha \lVert x \rVert a"),
    ("norm(x)^2 a", "‖x‖^2 a", r"\lVert x \rVert^{2} a"),
    ("trace(X)", "tr(X)", r"\operatorname{tr}(X)"),
    ("det(X)", "det(X)", r"\det(X)"),
    ("logdet(X)", "logdet(X)", r"\log\det(X)"),
    ("diag(a)", "diag(a)", r"\operatorname{diag}(a)"),
    ("diag(X)", "diag(X)", r"\operatorname{diag}(X)"),
    ("sum(x)", "sum(x)", r"\operatorname{sum}(x)"),
    ("softmax(x)", "softmax(x)", r"\operatorname{softmax}(x)"),
    ("logsoftmax(x)", "logsoftmax(x)", r"\operatorname{logsoftmax}(x)"),
    ("max(a, b)", "max(a, b)", r"\max(a, b)"),
    ("min(a, 0)", "min(a, 0)", r"\min(a, 0)"),
    ("X + I", "X + I", "X + I"),
    ("1^T a", "ones(n)^T a", r"\mathbf{1}_{n}^{\top} a"),
    ("2 3 a", "6 a", "6 a"),
    ("α 3 a", "α 3 a", r"\alpha \cdot 3 a"),
]


@pytest.mark.parametrize("source, expected_text, expected_latex", CASES, ids=[c[0] for c in CASES])
def test_text_and_latex_of_parsed_expressions(source, expected_text, expected_latex):
    e = matcalc.parse(f"{DECLS}; {source}").expr
    assert text(e) == expected_text
    assert latex(e) == expected_latex
    assert matcalc.parse(f"{DECLS}; {expected_text}").expr == e


a, b, c, x = Symbol("a"), Symbol("b"), Symbol("c"), Symbol("x")


@pytest.mark.parametrize("e, expected", [
    (Scale(Number(Fraction(-2)), x), "-2 x"),
    (Add((a, Scale(Number(Fraction(-2)), b))), "a - 2 b"),
    (Add((a, Neg(b))), "a - b"),
    (Add((x, Number(Fraction(-2)))), "x - 2"),
    (Add((Neg(a), b)), "-a + b"),
    (Div(a, Scale(b, c)), "a / (b c)"),
    (Power(c, Number(Fraction(2))), "c^2"),
    (Power(c, Number(Fraction(-1))), "c^{-1}"),
    (Power(c, Number(Fraction(1, 2))), "c^{1/2}"),
    (Scale(c, Norm(x)), "c * ‖x‖"),
    (Scale(Norm(x), a), "‖x‖ a"),
    (MatMul((Hadamard((a, b)), Transpose(x))), "(a ⊙ b) x^T"),
    (Scale(Number(Fraction(-1)), x), "(-1) x"),  # "-1 x" would read back as -x
    (Func("sigmoid", Symbol("z"), 1), "σ'(z)"),
])
def test_text_of_built_nodes(e, expected):
    assert text(e) == expected


@pytest.mark.parametrize("name, expected", [
    ("x", "x"), ("δ", r"\delta"), ("σ", r"\sigma"), ("Δ", r"\Delta"), ("λ", r"\lambda"),
    ("W_1", "W_{1}"), ("W_10", "W_{10}"), ("δ_1", r"\delta_{1}"), ("xy", r"\mathit{xy}"),
])
def test_latex_names(name, expected):
    assert latex_name(name) == expected


def test_deep_trees_print_without_recursion():
    e = x
    for _ in range(5000):
        e = Func("exp", e)
    assert text(e) == "exp(" * 5000 + "x" + ")" * 5000
    assert latex(e) == r"\exp(" * 5000 + "x" + ")" * 5000
    s = x
    for _ in range(3000):
        s = Scale(c, s)
    assert text(s) == "c " * 3000 + "x"


NETWORK = "W : n x m; x : m; b, u : n; z = W x + b; h = f(z); unused = 2 b; u^T h"


def test_program_text_has_the_needed_definitions_in_order():
    program = matcalc.parse(NETWORK)
    printed = program_text(program.definitions, program.expr)
    assert printed == "z = W x + b\nh = f(z)\nu^T h"
    with_shapes = program_text(program.definitions, program.expr, shapes=program.shapes)
    assert with_shapes == "W : n x m\nx : m\nb : n\nu : n\nz = W x + b\nh = f(z)\nu^T h"
    again = matcalc.parse(with_shapes)
    assert again.expr == program.expr
    assert again.definitions == {n: program.definitions[n] for n in ("z", "h")}


def test_latex_program_and_equation():
    program = matcalc.parse(NETWORK)
    assert latex_program(program.definitions, program.expr, name="s") == (
        "\\begin{aligned}\nz &= W x + b \\\\\nh &= f(z) \\\\\ns &= u^{\\top} h\n\\end{aligned}")
    assert latex_program(program.definitions, program.expr).endswith("&u^{\\top} h\n\\end{aligned}")
    gradient = matcalc.parse(f"{DECLS}; (u .* f'(W x + b)) x^T").expr
    assert latex_equation(r"\frac{\partial s}{\partial W}", gradient) == (
        r"\frac{\partial s}{\partial W} = \left(u \odot f'(W x + b)\right) x^{\top}")


# ---------------------------------------------------------------- KaTeX accepts our LaTeX

REPO = Path(__file__).resolve().parent.parent
KATEX_SCRIPT = Path(__file__).resolve().parent / "katex_render.js"


def katex_errors(strings: list[str]) -> list[dict]:
    """The strings KaTeX refuses (renderToString with throwOnError), with its messages.

    Skips when node or node_modules/katex is missing, unless CI is set: there it fails.
    """
    node = shutil.which("node")
    modules = REPO / "node_modules"
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (modules / "katex").is_dir():
        missing = f"KaTeX is not installed under {modules} (npm install --no-save --prefix {REPO} katex)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI must check the LaTeX with KaTeX")
        pytest.skip(missing)
    env = dict(os.environ, NODE_PATH=str(modules))
    result = subprocess.run([node, str(KATEX_SCRIPT)], input=json.dumps(strings), capture_output=True,
                            text=True, env=env, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


CHEATSHEET = [
    "3 y_1", "θ - α θ", "u^T f(W x + b)", "u^T diag(f'(W x + b))", "(u .* f'(W x + b)) x^T",
    "u .* f'(W x + b)", "(u .* sigmoid'(W x + b)) x^T", "x x^T", "W x", "max(0, W x + b)",
]
EXTRA = [
    "inv(X')^T", "(x^T y)^2", "tr(X)^{1/2} X", "α^{β^2}", "exp(-α^2 / 2)", "a .^ -1", "(a .^ 2) .^ 3",
    "-x^T y / (α β)", "logsoftmax(W x)", "softmax(W x) .* a ./ b", "norm(W) W / norm(W)^2",
    "max(a, b) - min(a, b)", "diag(diag(X)) + X^{-1}", "1/2 norm(W x - b)^2", "-1/2 x", "2 α 3 a",
]


def _sample_latex() -> list[str]:
    decls = DECLS + "; θ : n; y_1 : scalar"
    out = [expected for _, _, expected in CASES]
    out += [latex(matcalc.parse(f"{decls}; {s}").expr) for s in CHEATSHEET + EXTRA]
    program = matcalc.parse(NETWORK)
    out.append(latex_program(program.definitions, program.expr, name="s"))
    out.append(latex_program(program.definitions, program.expr))
    out.append(latex_equation(r"\frac{\partial s}{\partial W}", program.inline()))
    out += [latex_name(n) for n in ("δ", "W_10", "xy", "αβ_2", "ς", "ϑ")]
    return out


def test_katex_renders_the_goldens_and_the_cheatsheet():
    assert katex_errors(_sample_latex()) == []


@settings(max_examples=4)
@given(st.lists(typed_trees(), min_size=60, max_size=60))
def test_katex_renders_random_typed_trees(cases):
    assert katex_errors([latex(e) for _, e in cases]) == []


def test_the_katex_check_reports_what_katex_refuses():
    errors = katex_errors(["x^{\\top}", "a^{b}^{c}"])
    assert [e["index"] for e in errors] == [1]
    assert "superscript" in errors[0]["error"].lower()
