"""Builds notebooks/cheatsheet.ipynb and notebooks/gallery.ipynb, executes them and saves outputs.

Usage: python scripts/build_notebooks.py notebooks   (after editing a cell here; the tests run the saved notebooks)
"""
import sys
import nbformat
from nbformat.v4 import new_notebook, new_markdown_cell, new_code_cell
from nbclient import NotebookClient

def nb(cells):
    n = new_notebook()
    n.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    n.metadata["language_info"] = {"name": "python"}
    for kind, src in cells:
        n.cells.append(new_markdown_cell(src.strip()) if kind == "md" else new_code_cell(src.strip()))
    return n

M = lambda s: ("md", s)
C = lambda s: ("code", s)

cheatsheet = [
M("""
# The matrix calculus cheatsheet, derived by matcalc

This notebook walks through the cheatsheet end to end — the chain rule, derivative shapes, the one-layer
network, the shape convention and its transposes, backpropagation on computation graphs and the identities
of Appendix A — and has matcalc derive every result. Each derivative is also checked two ways:
`check_grad` compares it with central differences at a random point (fixed seed, distinct dims), and
`matcalc.verify` checks the cheatsheet's own answer against it.
"""),
C("""
import numpy as np
from IPython.display import Math, Markdown, display

import matcalc
from matcalc.calculus.numeric import check_grad


def show(d):
    \"\"\"The derivative as LaTeX, and its kind and shape.\"\"\"
    display(Math(d.latex()))
    print(f"{d.kind}, shape {' x '.join(map(str, d.shape)) or 'scalar'}: {d}")


def agrees(program, wrt, claim, layout="shape"):
    \"\"\"The cheatsheet's answer, checked by matcalc.verify; and matcalc's own, by central differences.\"\"\"
    check_grad(program, wrt, layout=layout)
    v = matcalc.verify(program, wrt=wrt, claim=claim, layout=layout)
    assert v.ok, v.message
    print("✓", v.message)
"""),
M("""
## The chain rule

**Example 0.1** (scalar-valued function): $z = 3y$, $y = x^2$, so
$\\frac{dz}{dx} = \\frac{dz}{dy}\\frac{dy}{dx} = (3)(2x) = 6x$. In matcalc a program is a list of
statements; `y = x^2` is a placeholder and `z`, the last definition, is the function.
"""),
C("""
d = matcalc.derive("z = 3 y; y = x^2", wrt="x")
show(d)
print(d.steps_text())
assert str(d) == "6 x"
agrees("z = 3 y; y = x^2", "x", "6 x")
"""),
M("""
**Example 0.2** (vector-valued function): $h = f(z)$, $z = Wx + b$. The Jacobian
$\\frac{\\partial h}{\\partial x} = \\frac{\\partial h}{\\partial z}\\frac{\\partial z}{\\partial x}
= \\mathrm{diag}(f'(z))\\, W$: the "…" of the cheatsheet. `f` is a generic elementwise function and
`f'` its derivative.
"""),
C("""
d = matcalc.derive("z = W x + b; h = f(z)", wrt="x")
show(d)
agrees("z = W x + b; h = f(z)", "x", "diag(f'(z)) W")
"""),
M("""
## Derivative shapes

$f: \\mathbb{R}^{\\text{input shape}} \\to \\mathbb{R}^{\\text{output shape}}$ has a derivative of shape
(output shape) × (input shape). The five cases of the cheatsheet's remark, in pure-mathematics
(numerator) layout:
"""),
C("""
cases = [
    ("scalar → scalar", "a : scalar; b : scalar; x : scalar; a x + b", "x", ()),
    ("scalar → vector", "x : scalar; x v", "x", ("n",)),
    ("vector → scalar (gradient)", "v^T x", "x", (1, "n")),
    ("vector → vector (Jacobian)", "M : n x n; M x", "x", ("n", "n")),
    ("vector → matrix (generalized Jacobian)", "x x^T", "x", ("n", "n", "n")),
]
for title, program, wrt, shape in cases:
    d = matcalc.derive(program, wrt=wrt, layout="numerator")
    print(f"{title:40} f = {program.split('; ')[-1]:8}  df/d{wrt} = {str(d):34} {d.kind:10} {d.shape}")
    assert d.shape == shape, (program, d.shape)
    check_grad(program, wrt, layout="numerator")
"""),
M("""
## The one-layer network

**Example 0.3**: the score $s = u^T h$, $h = f(z)$, $z = Wx + b$. The cheatsheet finds
$\\frac{\\partial s}{\\partial b} = u^T \\operatorname{diag}(f'(z))\\, I = u^T \\odot f'(z)$ — a row in pure
mathematics; in the shape of $b$ (the shape convention below) it is the column $u \\odot f'(z)$.
"""),
C("""
net = "z = W x + b; h = f(z); s = u^T h"
d = matcalc.derive(net, wrt="b")
show(d)
print(d.steps_text())
agrees(net, "b", "u ⊙ f'(z)")
agrees(net, "b", "(u ⊙ f'(z))^T", layout="numerator")
"""),
M("""
Both $\\frac{\\partial s}{\\partial W}$ and $\\frac{\\partial s}{\\partial b}$ share
$\\delta = \\frac{\\partial s}{\\partial h}\\frac{\\partial h}{\\partial z}$: matcalc differentiates with respect to
several variables in one backward pass, so δ is computed once (memoization, the key idea of backprop).
"""),
C("""
grads = matcalc.derive(net, wrt=["W", "b", "x"])
for name, d in grads.items():
    show(d)
"""),
M("""
## The shape convention and its transposes

In neural-network land the gradient has **the shape of the parameter**, so that
$\\theta^{\\text{new}} = \\theta^{\\text{old}} - \\alpha \\nabla_\\theta J$ type-checks: $\\frac{\\partial s}{\\partial W}$
is $n \\times m$ like $W$. **Example 0.4**: with $\\delta = u^T \\circ f'(z)$ a $1 \\times n$ row,
$\\delta\\, x$ does not even multiply; the outer product $\\delta^T x^T$ does, and is $n \\times m$.
matcalc's default is this convention; `layout="numerator"` gives the pure-mathematics $m \\times n$ form.
"""),
C("""
d = matcalc.derive(net, wrt="W")
show(d)
assert d.shape == ("n", "m")
agrees(net, "W", "(u ⊙ f'(z)) x^T")

pure = matcalc.derive(net, wrt="W", layout="numerator")
show(pure)
assert pure.shape == ("m", "n")

wrong = matcalc.verify(net, wrt="W", claim="(u ⊙ f'(z)) x")  # the shape mistake the cheatsheet warns of
print("✗", wrong.message)
assert not wrong.ok
"""),
M("""
## Backpropagation on computation graphs

Nodes are operations, edges carry their results (forward propagation); going backwards each node turns its
upstream gradient into a downstream gradient for each input: **downstream = upstream × local**.
**Example 0.7** has one node with many inputs, $z = Wx$:
"""),
C("""
show(matcalc.derive("W x", wrt="x"))
show(matcalc.derive("s = u^T W x", wrt="W"))
agrees("s = u^T W x", "W", "u x^T")
"""),
M("""
**Example 0.8**: $f(x, y, z) = (x + y)\\max(y, z)$, broken into $a = x + y$, $b = \\max(y, z)$, $f = ab$.
At $x = -2$, $y = 5$, $z = -4$: forward, $a = 3$, $b = 5$, $f = 15$; backward, $\\frac{\\partial f}{\\partial a} = b = 5$,
$\\frac{\\partial f}{\\partial b} = a = 3$, so $\\frac{\\partial f}{\\partial x} = 5$,
$\\frac{\\partial f}{\\partial y} = 5 + 3 = 8$ (the gradients of the two edges out of $y$ add up) and
$\\frac{\\partial f}{\\partial z} = 0$ (max routes the gradient to the larger input). Values in green,
gradients in red (`matcalc graph "(x + y) * max(y, z)" --at x=-2,y=5,z=-4 -o graph.svg` draws the same):
"""),
C("""
g = matcalc.graph("(x + y) * max(y, z)", at={"x": -2, "y": 5, "z": -4})
assert g.value == 15 and g.gradients == {"x": 5, "y": 8, "z": 0}
g
"""),
M("""
With the placeholders named, the edges carry their names:
"""),
C("""
g = matcalc.graph("a = x + y; b = max(y, z); f = a b", at={"x": -2, "y": 5, "z": -4})
assert g.value == 15 and g.gradients == {"x": 5, "y": 8, "z": 0}
g
"""),
C("""
grads = matcalc.derive("(x + y) * max(y, z)", wrt=["x", "y", "z"])
for name, d in grads.items():
    print(f"∂f/∂{name} = {d}  =  {d.evaluate({'x': -2.0, 'y': 5.0, 'z': -4.0})}")
"""),
M("""
The one-layer network as a graph, with shapes on the edges and a small numeric example (values and
gradients of at most four entries are written out):
"""),
C("""
rng = np.random.default_rng(0)
at = {"W": rng.standard_normal((3, 2)).round(1), "x": np.array([1.0, -1.0]),
      "b": np.array([0.5, 0.0, -0.5]), "u": np.array([1.0, -2.0, 0.5])}
g = matcalc.graph("z = W x + b; h = σ(z); s = u^T h", at=at)
sig = 1 / (1 + np.exp(-(at["W"] @ at["x"] + at["b"])))
delta = at["u"] * sig * (1 - sig)  # ∂s/∂b = δ = u ⊙ σ'(z), by hand
assert np.allclose(g.gradients["b"], delta)
assert np.allclose(g.gradients["W"], np.outer(delta, at["x"]))  # ∂s/∂W = δ xᵀ
g
"""),
M("""
## Appendix A: useful identities

**Definition 0.4** (various Jacobians), **0.5** (the sigmoid), **0.6** (logs) and **0.7** (log-exp
cancellation), each derived and checked. Jacobians are in numerator layout, as the cheatsheet writes them.
"""),
C("""
identities = [
    ("∂/∂x (Wx + b) = W", "W x + b", "x", "W", "shape"),
    ("∂/∂b (Wx + b) = I", "W x + b", "b", None, "shape"),  # verify cannot size a bare I yet
    ("∂/∂u (uᵀh) = hᵀ", "u^T h", "u", "h^T", "numerator"),
    ("∂/∂z f(z) = diag(f'(z))", "f(z)", "z", "diag(f'(z))", "shape"),
    ("σ'(z) = σ(z)(1 - σ(z))", "z : scalar; σ(z)", "z", "σ(z) (1 - σ(z))", "shape"),
    ("∂/∂x log(x/y) = 1/x", "x : scalar; y : scalar; log(x / y)", "x", "1 / x", "shape"),
    ("∂/∂v_c log exp(u_oᵀv_c) = u_o", "log(exp(u_o^T v_c))", "v_c", "u_o", "shape"),
]
for title, program, wrt, claim, layout in identities:
    d = matcalc.derive(program, wrt=wrt, layout=layout)
    display(Markdown(f"**{title}**"))
    display(Math(d.latex()))
    if claim is None:
        check_grad(program, wrt, layout=layout)
        assert str(d) == "I"
        print("✓ I, and central differences agree")
    else:
        agrees(program, wrt, claim, layout=layout)
"""),
M("""
The log identity that makes softmax gradients simple: with $s = \\operatorname{softmax}(x)$,
$\\frac{\\partial}{\\partial x}\\log s_o = e_o - s$ — the gradient of $y^T \\log\\operatorname{softmax}(x)$ for a one-hot $y$:
"""),
C("""
d = matcalc.derive("y^T logsoftmax(x)", wrt="x")
show(d)
agrees("y^T logsoftmax(x)", "x", "y - sum(y) softmax(x)")
"""),
M("""
## Appendix B

The promised "more matrix calculus examples" are in [gallery.ipynb](gallery.ipynb) (and `matcalc examples`).
"""),
]

