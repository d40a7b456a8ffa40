"""The LaTeX of a tensor result reads back (issue 12): text, LaTeX and index notation parse to the same value.

Every generalized Jacobian and Hessian by a matrix of the suite is printed as LaTeX
(``\\frac{\\partial F_{ij}}{\\partial X_{kl}} = …``), read back by matcalc.parse (with the program's
declarations, and alone), and evaluated at random points with distinct dims to the same array
as the engine's and as its text's. Hand-written variants (``\\partial^2 s / \\partial X_{ij}
\\partial X_{kl}``, ``\\sum_{k}``, ``\\delta_{ij}``, ``\\mathbf{1}_{n}``) are checked against einsum
by hand, and verify accepts a LaTeX claim (and refuses a wrong one).
"""
from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.calculus.numeric import random_env
from matcalc.core.nodes import Tensor

from test_index_language import CASES, HESSIANS, IDS, _declared, _derived, _domain

BROAD = [("X x", "X"), ("x^T X", "X"), ("A X B", "X"), ("X^T", "X"), ("X ⊙ X", "X"), ("softmax(X)", "X"),
         ("X^{-1}", "X"), ("tanh(A X)", "X"), ("X X", "X")]
BROAD_HESSIANS = [("tr(X^T A X)", "X"), ("sum(logsumexp(A))", "A"), ("logdet(X)", "X"), ("‖X‖", "X"),
                  ("‖X‖^2", "X"), ("sum(logsumexp(softmax(A)))", "A"), ("tr(X^T X X)", "X"),
                  ("u^T X v", "X"), ("sum(exp(X))", "X")]


def _latex_reads_back(program, d, domain):
    for seed in (0, 1):
        env = random_env(program, seed=seed, domain=domain)
        sizes = [v for v in env.values() if isinstance(v, int)]
        assert len(set(sizes)) == len(sizes)  # distinct dims
        expected = d.evaluate(env)
        text = matcalc.parse(_declared(program) + "\n" + str(d))
        np.testing.assert_allclose(matcalc.evaluate(text, env), expected, rtol=1e-10, atol=1e-12)
        again = matcalc.parse(_declared(program) + "\n" + d.latex())
        assert isinstance(again.expr, Tensor), d.latex()
        np.testing.assert_allclose(matcalc.evaluate(again, env), expected, rtol=1e-10, atol=1e-12,
                                   err_msg=d.latex())
        alone = matcalc.parse(d.latex())
        t = alone.expr
        stated = {str(x) for x in t.dims[:t.split]} if str(d).startswith(f"{t.function} : ") else set()
        inputs = {k: v for k, v in env.items() if k in program.variables or callable(v) or k in stated}
        np.testing.assert_allclose(matcalc.evaluate(alone, inputs), expected, rtol=1e-10, atol=1e-12,
                                   err_msg=d.latex())


@pytest.mark.parametrize("source, wrt, domain", CASES, ids=IDS)
def test_the_latex_of_every_tensor_result_of_the_suite_reads_back(source, wrt, domain):
    program, d = _derived(source, wrt)
    _latex_reads_back(program, d, domain)


@pytest.mark.parametrize("source", HESSIANS)
def test_the_latex_of_every_hessian_by_a_matrix_of_the_suite_reads_back(source):
    program, d = _derived(source, "X", hessian=True)
    assert d.latex().startswith(r"\frac{\partial^2 s}{\partial X_{ij}\, \partial X_{kl}} = ")
    _latex_reads_back(program, d, _domain(source, "any"))


@pytest.mark.parametrize("source, wrt", BROAD, ids=[s for s, _ in BROAD])
def test_the_latex_of_a_jacobian_by_a_matrix_reads_back(source, wrt):
    program, d = _derived(source, wrt)
    _latex_reads_back(program, d, _domain(source, "any"))


@pytest.mark.parametrize("source, wrt", BROAD_HESSIANS, ids=[s for s, _ in BROAD_HESSIANS])
def test_the_latex_of_a_hessian_by_a_matrix_reads_back(source, wrt):
    program, d = _derived(source, wrt, hessian=True)
    _latex_reads_back(program, d, _domain(source, "any"))


@pytest.mark.parametrize("source, wrt, domain", CASES, ids=IDS)
def test_every_tensor_results_latex_is_a_claim_verify_accepts(source, wrt, domain):
    d = _derived(source, wrt)[1]
    v = matcalc.verify(source, wrt, d.latex())
    assert v.ok, (d.latex(), v.message)


# ---------------------------------------------------------------- by hand

_ENV = {"n": 3, "m": 4, "p": 5}


def _value(source: str, env: dict):
    return np.asarray(matcalc.evaluate(matcalc.parse(source), env), dtype=float)


