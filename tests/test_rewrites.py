"""The simplifier's rewrites, one by one: each turns a tree into the textbook tree of its identity.

Each row is a rewrite, an input tree (built node by node, so nothing has simplified it yet)
and the expected result, written in the language from the identity in the rewrite's
docstring. The rewrite alone must give exactly the expected tree, and both sides must have
the same value at a random point (distinct dims n = 3, m = 4 are drawn by random_env).
"""
from __future__ import annotations

import inspect
from fractions import Fraction

import numpy as np
import pytest

from matcalc.calculus.numeric import random_env
from matcalc.calculus.simplify import (
    Simplifier, broadcast, elementwise, functions, numbers, products, structure, sums, transposes,
)
from matcalc.calculus.simplify.table import REWRITES, rewrites
from matcalc.core.evaluate import evaluate_expr
from matcalc.core import dims
from matcalc.core.nodes import (
    Add, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse, KronLeft, KronRight,
    MatMul, Neg, Number, Ones, Power, Rows, Cols, Scale, Size, Softmax, Sum, Symbol, Trace, Transpose, Unvec, Vec,
)
from matcalc.core.shapes import shape_of
from matcalc.language.typecheck import read

DECLARATIONS = ("α, β : scalar; a, b, x : n; y : n simplex; u : m; A, B, X : n x n; S : n x n symmetric; "
                "W : n x m")
PROGRAM = read(DECLARATIONS + "; α")

α, β = Symbol("α"), Symbol("β")
a, b, x, y = Symbol("a"), Symbol("b"), Symbol("x"), Symbol("y")
A, B, X, S = Symbol("A"), Symbol("B"), Symbol("X"), Symbol("S")
W, u = Symbol("W"), Symbol("u")
I, ones = Identity("n"), Ones("n")
T = Transpose


def N(v) -> Number:
    return Number(Fraction(v))


def add(*t):
    return Add(tuple(t))


def mm(*t):
    return MatMul(tuple(t))


def had(*t):
    return Hadamard(tuple(t))


def exp(e):
    return Func("exp", e)


def log(e):
    return Func("log", e)


def tree(text: str) -> Expr:
    """The typed tree of an expression over DECLARATIONS."""
    return read(f"{DECLARATIONS}; {text}").expr


def simplifier() -> Simplifier:
    return Simplifier(lambda e: shape_of(e, PROGRAM.shapes), PROGRAM.properties)


def applied(rewrite, e: Expr, s: Simplifier):
    """A rewrite applied to e; one of a product's or a sum's parts is tried as the table tries it."""
    for row in REWRITES.values():
        for entry in row:
            if rewrite in getattr(entry, "parts", ()):
                return entry.combinator(rewrite)(e, s)
    return rewrite(e, s)


el, fn, nb, pr, sm, tr = elementwise, functions, numbers, products, sums, transposes
st = structure
bc = broadcast
I_nn = Identity(shape_of(tree("A ⊗ B"), PROGRAM.shapes)[0])  # the (n n) x (n n) identity

