"""Printing typed trees: the text of the language (which parses back) and LaTeX.

Both printers dispatch on the node class (``_print_<ClassName>``) and take their
brackets from one :data:`PRECEDENCE` table keyed by class, never from rendered text.
Loosest to tightest, as in the grammar: ``+ -`` | ``⊙ ./`` | unary ``-`` | ``/`` |
juxtaposition | postfix ``^T ^{-1} ^p .^p`` | atoms.  ``/`` sits just below
juxtaposition because ``a / c x`` reads ``(a / c) x``: a quotient that opens a product is
bracketed, ``(X / c) y``.  Refinements are structural, never textual: a ``Number`` binds
like its spelling (``-2`` like unary minus, ``1/2`` like a product, so ``1/2 x`` but
``c (1/2)``); ``Scale(-2, x)`` prints ``-2 x`` and so binds like unary minus; the operand
of a postfix operator is bracketed unless it is an atom (``(X^T)^{-1}``, ``(c^2)^3``);
in LaTeX a ``\\frac`` binds between a product and a postfix operand.

Products print as one run of factors: ``Scale(c, MatMul(A, B))`` is ``c A B``, which
the typer splits back the same way (scalars become coefficients, left to right).
A factor after the first must be postfix-tight; a factor that would open with ``‖``
after juxtaposition is written after ``*`` instead (``c * ‖x‖``), as the grammar asks.

LaTeX follows the cheatsheet: ``x^{\\top}``, ``\\odot``, ``\\operatorname{diag}``,
``\\sigma``, ``f'``, ``\\lVert x \\rVert``, ``\\frac{1}{2}``, ``\\left( … \\right)``.
Symbols are printed in plain math italic, **not bold**: the cheatsheet writes
``u^T``, ``W x`` without bold, and the kind of a symbol is already carried by its
case (upper case = matrix).  Greek names print as commands (δ → ``\\delta``) and the
part after the first underscore as a subscript (``W_1`` → ``W_{1}``).

Every printer walks the tree with :func:`matcalc.nodes.fold` (children first, no
recursion), so trees thousands of levels deep print.
"""
from __future__ import annotations

import unicodedata

from ..core.nodes import (
    Add, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse,
    LogDet, LogSoftmax, MatMul, Max, Min, Neg, Norm, Number, Ones, Power, Scale, Softmax, Sum,
    Symbol, Trace, Transpose, fold, walk,
)

__all__ = ["PRECEDENCE", "Printer", "TextPrinter", "LatexPrinter", "text", "latex", "program_text",
           "latex_program", "latex_equation"]

# binding strength, loosest first (the grammar's levels)
ADD = 10         # a + b, a - b
HADAMARD = 20    # a ⊙ b, a ./ b
NEG = 30         # -a
DIV = 35         # a / c   (left-associative with the product: a / c x is (a / c) x)
PRODUCT = 40     # W x, c A (juxtaposition)
POSTFIX = 50     # A^T, A^{-1}, c^2, a.^2
ATOM = 60        # names, numbers, calls, ‖x‖

PRECEDENCE: dict[type[Expr], int] = {
    Add: ADD,
    Hadamard: HADAMARD, ElemDiv: HADAMARD,
    Neg: NEG,
    Div: DIV,
    MatMul: PRODUCT, Scale: PRODUCT,
    Transpose: POSTFIX, Inverse: POSTFIX, Power: POSTFIX, ElemPower: POSTFIX,
    Symbol: ATOM, Number: ATOM, Identity: ATOM, Ones: ATOM, Func: ATOM, Sum: ATOM, Norm: ATOM,
    Trace: ATOM, Det: ATOM, LogDet: ATOM, Diag: ATOM, DiagPart: ATOM, Softmax: ATOM,
    LogSoftmax: ATOM, Max: ATOM, Min: ATOM,
}
"""How tightly each node class binds; a child looser than its place demands gets brackets."""

POSTFIX_CLASSES = (Transpose, Inverse, Power, ElemPower)


def _negative_coefficient(e: Expr) -> bool:
    """Scale(-c, A) with a Number c ≠ 1: printed "-c A"."""
    return (isinstance(e, Scale) and isinstance(e.left, Number) and e.left.value < 0
            and e.left.value != -1)