def test_hand_written_variants_read_as_the_textbook_tensors():
    rng = np.random.default_rng(3)
    A, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    decl = "A : n x m\nx : m\n"
    # ∂(A X)_ij/∂X_kl = A_ik δ_jl, written with \partial … / \partial …
    got = _value(decl + r"\partial F_{ij} / \partial X_{kl} = A_{ik} \delta_{jl}", {**_ENV, "A": A, "X": np.zeros((4, 5))})
    np.testing.assert_allclose(got, np.einsum("ik,jl->ijkl", A, np.eye(5)))
    # a Hessian with the two ∂ apart and no \,: ∂²/∂X_ij ∂X_kl tr(X^T X) = 2 δ_ik δ_jl
    got = _value(r"X : n x m" + "\n" + r"\partial^2 s / \partial X_{ij} \partial X_{kl} = 2 \delta_{ik} \delta_{jl}", _ENV)
    np.testing.assert_allclose(got, 2 * np.einsum("ik,jl->ijkl", np.eye(3), np.eye(4)))
    # \sum_{k} and \sum_k: a contraction, F_i = Σ_k A_ik x_k is A x
    for head in (r"\frac{\partial F_{i}}{\partial y_{j}}", r"\dfrac{\partial F_i}{\partial y_j}"):
        for total in (r"\sum_{k}", r"\sum_k"):
            got = _value(decl + "y : n\n" + f"{head} = {total} A_{{ik}} x_{{k}} \\delta_{{ij}}", {**_ENV, "A": A, "x": x})
            np.testing.assert_allclose(got, np.einsum("i,ij->ij", A @ x, np.eye(3)))
    # \mathbf{1}_{m} inside an entry: (A 1)_i, the row sums
    got = _value(decl + "y : n\n" + r"\frac{\partial F_{i}}{\partial y_{j}} = \left(A \mathbf{1}_{m}\right)_{i} \delta_{ij}",
                 {**_ENV, "A": A})
    np.testing.assert_allclose(got, np.einsum("i,ij->ij", A.sum(1), np.eye(3)))


def test_two_sums_in_one_and_an_entry_in_braces():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((3, 4))
    got = _value("A : n x m\nX : n x m\n" + r"\frac{\partial^2 s}{\partial X_{ij}\, \partial X_{kl}} = "
                 r"\delta_{ik} \delta_{jl} \sum_{a,b} {\operatorname{exp}(A)}_{ab}", {**_ENV, "A": A})
    np.testing.assert_allclose(got, np.exp(A).sum() * np.einsum("ik,jl->ijkl", np.eye(3), np.eye(4)))


def test_the_kronecker_delta_and_a_temporary_named_delta_do_not_clash():
    # δ_1 (a backpropagated temporary) is a name; δ_ij the Kronecker delta
    rng = np.random.default_rng(5)
    env = {**_ENV, "δ_1": rng.standard_normal((3, 4))}
    got = _value("δ_1 : n x m\nX : n x m\n" + r"\frac{\partial^2 s}{\partial X_{ij}\, \partial X_{kl}} = "
                 r"{\delta_{1}}_{ij} \delta_{ik} \delta_{jl}", env)
    np.testing.assert_allclose(got, np.einsum("ij,ik,jl->ijkl", env["δ_1"], np.eye(3), np.eye(4)))


def test_a_wrong_latex_claim_is_refused():
    v = matcalc.verify("X x", "X", r"\frac{\partial F_{i}}{\partial X_{kl}} = \delta_{il} x_{k}")
    assert not v.ok


def test_the_latex_read_back_here_renders_in_katex():
    from test_printing import katex_errors
    strings = [_derived(s, w)[1].latex() for s, w, _ in CASES] + [_derived(s, w)[1].latex() for s, w in BROAD]
    strings += [_derived(s, w, hessian=True)[1].latex() for s, w in BROAD_HESSIANS]
    assert any(r"&\in \mathbb{R}^{" in s for s in strings)  # F's shape stated, as in the text
    assert katex_errors(strings) == []


@pytest.mark.parametrize("source, wrt", BROAD_HESSIANS, ids=[s for s, _ in BROAD_HESSIANS])
def test_a_hessian_by_a_matrix_in_latex_or_text_is_a_claim_verify_accepts(source, wrt):
    d = _derived(source, wrt, hessian=True)[1]
    for claim in (str(d), d.latex()):
        v = matcalc.verify(source, wrt, claim)
        assert v.ok, (claim, v.message)


