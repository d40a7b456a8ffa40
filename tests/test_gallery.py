"""The gallery (Appendix B): every example checked by central differences and against its textbook answer."""
from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.views import gallery
from matcalc.cli import main
from matcalc.calculus.numeric import check_grad

CASES = [(e, w) for e in gallery.EXAMPLES for w in e.wrt]


def test_the_gallery_covers_the_courses():
    assert len(gallery.EXAMPLES) >= 15
    assert len(set(gallery.names())) == len(gallery.EXAMPLES)
    courses = {e.course for e in gallery.EXAMPLES}
    assert {"CS229", "CS224N", "CS231n", "CS221"} <= courses
    for name in ("least-squares", "ridge", "logistic-regression", "softmax-regression", "gda-mean",
                 "word2vec-naive-softmax", "word2vec-negative-sampling", "window-score",
                 "two-layer-softmax", "two-layer-batch"):
        assert name in gallery.names()
    assert gallery.example("two-layer-softmax").wrt == ["W1", "b1", "W2", "b2"]
    for e in gallery.EXAMPLES:
        assert e.description and e.reference and "\n" not in e.description


@pytest.mark.parametrize("ex,wrt", CASES, ids=[f"{e.name}-{w}" for e, w in CASES])
def test_derivative_matches_central_differences_and_the_textbook(ex, wrt):
    d = check_grad(ex.program(), wrt, domain=ex.domain or "any")
    for seed in range(3):
        env = gallery.point(ex, seed)
        derived, textbook = gallery.compare(ex, wrt, d, env)
        assert derived.shape == textbook.shape, (str(d), ex.answers[wrt])
        assert np.allclose(derived, textbook, rtol=1e-8, atol=1e-10), (str(d), ex.answers[wrt], seed)


def test_a_wrong_textbook_answer_is_caught():
    # the check is not vacuous: a missing transpose or a dropped term shows
    ex = gallery.example("two-layer-softmax")
    wrong = gallery.Example(ex.name, ex.course, ex.title, ex.description, ex.source,
                            {"W1": "(W2^T (softmax(s) - y)) x^T"}, ex.reference, onehot=ex.onehot)
    d = matcalc.derive(ex.program(), "W1")
    derived, textbook = gallery.compare(wrong, "W1", d, gallery.point(wrong, 0))
    assert not np.allclose(derived, textbook)


def test_one_hot_labels_are_one_hot():
    env = gallery.point(gallery.example("word2vec-naive-softmax"), seed=3)
    assert sorted(env["y"]) == [0] * (len(env["y"]) - 1) + [1]


def test_unknown_example_suggests_names():
    with pytest.raises(matcalc.MatcalcError, match="did you mean two-layer-batch or two-layer-softmax"):
        gallery.example("two-layer")


def test_cli_lists_and_shows(capsys):
    assert main(["examples"]) == 0
    listing = capsys.readouterr().out
    assert len(listing.splitlines()) == len(gallery.EXAMPLES)
    assert "word2vec-negative-sampling" in listing
    assert main(["examples", "least-squares"]) == 0
    shown = capsys.readouterr().out
    assert "J = 1/2 * ‖X θ - y‖^2" in shown
    assert "X^T (X θ - y)" in shown and "\\frac{\\partial J}{\\partial \\theta}" in shown
    assert main(["examples", "nope"]) == 2
    assert 'no example called "nope"' in capsys.readouterr().err
