"""Every kind of LaTeX a user sees renders in the real KaTeX: results, steps, the gallery."""
import matcalc
from matcalc.views import gallery

from test_derive import GRAD_CASES, HESSIAN_CASES, JACOBIAN_CASES, PROPERTY_CASES
from test_printing import katex_errors

TENSORS = [("x x^T", "x"), ("tanh(W x)", "W"), ("A X", "X"), ("X^{-1}", "X")]
STEPS = [("z = W x + b; h = f(z); s = u^T h", "W"), ("z = W x + b; h = f(z); s = u^T h", "b"),
         ("(x + y) * max(y, z)", "y"), ("u^T tanh(W_2 tanh(W_1 x + b_1) + b_2)", "W_1"),
         ("norm(X w - y)^2", "w"), ("x^T A x", "x")]


def _results() -> list[str]:
    out = []
    for case in GRAD_CASES + PROPERTY_CASES:
        out.append(matcalc.derive(case.source, case.wrt).latex())
        out.append(matcalc.derive(case.source, case.wrt, layout="numerator").latex())
    out += [matcalc.derive(src, wrt).latex() for _, src, wrt, _ in JACOBIAN_CASES]
    out += [matcalc.hessian(src, wrt).latex() for _, src, wrt, _ in HESSIAN_CASES]
    out += [matcalc.derive(src, wrt).latex() for src, wrt in TENSORS]
    return out


def test_every_result_renders_in_katex():
    strings = _results()
    assert katex_errors(strings) == []


def test_the_steps_render_in_katex():
    strings = [matcalc.derive(src, wrt).steps_latex() for src, wrt in STEPS]
    assert all(strings)
    assert katex_errors(strings) == []


def test_the_gallery_renders_in_katex():
    strings = [matcalc.derive(ex.source, wrt).latex() for ex in gallery.EXAMPLES for wrt in ex.answers]
    assert len(strings) >= 15
    assert katex_errors(strings) == []