def test_a_hand_written_hessian_claim_is_checked_against_the_hessian():
    # ∂²/∂X_ij ∂X_kl tr(X^T A X) = A_ki δ_jl + A_ik δ_jl (by hand); 2 A_ik δ_jl only for a symmetric A
    right = r"\partial^2 s / \partial X_{ij} \partial X_{kl} = \left(A_{ki} + A_{ik}\right) \delta_{jl}"
    assert matcalc.verify("tr(X^T A X)", "X", right).ok
    wrong = matcalc.verify("tr(X^T A X)", "X", r"\partial^2 s / \partial X_{ij} \partial X_{kl} = 2 A_{ik} \delta_{jl}")
    assert not wrong.ok and "differs" in wrong.message


def test_entries_of_products_and_sized_zeros_in_latex():
    rng = np.random.default_rng(6)
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    env = {**_ENV, "A": A, "B": B}
    decl = "A : n x m\nB : m x p\nX : n x p\n"
    want = np.einsum("ij,ik,jl->ijkl", A @ B, np.eye(3), np.eye(5))
    for entry in (r"\left(A B\right)_{ij}", r"{(A B)}_{ij}", r"(A B)_{ij}"):
        got = _value(decl + r"\frac{\partial F_{ij}}{\partial X_{kl}} = " + entry + r" \delta_{ik} \delta_{jl}", env)
        np.testing.assert_allclose(got, want)
    got = _value(decl + r"\frac{\partial F_{ij}}{\partial X_{kl}} = 0_{n \times p \times n \times p}", env)
    assert got.shape == (3, 5, 3, 5) and not got.any()


def test_an_index_written_twice_is_summed_in_latex_too():
    # the summation convention: A_{ia} B_{aj} is Σ_a A_ia B_aj, i.e. (A B)_ij; an index written once is refused
    decl = "A : n x m\nB : m x p\nX : n x p\n"
    rng = np.random.default_rng(11)
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    env = {"A": A, "B": B, "X": rng.standard_normal((3, 5))}
    got = _value(decl + r"\frac{\partial F_{ij}}{\partial X_{kl}} = A_{ia} B_{aj} \delta_{ik} \delta_{jl}", env)
    np.testing.assert_allclose(got, np.einsum("ij,ik,jl->ijkl", A @ B, np.eye(3), np.eye(5)), rtol=1e-12)
    with pytest.raises(matcalc.MatcalcError, match="neither on the left"):
        matcalc.parse(decl + r"\frac{\partial F_{ij}}{\partial X_{kl}} = A_{ia} \delta_{ik} \delta_{jl}")


def test_a_braced_entry_after_a_greek_letter_is_an_entry():
    # γ {\operatorname{softmax}(A)}_{i}: the letter γ times an entry (not an argument of \gamma)
    rng = np.random.default_rng(7)
    A, g = rng.standard_normal((3, 4)), 0.7
    got = _value("A : n x n\nγ : scalar\ny : n\n" + r"\frac{\partial F_{i}}{\partial y_{k}} = \gamma {\operatorname{exp}(A)}_{ik}",
                 {**_ENV, "A": A[:, :3], "γ": g})
    np.testing.assert_allclose(got, g * np.exp(A[:, :3]))


RESHAPING = [("vec(A X B)", "X"), ("kron(A, X)", "X"), ("kron(X, A)", "A"), ("X : n x m; Y : k x m; [X; Y]", "X"),
             ("X : n x m; Y : n x k; [X, Y]", "Y"), ("X : n x m; X / (n m)", "X"), ("x : 1 x m; W : m x n; x W", "x"),
             ("X : 5 x 3; rows(X, 2, 3)", "X"), ("X : 3 x 5; cols(X, 2, 3)", "X"), ("X : 2 x 3; padrows(X, 2, 6)", "X"),
             ("X : 2 x 3; padcols(X, 2, 6)", "X"), ("v : 12; unvec(v, 3, 4)", "v"),
             ("G : 6 x 8; B : 2 x 4; kronleft(G, B)", "G"), ("A : 3 x 2; G : 6 x 8; kronright(A, G)", "G"),
             ("X : n x m; vec(X)", "X")]


@pytest.mark.parametrize("src,wrt", RESHAPING, ids=[f"{s} by {w}" for s, w in RESHAPING])
def test_the_latex_of_a_reshaping_tensor_reads_back_alone(src, wrt):
    """Its LaTeX declares the inputs (A \\in \\mathbb{R}^{n \\times m}) where the body names their dims as
    values, and sizes the identities inside ⊗ and paddings (I_{k}), as the text does: read alone it
    means the same sizes."""
    program = matcalc.parse(src)
    d = matcalc.derive(program, wrt)
    env = random_env(program, seed=0)
    want = d.evaluate(env)
    for text in (str(d), d.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), want, rtol=1e-12, atol=1e-14)
