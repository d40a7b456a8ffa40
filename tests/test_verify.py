"""Verdicts on hand derivations: a table of right claims in other forms and wrong ones.

Every claim below was written by hand from the math (the cheatsheet, the Matrix Cookbook,
CS229 / CS231n / CS224N gradients), not copied from matcalc's output. ``reason`` is what
the verdict must say: "right" (accepted, symbolically or numerically), or "shape", "sign",
"factor", "transpose", "value" (refuted).
"""
from dataclasses import dataclass

import numpy as np
import pytest

import matcalc
from matcalc.calculus.numeric import GenericFunction
from matcalc.calculus.verify import Verdict

NET = "z = W x + b; h = f(z); s = u^T h"          # the cheatsheet's one-layer network
EX08 = "(x + y) * max(y, z)"                     # the cheatsheet's Example 0.8


@dataclass
class Case:
    name: str
    program: str
    wrt: str
    claim: str
    reason: str            # "right" or the refutation
    factor: float | None = None
    layout: str = "shape"


CASES = [
    # ---- right, in other forms
    Case("net_W_diag_form", NET, "W", "diag(f'(z)) u x^T", "right"),
    Case("net_W_delta", NET, "W", "δ = u ⊙ f'(z); δ x^T", "right"),
    Case("net_W_inlined", NET, "W", "(u .* f'(W x + b)) x^T", "right"),
    Case("net_W_cheatsheet_row_delta", NET, "W", "δ = u^T ⊙ f'(z)^T; δ^T x^T", "right"),
    Case("net_b_commuted", NET, "b", "f'(z) ⊙ u", "right"),
    Case("net_b_diag", NET, "b", "diag(f'(W x + b)) u", "right"),
    Case("net_b_numerator_layout", NET, "b", "u^T ⊙ f'(z)^T", "right", layout="numerator"),
    Case("net_x", NET, "x", "W^T (u ⊙ f'(z))", "right"),
    Case("net_x_transposed_row", NET, "x", "(u^T diag(f'(z)) W)^T", "right"),
    Case("net_u", NET, "u", "f(W x + b)", "right"),
    Case("net_u_placeholder", NET, "u", "h", "right"),
    Case("cookbook_69_linear", "a^T x", "x", "a", "right"),
    Case("cookbook_81_quadratic", "x^T A x", "x", "A x + A^T x", "right"),
    Case("cookbook_81_factored", "x^T A x", "x", "(A + A^T) x", "right"),
    Case("quadratic_wrt_A", "x^T A x", "A", "x x^T", "right"),
    Case("cookbook_100_trace", "tr(A X)", "X", "A^T", "right"),
    Case("cookbook_57_logdet", "logdet(X)", "X", "inv(X)^T", "right"),
    Case("cookbook_49_det", "det(X)", "X", "det(X) X^{-T}", "right"),
    Case("norm_squared", "norm(x)^2", "x", "x + x", "right"),
    Case("cs229_least_squares", "1/2 norm(X w - y)^2", "w", "X^T X w - X^T y", "right"),
    Case("cs229_logistic", "log(sigmoid(w^T x))", "w", "(1 - sigmoid(w^T x)) x", "right"),
    Case("sigmoid_sum", "sum(sigmoid(x))", "x", "sigmoid(x) ⊙ (1 - sigmoid(x))", "right"),
    Case("cs224n_tanh_layer_W", "u^T tanh(W x)", "W", "(u ⊙ (1 - tanh(W x) .^ 2)) x^T", "right"),
    Case("cs231n_sum_scores", "W : n x m; sum(W x)", "W", "ones(n) x^T", "right"),
    Case("ex08_x", EX08, "x", "max(y, z)", "right"),
    Case("ex08_z", EX08, "z", "(x + y) step(z - y)", "right"),
    Case("ex08_y", EX08, "y", "max(y, z) + (x + y) step(y - z)", "right"),
    # ---- wrong shape
    Case("net_W_outer_product_reversed", NET, "W", "x (u ⊙ f'(z))^T", "shape"),
    Case("net_W_delta_x_no_shape", NET, "W", "δ = u ⊙ f'(z); δ x", "shape"),
    Case("net_b_cheatsheet_row", NET, "b", "u^T ⊙ f'(z)^T", "shape"),
    Case("net_x_missing_transpose_no_shape", "W : n x m; z = W x + b; h = f(z); s = u^T h", "x",
         "W (u ⊙ f'(z))", "shape"),
    Case("quadratic_wrt_A_inner", "x^T A x", "A", "x^T x", "shape"),
    Case("linear_row", "a^T x", "x", "a^T", "shape"),
    Case("cs224n_row_times_column", "u^T tanh(W x)", "W", "(u ⊙ (1 - tanh(W x) .^ 2))^T x", "shape"),
    # ---- wrong sign
    Case("net_W_sign", NET, "W", "-(u ⊙ f'(z)) x^T", "sign", -1.0),
    Case("logdet_sign", "logdet(X)", "X", "-X^{-T}", "sign", -1.0),
    Case("ex08_x_sign", EX08, "x", "-max(y, z)", "sign", -1.0),
    Case("cs229_least_squares_sign", "1/2 norm(X w - y)^2", "w", "X^T (y - X w)", "sign", -1.0),
    # ---- a constant factor
    Case("net_W_half", NET, "W", "1/2 (u ⊙ f'(z)) x^T", "factor", 0.5),
    Case("least_squares_missing_2", "norm(A x - b)^2", "x", "A^T (A x - b)", "factor", 0.5),
    Case("norm_squared_half", "norm(x)^2", "x", "x", "factor", 0.5),
    Case("cs229_half_least_squares_double", "1/2 norm(X w - y)^2", "w", "2 X^T (X w - y)", "factor", 2.0),
    Case("trace_gram_half", "tr(X^T X)", "X", "X", "factor", 0.5),
    # ---- a missing transpose (square matrices, so the shape cannot tell)
    Case("trace_product_square", "A : n x n; X : n x n; tr(A X)", "X", "A", "transpose"),
    Case("det_inverse_not_transposed", "det(X)", "X", "det(X) X^{-1}", "transpose"),
    Case("quadratic_wrt_A_plus_zero", "x^T A x", "A", "x x^T + 0 A", "right"),
    # ---- wrong values
    Case("quadratic_symmetric_assumed", "x^T A x", "x", "2 A x", "value"),
    Case("quadratic_half", "x^T A x", "x", "A^T x", "value"),
    Case("net_W_forgot_f_prime", NET, "W", "u x^T", "value"),
    Case("sigmoid_itself", "sum(sigmoid(x))", "x", "sigmoid(x)", "value"),
    Case("ex08_y_missing_term", EX08, "y", "max(y, z)", "value"),
]


