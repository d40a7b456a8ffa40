"""One node's code, from its row in the operation table or the function table.

:func:`expression` returns ``(code, atom, lines)``: inline code, or ``lines`` (a function of
the temporary's name) that compute a temporary. An elementwise operation whose array
operand is a dead temporary (:meth:`Writer.dead`) writes into it (``np.tanh(t0, out=t0)``).
"""
from __future__ import annotations

from ...core.functions import FUNCTIONS
from ...core.nodes import (
    Add, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, MatMul, Neg, Norm, Number, Ones, Power,
    Scale, Symbol, Tensor, Transpose, Zeros,
)
from ...core.ops import OPS
from ...core.stable import logsumexp_arg, logsumexp_columns_arg, logsumexp_rows_arg
from . import einsum, sigmoid
from .names import CodegenError
from .products import matmul, symmetric
from .softmax import softmax_columns_arg
from .structure import expression as structure_expression
from .source import EXPR, Val, form, indexed, name, number


def _add(w, node: Add, kid: list, vals: dict, shape: tuple):
    buf = next((i for i, (c, v) in enumerate(zip(node.terms, kid)) if w.dead(c, v, shape)), None)
    if buf is not None:  # accumulate into a temporary no one else reads
        x = kid[buf].get()
        code = x
        for i, (c, v) in enumerate(zip(node.terms, kid)):
            if i == buf:
                continue
            if type(c) is Neg:
                code = f"np.subtract({code}, {vals[c.arg].get()}, out={x})"
            elif type(c) is Number and c.value < 0:
                code = f"np.subtract({code}, {number(-c.value)}, out={x})"
            else:
                code = f"np.add({code}, {v.get()}, out={x})"
        return "", True, lambda n, code=code: [f"{n} = {code}"]
    parts = []
    for c, v in zip(node.terms, kid):
        if type(c) is Neg:
            parts.append(("-", vals[c.arg].op()))
        elif type(c) is Number and c.value < 0:
            parts.append(("-", number(-c.value)))
        else:
            parts.append(("+", v.op()))
    if shape and not w.shape(node.terms[0]):
        # an array term first, so numpy reuses its temporary for the rest (1 - a² as -a² + 1)
        first = next((i for i, c in enumerate(node.terms) if w.shape(c)), None)
        if first is not None:
            parts.insert(0, parts.pop(first))
    code = parts[0][1] if parts[0][0] == "+" else f"-{parts[0][1]}"
    for sign, p in parts[1:]:
        code += f" {sign} {p}"
    return code, False, None


def _elementwise(w, node: Expr, kid: list, shape: tuple):
    t = type(node)
    if t is Hadamard:
        buf = next((i for i, (c, v) in enumerate(zip(node.terms, kid)) if w.dead(c, v, shape)), None)
        if buf is not None:
            x = kid[buf].get()
            code = x
            for i, v in enumerate(kid):
                if i != buf:
                    code = f"np.multiply({code}, {v.get()}, out={x})"
            return "", True, lambda n: [f"{n} = {code}"]
        return " * ".join(v.op() for v in kid), False, None
    if t is Scale:
        if w.dead(node.right, kid[1], shape):
            x = kid[1].get()
            return "", True, lambda n: [f"{n} = np.multiply({x}, {kid[0].get()}, out={x})"]
        return f"{kid[0].op()} * {kid[1].op()}", False, None
    if t in (Div, ElemDiv):
        for c, v in zip(node.args, kid):
            if w.dead(c, v, shape):
                x = v.get()
                return "", True, lambda n, x=x: [f"{n} = np.divide({kid[0].get()}, {kid[1].get()}, out={x})"]
        return f"{kid[0].op()} / {kid[1].op()}", False, None
    # Power, ElemPower
    base, p = kid[0].get(), kid[1].get()
    if type(node.right) is Number and node.right.value == 2:
        if w.dead(node.left, kid[0], shape):
            return "", True, lambda n: [f"{n} = np.square({base}, out={base})"]
        return f"np.square({base})", True, None
    return f"np.power({base}, {p})", True, None


def _computed(v: Val) -> str:
    """v's code, to be read more than once: an expression becomes a temporary first (computed once)."""
    if v.make is None and v.seq is None and form(v.code) == EXPR:
        v.make, v.temp = (lambda t, code=v.code: [f"{t} = {code}"]), True
    return v.get()


def _sigmoid_softplus(w, node: Func, vals: dict) -> str:
    """σ(±u) or softplus(±u), from the e = exp(-|u|) that all of them of this u share (:mod:`.sigmoid`)."""
    u, negated = sigmoid.core(node)
    e = w.shared.get(("exp(-|u|)", u))
    if e is None:
        uv = vals[u]
        e = w.shared[("exp(-|u|)", u)] = Val("", True, w, shape=w.shape(u), temp=True, fresh=True,
                                             make=lambda t: [f"{t} = np.exp(-np.abs({_computed(uv)}))"])
    x = _computed(vals[u])
    return sigmoid.code(node.name, negated, x, e.get())