gallery = [
M("""
# Appendix B: more matrix calculus examples

The cheatsheet promised examples from CS229, CS224N/CS231n and CS221 "to be updated eventually".
Here they are. Each comes from `matcalc.gallery` (the same source as `matcalc examples NAME`): the program,
the chain rule step by step, the result in LaTeX, the answer as the course notes write it (typed in by
hand), and two numeric checks — the derivative against central differences (`check_grad`), and matcalc's
result against the textbook answer at random points satisfying the example's assumptions (e.g. a one-hot `y`).
"""),
C("""
import numpy as np
from IPython.display import Markdown, Math, display

import matcalc
from matcalc.views import gallery
from matcalc.calculus.numeric import check_grad

shown = set()


def show(name, steps=True, graph=False):
    ex = gallery.example(name)
    shown.add(name)
    display(Markdown(f"### {ex.title} ({ex.course})\\n\\n{ex.description}.\\n\\n*Reference:* {ex.reference}"))
    print(ex.source, end="\\n\\n")
    grads = matcalc.derive(ex.program(), wrt=ex.wrt)
    for wrt, d in grads.items():
        if steps:
            print(d.steps_text(), end="\\n\\n")
        display(Math(d.latex()))
        check_grad(ex.program(), wrt, domain=ex.domain or "any")
        worst = 0.0
        for seed in range(3):
            derived, textbook = gallery.compare(ex, wrt, d, gallery.point(ex, seed))
            assert derived.shape == textbook.shape and np.allclose(derived, textbook), (wrt, str(d))
            worst = max(worst, float(np.max(np.abs(derived - textbook))))
        print(f"textbook: ∂/∂{wrt} = {ex.answers[wrt]}")
        print(f"✓ central differences agree; textbook answer agrees at 3 random points (max |difference| {worst:.1e})\\n")
    if ex.onehot:
        print(f"(the textbook forms take {', '.join(ex.onehot)} one-hot, so sum({ex.onehot[0]}) = 1)")
    if graph:
        return matcalc.graph(ex.program(), at=gallery.point(ex, 0))


print(len(gallery.EXAMPLES), "examples,", sum(len(e.wrt) for e in gallery.EXAMPLES), "gradients")
"""),
M("## CS229"),
C('show("least-squares")'),
C('show("ridge", steps=False)'),
C('show("weighted-least-squares", steps=False)'),
M("The logistic regression graph at a random point: σ's gradient flows back through the log-likelihood."),
C('show("logistic-regression", graph=True)'),
C('show("logistic-regression-batch", steps=False)'),
C('show("softmax-regression")'),
C('show("gda-mean", steps=False)'),
C('show("gda-covariance", steps=False)'),
C('show("gda-mean-batch", steps=False)'),
M("## CS224N"),
C('show("word2vec-naive-softmax")'),
C('show("word2vec-negative-sampling", steps=False)'),
C('show("window-score", graph=True)'),
C('show("window-softmax", steps=False)'),
C('show("window-max-margin", steps=False)'),
M("## CS231n"),
C('show("two-layer-softmax", graph=True)'),
C('show("multiclass-svm", steps=False)'),
C('show("batch-linear-squared", steps=False)'),
C('show("batch-softmax", steps=False)'),
C('show("two-layer-batch", steps=False)'),
M("## CS221"),
C('show("hinge-loss", steps=False)'),
C('show("logistic-loss", steps=False)'),
C('show("squared-loss")'),
M("The models of real networks (batch norm, attention, LSTM, …) have a notebook of their own: "
  "[models.ipynb](models.ipynb). Every other example of the gallery appears above:"),
C("""
from matcalc.views.models import MODELS
missing = set(gallery.names()) - shown - {m["name"] for m in MODELS}
assert not missing, missing
print("all", len(shown), "examples shown and checked")
"""),
]