class Printer:
    """Shared machinery: dispatch on class, brackets from precedence, products as factor runs."""

    LPAREN = "("
    RPAREN = ")"
    TIMES = " "          # juxtaposition
    STAR = " * "         # juxtaposition where the next factor would be ambiguous

    def __init__(self):
        self._memo: dict[Expr, str] = {}

    # ------------------------------------------------------------ dispatch
    def doprint(self, e: Expr) -> str:
        """The rendering of e (children first, iteratively, memoized per printer)."""
        return fold(e, lambda node, _kids: self._dispatch(node), self._memo)

    def _dispatch(self, e: Expr) -> str:
        method = getattr(self, f"_print_{type(e).__name__}", None)
        if method is None:
            raise NotImplementedError(f"{type(self).__name__} cannot print {type(e).__name__}")
        return method(e)

    # ------------------------------------------------------------ brackets
    def precedence(self, e: Expr) -> int:
        if isinstance(e, Number):
            if e.value < 0:
                return NEG
            if e.value.denominator != 1:
                return PRODUCT
        if _negative_coefficient(e):
            return NEG
        return PRECEDENCE[type(e)]

    def bracket(self, s: str) -> str:
        return f"{self.LPAREN}{s}{self.RPAREN}"

    def paren(self, e: Expr, level: int, strict: bool = False) -> str:
        """e, bracketed if it binds looser than level (or as loose, when strict)."""
        p = self.precedence(e)
        s = self.doprint(e)
        if p < level or (strict and p == level):
            return self.bracket(s)
        return s

    def base(self, e: Expr) -> str:
        """The operand of a postfix operator, bracketed unless an atom.

        (X^T)^{-1}, (c^2)^3, (x.^2)^T: stacked superscripts are a LaTeX error and hard to
        read, and in text "x.^2.^3" would lex "2." as a number.
        """
        return self.paren(e, POSTFIX, strict=True)

    def is_bracketed(self, e: Expr, level: int, strict: bool = False) -> bool:
        p = self.precedence(e)
        return p < level or (strict and p == level)

    def leftmost(self, e: Expr) -> Expr:
        """The node whose text opens e's text, following unbracketed postfix operands."""
        while isinstance(e, POSTFIX_CLASSES):
            inner = e.arg if isinstance(e, (Transpose, Inverse)) else e.left
            if isinstance(e, Transpose) and isinstance(inner, Inverse):
                inner = inner.arg  # X^{-T}
            if self.is_bracketed(inner, POSTFIX, strict=True):
                return e
            e = inner
        return e

    # ------------------------------------------------------------ products
    def factors(self, e: Expr) -> list[Expr]:
        """A product as the run of factors it prints as.

        Matrix products flatten, and so does the scaled part of a scale (``c (d A B)`` is
        ``c d A B``): the typer takes scalars as coefficients left to right and nests the
        scales to the right, so the run reads back as the same tree. A coefficient that is
        itself a scale stays one (bracketed) factor.
        """
        out: list[Expr] = []
        stack: list[tuple[Expr, bool]] = [(e, True)]  # (node, may a scale flatten here)
        while stack:
            node, open_scale = stack.pop()
            if isinstance(node, MatMul):
                stack.extend((t, False) for t in reversed(node.terms))
            elif isinstance(node, Scale) and open_scale and not _negative_coefficient(node):
                stack.append((node.right, True))
                stack.append((node.left, False))
            else:
                out.append(node)
        return out

    def product(self, factors: list[Expr]) -> str:
        first, *rest = factors
        parts = [self.first_factor(first)]
        for f in rest:
            s = self.paren(f, POSTFIX)
            sep = self.TIMES
            if not self.is_bracketed(f, POSTFIX) and self.needs_star(self.leftmost(f)):
                sep = self.STAR
            parts.append(sep + s)
        return "".join(parts)

    def first_factor(self, e: Expr) -> str:
        if isinstance(e, Scale):  # a scale as coefficient: (a b) x (the typer nests to the right)
            return self.bracket(self.doprint(e))
        return self.paren(e, PRODUCT)

    def needs_star(self, e: Expr) -> bool:
        return False

    def _print_MatMul(self, e: MatMul) -> str:
        return self.product(self.factors(e))

    def _print_Scale(self, e: Scale) -> str:
        c = e.left
        if _negative_coefficient(e):
            return "-" + self.product(self.factors(Scale(Number(-c.value), e.right)))
        return self.product(self.factors(e))

    # ------------------------------------------------------------ sums
    def _print_Add(self, e: Add) -> str:
        parts: list[str] = []
        for i, t in enumerate(e.terms):
            minus = self.minus_form(t)
            if i == 0:
                parts.append(self.paren(t, ADD, strict=True))
            elif minus is not None:
                parts.append(" - " + minus)
            else:
                parts.append(" + " + self.paren(t, ADD, strict=True))
        return "".join(parts)

    def minus_form(self, t: Expr) -> str | None:
        """The text after " - " when the term t reads as a subtraction, else None."""
        if isinstance(t, Neg):
            return self.paren(t.arg, ADD, strict=True)
        if isinstance(t, Number) and t.value < 0:
            return self.doprint(Number(-t.value))
        if _negative_coefficient(t):
            return self.doprint(Scale(Number(-t.left.value), t.right))
        return None

    def _print_Neg(self, e: Neg) -> str:
        return "-" + self.paren(e.arg, NEG)

    def op_chain(self, terms, op: str) -> str:
        first, *rest = terms
        return op.join([self.paren(first, HADAMARD)] + [self.paren(t, HADAMARD, strict=True) for t in rest])