def _function(w, node: Func, kid: list, vals: dict, shape: tuple):
    if sigmoid.core(node) is not None:
        return _sigmoid_softplus(w, node, vals), False, None
    if (z := logsumexp_arg(node)) is not None:
        z = vals[z].op()  # log(sum(exp z)) = m + log(sum(exp(z - m)))
        return "", True, lambda n: [f"{n} = np.max({z})", f"{n} = {n} + np.log(np.sum(np.exp({z} - {n})))"]
    if (z := logsumexp_columns_arg(node)) is not None and len(w.shape(z)) == 2:
        z = vals[z].op()  # log(onesᵀ exp Z), column by column, max subtracted
        return "", True, lambda n: [f"{n} = np.max({z}, axis=0)",
                                    f"{n} = ({n} + np.log(np.sum(np.exp({z} - {n}), axis=0)))[None, :]"]
    if (z := logsumexp_rows_arg(node)) is not None and len(w.shape(z)) == 2:
        z = vals[z].op()  # log(exp(Z) 1), row by row, max subtracted
        return "", True, lambda n: [f"{n} = np.max({z}, axis=1, keepdims=True)",
                                    f"{n} = {n}[:, 0] + np.log(np.sum(np.exp({z} - {n}), axis=1))"]
    row = FUNCTIONS.get(node.name) if node.order == 0 else None
    if row is not None and row.code_into is not None and w.dead(node.arg, kid[0], shape):
        x = kid[0].get()
        return "", True, lambda n: [f"{n} = {row.code_into.format(x)}"]
    if row is not None:
        return row.code.format(kid[0].op() if row.code_operand else kid[0].get()), True, None
    key = (node.name, node.order)
    if key in w.fparams:
        return f"np.asarray({w.fparams[key]}({kid[0].get()}), dtype=float)", True, None
    raise CodegenError(f"no code for the function {node.name}" + "'" * node.order)


def expression(w, node: Expr, vals: dict) -> tuple[str, bool, object]:
    """(code, atom, lines) for node; ``lines`` (a function of the temp name) forces a temporary."""
    t = type(node)
    if einsum.is_index_code(node, w.index_memo):
        return "", True, None  # below a tensor: written by the tensor's einsum lines
    if t is Tensor:
        return "", True, einsum.tensor_lines(node, lambda e: vals[e].get(), w.dim,
                                             lambda f: einsum.function_format(f, w.fparams))
    kid = [vals[c] for c in node.args]
    shape = w.shape(node)
    if t is Number:
        return number(node.value), True, None
    if t is Symbol:
        return name(w.names[node.name]), True, None
    if t is Identity:
        return f"np.eye({w.dim(node.dim)})", True, None
    if t is Ones:
        return f"np.ones({w.dim(node.dim)})", True, None
    if t is Zeros:  # 0_{k x m}
        return f"np.zeros(({', '.join(w.dim(d) for d in node.dims)},))", True, None
    if (found := structure_expression(w, node, kid, shape)) is not None:
        return found
    if t is Neg:
        if w.dead(node.arg, kid[0], shape):
            x = kid[0].get()
            return "", True, lambda n: [f"{n} = np.negative({x}, out={x})"]
        return f"-{kid[0].op()}", False, None
    if t is Transpose:
        inner = w.shape(node.arg)
        if len(inner) == 0:
            return kid[0].get(), kid[0].atom, None
        if len(inner) == 1:
            return indexed(kid[0].op(), "[None, :]"), True, None
        if len(shape) == 1:  # a row (1, m) turned into a column
            return indexed(kid[0].op(), "[0]"), True, None
        return indexed(kid[0].op(), ".T"), True, None
    if t is MatMul:
        if (lines := symmetric(w, node, vals)) is not None:  # Mᵀ diag(v) M: syrk, not gemm
            return "", True, lines
        return matmul(w, node, vals), False, None
    if t is Add:
        return _add(w, node, kid, vals, shape)
    if t is Hadamard and (z := softmax_columns_arg(node)) is not None and len(w.shape(z)) == 2:
        z = vals[z].op()  # exp(Z - max) / (1ᵀ exp(Z - max)), column by column, in one buffer
        return "", True, lambda n: [f"{n} = {z} - np.max({z}, axis=0)", f"{n} = np.exp({n}, out={n})",
                                    f"{n} /= np.sum({n}, axis=0)"]
    if t in (Hadamard, Scale, Div, ElemDiv, Power, ElemPower):
        return _elementwise(w, node, kid, shape)
    if t is Norm and len(w.shape(node.arg)) == 0:
        return FUNCTIONS["abs"].code.format(kid[0].get()), True, None
    if t is Func:
        return _function(w, node, kid, vals, shape)
    code = OPS[t].code
    if isinstance(code, tuple):  # lines that compute a temporary {t}
        operands = [k.op() for k in kid]
        return "", True, lambda n: [line.format(*operands, t=n) for line in code]
    if code is None:
        raise CodegenError(f"no code for {t.__name__}")
    return code.format(*[k.get() for k in kid]), True, None
