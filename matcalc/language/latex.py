"""LaTeX of typed trees, in the cheatsheet's notation, as KaTeX renders it.

``x^{\\top}``, ``\\odot``, ``\\operatorname{diag}``, ``\\sigma``, ``f'``, ``\\lVert x \\rVert``,
``\\frac{1}{2}``, ``\\left( … \\right)``. Symbols are printed in plain math italic, not bold (the
cheatsheet writes ``u^T``, ``W x`` without bold; the kind of a symbol is carried by its case);
Greek names print as commands (δ → ``\\delta``) and the part after the first underscore as a
subscript (``W_1`` → ``W_{1}``). Brackets and forms come from :mod:`matcalc.language.printing`.
"""
from __future__ import annotations

import re
import unicodedata

from . import greek
from .index_printing import IndexLatex
from .printing import Printer, identity_alone, ones_spelled
from ..core.functions import FUNCTIONS
from ..core.nodes import Diag, Div, ElemPower, Expr, Func, Identity, IndexSum, Inverse, Norm, Number, Ones, Power, \
    Symbol, Trace, Transpose
from ..core import dims
from ..core.ops import OPS, PRODUCT, Op
from ..core.program import needed_definitions

ACCENTS = {"\u0302": r"\hat", "\u0303": r"\tilde", "\u0304": r"\bar", "\u0307": r"\dot"}
"""combining marks of decorated names and their LaTeX commands"""

__all__ = ["LatexPrinter", "latex", "latex_name", "latex_program", "latex_equation"]


def latex_name(name: str) -> str:
    """A symbol's name in LaTeX: Greek letters as commands, the part after "_" as a subscript.

    δ → ``\\delta``, ``W_1`` → ``W_{1}``, ``W_10`` → ``W_{10}``; a longer name is one
    italic word (``\\mathit{xy}``), not a product of letters.
    """
    base, sep, sub = name.partition("_")
    letter, *marks = unicodedata.normalize("NFD", base)
    if len(marks) == 1 and marks[0] in ACCENTS:  # ŷ → \hat{y}, as it was pasted
        body = ACCENTS[marks[0]] + "{" + (greek.command(letter) or letter) + "}"
    elif len(base) == 1:
        body = greek.command(base) or base
    else:
        body = r"\mathit{" + "".join(_letter(ch) for ch in base) + "}"
    if sep:
        # h_tm1 is h_{t-1} as pasted (matcalc.language.pasted reads it back)
        sub = re.sub(r"(?<![A-Za-z0-9])([a-z])([mp])([0-9]+)(?![A-Za-z0-9])",
                     lambda m: m.group(1) + ("-" if m.group(2) == "m" else "+") + m.group(3), sub)
        body += "_{" + "".join(_letter(ch) for ch in sub.replace("_", ",")) + "}"
    return body


def _letter(ch: str) -> str:
    """One character of a longer name: a Greek command braced so no letter runs into it."""
    command = greek.command(ch)
    return "{" + command + "}" if command else ch