class TextPrinter(Printer):
    """The text of the language: what :func:`matcalc.parse` reads back to the same tree."""

    FUNCTION_NAMES = {"sigmoid": "σ"}

    def needs_star(self, e: Expr) -> bool:
        return isinstance(e, Norm)  # ‖ after juxtaposition would read as a closing bar

    def _print_Symbol(self, e: Symbol) -> str:
        return e.name

    def _print_Number(self, e: Number) -> str:
        v = e.value
        if v.denominator == 1:
            return str(v.numerator)
        return f"{v.numerator}/{v.denominator}"

    def _print_Identity(self, e: Identity) -> str:
        return "I"

    def _print_Ones(self, e: Ones) -> str:
        return f"ones({e.dim if e.dim is not None else 'n'})"

    def call(self, name: str, *args: Expr) -> str:
        return f"{name}({', '.join(self.doprint(a) for a in args)})"

    def _print_Sum(self, e): return self.call("sum", e.arg)
    def _print_Trace(self, e):
        if isinstance(e.arg, Identity) and e.arg.dim is not None:  # tr(I_n): nothing else says n
            return f"tr(I_{e.arg.dim})"
        return self.call("tr", e.arg)
    def _print_Det(self, e): return self.call("det", e.arg)
    def _print_LogDet(self, e): return self.call("logdet", e.arg)
    def _print_Diag(self, e): return self.call("diag", e.arg)
    def _print_DiagPart(self, e): return self.call("diag", e.arg)
    def _print_Softmax(self, e): return self.call("softmax", e.arg)
    def _print_LogSoftmax(self, e): return self.call("logsoftmax", e.arg)
    def _print_Max(self, e): return self.call("max", e.left, e.right)
    def _print_Min(self, e): return self.call("min", e.left, e.right)

    def _print_Norm(self, e: Norm) -> str:
        return f"‖{self.doprint(e.arg)}‖"

    def _print_Func(self, e: Func) -> str:
        name = self.FUNCTION_NAMES.get(e.name, e.name)
        return self.call(name + "'" * e.order, e.arg)

    def _print_Transpose(self, e: Transpose) -> str:
        if isinstance(e.arg, Inverse):
            return self.base(e.arg.arg) + "^{-T}"
        return self.base(e.arg) + "^T"

    def _print_Inverse(self, e: Inverse) -> str:
        return self.base(e.arg) + "^{-1}"

    @staticmethod
    def bare_exponent(p: Expr) -> bool:
        """c^2 is written without braces; every other exponent in them (c^{1/2}, c^{-1}, c^{p})."""
        return isinstance(p, Number) and p.value >= 0 and p.value.denominator == 1

    def exponent(self, p: Expr) -> str:
        return self.doprint(p) if self.bare_exponent(p) else "{" + self.doprint(p) + "}"

    def _print_Power(self, e: Power) -> str:
        return self.base(e.left) + "^" + self.exponent(e.right)

    def _print_ElemPower(self, e: ElemPower) -> str:
        return self.base(e.left) + ".^" + self.exponent(e.right)

    def _print_Div(self, e: Div) -> str:
        return self.paren(e.left, DIV) + " / " + self.paren(e.right, POSTFIX)

    def _print_Hadamard(self, e: Hadamard) -> str:
        return self.op_chain(e.terms, " ⊙ ")

    def _print_ElemDiv(self, e: ElemDiv) -> str:
        return self.op_chain((e.left, e.right), " ./ ")


GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega",
}
GREEK_UPPER = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
               "Omega"}

LATEX_FUNCTIONS = {
    "sigmoid": r"\sigma", "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos",
    "tan": r"\tan", "tanh": r"\tanh", "sinh": r"\sinh", "cosh": r"\cosh",
    "atan": r"\arctan",
}


def latex_name(name: str) -> str:
    """A symbol's name in LaTeX: Greek letters as commands, the part after "_" as a subscript.

    δ → ``\\delta``, ``W_1`` → ``W_{1}``, ``W_10`` → ``W_{10}``; a longer name is one
    italic word (``\\mathit{xy}``), not a product of letters.
    """
    base, sep, sub = name.partition("_")
    if len(base) == 1:
        body = _greek_command(base) or base
    else:
        body = r"\mathit{" + "".join(_letter(ch) for ch in base) + "}"
    if sep:
        body += "_{" + "".join(_letter(ch) for ch in sub.replace("_", ",")) + "}"
    return body


def _letter(ch: str) -> str:
    """One character of a longer name: a Greek command braced so no letter runs into it."""
    command = _greek_command(ch)
    return "{" + command + "}" if command else ch


def _greek_command(ch: str) -> str | None:
    """\\alpha for α, \\Delta for Δ, None for a character that is not a Greek letter."""
    uname = unicodedata.name(ch, "")
    if not uname.startswith("GREEK") or "LETTER" not in uname:
        return None
    word = uname.split("LETTER", 1)[1].strip().lower().replace("lamda", "lambda")
    if word == "final sigma":
        return r"\varsigma"
    if "CAPITAL" in uname:
        word = word.capitalize()
        return "\\" + word if word in GREEK_UPPER else None
    return "\\" + word if word in GREEK else None


class LatexPrinter(Printer):
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
        parts = [self.first_factor(first)]
        for f in rest:
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

    def _print_Identity(self, e: Identity) -> str:
        return "I"

    def _print_Ones(self, e: Ones) -> str:
        return r"\mathbf{1}"

    def call(self, name: str, *args: Expr) -> str:
        return f"{name}({', '.join(self.doprint(a) for a in args)})"

    def _print_Sum(self, e): return self.call(r"\operatorname{sum}", e.arg)
    def _print_Trace(self, e):
        if isinstance(e.arg, Identity) and e.arg.dim is not None:
            return rf"\operatorname{{tr}}(I_{{{e.arg.dim}}})"
        return self.call(r"\operatorname{tr}", e.arg)
    def _print_Det(self, e): return self.call(r"\det", e.arg)
    def _print_LogDet(self, e): return self.call(r"\log\det", e.arg)
    def _print_Diag(self, e): return self.call(r"\operatorname{diag}", e.arg)
    def _print_DiagPart(self, e): return self.call(r"\operatorname{diag}", e.arg)
    def _print_Softmax(self, e): return self.call(r"\operatorname{softmax}", e.arg)
    def _print_LogSoftmax(self, e): return self.call(r"\operatorname{logsoftmax}", e.arg)
    def _print_Max(self, e): return self.call(r"\max", e.left, e.right)
    def _print_Min(self, e): return self.call(r"\min", e.left, e.right)

    def _print_Norm(self, e: Norm) -> str:
        return rf"\lVert {self.doprint(e.arg)} \rVert"

    def _print_Func(self, e: Func) -> str:
        if e.name == "abs" and e.order == 0:
            return rf"\lvert {self.doprint(e.arg)} \rvert"
        if e.name == "sqrt" and e.order == 0:
            return rf"\sqrt{{{self.doprint(e.arg)}}}"
        if e.name in LATEX_FUNCTIONS:
            name = LATEX_FUNCTIONS[e.name]
        elif len(e.name) == 1 or all(_greek_command(ch) for ch in e.name):
            name = latex_name(e.name)
        else:
            name = r"\operatorname{" + e.name + "}"
        return self.call(name + "'" * e.order, e.arg)

    def _print_Transpose(self, e: Transpose) -> str:
        if isinstance(e.arg, Inverse):
            return self.base(e.arg.arg) + r"^{-\top}"
        return self.base(e.arg) + r"^{\top}"

    def _print_Inverse(self, e: Inverse) -> str:
        return self.base(e.arg) + "^{-1}"

    def _print_Power(self, e: Power) -> str:
        return self.base(e.left) + "^{" + self.doprint(e.right) + "}"

    def _print_ElemPower(self, e: ElemPower) -> str:
        return self.base(e.left) + r"^{\circ " + self.doprint(e.right) + "}"

    def _print_Div(self, e: Div) -> str:
        return rf"\frac{{{self.doprint(e.left)}}}{{{self.doprint(e.right)}}}"

    def _print_Hadamard(self, e: Hadamard) -> str:
        return self.op_chain(e.terms, r" \odot ")

    def _print_ElemDiv(self, e: ElemDiv) -> str:
        return self.op_chain((e.left, e.right), r" \oslash ")


