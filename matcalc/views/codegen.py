"""Code generation: NumPy source for a program's value and its derivatives, in one function.

``generate(program, results)`` writes ``f_and_grad(<inputs>)``, which checks its inputs'
dims on entry and returns ``(value, d1, d2, …)``. The function and every result are walked
as one DAG (nodes are structural, so equal subtrees are one node): a node used more than
once, or an expensive one (a product, a function, a reduction), becomes a temporary
``t0, t1, …`` computed once. Products are emitted without forming diagonal or ones
matrices (``Xᵀ diag(s) X`` is ``(X.T * s) @ X``; an outer product with a ones vector is a
read-only ``np.broadcast_to`` view unless it is returned), a chain of three or more dense
factors as ``np.linalg.multi_dot`` (numpy picks the cheapest association from the runtime
dims), and otherwise in the order that keeps matrix-vector products.

Memory: fresh pages cost as much as the arithmetic at these sizes, so an elementwise
operation (a named function, ⊙, +, −, scaling, ./, .^2) whose array operand is a temporary
made here that nothing else reads writes into that operand (``np.tanh(t0, out=t0)``); a
temporary is never overwritten if it is an input, a view, a broadcast, a user function's
return value, a returned result, or read again (also past ``exp`` by a stable form). A sum
that starts with a scalar puts an array term first (``-a² + 1``) so numpy reuses its temporary.

Numerically stable forms: softmax and log-softmax with the max subtracted, softplus
(and ``log(1 + exp(t))``) as ``np.logaddexp(0, t)``, σ as ``exp(-logaddexp(0, -t))``,
``log(sum(exp(z)))`` and ``log(onesᵀ exp(Z))`` with the max subtracted,
``exp(z) / sum(exp(z))`` as a softmax.

Names: every name that reaches the source is a program symbol, dim or generic function
that passed :func:`safe_name` (ASCII identifier, Greek letters spelt out: δ → delta, no
keyword, no name the generated code uses itself, nothing starting with ``__``), or a name
this module made. Nothing else the user typed is written into the source; the only
``exec`` (in :func:`compile_source`) runs source generated here.
"""
from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

from ..calculus.simplify import Simplifier
from ..core.dims import Poly, is_fixed, is_one
from ..core.errors import MatcalcError
from ..core.functions import FUNCTIONS
from ..core.lazy import LazyModule
from ..core.ops import DIM_FIELDS, OPS
from ..core.nodes import HCat, Kron, KronLeft, KronRight, Size, Unvec, VCat
from ..core.nodes import (
    Add, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse,
    LogDet, LogSoftmax, MatMul, Neg, Norm, Number, Ones, Power, Scale, Softmax, Sum,
    Symbol, Trace, Transpose, fold, walk, with_args,
)
from ..core.program import Program
from ..core.shapes import shape_of
from ..core.stable import logsumexp_arg, logsumexp_columns_arg, logsumexp_rows_arg, stable

symbolic = LazyModule("matcalc.core.symbolic")

FUNCTION_NAME = "f_and_grad"
MAX_INLINE_DEPTH = 8  # an inline expression nested deeper than this becomes a temporary
EXPENSIVE = (MatMul, Inverse, Det, LogDet, Softmax, LogSoftmax, Func, Sum, Norm, Trace, Diag, DiagPart,
             Identity, Ones)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
USED_BY_GENERATED = frozenset({"np", "math", "ValueError", "float", "int", "len", "tuple", "None", "True",
                               "False", FUNCTION_NAME})
"""Names the generated code itself refers to; no user name may take them."""


class CodegenError(MatcalcError):
    """A program or result that cannot be written as code (a bad name, an index-notation result)."""