# (rewrite, input tree, the expected tree: text in the language, or a tree where text cannot say it)
CASES = [
    # numbers, signs, scalar quotients and powers
    (nb.zero_argument, Sum(N(0)), "0"),
    (nb.zero_argument, Neg(N(0)), "0"),
    (nb.negated_negative_sum, Neg(add(Neg(a), Neg(b))), "a + b"),
    (nb.negated_sign, Neg(Neg(a)), "a"),
    (nb.quotient_by_number, Div(a, N(2)), Scale(N(Fraction(1, 2)), a)),
    (nb.quotient_by_itself, Div(α, α), "1"),
    (nb.quotient_of_negation, Div(Neg(a), α), "-(a / α)"),
    (nb.quotient_of_its_multiple, Div(Scale(α, a), α), "a"),
    (nb.number_out_of_quotient, Div(Scale(N(2), a), α), "2 (a / α)"),
    (nb.quotient_of_quotient, Div(Div(a, α), β), "a / (α β)"),
    (nb.first_power, Power(α, N(1)), "α"),
    (nb.zeroth_power, Power(α, N(0)), "1"),
    (nb.power_of_number, Power(N(2), N(3)), "8"),
    (nb.power_of_power, Power(Power(α, N(2)), N(3)), "α^6"),
    # functions
    (fn.sigmoid, Div(N(1), add(N(1), exp(Neg(α)))), "σ(α)"),
    (fn.sigmoid, ElemDiv(N(1), add(N(1), exp(Neg(a)))), "σ(a)"),
    (fn.softmax, Div(exp(a), Sum(exp(a))), "softmax(a)"),
    (fn.softmax, Scale(Div(N(1), Sum(exp(a))), exp(a)), "softmax(a)"),
    (fn.softmax, Scale(Power(Sum(exp(a)), N(-1)), exp(a)), "softmax(a)"),
    (fn.function_of_number, exp(N(0)), "1"),
    (fn.function_of_number, log(N(1)), "0"),
    (fn.log_of_exp, log(exp(α)), "α"),
    (fn.softplus, log(add(N(1), exp(α))), "softplus(α)"),
    (fn.softplus, log(add(exp(a), N(1))), "softplus(a)"),
    (fn.log_softmax, log(Softmax(a)), "logsoftmax(a)"),
    # transposes and inverses
    (tr.transpose_of_scalar, T(α), "α"),
    (tr.transpose_of_symmetric, T(S), "S"),
    (tr.transpose_of_symmetric, T(mm(A, T(A))), "A A^T"),
    (tr.transpose_of_symmetric, T(add(A, T(A))), "A + A^T"),
    (tr.double_transpose, T(T(A)), "A"),
    (tr.transpose_of_diagonal, T(Diag(a)), "diag(a)"),
    (tr.transpose_of_negation, T(Neg(A)), "-A^T"),
    (tr.transpose_of_multiple, T(Scale(α, A)), "α A^T"),
    (tr.transpose_of_product, T(mm(A, B)), "B^T A^T"),
    (tr.transpose_of_sum, T(add(A, T(B))), "A^T + B"),
    (tr.transpose_of_inverse_transpose, T(Inverse(T(X))), "X^{-1}"),
    (tr.transpose_of_quotient, T(Div(A, α)), "A^T / α"),
    (tr.double_inverse, Inverse(Inverse(X)), "X"),
    (tr.inverse_of_identity, Inverse(I), I),
    (tr.inverse_of_transpose, Inverse(T(X)), "(X^{-1})^T"),
    # matrix products
    (pr.ones_times_distribution, mm(T(ones), y), "1"),
    (pr.ones_times_distribution, mm(a, T(ones), y), "a"),
    (pr.coefficient_out_of_product, mm(A, Scale(α, B)), "α (A B)"),
    (pr.sign_out_of_product, mm(A, Neg(B)), "-(A B)"),
    (pr.quotient_out_of_product, mm(A, Div(B, α)), "(A B) / α"),
    (pr.inverse_pair, mm(Inverse(X), X, a), "a"),
    (pr.inverse_pair, mm(T(X), T(Inverse(X))), I),
    (pr.diag_times_vector, mm(Diag(a), b), "a ⊙ b"),
    (pr.diag_times_vector, mm(A, Diag(a), b), "A (a ⊙ b)"),
    (pr.row_times_diag, mm(T(b), Diag(a)), "(b ⊙ a)^T"),
    (pr.row_times_diag, mm(T(b), Diag(a), A), "(b ⊙ a)^T A"),
    # scaling
    (pr.reciprocal_coefficient, Scale(Div(N(1), α), A), "A / α"),
    (pr.unit_coefficient, Scale(N(1), A), "A"),
    (pr.zero_coefficient, Scale(N(0), A), "0"),
    (pr.minus_one_coefficient, Scale(N(-1), A), "-A"),
    (pr.times_one, Scale(α, N(1)), "α"),
    (pr.negative_coefficient, Scale(Neg(α), A), "-(α A)"),
    (pr.multiple_of_negation, Scale(α, Neg(A)), "-(α A)"),
    (pr.product_of_numbers, Scale(N(2), N(3)), "6"),
    (pr.name_first, Scale(mm(T(a), b), α), Scale(α, mm(T(a), b))),
    (pr.product_coefficient, Scale(Scale(α, β), A), Scale(α, Scale(β, A))),
    (pr.numbers_multiplied, Scale(N(2), Scale(N(3), A)), "6 A"),
    (pr.number_first, Scale(α, Scale(N(2), A)), Scale(N(2), Scale(α, A))),
    (pr.inner_name_first, Scale(mm(T(a), b), Scale(α, A)), Scale(α, Scale(mm(T(a), b), A))),
    (pr.multiple_of_quotient_by_it, Scale(α, Div(A, α)), "A"),
    (pr.power_times_quotient, Scale(Power(α, N(3)), Div(A, α)), "α^2 A"),
    (pr.multiple_times_quotient, Scale(Scale(β, α), Div(A, α)), "β A"),
    (pr.scalar_factors_merged, Scale(α, Scale(α, A)), "α^2 A"),
    (pr.scalar_factors_merged, Scale(N(3), Scale(α, Scale(Div(N(1), α), A))), "3 A"),
    # elementwise
    (el.cancelled_quotient, had(ElemDiv(add(had(a, b), a), add(b, N(1))), x), "a ⊙ x"),
    (el.cancelled_quotient, had(ElemDiv(add(had(a, a), Neg(had(b, b))), add(a, Neg(b))), x), "a ⊙ x + b ⊙ x"),
    (el.cancelled_quotient, Scale(Div(add(Power(α, N(2)), Neg(Power(β, N(2)))), add(α, Neg(β))), A), "α A + β A"),
    (el.elementwise_factors_merged, had(a, a), "a .^ 2"),
    (el.elementwise_factors_merged, had(ElemDiv(N(1), a), a, b), "b"),
    (el.coefficient_out_of_hadamard, had(a, Scale(α, b)), "α (a ⊙ b)"),
    (el.sign_out_of_hadamard, had(a, Neg(b)), "-(a ⊙ b)"),
    (el.number_in_hadamard, had(N(2), a), "2 a"),
    (el.quotient_out_of_hadamard, had(Div(a, α), b), "(a ⊙ b) / α"),
    (el.ones_in_hadamard, had(ones, a), "a"),
    (el.ones_in_hadamard, had(mm(ones, T(ones)), A, B), "A ⊙ B"),
    (el.ones_in_hadamard, had(mm(ones, T(Ones("m"))), T(u)), "ones(n) u^T"),  # the ones' shape kept
    (el.ones_in_hadamard, had(mm(ones, T(Ones("m"))), a), "a ones(m)^T"),
    (el.elementwise_quotient_by_number, ElemDiv(a, N(2)), Scale(N(Fraction(1, 2)), a)),
    (el.elementwise_quotient_of_negation, ElemDiv(Neg(a), b), "-(a ./ b)"),
    (el.coefficient_out_of_elementwise_quotient, ElemDiv(Scale(α, a), b), "α (a ./ b)"),
    (el.first_elementwise_power, ElemPower(a, N(1)), "a"),
    (el.diagonal_of_diag, DiagPart(Diag(a)), "a"),
    (el.coefficient_out_of_diagonal, DiagPart(Scale(α, A)), "α diag(A)"),
    (el.diagonal_of_identity, DiagPart(I), "ones(n)"),
    # sums
    (sm.like_terms, add(Scale(N(2), A), Scale(N(3), A)), "5 A"),
    (sm.like_terms, add(had(a, b), Neg(had(b, a)), x), "x"),
    (sm.like_terms, add(α, A, Neg(A)), "α (ones(n) ones(n)^T)"),
    (sm.like_terms, add(W, a, Neg(W)), "a ones(m)^T"),
    (sm.common_core, add(x, Scale(α, x)), "(1 + α) x"),
    (sm.quotient_out_of_sum, Sum(Div(A, α)), "sum(A) / α"),
    (sm.common_core, add(Scale(α, A), Neg(Scale(β, A))), "(α - β) A"),               # the cancelled W carried the shape
    (sm.like_terms, add(W, T(u), Neg(W)), "ones(n) u^T"),
    (sm.sum_of_diags, add(Diag(a), Neg(Diag(b)), A), "diag(a - b) + A"),
    (sm.positive_term_first, add(Neg(a), b), "b - a"),
    (sm.twin_after_original, add(T(A), A), "A + A^T"),
    (sm.common_coefficient, add(Scale(α, A), Scale(α, B)), "α (A + B)"),
    (sm.opposite_coefficients, add(Scale(N(2), A), Scale(N(-2), B)), "2 (A - B)"),
    (sm.common_denominator, add(Div(A, α), Div(B, α)), "(A + B) / α"),
    (sm.common_right_factor, add(mm(A, x), mm(B, x)), "(A + B) x"),
    (sm.common_right_factor, add(mm(A, x), b, mm(B, x)), "(A + B) x + b"),
    (sm.common_left_factor, add(mm(T(x), A), mm(T(x), B)), "x^T (A + B)"),
    (sm.sum_of_identity, Sum(I), Trace(I)),
    (sm.sum_of_ones, Sum(ones), "n"),
    (sm.sum_of_ones, Sum(Ones(dims.plus("n", "m"))), Size(dims.plus("n", "m"))),  # the gradient of sum([x; u])
    (sm.sum_of_kron, tree("sum(kron(a, W))"), "sum(a) sum(W)"),
    (sm.sum_of_distribution, Sum(y), "1"),
    (sm.coefficient_out_of_sum, Sum(Scale(α, a)), "α sum(a)"),
    (sm.sign_out_of_sum, Sum(Neg(a)), "-sum(a)"),
    (sm.sum_of_scalar, Sum(α), "α"),
    (sm.trace_of_identity, Trace(Identity(3)), "3"),
    (sm.trace_of_identity, Trace(Identity("m")), "m"),
    (sm.coefficient_out_of_trace, Trace(Scale(α, A)), "α tr(A)"),
    (sm.sign_out_of_trace, Trace(Neg(A)), "-tr(A)"),
    (sm.trace_of_sum, Trace(add(A, B)), "tr(A) + tr(B)"),
    # the structure of batches: blocks, Kronecker products, vec, matrix powers, the row-wise softmax
    (st.block_of_concatenation, tree("rows([A; B], 1, n)"), "A"),
    (st.block_of_concatenation, tree("cols([A, W], n + 1, n + m)"), "W"),
    (st.block_of_ones, Rows(Ones(dims.plus("n", "m")), 0, "n"), "ones(n)"),  # sum([x; u]) by x
    (st.block_of_ones, Rows(Ones(dims.plus("n", 1)), "n", 1), "1"),  # sum([x; α]) by α: a scalar
    (st.block_of_transpose, tree("rows(A^T, 1, 2)"), "cols(A, 1, 2)^T"),
    (st.block_of_parts, tree("rows(α A + exp(B), 1, 2)"), "rows(α A, 1, 2) + rows(exp(B), 1, 2)"),
    (st.block_of_parts, tree("cols(A W, 2, m)"), "A cols(W, 2, m)"),  # (2, 3 would pass the end where m = 2)
    (st.kronleft_of_kron, tree("kronleft(A ⊗ B, X)"), "tr(B^T X) A"),
    (st.kronleft_of_identity, KronLeft(I_nn, B), "tr(B) I_n"),
    (st.kronright_of_kron, tree("kronright(X, A ⊗ B)"), "tr(X^T A) B"),
    (st.kronright_of_identity, KronRight(A, I_nn), "tr(A) I_n"),
    (st.kron_adjoint_of_ones, KronLeft(Ones(dims.times("n", "m")), u), "sum(u) ones(n)"),  # sum(kron(x, u)) by x
    (st.kron_adjoint_of_ones, KronRight(a, Div(Ones(dims.times("n", "m")), α)), "sum(a) ones(m) / α"),
    (st.kron_adjoint_of_vec, tree("kronleft(vec(W), x)"), "W^T x"),  # W is n x m: the blocks of vec(W) are its columns
    (st.kron_adjoint_of_vec, tree("kronright(u, vec(W))"), "W u"),
    (st.kron_adjoint_of_vec, tree("kronleft(vec(A), x)"), "A^T x"),
    (st.kron_of_identities, tree("I_n ⊗ I_n"), I_nn),
    (st.kron_of_scalar, tree("kron(α, A)"), "α A"),
    (st.kron_times_kron, tree("(A ⊗ B) (X ⊗ S)"), "(A X) ⊗ (B S)"),
    (st.unvec_of_vec, tree("unvec(exp(vec(A)) - 2 vec(B), n, n)"), "exp(A) - 2 B"),
    (st.unvec_of_vec, Unvec(add(Vec(W), Ones(dims.times("n", "m"))), "n", "m"), "W + ones(n) ones(m)^T"),
    (st.unvec_of_ones, Unvec(Ones(dims.times("n", "m")), "n", "m"), "ones(n) ones(m)^T"),  # sum(vec(W)) by W
    (st.unvec_of_kron, tree("unvec(kron(u, a), n, m)"), "a u^T"),
    (st.vec_of_unvec, tree("vec(unvec(kron(a, b), n, n))"), "kron(a, b)"),
    (st.ones_times_ones, tree("ones(n)^T ones(n)"), "n"),
    (st.ones_times_ones, mm(T(a), ones, T(ones), ones), "n (a^T ones(n))"),
    (st.powers_merged, tree("X X^2"), "X^3"),
    (st.powers_merged, tree("(X^2)^T X^T"), "(X^3)^T"),
    (st.row_softmax, tree("((1 ./ (exp(W) ones(m))) ones(m)^T) ⊙ exp(W)"), "softmax(W)"),
    # batches: numbers out of denominators, a broadcast quotient out of a row or column sum
    (bc.number_out_of_denominator, Div(α, Scale(N(2), β)), Scale(N(Fraction(1, 2)), Div(α, β))),
    (bc.number_out_of_elementwise_denominator, ElemDiv(a, Scale(N(-3), b)), Scale(N(Fraction(-1, 3)), ElemDiv(a, b))),
    (bc.row_quotient_out_of_column_sum, tree("ones(n)^T (W ./ u^T)"), "(ones(n)^T W) ./ u^T"),
    (bc.row_quotient_out_of_column_sum, tree("ones(n)^T (W ./ u^T) u"), "((ones(n)^T W) ./ u^T) u"),
    (bc.row_quotient_out_of_column_sum, tree("(W ./ a) ones(m)"), "(W ones(m)) ./ a"),
    (bc.ones_in_sum_as_number, add(exp(a), Neg(ones)), "exp(a) - 1"),
    (bc.ones_in_sum_as_number, add(ones, b, Scale(N(2), ones)), "b + 3"),
    (bc.outer_sum_spelled, add(T(u), a), "ones(n) u^T + a"),
]

