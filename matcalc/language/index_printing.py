"""Index notation in text and LaTeX: the printing of entries, δ, Σ, tensors and sized zeros.

Mixed into :class:`~matcalc.language.printing.TextPrinter` and
:class:`~matcalc.language.latex.LatexPrinter`; every choice is made on the node (its class, a
symbol's name), never on rendered text.

* an entry: ``x_j``, ``(W x)_i`` (a compound expression is bracketed), ``tanh(W x)_i`` (a call
  is its own bracket), ``(W_1)_ij`` (a name with its own subscript is bracketed); the index
  ``1`` of an axis of size 1 is not written inside the body (``(u^T X)_a``);
* ``δ_ik`` the Kronecker delta; ``Σ_a body`` a sum, binding like a product and reaching to the
  end of its product (``2 x_i Σ_a x_a^2``), bracketed where a factor follows it;
* a tensor ``∂F_ij/∂x_k = body``, ``∂²s/∂X_ij ∂X_kl = body``, its free indices in order (the
  ``1`` of a row's axis written: ``∂F_1j/∂X_kl``);
* a sized zero ``0_{k x m}`` (LaTeX ``0_{k \\times m}``), ``0_{n}`` for a vector.

In the language, a delta is ``δ`` with two index letters (``δ_ik``); the engine's backpropagated
temporaries are ``δ`` with a number (``δ_1``), so the two never meet in one reading.
"""
from __future__ import annotations

from ..core.nodes import Delta, Entry, Expr, IndexSum, Size, Symbol, Tensor, Zeros
from ..core.ops import OPS, PRODUCT

ONE = "1"
DELIMITED = ("call", "function", "bars")  # forms that carry their own brackets: tanh(W x)_i


def subscript_names(indices, keep_one: bool = False) -> list[str]:
    return [i for i in indices if keep_one or i != ONE]


class IndexText:
    """The text forms (read back by the grammar's index-notation block)."""

    SIGMA = "Σ"
    DELTA = "δ"
    PARTIAL = "∂"

    def subscript(self, indices, keep_one: bool = False) -> str:
        names = subscript_names(indices, keep_one)
        if not names:
            return ""
        if all(len(n) == 1 for n in names):
            return "_" + "".join(names)
        return "_{" + ",".join(names) + "}"

    def entry_base(self, e: Expr) -> str:
        if isinstance(e, Symbol):
            return self.bracket(e.name) if "_" in e.name else e.name
        if isinstance(e, Size) and isinstance(e.dim, (int, str)):  # the size n of a dim: 1 / (n m)
            return self.doprint(e)
        if OPS[type(e)].form in DELIMITED:
            return self.doprint(e)
        return self.bracket(self.doprint(e))

    def _print_Entry(self, e: Entry) -> str:
        return self.entry_base(e.arg) + self.subscript(e.indices)

    def _print_Delta(self, e: Delta) -> str:
        return self.DELTA + self.subscript((e.a, e.b))

    def sum_head(self, indices: list[str]) -> str:
        return "".join(f"{self.SIGMA}{self.subscript((i,))} " for i in indices)

    def _print_IndexSum(self, e: IndexSum) -> str:
        indices, body = [], e
        while isinstance(body, IndexSum):
            indices.append(body.index)
            body = body.arg
        return self.sum_head(indices) + self.paren(body, PRODUCT)

    def lhs_name(self, name: str, indices, keep_one: bool = True) -> str:
        sub = self.subscript(indices, keep_one)
        return (self.bracket(name) if "_" in name else name) + sub

    def tensor_lhs(self, e: Tensor) -> str:
        f, v = e.indices[:e.split], e.indices[e.split:]
        p = self.PARTIAL
        if e.hessian:
            return f"{p}²{self.lhs_name(e.function, ())}/{p}{self.lhs_name(e.wrt, f)} {p}{self.lhs_name(e.wrt, v)}"
        return f"{p}{self.lhs_name(e.function, f)}/{p}{self.lhs_name(e.wrt, v)}"

    def _print_Tensor(self, e: Tensor) -> str:
        return f"{self.tensor_lhs(e)} = {self.doprint(e.arg)}"

    def spelled_zero(self, e: Zeros) -> str | None:
        """A zero vector or matrix of a size no subscript can write (the m n rows of the Jacobian of a
        cancelled kron(x, z)): 0 times its ones, 0 kron(ones(m), ones(n)) ones(n)^T, which reads back."""
        from ..core.dims import Poly
        if not e.dims or len(e.dims) > 2 or not any(isinstance(d, Poly) for d in e.dims):
            return None
        from ..core import build
        from ..core.nodes import Number, Ones, Scale
        from .printing import ones_spelled
        if any(isinstance(d, Poly) and ones_spelled(Ones(d)) is None for d in e.dims):
            return None
        return self.doprint(Scale(Number(0), build.ones_of(e.dims)))

    def _print_Zeros(self, e: Zeros) -> str:
        spelled = self.spelled_zero(e)
        if spelled is not None:
            return spelled
        return "0_{" + " x ".join(str(d) for d in e.dims) + "}" if e.dims else "0"


class IndexLatex(IndexText):
    """The LaTeX forms, as KaTeX renders them."""

    SIGMA = r"\sum"
    DELTA = r"\delta"

    def subscript(self, indices, keep_one: bool = False) -> str:
        names = subscript_names(indices, keep_one)
        if not names:
            return ""
        return "_{" + ("".join(names) if all(len(n) == 1 for n in names) else ",".join(names)) + "}"

    def entry_base(self, e: Expr) -> str:
        if isinstance(e, Symbol):
            s = self.doprint(e)
            return "{" + s + "}" if "_" in e.name else s
        if isinstance(e, Size) and isinstance(e.dim, (int, str)):
            return self.doprint(e)
        if OPS[type(e)].form in DELIMITED:
            return "{" + self.doprint(e) + "}"
        return self.bracket(self.doprint(e))

    def sum_head(self, indices: list[str]) -> str:
        return rf"\sum_{{{','.join(indices)}}} "

    def lhs_name(self, name: str, indices, keep_one: bool = True) -> str:
        from .latex import latex_name
        sub = self.subscript(indices, keep_one)
        # braced whenever the name has a subscript of its own, {\delta_{1}} as (δ_1) in the text: read back,
        # \partial \delta_{1} would be δ at index 1
        return ("{" + latex_name(name) + "}" if "_" in name else latex_name(name)) + sub

    def tensor_lhs(self, e: Tensor) -> str:
        f, v = e.indices[:e.split], e.indices[e.split:]
        if e.hessian:
            return (rf"\frac{{\partial^2 {self.lhs_name(e.function, ())}}}"
                    rf"{{\partial {self.lhs_name(e.wrt, f)}\, \partial {self.lhs_name(e.wrt, v)}}}")
        return rf"\frac{{\partial {self.lhs_name(e.function, f)}}}{{\partial {self.lhs_name(e.wrt, v)}}}"

    def _print_Zeros(self, e: Zeros) -> str:
        spelled = self.spelled_zero(e)
        if spelled is not None:
            return spelled
        return "0_{" + r" \times ".join(str(d) for d in e.dims) + "}" if e.dims else "0"