def safe_name(name: str) -> str:
    """The Python identifier for a program name, or CodegenError.

    Greek letters are spelt out (δ → delta, Σ → Sigma); the result must be an ASCII
    identifier, not a keyword, not a name the generated code uses, not starting with ``__``.
    """
    if not isinstance(name, str) or not name:
        raise CodegenError(f"cannot use {name!r} as a name in generated code")
    spelt = []
    for ch in name:
        if ch.isascii():
            spelt.append(ch)
            continue
        uname = unicodedata.name(ch, "")
        if uname.startswith("GREEK SMALL LETTER ") or uname.startswith("GREEK CAPITAL LETTER "):
            word = uname.split(" LETTER ", 1)[1].replace(" ", "_").lower()
            if not re.fullmatch(r"[a-z_]+", word):
                raise CodegenError(f'cannot spell the Greek letter "{ch}" of "{name}" in ASCII')
            spelt.append(word.capitalize() if "CAPITAL" in uname else word)
            continue
        raise CodegenError(f'"{name}" cannot be a name in generated code: "{ch}" is neither ASCII nor Greek',
                           hint="use letters, digits, _ and Greek letters")
    out = "".join(spelt)
    if not _IDENTIFIER.match(out):
        raise CodegenError(f'"{name}" is not a valid identifier', hint="use letters, digits and _")
    if out.startswith("__"):
        raise CodegenError(f'"{name}" starts with "__", which generated code does not allow')
    if keyword.iskeyword(out) or keyword.issoftkeyword(out):
        raise CodegenError(f'"{name}" is a Python keyword', hint="rename the symbol")
    if out in USED_BY_GENERATED:
        raise CodegenError(f'"{name}" is a name the generated code uses itself', hint="rename the symbol")
    return out


_ = builtins  # builtins other than USED_BY_GENERATED may be shadowed harmlessly: the code never calls them


# ---------------------------------------------------------------- stable rewrites

def _expand_derivatives(node: Expr, kids: list[Expr]) -> Expr:
    """f^(k)(z) of a named function as its formula (tanh' = 1 - tanh²), a fold callback."""
    node = with_args(node, kids) if kids else node
    if type(node) is Func and node.order > 0 and node.name in FUNCTIONS:
        return fold(symbolic.derivative_tree(node.name, node.order, node.arg, False), _expand_derivatives)
    return node


# ---------------------------------------------------------------- values while emitting

@dataclass
class _Val:
    """One node's code: an expression (inline) or a temporary's name."""
    code: str
    atom: bool
    depth: int = 1
    node: Expr | None = None
    shape: tuple = ()
    lazy: object = None  # a callable that emits the temporary on first use
    extra: dict = field(default_factory=dict)

    def get(self) -> str:
        if self.lazy is not None:
            make, self.lazy = self.lazy, None
            self.code = make()
            self.atom = True
            self.depth = 1
        return self.code

    def op(self) -> str:
        """The code as an operand of an operator."""
        c = self.get()
        return c if self.atom else f"({c})"


@dataclass
class Generated:
    """Source of f_and_grad and what it takes and returns."""
    source: str
    parameters: list[str]
    inputs: list[str]
    function_parameters: list[str]
    outputs: list[str]


class _Writer:
    def __init__(self, program: Program, shapes: dict, names: dict[str, str], taken: set[str],
                 fparams: dict[tuple[str, int], str], dims: dict[str, str]):
        self.program = program
        self.shapes = shapes
        self.names = names
        self.taken = taken
        self.fparams = fparams
        self.dims = dims
        self.groups: list[tuple[str, list[str]]] = []
        self.counter = 0
        self.shape_memo: dict = {}
        self.uses: dict = {}
        self.roots: set = set()

    def dead(self, node: Expr, val: _Val, shape: tuple) -> bool:
        """Whether ``val`` is a temporary array no one else reads after its one consumer, of
        ``shape``: that consumer may overwrite it (``out=``) instead of allocating anew."""
        return (val.extra.get("fresh", False) and val.extra.get("temp", False) and bool(shape)
                and self.uses.get(node, 0) == 1 and node not in self.roots and self.shape(node) == shape)

    def fresh(self, base: str = "t") -> str:
        while True:
            name = f"{base}{self.counter}"
            self.counter += 1
            if name not in self.taken:
                self.taken.add(name)
                return name

    def shape(self, e: Expr) -> tuple:
        return shape_of(e, self.shapes, self.shape_memo)

    def dim(self, d) -> str:
        if d is None:
            d = "n"
        if is_fixed(d):
            return str(d)
        key = str(d)
        if key in self.dims:
            return self.dims[key]
        if isinstance(d, Poly):  # n + m, 2 m: from the sizes of its names
            terms = [" * ".join([str(c)] * (c != 1 or not names) + [self.dim(n) for n in names])
                     for names, c in d.terms]
            return "(" + " + ".join(terms) + ")"
        raise CodegenError(f"the size {key} is shown by no input of the program")

    def temp(self, lines_fn) -> str:
        name = self.fresh()
        self.groups.append((name, list(lines_fn(name))))
        return name

    def live_lines(self, needed: str) -> tuple[list[str], str]:
        """The temporaries' lines that ``needed`` (the return line) depends on, in order, and
        ``needed``, with the temporaries renumbered t0, t1, … in order of computation.

        Temporaries are made while walking the DAG children first, so some (an operand a
        stable form or a product did not use) are never read: they are dropped here.
        """
        temps = {name for name, _ in self.groups}
        live = {t for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", needed) if t in temps}
        kept = []
        for name, lines in reversed(self.groups):
            if name in live:
                kept.append(lines)
                live.update(t for line in lines for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line)
                            if t in temps)
        lines = [line for lines in reversed(kept) for line in lines]
        old = [name for name, _ in self.groups if name in live]
        self.taken.difference_update(temps)
        self.counter = 0
        rename = {o: self.fresh() for o in old}

        def sub(text: str) -> str:
            return re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: rename.get(m.group(0), m.group(0)), text)

        return [sub(line) for line in lines], sub(needed)