# ---------------------------------------------------------------- public functions

def text(e: Expr) -> str:
    """e in the language's text; ``matcalc.parse(decls + "; " + text(e)).expr == e``."""
    return TextPrinter().doprint(e)


def latex(e: Expr) -> str:
    """e in LaTeX (math mode, without the dollars)."""
    return LatexPrinter().doprint(e)


def _needed(definitions: dict[str, Expr], expr: Expr) -> list[str]:
    """The definitions expr uses, directly or through others, in the given (dependency) order."""
    needed: set[str] = set()
    stack = [expr]
    while stack:
        for node in walk(stack.pop()):
            if isinstance(node, Symbol) and node.name in definitions and node.name not in needed:
                needed.add(node.name)
                stack.append(definitions[node.name])
    return [n for n in definitions if n in needed]


def _declarations(shapes: dict[str, tuple], names: list[str]) -> list[str]:
    lines = []
    for n in names:
        shape = shapes[n]
        dims = " x ".join(str(d) for d in shape) if shape else "scalar"
        lines.append(f"{n} : {dims}")
    return lines


def program_text(definitions: dict[str, Expr], expr: Expr, *, shapes: dict[str, tuple] | None = None) -> str:
    """The definitions expr needs (``name = …``, one a line), then expr.

    With ``shapes`` (symbol → shape, as in ``Program.shapes``), declarations of the free
    symbols come first, so the text types exactly as the original.
    """
    printer = TextPrinter()
    names = _needed(definitions, expr)
    lines: list[str] = []
    if shapes is not None:
        free: list[str] = []
        for root in [*(definitions[n] for n in names), expr]:
            for node in walk(root):
                if isinstance(node, Symbol) and node.name not in definitions and node.name not in free:
                    free.append(node.name)
        lines.extend(_declarations(shapes, [n for n in free if n in shapes]))
    lines.extend(f"{n} = {printer.doprint(definitions[n])}" for n in names)
    lines.append(printer.doprint(expr))
    return "\n".join(lines)


def latex_program(definitions: dict[str, Expr], expr: Expr, name: str | None = None) -> str:
    """The needed definitions and expr as aligned LaTeX lines (``z &= W x + b \\\\ …``).

    ``name`` labels the last line (``s &= …``); without it the expression stands alone.
    """
    printer = LatexPrinter()
    rows = [f"{latex_name(n)} &= {printer.doprint(definitions[n])}" for n in _needed(definitions, expr)]
    body = printer.doprint(expr)
    rows.append(f"{latex_name(name)} &= {body}" if name is not None else f"&{body}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def latex_equation(lhs_latex: str, e: Expr) -> str:
    """``lhs = latex(e)``, e.g. ``\\frac{\\partial s}{\\partial W} = \\left(u \\odot …``."""
    return f"{lhs_latex} = {latex(e)}"