def _verdict(case: Case) -> Verdict:
    return matcalc.verify(case.program, case.wrt, case.claim, layout=case.layout)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_verdict(case):
    v = _verdict(case)
    assert isinstance(v, Verdict)
    if case.reason == "right":
        assert v.ok, v.message
        assert v.reason in ("symbolic", "numeric")
        assert v.message.startswith("right")
    else:
        assert not v.ok
        assert v.reason == case.reason, v.message
    if case.factor is not None:
        assert v.factor == pytest.approx(case.factor)


def test_at_least_95_percent_of_the_table_is_judged_right():
    assert len(CASES) >= 40
    right = sum((v.ok if c.reason == "right" else (not v.ok and v.reason == c.reason))
                for c in CASES for v in [_verdict(c)])
    assert right / len(CASES) >= 0.95


# ---------------------------------------------------------------- the messages

def test_shape_message_names_both_shapes_and_the_fix():
    v = matcalc.verify(NET, "W", "x (u ⊙ f'(z))^T")
    assert v.message == ("your answer is m x n, ∂s/∂W must be n x m like W; "
                         "(u ⊙ f'(z)) x^T has that shape and is right")
    assert v.fix == "(u ⊙ f'(z)) x^T"


def test_cheatsheet_delta_x_is_refuted_and_delta_T_x_T_named():
    # the cheatsheet's δ is a 1 x n row; δ x has no shape, δ^T x^T is the outer product
    v = matcalc.verify(NET, "W", "δ = u^T ⊙ f'(z)^T; δ x")
    assert not v.ok and v.reason == "shape"
    assert "∂s/∂W must be n x m like W" in v.message
    assert "δ^T x^T has that shape" in v.message


def test_every_shape_refutation_names_the_shapes():
    for case in CASES:
        if case.reason == "shape":
            v = _verdict(case)
            assert " x " in v.message and "must be" in v.message, v.message