def _number(value: Fraction) -> str:
    text = repr(float(value))
    return f"({text})" if text.startswith("-") or text in ("inf", "nan") else text


# ---------------------------------------------------------------- products

def _factor(w: _Writer, node: Expr, val: _Val, vals: dict) -> tuple[str, str | _Val]:
    """(kind, payload) of one factor of a product, without materializing diag/ones/transposes."""
    t = type(node)
    shape = w.shape(node)
    if t is Diag:
        return "diag", vals[node.arg]
    if t is Ones:
        return "ones_col", w.dim(node.dim)
    if t is Identity:
        return "eye", w.dim(node.dim)
    if t is Transpose:
        inner = node.arg
        if type(inner) is Ones:
            return "ones_row", w.dim(inner.dim)
        if len(w.shape(inner)) == 1:
            return "row1", vals[inner]
    if len(shape) == 1:
        return "col", val
    if len(shape) == 0:
        return "scal", val
    return "mat", val


def _p(x) -> str:
    return x.op() if isinstance(x, _Val) else (x if _atomic(x) else f"({x})")


def _plain_code(x) -> str:
    return x.get() if isinstance(x, _Val) else x


def _atomic(code: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.T)?|[0-9.e+]+", code))


def _combine(a: tuple, b: tuple) -> tuple[str, str]:
    ka, xa = a
    kb, xb = b
    A, B = _p(xa), _p(xb)
    if kb == "scal":
        if ka in ("col", "row1", "mat", "diag"):
            return ka, f"{A} * {B}"
        if ka == "scal":
            return "scal", f"{A} * {B}"
    if kb == "scal" and ka in ("ones_col", "ones_row"):
        return ("col" if ka == "ones_col" else "row1"), f"np.ones({xa}) * {B}"
    if ka == "scal":
        if kb in ("col", "row1", "mat", "diag"):
            return kb, f"{A} * {B}"
        if kb == "ones_col":
            return "col", f"{A} * np.ones({xb})"
        if kb == "ones_row":
            return "row1", f"{A} * np.ones({xb})"
    if ka in ("col", "ones_col"):
        left = A if ka == "col" else f"np.ones({xa})"
        right = {"row1": B, "mat": B, "ones_row": f"np.ones({xb})"}.get(kb)
        if right is not None:
            return "mat", f"np.outer({left}, {right})"
    if ka == "row1":
        if kb == "col":
            return "scal", f"{A} @ {B}"
        if kb == "mat":
            return "row1", f"{A} @ {B}"
        if kb == "diag":
            return "row1", f"{A} * {B}"
        if kb == "ones_col":
            return "scal", f"np.sum({_plain_code(xa)})"
    if ka == "ones_row":
        if kb == "col":
            return "scal", f"np.sum({_plain_code(xb)})"
        if kb == "mat":
            return "row1", f"np.sum({B}, axis=0)"
        if kb == "diag":
            return "row1", B
        if kb == "ones_col":
            return "scal", f"float({xa})"
    if ka == "mat":
        if kb == "col":
            return "col", f"{A} @ {B}"
        if kb == "mat":
            return "mat", f"{A} @ {B}"
        if kb == "diag":
            return "mat", f"{A} * {B}"
        if kb == "ones_col":
            return "col", f"np.sum({A}, axis=1)"
        if kb == "row1":
            return "mat", f"{A} * {B}"
        if kb == "ones_row":
            return "mat", f"{A} * np.ones({xb})"
    if ka == "diag":
        if kb == "col":
            return "col", f"{A} * {B}"
        if kb == "mat":
            return "mat", f"{A}[:, None] * {B}"
        if kb == "diag":
            return "diag", f"{A} * {B}"
        if kb == "ones_col":
            return "col", A
        if kb == "row1":
            return "mat", f"{A}[:, None] * {B}"
    raise CodegenError(f"no code for a product of a {ka} and a {kb}")  # shapes rule these out


