"""PyTorch and JAX targets: the same function as the NumPy one, in those frameworks' arrays.

One node's code from a table of spellings per framework. The planning is the NumPy target's
(one DAG, temporaries computed once, liveness) without writing in place; products are
written on 2-D operands (a vector as a column, ``multi_dot`` for chains of three or more)
and reshaped to the result's rank. The stable forms are the same tree rewrites
(:mod:`matcalc.core.stable`); σ, softmax, log-softmax, softplus and log-sum-exp use the
frameworks' stable kernels.
"""
from __future__ import annotations

from ...core.functions import FUNCTIONS
from ...core.nodes import (
    Add, ArgMax, ArgMin, Cols, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, HCat,
    Identity, Inverse, Kron, KronLeft, KronRight, Largest, LogDet, LogSoftmax, MatMul, MatPower, Max, Min, Neg,
    Norm, Number, Ones, PadCols, PadRows, Power, Rows, Scale, Size, Smallest, Softmax, Sum, Symbol, Tensor,
    Trace, Transpose, Unvec, VCat, Vec, Zeros,
)
from ...core.stable import logsumexp_arg, logsumexp_columns_arg, logsumexp_rows_arg
from . import einsum
from .names import CodegenError
from .source import indexed, name, number
from .targets import Target

_TORCH_F64 = "dtype=torch.float64"

SPELLINGS = {
    "torch": {
        "exp": "torch.exp({0})", "log": "torch.log({0})", "sin": "torch.sin({0})", "cos": "torch.cos({0})",
        "tan": "torch.tan({0})", "tanh": "torch.tanh({0})", "sinh": "torch.sinh({0})", "cosh": "torch.cosh({0})",
        "sqrt": "torch.sqrt({0})", "atan": "torch.arctan({0})", "sigmoid": "torch.sigmoid({0})",
        "relu": "torch.relu({0})", "softplus": f"torch.logaddexp({{0}}, torch.zeros((), {_TORCH_F64}))",
        "step": f"torch.heaviside({{0}}, torch.tensor(0.5, {_TORCH_F64}))", "sign": "torch.sign({0})",
        "abs": "torch.abs({0})",
        "tensor": f"torch.tensor({{0}}, {_TORCH_F64})", "asarray": f"torch.as_tensor({{0}}, {_TORCH_F64})",
        "eye": f"torch.eye({{0}}, {_TORCH_F64})", "ones": f"torch.ones({{0}}, {_TORCH_F64})",
        "pow": "torch.pow({0}, {1})", "square": "torch.square({0})", "sum": "torch.sum({0})",
        "norm": "torch.linalg.norm({0})", "trace": "torch.trace({0})", "inv": "torch.linalg.inv({0})",
        "det": "torch.linalg.det({0})", "slogdet": "torch.linalg.slogdet({0})", "where": "torch.where",
        "diag": "torch.diag({0})", "diagonal": "torch.diagonal({0})", "softmax": "torch.softmax({0}, dim=-1)",
        "logsoftmax": "torch.log_softmax({0}, dim=-1)", "max": "torch.maximum({0}, {1})",
        "min": "torch.minimum({0}, {1})", "multi_dot": "torch.linalg.multi_dot([{0}])",
        "logsumexp": "torch.logsumexp({0}.reshape(-1), 0)", "logsumexp_columns": "torch.logsumexp({0}, 0)[None, :]",
        "logsumexp_rows": "torch.logsumexp({0}, 1)", "cat": "torch.cat([{0}], dim={1})",
        "zeros": f"torch.zeros(({{0}}), {_TORCH_F64})", "kron": "torch.kron({0}, {1})",
        "einsum": "torch.einsum('{0}', {1})", "matrix_power": "torch.linalg.matrix_power({0}, {1})",
        "amax": "torch.max({0})", "amin": "torch.min({0})", "equal": "torch.eq({0}, {1}).to(torch.float64)",
    },
    "jax": {
        "exp": "jnp.exp({0})", "log": "jnp.log({0})", "sin": "jnp.sin({0})", "cos": "jnp.cos({0})",
        "tan": "jnp.tan({0})", "tanh": "jnp.tanh({0})", "sinh": "jnp.sinh({0})", "cosh": "jnp.cosh({0})",
        "sqrt": "jnp.sqrt({0})", "atan": "jnp.arctan({0})", "sign": "jnp.sign({0})", "abs": "jnp.abs({0})",
        "sigmoid": "jax.nn.sigmoid({0})", "softplus": "jnp.logaddexp(0.0, {0})", "relu": "jnp.maximum({0}, 0.0)",
        "step": "jnp.heaviside({0}, 0.5)",
        "tensor": "jnp.asarray({0}, dtype=jnp.float64)", "asarray": "jnp.asarray({0}, dtype=jnp.float64)",
        "eye": "jnp.eye({0}, dtype=jnp.float64)", "ones": "jnp.ones({0}, dtype=jnp.float64)",
        "pow": "jnp.power({0}, {1})", "square": "jnp.square({0})", "sum": "jnp.sum({0})",
        "norm": "jnp.linalg.norm({0})", "trace": "jnp.trace({0})", "inv": "jnp.linalg.inv({0})",
        "det": "jnp.linalg.det({0})", "slogdet": "jnp.linalg.slogdet({0})", "where": "jnp.where",
        "diag": "jnp.diag({0})", "diagonal": "jnp.diagonal({0})", "softmax": "jax.nn.softmax({0}, axis=-1)",
        "logsoftmax": "jax.nn.log_softmax({0}, axis=-1)", "max": "jnp.maximum({0}, {1})", "min": "jnp.minimum({0}, {1})",
        "multi_dot": "jnp.linalg.multi_dot([{0}])", "logsumexp": "jax.scipy.special.logsumexp({0})",
        "logsumexp_columns": "jax.scipy.special.logsumexp({0}, axis=0)[None, :]",
        "logsumexp_rows": "jax.scipy.special.logsumexp({0}, axis=1)", "cat": "jnp.concatenate([{0}], axis={1})",
        "zeros": "jnp.zeros(({0}), dtype=jnp.float64)", "kron": "jnp.kron({0}, {1})",
        "einsum": "jnp.einsum('{0}', {1})", "matrix_power": "jnp.linalg.matrix_power({0}, {1})",
        "amax": "jnp.max({0})", "amin": "jnp.min({0})", "equal": "jnp.equal({0}, {1}).astype(jnp.float64)",
    },
}
"""How each framework spells each operation ({0}, {1} the operands): one expression each, so that a
function of an entry of a tensor is spelt as one of a whole array (softplus in torch is logaddexp with a
0-d zero, which broadcasts, rather than zeros_like of its argument, which would write it twice)."""

