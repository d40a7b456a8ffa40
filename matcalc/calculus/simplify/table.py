"""Which rewrites a node of each type is offered, in the order they are tried (the first that applies wins)."""
from __future__ import annotations

from ...core.nodes import (
    Add, Cols, Diag, DiagPart, Div, ElemDiv, ElemPower, Func, Hadamard, Inverse, Kron, KronLeft, KronRight, MatMul,
    Neg, PadCols, PadRows, Power, Rows, Scale, Sum, Trace, Transpose, Unvec, Vec,
)
from . import broadcast as bc, elementwise as el, functions as fn, numbers as nb, products as pr, structure as st, sums as sm, \
    transposes as tr

REWRITES: dict[type, tuple] = {
    Transpose: (
        nb.zero_argument, tr.transpose_of_scalar, tr.transpose_of_symmetric, tr.double_transpose,
        tr.transpose_of_diagonal, tr.transpose_of_negation, tr.transpose_of_multiple, tr.transpose_of_product,
        tr.transpose_of_sum, tr.transpose_of_inverse_transpose, tr.transpose_of_quotient,
    ),
    Inverse: (tr.double_inverse, tr.inverse_of_identity, tr.inverse_of_transpose),
    Neg: (nb.zero_argument, nb.negated_negative_sum, nb.negated_sign),
    Scale: (
        el.cancelled_quotient, pr.scalar_factors_merged, pr.reciprocal_coefficient, fn.softmax,
        pr.unit_coefficient, pr.zero_coefficient, pr.minus_one_coefficient, pr.times_one,
        pr.negative_coefficient, pr.multiple_of_negation, pr.product_of_numbers, pr.name_first,
        pr.product_coefficient, pr.numbers_multiplied, pr.number_first, pr.inner_name_first,
        pr.multiple_of_quotient_by_it, pr.power_times_quotient, pr.multiple_times_quotient,
    ),
    MatMul: (
        pr.each_pair(pr.ones_times_distribution, st.ones_times_ones),
        pr.each_factor(pr.coefficient_out_of_product, pr.sign_out_of_product, pr.quotient_out_of_product),
        pr.each_pair(st.kron_times_kron, st.powers_merged),
        pr.each_pair(pr.inverse_pair, pr.diag_times_vector),
        pr.row_times_diag,
        pr.each_pair(bc.row_quotient_out_of_column_sum),
    ),
    Hadamard: (
        el.cancelled_quotient, el.elementwise_factors_merged, st.row_softmax,
        pr.each_factor(el.coefficient_out_of_hadamard, el.sign_out_of_hadamard, el.number_in_hadamard,
                       el.quotient_out_of_hadamard, el.ones_in_hadamard),
    ),
    Add: (
        sm.like_terms, bc.ones_in_sum_as_number, bc.outer_sum_spelled, sm.sum_of_diags, sm.positive_term_first,
        sm.twin_after_original,
        sm.each_grouping(sm.common_coefficient, sm.common_core, sm.opposite_coefficients, sm.common_denominator,
                         sm.common_right_factor, sm.common_left_factor),
    ),
    Div: (
        fn.sigmoid, nb.quotient_by_number, nb.quotient_by_itself, nb.quotient_of_negation,
        nb.quotient_of_its_multiple, nb.number_out_of_quotient, fn.softmax, nb.quotient_of_quotient,
        bc.number_out_of_denominator,
    ),
    ElemDiv: (
        fn.sigmoid, el.elementwise_quotient_by_number, el.elementwise_quotient_of_negation,
        el.coefficient_out_of_elementwise_quotient, bc.number_out_of_elementwise_denominator,
    ),
    Power: (nb.first_power, nb.zeroth_power, nb.power_of_number, nb.power_of_power),
    ElemPower: (el.first_elementwise_power,),
    Func: (fn.function_of_number, fn.log_of_exp, fn.softplus, fn.log_softmax),
    Sum: (
        nb.zero_argument, sm.sum_of_identity, sm.sum_of_ones, sm.sum_of_kron, sm.sum_of_distribution,
        sm.coefficient_out_of_sum, sm.quotient_out_of_sum, sm.sign_out_of_sum, sm.sum_of_scalar,
    ),
    Trace: (
        nb.zero_argument, sm.trace_of_identity, sm.coefficient_out_of_trace, sm.sign_out_of_trace,
        sm.trace_of_sum,
    ),
    Diag: (nb.zero_argument,),
    DiagPart: (nb.zero_argument, el.diagonal_of_diag, el.coefficient_out_of_diagonal, el.diagonal_of_identity),
    Rows: (nb.zero_argument, st.block_of_ones, st.block_of_concatenation, st.block_of_transpose, st.block_of_parts),
    Cols: (nb.zero_argument, st.block_of_concatenation, st.block_of_transpose, st.block_of_parts),
    PadRows: (nb.zero_argument,),
    PadCols: (nb.zero_argument,),
    Kron: (st.kron_of_identities, st.kron_of_scalar),
    KronLeft: (st.kronleft_of_kron, st.kronleft_of_identity, st.kron_adjoint_of_ones, st.kron_adjoint_of_vec),
    KronRight: (st.kronright_of_kron, st.kronright_of_identity, st.kron_adjoint_of_ones, st.kron_adjoint_of_vec),
    Unvec: (nb.zero_argument, st.unvec_of_ones, st.unvec_of_kron, st.unvec_of_vec),
    Vec: (nb.zero_argument, st.vec_of_unvec),
}


def rewrites() -> list:
    """Every named rewrite once, in table order (the parts of each_factor, each_pair, each_grouping)."""
    seen: list = []
    for row in REWRITES.values():
        for r in row:
            for part in getattr(r, "parts", (r,)):
                if part not in seen:
                    seen.append(part)
    return seen