def _ones_outer(w: _Writer, node: MatMul, factors: list) -> str | None:
    """An outer product with a ones vector as a read-only broadcast view (no k × n copy),
    or None. A result the function returns is materialized."""
    if len(factors) != 2 or node in w.roots:
        return None
    (ka, xa), (kb, xb) = factors
    try:
        k, n = (w.dim(d) for d in w.shape(node))
    except (CodegenError, ValueError):
        return None
    if ka == "ones_col" and kb == "ones_row":
        return f"np.broadcast_to(1.0, ({k}, {n}))"
    if ka == "ones_col" and kb in ("row1", "mat"):
        return f"np.broadcast_to({_plain_code(xb)}, ({k}, {n}))"
    if ka == "col" and kb == "ones_row":
        return f"np.broadcast_to({_p(xa)}[:, None], ({k}, {n}))"
    return None


def _matmul(w: _Writer, node: MatMul, vals: dict) -> str:
    factors = [_factor(w, c, vals[c], vals) for c in node.terms]
    eyes = [f for f in factors if f[0] == "eye"]
    factors = [f for f in factors if f[0] != "eye"]
    if not factors:
        return f"np.eye({eyes[0][1]})"
    outer = _ones_outer(w, node, factors)
    if outer is not None:
        return outer
    if len(factors) > 2 and all(k == "mat" for k, _ in factors[1:-1]) \
            and factors[0][0] in ("mat", "row1") and factors[-1][0] in ("mat", "col"):
        # a chain of dense products: numpy picks the cheapest association from the runtime dims
        kind = {("row1", "col"): "scal", ("row1", "mat"): "row1", ("mat", "col"): "col"}.get(
            (factors[0][0], factors[-1][0]), "mat")
        acc = (kind, f"np.linalg.multi_dot([{', '.join(_plain_code(x) for _, x in factors)}])")
    elif len(factors) > 2 and factors[-1][0] in ("col", "ones_col") and factors[0][0] not in ("row1", "ones_row"):
        acc = factors[-1]
        for f in reversed(factors[:-1]):
            acc = _combine(f, acc)
    else:
        acc = factors[0]
        for f in factors[1:]:
            acc = _combine(acc, f)
    kind, code = acc
    code = code.get() if isinstance(code, _Val) else code
    target = w.shape(node)
    if kind == "diag":
        return f"np.diag({code})"
    if kind == "ones_col":
        return f"np.ones({code})"
    if kind == "ones_row":
        return f"np.ones((1, {code}))"
    if len(target) == 0:
        return {"scal": code, "col": f"{_p(code)}[0]", "row1": f"{_p(code)}[0]", "mat": f"{_p(code)}[0, 0]"}[kind]
    if len(target) == 1:
        return {"col": code, "row1": code, "mat": f"{_p(code)}[:, 0]"}[kind] if kind != "scal" \
            else f"np.full({w.dim(target[0])}, {code})"
    if kind == "row1":
        return f"{_p(code)}[None, :]"
    if kind == "col":
        return f"{_p(code)}[:, None]"
    return code