class LatexPrinter(IndexLatex, Printer):
    """LaTeX in the cheatsheet's notation, as KaTeX renders it."""

    LPAREN = r"\left("
    RPAREN = r"\right)"
    STAR = r" \cdot "

    FRAC = 45  # \frac{a}{b}: delimited, tighter than a product, looser than a postfix base

    def precedence(self, e: Expr) -> int:
        if isinstance(e, Div) or (isinstance(e, Number) and e.value > 0 and e.value.denominator != 1):
            return self.FRAC
        return super().precedence(e)

    def needs_star(self, e: Expr) -> bool:
        return isinstance(e, Number)  # "2 3" would render as 23

    def product(self, factors: list[Expr]) -> str:
        first, *rest = factors
        parts = [self.bracket(self.doprint(first)) if rest and isinstance(first, IndexSum)
                 else self.first_factor(first)]
        for n, f in enumerate(rest):
            if isinstance(f, IndexSum) and n == len(rest) - 1:  # Σ_a reaches to the end of its product
                parts.append(self.TIMES + self.doprint(f))
                continue
            # a \frac is self-delimiting, so it may follow juxtaposition unbracketed
            s = self.paren(f, self.FRAC)
            sep = self.TIMES
            if not self.is_bracketed(f, self.FRAC) and self.needs_star(self.leftmost(f)):
                sep = self.STAR
            parts.append(sep + s)
        return "".join(parts)

    def _print_Symbol(self, e: Symbol) -> str:
        return latex_name(e.name)

    def _print_Number(self, e: Number) -> str:
        v = e.value
        if v < 0:
            return "-" + self._print_Number(Number(-v))
        if v.denominator == 1:
            return str(v.numerator)
        return rf"\frac{{{v.numerator}}}{{{v.denominator}}}"

    sized = False  # print I_{n}: where nothing around an identity gives its size (a bare I)

    def _print_Identity(self, e: Identity) -> str:
        if self.sized and isinstance(e.dim, (int, str)) and not str(e.dim).startswith("@"):  # not I_{n - 1}
            return "I_{" + str(e.dim) + "}"
        return "I"

    def _print_Ones(self, e: Ones) -> str:
        spelled = ones_spelled(e)
        if spelled is not None:  # ones(m n) as 1_m ⊗ 1_n, ones(m + n) stacked
            return self.doprint(spelled)
        return r"\mathbf{1}_{" + str(e.dim) + "}"  # sized, so that it reads back: ones(n)

    def token(self, op: Op) -> str:
        return op.latex

    def _print_VCat(self, e) -> str:
        return r"\begin{bmatrix} " + r" \\ ".join(self.block_part(t) for t in e.terms) + r" \end{bmatrix}"

    def _print_HCat(self, e) -> str:
        return r"\begin{bmatrix} " + " & ".join(self.block_part(t) for t in e.terms) + r" \end{bmatrix}"

    def _print_Rows(self, e) -> str:
        """rows(X, i, j) and cols(X, i, j): rows or columns i to j (from 1), spelt as the text is, so
        that it reads back (a slice subscript X_{:, i:j} would not)."""
        name = type(e).__name__.lower()
        a, b = dims.plus(e.start, 1), dims.plus(e.start, e.count)
        return rf"\operatorname{{{name}}}({self.doprint(e.arg)}, {a}, {b})"

    _print_Cols = _print_Rows

    def sized_identity(self, e: Expr, paren=None) -> str:
        """I_{n} where nothing around it says n (a factor of ⊗, the block of a padding), as the text's I_n."""
        if isinstance(e, Identity) and isinstance(e.dim, (int, str)) and (isinstance(e.dim, int) or "_" not in e.dim):
            return "I_{" + str(e.dim) + "}"
        if isinstance(e, Identity) and isinstance(e.dim, dims.Poly) and ones_spelled(Ones(e.dim)) is not None:
            return self.doprint(Diag(Ones(e.dim)))  # I_{n - 1} = diag(rows(1_n, 2, n)), which reads back
        return paren(e) if paren is not None else self.doprint(e)

    def _print_PadRows(self, e) -> str:
        name = type(e).__name__.lower()
        return rf"\operatorname{{{name}}}({self.sized_identity(e.arg)}, {dims.plus(e.start, 1)}, {e.total})"

    _print_PadCols = _print_PadRows

    def _print_Unvec(self, e) -> str:
        return rf"\operatorname{{unvec}}_{{{e.rows} \times {e.cols}}}({self.doprint(e.arg)})"

    def _print_Kron(self, e) -> str:
        # ⊗ binds tighter than a product when read back (t1 \otimes t2 t3 is (t1 ⊗ t2) t3): products in brackets
        left, right = (self.sized_identity(x, lambda y: self.paren(y, PRODUCT + 1)) for x in (e.left, e.right))
        return rf"\left({left} \otimes {right}\right)"

    def _print_Size(self, e) -> str:
        d = e.dim if e.dim is not None else "n"
        if isinstance(d, str):
            return latex_name(d)
        return str(d)  # m n or m + n, bracketed by its precedence where it needs it

    def _print_Trace(self, e: Trace) -> str:
        if isinstance(e.arg, Identity) and e.arg.dim is not None:
            return rf"\operatorname{{tr}}(I_{{{e.arg.dim}}})"
        return self.call(r"\operatorname{tr}", e.arg)

    def _print_Norm(self, e: Norm) -> str:
        return rf"\lVert {self.doprint(e.arg)} \rVert"

    def _print_Func(self, e: Func) -> str:
        row = FUNCTIONS.get(e.name)
        if row is not None and row.latex_form is not None and e.order == 0:
            return row.latex_form.format(self.doprint(e.arg))  # \sqrt{x}, \lvert x \rvert
        if row is not None:
            name = row.latex
        elif len(e.name) == 1 or all(greek.command(ch) for ch in e.name):
            name = latex_name(e.name)
        else:
            name = r"\operatorname{" + e.name + "}"
        return self.call(name + "'" * e.order, e.arg)

    def _print_Transpose(self, e: Transpose) -> str:
        if isinstance(e.arg, Inverse):
            return self.base(e.arg.arg) + r"^{-\top}"
        return self.base(e.arg) + OPS[Transpose].latex

    def _print_Power(self, e: Power) -> str:
        return self.base(e.left) + "^{" + self.doprint(e.right) + "}"

    def _print_MatPower(self, e) -> str:
        return self.base(e.left) + "^{" + self.doprint(e.right) + "}"

    def _print_ElemPower(self, e: ElemPower) -> str:
        return self.base(e.left) + OPS[ElemPower].latex + self.doprint(e.right) + "}"

    def _print_Div(self, e: Div) -> str:
        return rf"\frac{{{self.doprint(e.left)}}}{{{self.doprint(e.right)}}}"





def latex(e: Expr) -> str:
    """e in LaTeX (math mode, without the dollars)."""
    printer = LatexPrinter()
    printer.sized = identity_alone(e)
    return printer.doprint(e)


def latex_program(definitions: dict[str, Expr], expr: Expr, name: str | None = None) -> str:
    """The needed definitions and expr as aligned LaTeX lines (``z &= W x + b \\\\ …``).

    ``name`` labels the last line (``s &= …``); without it the expression stands alone.
    """
    printer = LatexPrinter()
    rows = [f"{latex_name(n)} &= {printer.doprint(definitions[n])}" for n in needed_definitions(expr, definitions)]
    body = printer.doprint(expr)
    rows.append(f"{latex_name(name)} &= {body}" if name is not None else f"&{body}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def latex_equation(lhs_latex: str, e: Expr) -> str:
    """``lhs = latex(e)``, e.g. ``\\frac{\\partial s}{\\partial W} = \\left(u \\odot …``."""
    return f"{lhs_latex} = {latex(e)}"
