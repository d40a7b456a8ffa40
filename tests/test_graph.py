"""Computation graphs: the cheatsheet's Example 0.8 with its values, shapes on edges, drawing and the CLI."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import matcalc
from matcalc.cli import main
from matcalc.views.graph import Graph, format_value

EXAMPLE_08 = "(x + y) * max(y, z)"
AT_08 = {"x": -2, "y": 5, "z": -4}
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def _edge(g: Graph, tail_label: str, head_label: str):
    labels = {n.id: n.label for n in g.nodes}
    found = [e for e in g.edges if labels[e.tail] == tail_label and labels[e.head] == head_label]
    assert len(found) == 1, (tail_label, head_label, found)
    return found[0]


def test_example_08_values_and_gradients():
    # by hand: a = x + y = 3, b = max(y, z) = 5, f = a b = 15;
    # ∂f/∂a = b = 5, ∂f/∂b = a = 3; ∂f/∂x = 5, ∂f/∂y = 5 + 3 (y > z) = 8, ∂f/∂z = 0
    g = matcalc.graph(EXAMPLE_08, at=AT_08)
    assert g.value == 15
    assert g.gradients == {"x": 5, "y": 8, "z": 0}
    assert (_edge(g, "x", "+").value, _edge(g, "x", "+").gradient) == (-2, 5)
    assert (_edge(g, "y", "+").value, _edge(g, "y", "+").gradient) == (5, 5)
    assert (_edge(g, "y", "max").value, _edge(g, "y", "max").gradient) == (5, 3)
    assert (_edge(g, "z", "max").value, _edge(g, "z", "max").gradient) == (-4, 0)
    assert (_edge(g, "+", "×").value, _edge(g, "+", "×").gradient) == (3, 5)
    assert (_edge(g, "max", "×").value, _edge(g, "max", "×").gradient) == (5, 3)
    assert (_edge(g, "×", "f").value, _edge(g, "×", "f").gradient) == (15, 1)
    for text in ("∂f/∂x = 5", "∂f/∂y = 8", "∂f/∂z = 0", ">15<"):
        assert text in g.source


def test_each_input_is_one_node_and_each_operation_a_node():
    g = matcalc.graph(EXAMPLE_08)
    kinds = sorted((n.kind, n.label) for n in g.nodes)
    assert kinds == [("input", "x"), ("input", "y"), ("input", "z"), ("operation", "+"),
                     ("operation", "max"), ("operation", "×"), ("output", "f")]
    assert len(g.edges) == 7  # y feeds both + and max
    assert g.source.startswith("digraph")


def test_placeholders_name_their_edges_and_shapes_label_them():
    g = matcalc.graph("z = W x + b; h = f(z); s = u^T h")
    assert _edge(g, "+", "f").name == "z"
    assert _edge(g, "f", "×").name == "h"
    assert [str(d) for d in _edge(g, "W", "×").shape] == ["n", "m"]
    assert "n x m" in g.source and "<B>z</B>" in g.source
    assert any(n.kind == "output" and n.label == "s" for n in g.nodes)


def test_vector_program_gradients_match_the_derivative():
    rng = np.random.default_rng(0)
    at = {"W": rng.standard_normal((3, 2)), "x": rng.standard_normal(2), "b": rng.standard_normal(3),
          "u": rng.standard_normal(3)}
    source = "z = W x + b; h = tanh(z); s = u^T h"
    g = matcalc.graph(source, at=at)
    z = at["W"] @ at["x"] + at["b"]
    delta = at["u"] * (1 - np.tanh(z) ** 2)  # by hand: δ = u ⊙ f'(z)
    assert np.allclose(g.value, at["u"] @ np.tanh(z))
    assert np.allclose(g.gradients["W"], np.outer(delta, at["x"]))
    assert np.allclose(g.gradients["b"], delta)
    assert np.allclose(g.gradients["x"], at["W"].T @ delta)
    assert np.allclose(_edge(g, "+", "tanh").gradient, delta)
    assert "3 x 2" in g.source  # the concrete shape beside n x m, W's gradient too big to list


def test_scalar_broadcast_and_constants():
    g = matcalc.graph("1/2 x^2 + 3 x", at={"x": 2})
    assert g.value == 8 and g.gradients == {"x": 5}  # by hand: x + 3
    assert "^2" in {n.label for n in g.nodes}
    assert "2" not in {n.label for n in g.nodes if n.kind == "constant"}  # the exponent is folded


def test_non_scalar_function_shows_values_only():
    g = matcalc.graph("W x", at={"W": [[1, 2], [3, 4]], "x": [1, 1]})
    assert np.allclose(g.value, [3, 7])
    assert not g.gradients
    assert "gradients need a scalar function" in g.source


def test_format_value():
    assert format_value(15.0) == "15"
    assert format_value(-0.0) == "0"
    assert format_value(0.125) == "0.125"
    assert format_value(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert format_value(np.ones((3, 3))) == ""


@needs_dot
def test_render_svg_png_and_inline(tmp_path):
    g = matcalc.graph(EXAMPLE_08, at=AT_08)
    svg = g.render(tmp_path / "g.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "15" in svg
    assert (tmp_path / "g.png").exists() is False
    assert g.render(tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in g._repr_svg_()


def test_dot_output_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    g = matcalc.graph(EXAMPLE_08, at=AT_08)
    assert g.render(tmp_path / "g.dot").read_text() == g.source
    with pytest.raises(matcalc.MatcalcError) as error:
        g.render(tmp_path / "g.svg")
    assert "apt-get install graphviz" in str(error.value)
    assert g._repr_svg_() is None


def test_unknown_format(tmp_path):
    with pytest.raises(matcalc.MatcalcError, match="cannot tell the format"):
        matcalc.graph("x + y").render(tmp_path / "g.jpeg2")


def test_cli_prints_dot(capsys):
    assert main(["graph", EXAMPLE_08, "--at", "x=-2,y=5,z=-4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph") and "∂f/∂y = 8" in out


@needs_dot
def test_cli_writes_svg(tmp_path):
    path = tmp_path / "example.svg"
    assert main(["graph", EXAMPLE_08, "--at", "x=-2,y=5,z=-4", "-o", str(path)]) == 0
    assert "∂f/∂y = 8" in path.read_text()


def test_cli_arrays_and_bad_values(capsys):
    assert main(["graph", "x^T A x", "--at", "x=[1,2],A=[[1,0],[0,1]]"]) == 0
    assert ">5<" in capsys.readouterr().out  # by hand: 1 + 4
    assert main(["graph", "x + y", "--at", "x=1,y=two"]) == 2
    assert 'cannot read the value of y: "two"' in capsys.readouterr().err
    assert main(["graph", "x + y", "--at", "x"]) == 2