def _kron_lines(t, n: str, a: str, b: str, rank: int) -> list[str]:
    """A ⊗ B, kronleft(G, B), kronright(A, G) in numpy, each operand as a 2-D array (a vector a column)."""
    lines = [f"{n}_a = np.atleast_1d({a})", f"{n}_a = {n}_a.reshape({n}_a.shape[0], -1)",
             f"{n}_b = np.atleast_1d({b})", f"{n}_b = {n}_b.reshape({n}_b.shape[0], -1)"]
    if t is Kron:
        lines.append(f"{n} = np.kron({n}_a, {n}_b)")
    elif t is KronLeft:  # <G_ij, B>: G is a, B is b
        lines.append(f"{n} = np.einsum('ikjl,kl->ij', {n}_a.reshape({n}_a.shape[0] // {n}_b.shape[0], "
                     f"{n}_b.shape[0], {n}_a.shape[1] // {n}_b.shape[1], {n}_b.shape[1]), {n}_b)")
    else:  # Σ A_ij G_ij: A is a, G is b
        lines.append(f"{n} = np.einsum('ikjl,ij->kl', {n}_b.reshape({n}_a.shape[0], {n}_b.shape[0] // {n}_a.shape[0], "
                     f"{n}_a.shape[1], {n}_b.shape[1] // {n}_a.shape[1]), {n}_a)")
    if rank == 1:
        lines.append(f"{n} = {n}.reshape(-1)")
    elif rank == 0:
        lines.append(f"{n} = {n}[0, 0]")
    return lines


# ---------------------------------------------------------------- one node

def _expr(w: _Writer, node: Expr, vals: dict) -> tuple[str, bool, list | None]:
    """(code, atom, lines) for node; ``lines`` (a function of the temp name) forces a temporary."""
    t = type(node)
    kid = [vals[c] for c in node.args]
    shape = w.shape(node)
    if t is Number:
        return _number(node.value), True, None
    if t is Symbol:
        return w.names[node.name], True, None
    if t is Identity:
        return f"np.eye({w.dim(node.dim)})", True, None
    if t is Ones:
        return f"np.ones({w.dim(node.dim)})", True, None
    if t is Size:
        return f"float({w.dim(node.dim)})", True, None
    if t in DIM_FIELDS:
        sizes = {f"d{i}": w.dim(getattr(node, f)) for i, f in enumerate(DIM_FIELDS[t])}
        code = OPS[t].code
        operand = kid[0].get() if w.shape(node.arg) else f"np.atleast_1d({kid[0].get()})"
        if isinstance(code, tuple):
            return "", True, lambda n: [line.format(operand, t=n, **sizes) for line in code]
        code = code.format(kid[0].op() if w.shape(node.arg) else f"({operand})", **sizes)
        return (code if shape else f"np.reshape({code}, -1)[0]"), True, None
    if t in (VCat, HCat):
        parts = []
        for c, v in zip(node.terms, kid):
            rank = len(w.shape(c))
            if t is VCat and len(shape) == 1:
                parts.append(v.get() if rank == 1 else f"[{v.get()}]")
            else:
                parts.append(v.get() if rank == 2 else f"np.reshape({v.get()}, (-1, 1))")
        join = "np.concatenate" if t is VCat and len(shape) == 1 else ("np.vstack" if t is VCat else "np.hstack")
        return f"{join}([{', '.join(parts)}])", True, None
    if t in (Kron, KronLeft, KronRight):
        return "", True, lambda n: _kron_lines(t, n, kid[0].op(), kid[1].op(), len(shape))
    if t is Unvec:
        return f"np.reshape({kid[0].get()}, ({w.dim(node.rows)}, {w.dim(node.cols)}), order='F')", True, None
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
            return f"{kid[0].op()}[None, :]", True, None
        if len(shape) == 1:  # a row (1, m) turned into a column
            return f"{kid[0].op()}[0]", True, None
        return f"{kid[0].op()}.T", True, None
    if t is MatMul:
        return _matmul(w, node, vals), False, None
    if t in (Add, Hadamard, ElemDiv) and len(shape) == 2 and any(len(w.shape(c)) == 1 for c in node.args):
        # a column added to (multiplying, dividing) each column of a matrix: as a (n, 1) array
        sign = {Add: " + ", Hadamard: " * ", ElemDiv: " / "}[t]
        code = sign.join(f"{v.op()}[:, None]" if len(w.shape(c)) == 1 else v.op() for c, v in zip(node.args, kid))
        return code, False, None
    if t is Add:
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
                    code = f"np.subtract({code}, {_number(-c.value)}, out={x})"
                else:
                    code = f"np.add({code}, {v.get()}, out={x})"
            return "", True, lambda n, code=code: [f"{n} = {code}"]
        parts = []
        for i, (c, v) in enumerate(zip(node.terms, kid)):
            if type(c) is Neg:
                parts.append(("-", vals[c.arg].op()))
            elif type(c) is Number and c.value < 0:
                parts.append(("-", _number(-c.value)))
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
                return "", True, lambda n: [f"{n} = np.divide({kid[0].get()}, {kid[1].get()}, out={x})"]
        return f"{kid[0].op()} / {kid[1].op()}", False, None
    if t in (Power, ElemPower):
        base, p = kid[0].get(), kid[1].get()
        if type(node.right) is Number and node.right.value == 2:
            if w.dead(node.left, kid[0], shape):
                return "", True, lambda n: [f"{n} = np.square({base}, out={base})"]
            return f"np.square({base})", True, None
        return f"np.power({base}, {p})", True, None
    if t is Norm and len(w.shape(node.arg)) == 0:
        return FUNCTIONS["abs"].code.format(kid[0].get()), True, None
    if t is not Func:
        code = OPS[t].code
        if isinstance(code, tuple):  # lines that compute a temporary {t}
            operands = [k.op() for k in kid]
            return "", True, lambda n: [line.format(*operands, t=n) for line in code]
        if code is None:
            raise CodegenError(f"no code for {t.__name__}")
        return code.format(*[k.get() for k in kid]), True, None
    if t is Func:
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
    raise CodegenError(f"no code for {t.__name__}")


