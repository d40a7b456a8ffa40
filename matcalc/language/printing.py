"""Printing typed trees: the text of the language (which parses back) and LaTeX.

Both printers dispatch on the node class: a ``_print_<ClassName>`` method where the form is
its own, else the form its row of the operation table names (a call, an infix chain, a postfix
operator, with the row's name or token). Brackets come from the rows' precedence, keyed by
class, never from rendered text.
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

Every printer walks the tree with :func:`matcalc.core.nodes.fold` (children first, no
recursion), so trees thousands of levels deep print. LaTeX is :mod:`matcalc.language.latex`.
"""
from __future__ import annotations

from ..core.functions import FUNCTIONS
from .index_printing import IndexText
from ..core.nodes import (
    Add, Div, IndexSum, ElemPower, Expr, Func, Identity, Inverse, MatMul, Neg, Norm, Number, Ones, Power, Scale, Size,
    Symbol, Trace, Transpose, fold, walk,
)
from ..core import dims
from ..core.nodes import Diag, Kron, MatPower, Rows, VCat
from ..core.ops import ADD, DIV, HADAMARD, NEG, OPS, POSTFIX, PRODUCT, Op
from ..core.program import needed_definitions
from ..core.shapes import dims_text

__all__ = ["Printer", "TextPrinter", "text", "program_text", "declarations"]

POSTFIX_CLASSES = (Transpose, Inverse, Power, ElemPower, MatPower)


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
        if method is not None:
            return method(e)
        op = OPS[type(e)]
        form = getattr(self, f"_form_{op.form}", None)
        if form is None:
            raise NotImplementedError(f"{type(self).__name__} cannot print {type(e).__name__}")
        return form(e, op)

    def token(self, op: Op) -> str:
        """The row's name or operator token in this printer's notation."""
        raise NotImplementedError

    def _form_call(self, e: Expr, op: Op) -> str:
        return self.call(self.token(op), *e.args)

    def _form_infix(self, e: Expr, op: Op) -> str:
        return self.op_chain(e.args, self.token(op))

    def _form_postfix(self, e: Expr, op: Op) -> str:
        return self.base(e.arg) + self.token(op)

    def call(self, name: str, *args: Expr) -> str:
        return f"{name}({', '.join(self.doprint(a) for a in args)})"

    # ------------------------------------------------------------ brackets
    def precedence(self, e: Expr) -> int:
        if isinstance(e, Number):
            if e.value < 0:
                return NEG
            if e.value.denominator != 1:
                return PRODUCT
        if _negative_coefficient(e):
            return NEG
        if isinstance(e, Size) and isinstance(e.dim, dims.Poly):  # m n binds as a product, m + n as a sum
            return ADD if len(e.dim.terms) > 1 else PRODUCT
        return OPS[type(e)].precedence

    def block_part(self, t: Expr) -> str:
        """A part of a concatenation: an identity of a fixed size says it ([0_{n x 1}; I_1], whose bare I the
        reader sized m; a named size it takes from its neighbours: [I; 0_{r x p}])."""
        return self.sized_identity(t) if isinstance(t, Identity) and isinstance(t.dim, int) else self.doprint(t)

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
        parts = [self.bracket(self.doprint(first)) if rest and isinstance(first, IndexSum)
                 else self.first_factor(first)]
        for n, f in enumerate(rest):
            if isinstance(f, IndexSum) and n == len(rest) - 1:  # Σ_a reaches to the end of its product
                parts.append(self.TIMES + self.doprint(f))
                continue
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


class TextPrinter(IndexText, Printer):
    """The text of the language: what :func:`matcalc.parse` reads back to the same tree."""

    def token(self, op: Op) -> str:
        return op.text

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

    def sized_identity(self, e: Expr) -> str:
        """I_n where nothing around it says n (a factor of kron, the block of a padding)."""
        if isinstance(e, Identity) and isinstance(e.dim, (int, str)):
            return f"I_{e.dim}" if isinstance(e.dim, int) or "_" not in e.dim else "I"
        if isinstance(e, Identity) and isinstance(e.dim, dims.Poly) and ones_spelled(Ones(e.dim)) is not None:
            return self.doprint(Diag(Ones(e.dim)))  # I_{n - 1} = diag(rows(ones(n), 2, n))
        return self.doprint(e)

    def _print_Kron(self, e) -> str:  # kron(ones(q), I_n)
        return f"kron({self.sized_identity(e.left)}, {self.sized_identity(e.right)})"

    def _print_Ones(self, e: Ones) -> str:
        spelled = ones_spelled(e)
        if spelled is not None:
            return self.doprint(spelled)
        return f"ones({e.dim if e.dim is not None else 'n'})"

    def _form_bracket(self, e, op) -> str:
        return "[" + op.text.join(self.block_part(t) for t in e.args) + "]"

    def _print_Rows(self, e) -> str:  # rows(X, i, j): rows i..j, 1-based
        first = dims.plus(e.start, 1)
        return f"{type(e).__name__.lower()}({self.doprint(e.arg)}, {_dim_text(first)}, " \
               f"{_dim_text(dims.plus(e.start, e.count))})"

    _print_Cols = _print_Rows

    def _print_PadRows(self, e) -> str:
        return f"{type(e).__name__.lower()}({self.sized_identity(e.arg)}, {_dim_text(dims.plus(e.start, 1))}, " \
               f"{_dim_text(e.total)})"

    _print_PadCols = _print_PadRows

    def _print_Unvec(self, e) -> str:
        return f"unvec({self.doprint(e.arg)}, {_dim_text(e.rows)}, {_dim_text(e.cols)})"

    def _print_Size(self, e) -> str:
        d = e.dim if e.dim is not None else "n"
        return str(d)  # m n or m + n, bracketed by its precedence where it needs it

    def _print_Trace(self, e: Trace) -> str:
        if isinstance(e.arg, Identity) and e.arg.dim is not None:  # tr(I_n): nothing else says n
            return f"tr(I_{e.arg.dim})"
        return self.call("tr", e.arg)

    def _print_Norm(self, e: Norm) -> str:
        return f"‖{self.doprint(e.arg)}‖"

    def _print_Func(self, e: Func) -> str:
        name = FUNCTIONS[e.name].text if e.name in FUNCTIONS else e.name
        return self.call(name + "'" * e.order, e.arg)

    def _print_Transpose(self, e: Transpose) -> str:
        if isinstance(e.arg, Inverse):
            return self.base(e.arg.arg) + "^{-T}"
        return self.base(e.arg) + OPS[Transpose].text

    @staticmethod
    def bare_exponent(p: Expr) -> bool:
        """c^2 is written without braces; every other exponent in them (c^{1/2}, c^{-1}, c^{p})."""
        return isinstance(p, Number) and p.value >= 0 and p.value.denominator == 1

    def exponent(self, p: Expr) -> str:
        return self.doprint(p) if self.bare_exponent(p) else "{" + self.doprint(p) + "}"

    def _print_Power(self, e: Power) -> str:
        return self.base(e.left) + OPS[Power].text + self.exponent(e.right)

    def _print_ElemPower(self, e: ElemPower) -> str:
        return self.base(e.left) + OPS[ElemPower].text + self.exponent(e.right)

    def _print_MatPower(self, e) -> str:
        return self.base(e.left) + "^" + self.exponent(e.right)

    def _print_Div(self, e: Div) -> str:
        return self.paren(e.left, DIV) + OPS[Div].text + self.paren(e.right, POSTFIX)


