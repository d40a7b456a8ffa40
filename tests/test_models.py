"""The models of real networks (issue 12, views/models.py): batches, norms, attention, gates.

Each gradient is checked against central differences and equals the course's or the paper's
answer, typed by hand, by value at random points (tests/test_gallery.py runs every gallery
example, these included); here also the generated code and the shape of the forms.
"""
from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.views import gallery
from matcalc.views.codegen import generate, safe_name
from matcalc.views.models import MODELS

NAMES = [m["name"] for m in MODELS]
CASES = [(m["name"], w) for m in MODELS for w in m["answers"]]


def test_the_models_are_in_the_gallery():
    for name in ("affine-layer", "batch-softmax-loss", "batch-svm-loss", "batch-norm", "layer-norm", "rmsnorm",
                 "attention", "residual-block", "gru-cell", "lstm-cell", "vae-kl", "infonce"):
        assert name in gallery.names()
    assert set(gallery.example("attention").wrt) == {"Q", "K", "V"}
    assert set(gallery.example("batch-norm").wrt) == {"X", "γ", "β"}


@pytest.mark.parametrize("name,wrt", CASES, ids=[f"{n}-{w}" for n, w in CASES])
def test_the_generated_code_agrees(name, wrt):
    ex = gallery.example(name)
    d = matcalc.derive(ex.program(), wrt)
    env = gallery.point(ex, seed=1)
    generated = generate(d.program, d)
    by_name = {safe_name(k): k for k in env}
    value, grad = d.compile()(**{p: env[by_name[p]] for p in generated.parameters})
    assert np.allclose(grad, d.evaluate(env), rtol=1e-8, atol=1e-10)
    assert np.allclose(value, matcalc.evaluate(ex.program(), env), rtol=1e-8, atol=1e-10)


def test_one_hot_rows_are_one_hot():
    env = gallery.point(gallery.example("batch-softmax-loss"), seed=2)
    Y = env["Y"]
    assert set(np.unique(Y)) <= {0.0, 1.0} and np.all(Y.sum(axis=1) == 1)


@pytest.mark.parametrize("name,wrt,form", [
    ("affine-layer", "b", "G^T ones(N)"),
    ("affine-layer", "W", "X^T G"),
    ("attention", "V", "P^T G"),
    ("infonce", "Z1", "(softmax(S) - I) Z2 / (τ N)"),
    ("vae-kl", "mu", "mu"),
    ("batch-norm", "β", "G^T ones(N)"),
])
def test_textbook_forms(name, wrt, form):
    d = matcalc.derive(gallery.example(name).program(), wrt)
    assert str(d).splitlines()[-1] == form