# ---------------------------------------------------------------- one DAG for all results

def _intern(e: Expr, mapping: dict[str, Expr], canon: dict) -> Expr:
    """e with symbols of ``mapping`` replaced, every distinct subtree one shared object.

    Hash-consing by the identity of (already interned) children: equal subtrees of the
    function and of every result become the same object, so the dict and set look-ups of
    the walk that follows never compare deep trees (which made them quadratic).
    """
    done: dict[int, Expr] = {}
    keep: list[Expr] = []  # keeps ids stable while done is in use
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.args) if id(c) not in done)
            continue
        keep.append(node)
        if type(node) is Symbol and node.name in mapping:
            done[id(node)] = mapping[node.name]
            continue
        kids = [done[id(c)] for c in node.args]
        fields = tuple(getattr(node, k) for k in node._keys if not isinstance(getattr(node, k), (Expr, tuple)))
        key = (type(node), fields, tuple(id(k) for k in kids))
        found = canon.get(key)
        if found is None:
            found = with_args(node, kids)
            canon[key] = found
            keep.append(found)
        done[id(node)] = found
    canon.setdefault(("keep",), []).extend(keep)
    return done[id(e)]


def _inline_results(results: list, canon: dict) -> list[Expr]:
    """Each result with its placeholders substituted, all through one interned mapping."""
    mapping: dict[str, Expr] = {}
    for d in results:
        for name, value in d.definitions.items():  # dependency order within each result
            if name not in mapping:
                mapping[name] = _intern(value, mapping, canon)
    return [_intern(d.expr, mapping, canon) for d in results]


# ---------------------------------------------------------------- the whole function

_VIEW = re.compile(r"\(?[A-Za-z_][A-Za-z0-9_]*\)?(\.T|\[[^\]]*\])*")


def _fresh(node: Expr, code: str, lines: bool, shape: tuple, fparams: dict) -> bool:
    """Whether node's code makes a new array that nothing else refers to (so a consumer may
    write into it once no one else reads it): not an input, a view, a broadcast or a value a
    user's function returned."""
    if not shape or type(node) in (Symbol, Number, Transpose):
        return False
    if type(node) is Func and (node.name, node.order) in fparams:
        return False
    if lines:
        return type(node) is not LogDet
    return not _VIEW.fullmatch(code) and not code.startswith("np.broadcast_to(")