TENSORS = {
    "torch": {
        "einsum": "torch.einsum('{0}', {1})", "permute": "torch.einsum('{0}', {1})",
        "ones": f"torch.ones({{0}}, {_TORCH_F64})", "eye": f"torch.eye({{0}}, {_TORCH_F64})",
        "zeros": f"torch.zeros(({{0}}), {_TORCH_F64})", "square": "torch.square({0})",
        "power": "torch.pow({0}, {1})", "reshape": "torch.reshape({0}, ({1}))",
        "broadcast_to": "torch.broadcast_to({0}, ({1}))", "fresh": "torch.clone({0})",
    },
    "jax": {
        "einsum": "jnp.einsum('{0}', {1})", "permute": "jnp.einsum('{0}', {1})",
        "ones": "jnp.ones({0}, dtype=jnp.float64)", "eye": "jnp.eye({0}, dtype=jnp.float64)",
        "zeros": "jnp.zeros(({0}), dtype=jnp.float64)", "square": "jnp.square({0})",
        "power": "jnp.power({0}, {1})", "reshape": "jnp.reshape({0}, ({1}))",
        "broadcast_to": "jnp.broadcast_to({0}, ({1}))", "fresh": "jnp.asarray({0}, dtype=jnp.float64)",
    },
}
"""The tensor code's spellings (:data:`.einsum.NUMPY` says what each is): a generalized Jacobian in index
notation as the framework's einsum over its arrays. torch.einsum follows the path opt_einsum finds
where it is installed; jnp.einsum always optimizes its path. A result never aliases an input: torch
clones, and jax arrays are immutable."""

_CALLS = {Sum: "sum", Trace: "trace", Inverse: "inv", Det: "det", Diag: "diag", DiagPart: "diagonal",
          Softmax: "softmax", LogSoftmax: "logsoftmax"}