def _dim_text(d) -> str:
    """A dim as an argument of a call: n, 3, n m, n + 1 (a call's arguments need no brackets)."""
    return str(d)


# ---------------------------------------------------------------- programs

def text(e: Expr) -> str:
    """e in the language's text; ``matcalc.parse(decls + "; " + text(e)).expr == e``."""
    return TextPrinter().doprint(e)


def ones_spelled(e: Ones) -> Expr | None:
    """ones(N) of a size N the language cannot write in ones(·) (the m n entries of vec(W) or kron(x, z),
    the m + n of [x; z]) spelled in sizes it can: ones(m n) = kron(ones(m), ones(n)),
    ones(m + n) = [ones(m); ones(n)], 2 m a part twice, ones(n - 1) = rows(ones(n), 2, n); None for a name,
    an integer, or a size less a name (m - n)."""
    if not isinstance(e.dim, dims.Poly):
        return None
    cut = -sum(c for names, c in e.dim.terms if not names and c < 0)
    if any(c < 0 for names, c in e.dim.terms if names):
        return None  # m - n: no block of ones of a size the language writes
    if cut:  # ones(n - 1) = rows(ones(n), 2, n): the rows after the first
        whole = dims.plus(e.dim, cut)
        return Rows(ones_spelled(Ones(whole)) or Ones(whole), cut, e.dim)
    parts: list[Expr] = []
    for names, c in e.dim.terms:
        if not names:
            parts.append(Ones(c))
            continue
        part: Expr = Ones(names[0])
        for name in names[1:]:
            part = Kron(part, Ones(name))
        parts.extend([part] * c)
    return parts[0] if len(parts) == 1 else VCat(tuple(parts))


def identity_alone(e: Expr) -> bool:
    """Whether nothing around e's identities gives their size, so that LaTeX prints them I_n: e is a
    scaled I (α I, -I, (1 + α) I, I / c), a sum of such, or has no symbol at all. (The text keeps the textbook's bare
    I, ∂(W x + b)/∂b = I; its size is then given when it is evaluated, see tests/test_fuzz_derive.py.)"""
    core = e
    while isinstance(core, (Scale, Neg, Div)):
        core = core.right if isinstance(core, Scale) else core.left if isinstance(core, Div) else core.arg
    if isinstance(core, Add):  # I + I / γ: every term an identity alone
        return all(identity_alone(t) for t in core.terms)
    return isinstance(core, Identity) or not any(isinstance(n, Symbol) for n in walk(e))


def declarable(shape: tuple) -> bool:
    """Can a declaration say this shape? Its dims are names or integers; a sum such as the m + n
    rows of [h; x] is not, and is left for the reader to infer again from where it is used."""
    return all(isinstance(d, int) or (isinstance(d, str) and not d.startswith("@")) for d in shape)


def declarations(shapes: dict[str, tuple], names: list[str]) -> list[str]:
    """``name : n x m`` for each name whose shape a declaration can say (:func:`declarable`)."""
    return [f"{n} : {dims_text(shapes[n])}" for n in names if declarable(shapes[n])]


def program_text(definitions: dict[str, Expr], expr: Expr, *, shapes: dict[str, tuple] | None = None) -> str:
    """The definitions expr needs (``name = …``, one a line), then expr.

    With ``shapes`` (symbol → shape, as in ``Program.shapes``), declarations of the free
    symbols come first, so the text types exactly as the original.
    """
    printer = TextPrinter()
    names = needed_definitions(expr, definitions)
    lines: list[str] = []
    if shapes is not None:
        free: list[str] = []
        for root in [*(definitions[n] for n in names), expr]:
            for node in walk(root):
                if isinstance(node, Symbol) and node.name not in definitions and node.name not in free:
                    free.append(node.name)
        lines.extend(declarations(shapes, [n for n in free if n in shapes]))
    lines.extend(f"{n} = {printer.doprint(definitions[n])}" for n in names)
    lines.append(printer.doprint(expr))
    return "\n".join(lines)