def _results(results) -> list[tuple[str, object]]:
    if isinstance(results, dict):
        return [(f"d_{safe_name(k)}", v) for k, v in results.items()]
    if isinstance(results, (list, tuple)):
        return [(f"d_{safe_name(r.wrt)}", r) for r in results]
    return [(f"d_{safe_name(results.wrt)}", results)]


def generate(program: Program, results=(), name: str = FUNCTION_NAME) -> Generated:
    """Source of one function returning (value, *results) of the program at its inputs.

    ``results``: a Derivative, a Gradients dict, or a list of Derivatives (Hessians included).
    """
    if not (isinstance(name, str) and _IDENTIFIER.match(name) and not name.startswith("__")
            and not keyword.iskeyword(name) and name not in USED_BY_GENERATED - {FUNCTION_NAME}):
        raise CodegenError(f"{name!r} cannot name the generated function", hint="use an ASCII identifier")
    items = _results(results)
    for _, d in items:
        if d.kind == "tensor":
            raise CodegenError(f"∂/∂{d.wrt} is a tensor in index notation; only matrix forms become code")
    shapes = dict(program.shapes)
    for _, d in items:
        shapes.update({k: v for k, v in d.shapes.items() if k not in shapes})
    value = program.inline()
    simp = Simplifier(lambda e: shape_of(e, shapes, simp_memo))
    simp_memo: dict = {}
    value = simp(value)
    canon: dict = {}
    roots = [_intern(value, {}, canon)] + _inline_results([d for _, d in items], canon)
    stable_memo: dict = {}
    expand_memo: dict = {}
    roots = [_intern(stable(fold(r, _expand_derivatives, expand_memo), stable_memo), {}, canon) for r in roots]

    # the DAG of all roots together
    order: list[Expr] = []
    seen: set[Expr] = set()
    for r in roots:
        for n in walk(r):
            if n not in seen:
                seen.add(n)
                order.append(n)
    uses: dict[Expr, int] = {}
    for n in order:
        for c in n.args:
            uses[c] = uses.get(c, 0) + 1
        z = logsumexp_arg(n) or logsumexp_columns_arg(n) or logsumexp_rows_arg(n)
        if z is not None:  # a stable form reads z itself, past exp(z): z may not be overwritten
            uses[z] = uses.get(z, 0) + 1

    # names: inputs, generic functions, dims
    taken: set[str] = set()
    names: dict[str, str] = {}
    free = [s.name for s in order if type(s) is Symbol]
    inputs = [v for v in program.variables if v in set(free)] + sorted(set(free) - set(program.variables))
    for v in inputs:
        py = safe_name(v)
        if py in taken:
            raise CodegenError(f'two names of the program become "{py}" in generated code')
        taken.add(py)
        names[v] = py
    fparams: dict[tuple[str, int], str] = {}
    for n in order:
        if type(n) is Func and n.name not in FUNCTIONS and (n.name, n.order) not in fparams:
            base = safe_name(n.name)
            py = base if n.order == 0 else f"{base}_prime" + (str(n.order) if n.order > 1 else "")
            if py in taken:
                raise CodegenError(f'the function parameter "{py}" clashes with a name of the program')
            taken.add(py)
            fparams[(n.name, n.order)] = py
    fparams = dict(sorted(fparams.items()))
    dims: dict[str, str] = {}
    checks: list[str] = []
    for v in inputs:
        checks.extend(_check_input(v, names[v], shapes[v], dims, taken))
    w = _Writer(program, shapes, names, taken, fparams, dims)

    vals: dict[Expr, _Val] = {}
    root_set = set(roots)
    w.uses, w.roots = uses, root_set
    for n in order:
        code, atom, lines = _expr(w, n, vals)
        kids = [vals[c] for c in n.args]
        depth = 1 + max((k.depth for k in kids), default=0)
        val = _Val(code, atom, depth, n, w.shape(n))
        trivial = type(n) in (Symbol, Number) or (type(n) is Transpose and atom)
        if lines is not None:
            val.lazy = lambda lines=lines: w.temp(lines)
        elif not trivial and (uses.get(n, 0) >= 2 or isinstance(n, EXPENSIVE) or depth > MAX_INLINE_DEPTH
                              or n in root_set):
            val.lazy = lambda code=code: w.temp(lambda t: [f"{t} = {code}"])
        val.extra["temp"] = val.lazy is not None
        val.extra["fresh"] = _fresh(n, code, lines is not None, val.shape, fparams)
        vals[n] = val
    outs = []
    for r, (label, d) in zip(roots, [("value", None)] + items):
        shape = w.shape(r)
        if type(r) is Number and shape:
            outs.append(f"np.full(({', '.join(w.dim(x) for x in shape)},), {_number(r.value)})")
        elif not shape:
            outs.append(f"np.float64({vals[r].get()})")
        else:
            outs.append(vals[r].get())
    params = [names[v] for v in inputs] + list(fparams.values())
    if name in params:
        raise CodegenError(f'the function name "{name}" is also one of its parameters')
    ret = f"return {', '.join(outs)}" + ("," if len(outs) == 1 else "")
    lines, ret = w.live_lines(ret)
    body = checks + lines + [ret]
    doc = (f'"""Value of the program and {", ".join(lbl for lbl, _ in items) or "nothing else"}; '
           f'generated by matcalc."""')
    imports = "import math\n\nimport numpy as np\n" if "math." in "\n".join(body) else "import numpy as np\n"
    source = (imports + "\n\n" + f"def {name}({', '.join(params)}):\n    {doc}\n"
              + "".join(f"    {line}\n" for line in body))
    return Generated(source=source, parameters=params, inputs=[names[v] for v in inputs],
                     function_parameters=list(fparams.values()), outputs=["value"] + [lbl for lbl, _ in items])