# where a rewrite must not apply (the docstring's condition)
NOT_APPLIED = [
    (st.block_of_concatenation, tree("rows([A; B], 1, 2)")),  # not one of the parts
    (st.ones_times_ones, tree("ones(n)^T a")),
    (sm.sum_of_kron, tree("sum(kron(α, W))")),  # a scalar factor: kron_of_scalar's
    (st.block_of_ones, Cols(T(Ones(dims.plus("n", "m"))), 0, "n")),  # columns of a row: block_of_transpose's
    (st.unvec_of_ones, tree("unvec(kron(a, b), n, n)")),
    (st.unvec_of_kron, tree("unvec(kron(a, u), n, m)")),  # a reshape, but not of u aᵀ (that is m x n)
    (st.kron_adjoint_of_vec, tree("kronleft(kron(a, b), x)")),  # no vec: kronleft_of_kron's
    (st.kron_adjoint_of_ones, KronLeft(tree("kron(a, u)"), u)),  # no ones: the kronleft_of_kron identity
    (sm.common_core, add(Scale(α, A), Scale(β, B))),                 # different terms
    (sm.quotient_out_of_sum, Sum(ElemDiv(A, B))),                     # an elementwise quotient
    (st.powers_merged, tree("X A^2")),  # different bases
    (tr.transpose_of_sum, T(add(x, Neg(b)))),                  # (x - b)ᵀ stays: two terms would stay transposed
    (sm.trace_of_sum, Trace(add(α, A))),                        # α is added to every entry
    (sm.trace_of_sum, Trace(add(A, I))),                        # the size of a lone I is not in the text
    (fn.softmax, Div(exp(α), Sum(exp(α)))),                     # a scalar: softmax is of a vector
    (fn.sigmoid, Div(N(1), add(N(1), exp(α)))),                 # 1 / (1 + e^t) is σ(-t), not recognized
    (pr.reciprocal_coefficient, Scale(Div(N(1), α), β)),        # a scalar quotient stays a coefficient
    (pr.diag_times_vector, mm(Diag(a), A)),                     # diag(a) A is no Hadamard product of vectors
    (pr.ones_times_distribution, mm(T(ones), x)),               # x need not sum to one
    (nb.power_of_number, Power(N(0), N(-1))),                   # 0⁻¹ stays as written
    (sm.like_terms, add(A, B)),
    (bc.row_quotient_out_of_column_sum, tree("ones(n)^T (W ./ W)")),  # a matrix divisor is no row
    (bc.row_quotient_out_of_column_sum, tree("ones(n)^T (W ./ α)")),  # (a scalar divisor: the quotient rules)
    (bc.number_out_of_denominator, Div(α, Scale(N(0), β))),          # no 1/0
    (bc.ones_in_sum_as_number, add(ones, Neg(ones))),                # no term carries the shape: like_terms
    (bc.ones_in_sum_as_number, add(α, ones)),                        # α is a scalar: the ones carry the shape
    (bc.outer_sum_spelled, add(W, T(u), a)),               # W carries the shape already
]


