"""Rich display: every public result object, shown by a real Jupyter kernel (nbclient), gives
a short text repr and the rich MIME type that fits it (LaTeX for math, SVG for graphs, HTML
for verdicts and programs)."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import matcalc

HEADLINE = "u^T f(W x + b)"

# (the cell's last expression, the MIME types it must produce besides text/plain, a piece of its text repr)
CELLS = [
    (f'matcalc.derive("{HEADLINE}", wrt="W")', {"text/latex"}, "(u ⊙ f'(W x + b)) x^T"),
    (f'matcalc.derive("{HEADLINE}", wrt=["W", "b"])', {"text/latex"}, "∂s/∂b"),
    (f'matcalc.verify("{HEADLINE}", wrt="W", claim="-(u ⊙ f\'(W x + b)) x^T")', {"text/html"}, "refuted (sign)"),
    (f'matcalc.verify("{HEADLINE}", wrt="W", claim="(u ⊙ f\'(W x + b)) x^T")', {"text/html"}, "right"),
    (f'matcalc.derive("{HEADLINE}", wrt="W").steps', {"text/latex"}, "chain rule"),
    (f'matcalc.derive("{HEADLINE}", wrt="W").steps[3]', {"text/latex"}, "backward"),
    (f'matcalc.parse("{HEADLINE}")', {"text/html"}, "W : n x m"),
    ('matcalc.graph("(x + y) * max(y, z)", at={"x": -2, "y": 5, "z": -4})', {"image/svg+xml"}, "f = 15"),
    ('matcalc.hessian("x^T A x", wrt="x")', {"text/latex"}, "A + A^T"),
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Run one notebook with a cell per object in a fresh python3 kernel; its outputs by cell."""
    package_root = str(Path(matcalc.__file__).resolve().parent.parent)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, old]))
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("import matcalc")] + \
            [nbformat.v4.new_code_cell(code) for code, _, _ in CELLS]
        client = NotebookClient(nb, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path_factory.mktemp("kernel"))}})
        client.execute()
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    return [cell.outputs for cell in nb.cells[1:]]


@pytest.mark.parametrize("index", range(len(CELLS)), ids=[c[0][:40] for c in CELLS])
def test_rich_display_in_a_kernel(outputs, index):
    code, mimes, piece = CELLS[index]
    results = [o for o in outputs[index] if o.output_type == "execute_result"]
    assert len(results) == 1, outputs[index]
    data = results[0].data
    assert mimes <= set(data), f"{code}: {sorted(data)}"
    plain = data["text/plain"]
    assert len(plain) <= 200 and "\n" not in plain, plain
    assert piece in plain, plain
    assert plain.startswith("<matcalc "), plain


def test_latex_is_display_math():
    d = matcalc.derive(HEADLINE, wrt="W")
    latex = d._repr_latex_()
    assert latex.startswith("$$") and latex.endswith("$$")
    assert r"\frac{\partial s}{\partial W}" in latex
    assert d.steps._repr_latex_().startswith(r"$$\begin{aligned}")


def test_long_programs_have_short_reprs():
    """A program of many terms still has a one-line repr under 200 characters, cut with an ellipsis."""
    text = " + ".join(f"a{i}^T W x{i}" for i in range(30))
    p = matcalc.parse(text)
    assert len(repr(p)) <= 200 and repr(p).endswith("…>")
    d = matcalc.derive(p, wrt="W")
    assert len(repr(d)) <= 200


def test_steps_are_a_list_that_prints_as_text():
    steps = matcalc.derive(HEADLINE, wrt="W").steps
    assert isinstance(steps, list) and len(steps) == 8
    assert str(steps) == matcalc.derive(HEADLINE, wrt="W").steps_text()
    assert [type(s).__name__ for s in steps[:3]] == ["Placeholder"] * 3
    assert repr(steps[0]) == "<matcalc placeholder z = W x + b>"




def test_verdict_html_is_escaped():
    from html import escape
    v = matcalc.verify("x^T A x", wrt="x", claim="A x")  # the gradient is (A + A^T) x
    assert not v.ok
    html = v._repr_html_()
    assert "refuted" in html and f"<pre>{escape(v.message)}</pre>" in html


def test_graphviz_comes_with_matcalc():
    """The Python graphviz package is a default dependency, so graph -o g.svg needs only dot."""
    from importlib import metadata
    try:
        requires = metadata.requires("matcalc") or []
    except metadata.PackageNotFoundError:
        pytest.skip("matcalc is not installed here (run from the checkout); .ci/run installs it")
    assert any(r.split(">")[0].split("=")[0].strip() == "graphviz" and "extra" not in r for r in requires), requires


def test_rich_latex_renders_in_katex():
    """What Jupyter is handed as text/latex (inside $$ … $$) is LaTeX that KaTeX accepts."""
    from test_printing import katex_errors
    steps = matcalc.derive(HEADLINE, wrt="W").steps
    shown = [matcalc.derive(HEADLINE, wrt=["W", "b"])._repr_latex_(), matcalc.derive(HEADLINE, wrt="W")._repr_latex_(),
             steps._repr_latex_(), *(s._repr_latex_() for s in steps)]
    strings = [s.removeprefix("$$").removesuffix("$$") for s in shown]
    assert katex_errors(strings) == []