def test_row_shape_message():
    v = matcalc.verify(NET, "b", "u^T ⊙ f'(z)^T")
    assert v.message == ("your answer is 1 x n, ∂s/∂b must be n x 1 like b; (u^T ⊙ f'(z)^T)^T has that shape "
                         "and is right")


def test_sign_and_factor_messages():
    assert matcalc.verify(NET, "W", "-(u ⊙ f'(z)) x^T").message.startswith("your answer has the wrong sign")
    assert matcalc.verify(NET, "W", "1/2 (u ⊙ f'(z)) x^T").message.startswith(
        "your answer is half the true gradient")
    assert matcalc.verify("norm(x)^2", "x", "4 x").message.startswith("your answer is 2 times the true gradient")
    assert matcalc.verify("norm(x)^2", "x", "-x").message.startswith("your answer is -1/2 times the true gradient")


def test_transpose_message():
    v = matcalc.verify("A : n x n; X : n x n; tr(A X)", "X", "A")
    assert v.message.startswith("your answer is missing a transpose")


def test_differing_values_show_the_point_and_both_values():
    v = matcalc.verify("x^T A x", "x", "2 A x")
    assert not v.ok and v.reason == "value"
    assert "at n = " in v.message and "A = [[" in v.message
    assert "∂s/∂x = [" in v.message and "your answer = [" in v.message
    # the values shown are the values at that point: 2 A x versus A x + A^T x
    A, x = np.asarray(v.point["A"]), np.asarray(v.point["x"])
    assert not np.allclose(2 * A @ x, A @ x + A.T @ x)


def test_claims_may_use_placeholders_and_define_delta():
    assert matcalc.verify(NET, "W", "h = f(z); δ = u ⊙ f'(z); δ x^T").ok   # a claim may restate a placeholder
    assert matcalc.verify(NET, "b", "δ = diag(f'(z)) u; δ").ok


def test_reshaped_claim_is_said_to_be_right():
    v = matcalc.verify(NET, "W", "δ = u^T ⊙ f'(z)^T; δ x")
    assert v.message.endswith("δ^T x^T has that shape and is right")
    v = matcalc.verify(NET, "W", "x u^T")          # the right shape after a transpose, but still wrong
    assert v.message.endswith("u x^T has that shape")


def test_several_stand_ins_for_f_are_used():
    # a claim true for one particular f only (f = sin(t) + b t^2 has f''' = -cos) must not pass:
    # f'(z) replaced by 1 is right for no smooth f of the stand-in family
    v = matcalc.verify(NET, "W", "u x^T")
    assert not v.ok
    assert isinstance(GenericFunction(1.0, 0.2).d1(0.0), float)


# ---------------------------------------------------------------- bad claims are errors

def test_parse_error_in_claim_points_into_the_claim():
    with pytest.raises(matcalc.ParseError) as info:
        matcalc.verify(NET, "W", "(u .* f'(z) x^T")
    message = str(info.value)
    assert "(u .* f'(z) x^T\n" in message and "^" in message


def test_unknown_name_in_claim():
    with pytest.raises(matcalc.SymbolError) as info:
        matcalc.verify(NET, "W", "q x^T")
    assert '"q"' in str(info.value)
    assert "q x^T\n  ^" in str(info.value)


def test_unknown_function_in_claim():
    with pytest.raises(matcalc.SymbolError):
        matcalc.verify(NET, "W", "(u ⊙ g'(z)) x^T")


def test_bad_program_is_an_error():
    with pytest.raises(matcalc.MatcalcError):
        matcalc.verify("u^T f(W x + b", "W", "u x^T")


def test_a_pasted_latex_claim_is_quoted_as_read():
    # the shape error quotes the parts of the claim; with LaTeX pasted they are cut from the text as
    # read (\left( … \right) is a bracket), not from the pasted text at the read text's positions
    v = matcalc.verify("x^T A x", "x", r"\left(A + A^{\top}\right) \cdot x^{\top}")
    assert not v.ok and v.reason == "shape"
    assert "(A + A^{\\top}) is n x n but x^{\\top} has 1 row" in v.message
    assert v.claim == r"\left(A + A^{\top}\right) \cdot x^{\top}"
    assert matcalc.verify("x^T A x", "x", r"\left(A + A^{\top}\right) x").ok