def _tensor(s: dict, node: Expr, val) -> str:
    """An operand a framework function needs as an array: a number is made one."""
    return s["tensor"].format(val.get()) if type(node) is Number else val.get()


def _product(w, s: dict, node: MatMul, vals: dict) -> str:
    """A product: vectors stay 1-D where the frameworks' ``@`` takes them as numpy does (a
    matrix-vector product, a row times a column); otherwise on 2-D operands, reshaped to the
    result's rank."""
    scalars, kinds = [], []
    for c in node.terms:
        shape = w.shape(c)
        if type(c) is Identity:
            continue
        if not shape:
            scalars.append(vals[c].op())
        elif type(c) is Transpose and len(w.shape(c.arg)) == 1:
            kinds.append(("row", c, vals[c.arg].op()))
        elif len(shape) == 1:
            kinds.append(("vec", c, vals[c].op()))
        else:
            kinds.append(("mat", c, vals[c].op()))
    target = w.shape(node)
    if not kinds:
        if len(target) == 2:
            kinds.append(("mat", None, s["eye"].format(w.dim(target[0]))))
        else:
            return " * ".join(scalars)
    middle_dense = all(k == "mat" for k, _, _ in kinds[1:-1])
    first, last = kinds[0][0], kinds[-1][0]
    one_d = len(kinds) > 1 and middle_dense and first in ("row", "mat") and last in ("vec", "mat") \
        and (first, last) != ("mat", "mat")
    if one_d:  # u^T M … v, M … v, u^T M …: numpy's 1-D rules
        factors = [code for _, _, code in kinds]
    else:
        factors = [indexed(code, "[:, None]") if k == "vec" else
                   indexed(code, "[None, :]") if k == "row" else code for k, _, code in kinds]
    code = s["multi_dot"].format(", ".join(factors)) if len(factors) > 2 else " @ ".join(factors)
    if one_d and first == "row" and last == "mat":
        code = f"({code})[None, :]"  # a row (1, m)
    elif not one_d and len(target) < 2:
        code = f"({code})" + ("[0, 0]" if not target else "[:, 0]")
    elif len(factors) == 2 and scalars:
        code = f"({code})"
    return " * ".join(scalars + [code])


def _function(w, s: dict, node: Func, kid: list, vals: dict):
    if (z := logsumexp_arg(node)) is not None:
        return s["logsumexp"].format(vals[z].op()), True, None
    if (z := logsumexp_columns_arg(node)) is not None and len(w.shape(z)) == 2:
        return s["logsumexp_columns"].format(vals[z].op()), True, None
    if (z := logsumexp_rows_arg(node)) is not None and len(w.shape(z)) == 2:
        return s["logsumexp_rows"].format(vals[z].op()), True, None
    named = node.order == 0 and node.name in FUNCTIONS  # a generic function may be called anything
    return _function_format(s, w, node).format(_tensor(s, node.arg, kid[0]) if named else kid[0].get()), True, None


def _function_format(s: dict, w, node: Func) -> str:
    """A function's code with {0} for its argument: a named one's spelling, or f's parameter called
    (also for a function of an entry, below a tensor)."""
    if node.order == 0 and node.name in FUNCTIONS:
        return s[node.name]
    key = (node.name, node.order)
    if key in w.fparams:
        return s["asarray"].format(f"{w.fparams[key]}({{0}})")
    raise CodegenError(f"no code for the function {node.name}" + "'" * node.order)


def _matrix(w, node: Expr, code: str) -> str:
    """An operand as a 2-D array: a vector as a column, a scalar as 1 x 1."""
    rank = len(w.shape(node))
    return code if rank == 2 else indexed(code, "[:, None]") if rank == 1 else f"({code}).reshape(1, 1)"


def _rank(code: str, rank: int) -> str:
    """A 2-D array's code at the result's rank (a column as a vector, 1 x 1 as a scalar)."""
    return code if rank == 2 else indexed(code, "[:, 0]") if rank == 1 else indexed(code, "[0, 0]")