def _id(case) -> str:
    return case[0].__name__


def _value(e: Expr, seed: int = 0):
    env = random_env(PROGRAM, seed)
    return np.asarray(evaluate_expr(e, PROGRAM.shapes, env), dtype=float)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_rewrite_gives_the_textbook_tree(case):
    rewrite, before, expected = case
    expected = tree(expected) if isinstance(expected, str) else expected
    assert applied(rewrite, before, simplifier()) == expected


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_rewrite_keeps_the_value(case):
    rewrite, before, expected = case
    expected = tree(expected) if isinstance(expected, str) else expected
    for seed in (0, 1):
        left, right = _value(before, seed), _value(expected, seed)
        assert np.allclose(left, right, rtol=1e-9, atol=1e-12), (rewrite.__name__, left, right)


@pytest.mark.parametrize("case", NOT_APPLIED, ids=_id)
def test_rewrite_does_not_apply_outside_its_identity(case):
    rewrite, before = case
    assert applied(rewrite, before, simplifier()) is None


HELPERS = {  # public functions of the rewrite modules that are not rewrites
    numbers.is_negative, numbers.reciprocal_of, elementwise.has_quotient, products.scalar_bases,
    products.powers, products.each_factor, products.each_pair, sums.each_grouping,
}


def test_every_rewrite_has_its_identity_and_a_test_row():
    named = rewrites()
    tested = {case[0] for case in CASES}
    for rewrite in named:
        doc = inspect.getdoc(rewrite)
        assert doc and "=" in doc.splitlines()[0], f"{rewrite.__name__} has no identity for a docstring"
        assert rewrite in tested, f"{rewrite.__name__} has no test row in CASES"
    for module in (numbers, functions, transposes, products, elementwise, sums, structure, broadcast):
        for name, f in inspect.getmembers(module, inspect.isfunction):
            if f.__module__ == module.__name__ and not name.startswith("_"):
                assert f in named or f in HELPERS, f"{module.__name__}.{name} is neither in the table nor a helper"