models = [
M("""
# The models of real networks

The layers and losses that people come to a matrix-calculus tool for, on batches: CS231n's affine layer,
softmax and SVM losses on a data matrix, batch and layer normalization, RMSNorm, single-head attention, a
residual block, GRU and LSTM cells, the VAE's KL term and InfoNCE. Each comes from `matcalc.views.models`
(also listed by `matcalc examples`): the program, matcalc's gradient in LaTeX, the answer as the course or the
paper writes it (typed in by hand), and two checks — central differences (`check_grad`), and equality with
the written answer at three random points.

The conventions of a batch: one example per row (`X : N x D`); `X W + b^T` adds the row bᵀ to each row,
`X + b` the column b to each column; `softmax`, `logsoftmax` and `logsumexp` of a matrix act on each row
(for columns, take them of the transpose); a declared dim used as a number is its size (`sum(x) / N`); an
upstream gradient is a matrix G with `L = tr(G^T out)`.
"""),
C("""
import numpy as np
from IPython.display import Markdown, Math, display

import matcalc
from matcalc.views import gallery
from matcalc.views.models import MODELS
from matcalc.calculus.numeric import check_grad

shown = set()


def show(name):
    ex = gallery.example(name)
    shown.add(name)
    display(Markdown(f"### {ex.title}\\n\\n{ex.description}.\\n\\n*Reference:* {ex.reference}"))
    print(ex.source, end="\\n\\n")
    grads = matcalc.derive(ex.program(), wrt=ex.wrt)
    for wrt, d in grads.items():
        display(Math(d.latex()))
        check_grad(ex.program(), wrt, domain=ex.domain or "any")
        for seed in range(3):
            derived, textbook = gallery.compare(ex, wrt, d, gallery.point(ex, seed))
            assert derived.shape == textbook.shape and np.allclose(derived, textbook), (wrt, str(d))
        print(f"written: ∂L/∂{wrt} = {ex.answers[wrt]}")
        print("✓ central differences agree; the written answer agrees at 3 random points\\n")
    if ex.onehot_rows:
        print(f"(the written forms take each row of {', '.join(ex.onehot_rows)} one-hot)")
"""),
M("## CS231n: layers and losses on a batch"),
C('show("affine-layer")'),
C('show("batch-softmax-loss")'),
C('show("batch-svm-loss")'),
M("""
## Normalization

matcalc's gradient of batch norm by X is right (central differences and the written answer agree), but it
is not yet the compact form of `batchnorm_backward_alt`: that form uses Σᵢ (xᵢ − μ) = 0, which the simplifier
does not know.
"""),
C('show("batch-norm")'),
C('show("layer-norm")'),
C('show("rmsnorm")'),
M("## Attention and residual connections"),
C('show("attention")'),
M("The attention graph at a random point:"),
C('matcalc.graph(gallery.example("attention").program(), at=gallery.point(gallery.example("attention"), 0))'),
C('show("residual-block")'),
M("## Recurrent cells"),
C('show("gru-cell")'),
C('show("lstm-cell")'),
M("## Generative and contrastive losses"),
C('show("vae-kl")'),
C('show("infonce")'),
C("""
missing = {m["name"] for m in MODELS} - shown
assert not missing, missing
print("all", len(shown), "models shown and checked")
"""),
]

out = sys.argv[1]
for name, cells in (("cheatsheet", cheatsheet), ("gallery", gallery), ("models", models)):
    n = nb(cells)
    NotebookClient(n, timeout=120, kernel_name="python3", resources={"metadata": {"path": out}}).execute()
    for c in n.cells:
        if c.cell_type == "code":
            c.metadata = {}
    nbformat.write(n, f"{out}/{name}.ipynb")
    print("wrote", name)