def _batch(w, s: dict, node: Expr, kid: list):
    """The batch operations (issue 12) in a framework: sizes, blocks, concatenation, vec, Kronecker
    products and their adjoints, matrix powers, the largest entry; None for any other node."""
    t, shape = type(node), w.shape(node)
    if t is Size:  # an array, so that the framework's functions take it (sqrt(d))
        return s["tensor"].format(f"float({w.dim(node.dim)})"), True, None
    if t is Zeros:
        return s["zeros"].format(", ".join(w.dim(d) for d in node.dims) + ","), True, None
    if t in (Rows, Cols):
        x, a, k = kid[0].op(), w.dim(node.start), w.dim(node.count)
        return indexed(x, f"[{a}:{a} + {k}]" if t is Rows else f"[:, {a}:{a} + {k}]"), True, None
    if t in (PadRows, PadCols):  # zeros, X, zeros along the axis
        x, a, total = kid[0].get(), w.dim(node.start), w.dim(node.total)
        inner = w.shape(node.arg)
        axis = 0 if t is PadRows else 1
        k = w.dim(inner[axis])
        other = "" if len(inner) == 1 else w.dim(inner[1 - axis]) + ", "
        def zeros(count):
            return s["zeros"].format(f"{count}, {other}" if axis == 0 else f"{other}{count}")
        return s["cat"].format(f"{zeros(a)}, {x}, {zeros(f'{total} - {a} - {k}')}", axis), True, None
    if t in (VCat, HCat):
        if t is VCat and len(shape) == 1:
            parts = [v.get() if len(w.shape(c)) == 1 else f"({v.get()}).reshape(1)" for c, v in zip(node.terms, kid)]
            return s["cat"].format(", ".join(parts), 0), True, None
        parts = [_matrix(w, c, v.op()) for c, v in zip(node.terms, kid)]
        return s["cat"].format(", ".join(parts), 0 if t is VCat else 1), True, None
    if t is Vec:  # the columns stacked
        x = kid[0].op()
        return (indexed(x, ".T.reshape(-1)") if len(w.shape(node.arg)) == 2 else
                indexed(x, ".reshape(-1)")), True, None
    if t is Unvec:
        return indexed(kid[0].op(), f".reshape({w.dim(node.cols)}, {w.dim(node.rows)}).T"), True, None
    if t in (Kron, KronLeft, KronRight):
        a, b = (_matrix(w, c, v.op()) for c, v in zip(node.args, kid))
        rank = len(shape)
        if t is Kron:
            return _rank(s["kron"].format(a, b), rank), True, None
        def lines(n):
            out = [f"{n}_a = {a}", f"{n}_b = {b}"]
            if t is KronLeft:  # <G_ij, B>: G is a, B is b
                g = (f"{n}_a.reshape({n}_a.shape[0] // {n}_b.shape[0], {n}_b.shape[0], "
                     f"{n}_a.shape[1] // {n}_b.shape[1], {n}_b.shape[1])")
                out.append(f"{n} = " + s["einsum"].format("ikjl,kl->ij", f"{g}, {n}_b"))
            else:  # Σ A_ij G_ij: A is a, G is b
                g = (f"{n}_b.reshape({n}_a.shape[0], {n}_b.shape[0] // {n}_a.shape[0], "
                     f"{n}_a.shape[1], {n}_b.shape[1] // {n}_a.shape[1])")
                out.append(f"{n} = " + s["einsum"].format("ikjl,ij->kl", f"{g}, {n}_a"))
            if rank < 2:
                out.append(f"{n} = {_rank(n, rank)}")
            return out
        return "", True, lines
    if t is MatPower:
        return s["matrix_power"].format(kid[0].get(), f"int({kid[1].get()})"), True, None
    if t in (Largest, Smallest):
        return s["amax" if t is Largest else "amin"].format(kid[0].get()), True, None
    if t in (ArgMax, ArgMin):  # the indicator of the largest (smallest) entry, ties sharing it
        x = kid[0].op()
        pick = s["equal"].format(x, s["amax" if t is ArgMax else "amin"].format(x))
        return "", True, lambda n: [f"{n} = {pick}", f"{n} = {n} / {s['sum'].format(n)}"]
    if t in (Add, Hadamard, ElemDiv) and len(shape) == 2 and any(len(w.shape(c)) == 1 for c in node.args):
        # a column added to (multiplying, dividing) each column of a matrix: as an (n, 1) array
        sign = {Add: " + ", Hadamard: " * ", ElemDiv: " / "}[t]
        return sign.join(f"{v.op()}[:, None]" if len(w.shape(c)) == 1 else v.op()
                         for c, v in zip(node.args, kid)), False, None
    return None