def test_sigmoid_and_softmax_are_recognized_once():
    for rewrite in (functions.sigmoid, functions.softmax):
        offered = [t.__name__ for t, row in REWRITES.items() if rewrite in row]
        assert len(offered) == 2, offered  # one function, offered to both node types that spell it


def test_a_remembered_cancellation_is_mapped_to_the_atoms_at_hand():
    """SymPy's cancellation is remembered by the region's form: the same form over other atoms (here
    b and a swapped, then scalars for vectors) cancels to those atoms, as a fresh cancellation does."""
    s = simplifier()
    first = had(ElemDiv(add(had(a, b), a), add(b, N(1))), x)
    swapped = had(ElemDiv(add(had(b, a), b), add(a, N(1))), x)
    scalars = Scale(Div(add(Scale(α, β), α), add(β, N(1))), A)
    elementwise._CANCELLED.clear()
    assert elementwise.cancelled_quotient(first, s) == tree("a ⊙ x")
    assert elementwise.cancelled_quotient(swapped, s) == tree("b ⊙ x")  # the remembered answer, renamed
    remembered = len(elementwise._CANCELLED)
    assert elementwise.cancelled_quotient(scalars, s) == tree("α A")  # scalar atoms: another form
    assert len(elementwise._CANCELLED) == remembered + 1
    elementwise._CANCELLED.clear()
    assert elementwise.cancelled_quotient(swapped, s) == tree("b ⊙ x")  # fresh: the same