def _check_input(name: str, py: str, shape: tuple, dims: dict[str, str], taken: set[str]) -> list[str]:
    """Lines that convert one input to float64 in its representation and check its dims."""
    lines = [f"{py} = np.asarray({py}, dtype=float)"]
    if len(shape) == 0:
        lines += [f"if {py}.size != 1:",
                  f"    raise ValueError(f'{py} should be a scalar, got shape {{{py}.shape}}')",
                  f"{py} = {py}.reshape(())[()]"]
        return lines
    if len(shape) == 1:
        lines += [f"if {py}.ndim == 2 and {py}.shape[1] == 1:", f"    {py} = {py}[:, 0]",
                  f"if {py}.ndim != 1:",
                  f"    raise ValueError(f'{py} should be a vector, got shape {{{py}.shape}}')"]
        axes = [(0, shape[0], "entries")]
    else:
        if is_one(shape[0]):
            lines += [f"if {py}.ndim == 1:", f"    {py} = {py}[None, :]"]
        lines += [f"if {py}.ndim != 2:",
                  f"    raise ValueError(f'{py} should be a matrix, got shape {{{py}.shape}}')"]
        axes = [(0, shape[0], "rows"), (1, shape[1], "columns")]
    for axis, d, what in axes:
        size = f"{py}.shape[{axis}]"
        if is_fixed(d):
            lines += [f"if {size} != {d}:",
                      f"    raise ValueError(f'{py} has {{{size}}} {what}, but the program fixes {d}')"]
            continue
        if not isinstance(d, str):
            continue  # a compound dim (n + 1): numpy checks the products that use it
        key = str(d)
        if key not in dims:
            var = safe_name(key)
            var = f"dim_{var}"
            while var in taken:
                var += "_"
            taken.add(var)
            dims[key] = var
            lines.append(f"{var} = {size}")
            dims[key + "@"] = f"{py}"
            continue
        first = dims[key + "@"]
        lines += [f"if {size} != {dims[key]}:",
                  f"    raise ValueError(f'{py} has {{{size}}} {what}, but {first} has {key} = {{{dims[key]}}}')"]
    return lines


def compile_source(generated: Generated, name: str = FUNCTION_NAME):
    """The callable of generated source (which this module wrote from validated names only)."""
    namespace: dict = {}
    exec(compile(generated.source, f"<matcalc {name}>", "exec"), namespace)  # noqa: S102 - our own source
    fn = namespace[name]
    fn.source = generated.source
    return fn