def _expression(framework: str):
    s = SPELLINGS[framework]

    def expression(w, node: Expr, vals: dict):
        t = type(node)
        if einsum.is_index_code(node, w.index_memo):
            return "", True, None  # below a tensor: written by the tensor's einsum lines
        if t is Tensor:
            return "", True, einsum.tensor_lines(node, lambda e: vals[e].get(), w.dim,
                                                 lambda f: _function_format(s, w, f), TENSORS[framework])
        kid = [vals[c] for c in node.args]
        if (found := _batch(w, s, node, kid)) is not None:
            return found
        if t is Number:
            return number(node.value), True, None
        if t is Symbol:
            return name(w.names[node.name]), True, None
        if t is Identity:
            return s["eye"].format(w.dim(node.dim)), True, None
        if t is Ones:
            return s["ones"].format(w.dim(node.dim)), True, None
        if t is Neg:
            return f"-{kid[0].op()}", False, None
        if t is Transpose:
            inner = w.shape(node.arg)
            if len(inner) == 0:
                return kid[0].get(), kid[0].atom, None
            index = "[None, :]" if len(inner) == 1 else "[0]" if len(w.shape(node)) == 1 else ".T"
            return indexed(kid[0].op(), index), True, None
        if t is MatMul:
            return _product(w, s, node, vals), False, None
        if t is Add:
            code = ""
            for c, v in zip(node.terms, kid):
                if type(c) is Neg:
                    code += f" - {vals[c.arg].op()}" if code else f"-{vals[c.arg].op()}"
                elif type(c) is Number and c.value < 0 and code:
                    code += f" - {number(-c.value)}"
                else:
                    code += f" + {v.op()}" if code else v.op()
            return code, False, None
        if t in (Hadamard, Scale):
            return " * ".join(v.op() for v in kid), False, None
        if t in (Div, ElemDiv):
            return f"{kid[0].op()} / {kid[1].op()}", False, None
        if t in (Power, ElemPower):
            base = _tensor(s, node.left, kid[0]) if type(node.right) is not Number else kid[0].get()
            if type(node.right) is Number and node.right.value == 2 and type(node.left) is not Number:
                return s["square"].format(base), True, None
            return s["pow"].format(base, kid[1].get()), True, None
        if t is Norm:
            if not w.shape(node.arg):
                return s["abs"].format(_tensor(s, node.arg, kid[0])), True, None
            return s["norm"].format(kid[0].get()), True, None
        if t is Func:
            return _function(w, s, node, kid, vals)
        if t is LogDet:
            x = kid[0].get()
            where = s["where"]  # log det for a positive det, log 0 = -inf, nan for a negative one
            return "", True, lambda n: [f"{n}_sign, {n} = {s['slogdet'].format(x)}",
                                        (f"{n} = {where}({n}_sign > 0, {n}, "
                                         f"{where}({n}_sign == 0, -float('inf'), float('nan')))")]
        if t in (Max, Min):
            a, b = (_tensor(s, c, v) for c, v in zip(node.args, kid))
            return s["max" if t is Max else "min"].format(a, b), True, None
        if t in _CALLS:
            return s[_CALLS[t]].format(kid[0].get()), True, None
        raise CodegenError(f"no {framework} code for {t.__name__}")

    return expression


TORCH = Target(
    name="torch", imports="import torch\n", expression=_expression("torch"),
    asarray=SPELLINGS["torch"]["asarray"], size="{0}.numel()", to_scalar="{0}.reshape(())",
    scalar_out=SPELLINGS["torch"]["asarray"], full="torch.full(({0},), {1}, dtype=torch.float64)",
    reserved=frozenset({"torch"}))

JAX = Target(
    name="jax", imports="import jax\nimport jax.numpy as jnp\nimport jax.scipy.special\n",
    expression=_expression("jax"), asarray=SPELLINGS["jax"]["asarray"], size="{0}.size",
    to_scalar="{0}.reshape(())", scalar_out=SPELLINGS["jax"]["asarray"],
    full="jnp.full(({0},), {1}, dtype=jnp.float64)", reserved=frozenset({"jax", "jnp"}),
    note="float64 needs jax.config.update('jax_enable_x64', True)")
