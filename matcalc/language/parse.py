"""Text to untyped statements: the Lark grammar in ``grammar/matcalc.lark`` and its transformer.

The grammar's LALR parser (positions propagated) is :mod:`._lalr`, generated from the grammar by
Lark's stand-alone tool (``scripts/build_parser.py``; a test checks it is in sync), so start-up
neither imports Lark nor analyses the grammar. The transformer runs inside the parser, so a deep
input never recurses in Python. Nothing is checked
here beyond syntax: kinds and shapes are :mod:`matcalc.shapes`'s business.
"""
from __future__ import annotations

import re
import dataclasses
from fractions import Fraction

from . import _lalr
from ._lalr import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
from . import greek, indexing, pasted
from ..core import limits
from ..core.errors import LimitError, MatcalcError, ParseError, Span
from ..core.nodes import (
    Add, Call, Declaration, Definition, ElemDiv, ElemPower, Entry, Expr, ExprStatement, Hadamard, Identity,
    Inverse, MatMul, Neg, Paren, Norm, Number, Power, Statement, Symbol, Transpose, Div,
)

# terminals that are not plain strings, as a person would name them
TERMINAL_TEXT = {
    "NAME": "a name", "NUMBER": "a number", "CALLNAME": "a function", "INT": "a dimension",
    "_SEP": "a new line", "$END": "end of input", "TRANSPOSE": '"^T"', "INVERSE": '"^{-1}"',
    "INVERSE_T": '"^{-T}"', "_HADAMARD": '"⊙"', "REALS": '"R"', "_IN": '"in"', "_TIMES": '"x"',
    "RPAR": '")"', "RBRACE": '"}"', "BAR": '"|"', "DBAR": '"‖"', "LBAR": '"\\left|"', "RBAR": '"\\right|"',
    "LNORM": '"\\lVert"', "RNORM": '"\\rVert"', "FRAC": '"\\frac"', "SQRT": '"\\sqrt"', "OPNAME": '"\\operatorname"',
    "_STAR": '"*"', "PRIME": '"\'"', "SUBSCRIPT": 'an index subscript "_i"', "ZEROS": '"0_{n x m}"',
    "PARTIAL": '"∂"', "PARTIAL2": '"∂²"',
}
# the order in which to mention them: closing brackets first, then operators, then operands
PREFERRED = ['")"', '"}"', '"\\right)"', '"\\right|"', '"+"', "a name", "a number", '"-"', '"("']
CLOSING_BARS = ('"|"', '"‖"')
"""Closers when no operand is expected (after ``|x``), openers otherwise."""


def _span_of(*items) -> Span | None:
    spans = []
    for it in items:
        if isinstance(it, Token) and it.start_pos is not None:
            spans.append(Span(it.start_pos, it.end_pos, it.line, it.column))
        elif isinstance(it, Expr) and getattr(it, "span", None) is not None:
            spans.append(it.span)
        elif isinstance(it, Span):
            spans.append(it)
    if not spans:
        return None
    first = min(spans, key=lambda s: s.start)
    return Span(first.start, max(s.end for s in spans), first.line, first.column)


class _Chain:
    """An n-ary node under construction: ``a + b + c + …`` grows in place (linear time).

    A node's hash covers all its terms, so building ``Add(a, b)``, then ``Add(a, b, c)``, … would
    take quadratic time on long sums; a chain becomes a node once something else uses it.
    """

    __slots__ = ("cls", "terms")

    def __init__(self, cls, terms: list):
        self.cls = cls
        self.terms = terms

    def extend(self, e) -> None:
        if isinstance(e, _Chain) and e.cls is self.cls:
            self.terms.extend(e.terms)
        elif type(e) is self.cls:
            self.terms.extend(e.terms)
        else:
            self.terms.append(_done(e))


def _done(e):
    """e as a node (a finished chain)."""
    if isinstance(e, _Chain):
        return e.cls(tuple(e.terms), _span_of(e.terms[0], e.terms[-1]))
    return e


def _chain(cls, left, right) -> _Chain:
    if isinstance(left, _Chain) and left.cls is cls:
        chain = left
    else:
        chain = _Chain(cls, [])
        chain.extend(left)
    chain.extend(right)
    return chain


def _done_all(method):
    """Callbacks receive finished nodes."""
    def wrapper(self, items):
        return method(self, [_done(it) for it in items])
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _negate(e: Expr, span: Span | None) -> Expr:
    if isinstance(e, Number):
        return Number(-e.value, span)
    return Neg(e, span)


class _ToTree(Transformer):
    """Parse-tree callbacks that build untyped nodes (run inline by the LALR parser).

    Sums, products and Hadamard products grow as :class:`_Chain` objects; every other
    callback sees finished nodes (``_done_all``).
    """

    # statements -------------------------------------------------------
    def start(self, items):
        return [it for it in items if isinstance(it, Statement) or isinstance(it, list)]

    @_done_all
    def expr_statement(self, items):
        (e,) = items
        return ExprStatement(span=e.span, value=e)

    @_done_all
    def definition(self, items):
        name, value = items
        return Definition(span=_span_of(name, value), name=str(name), value=value)

    def names(self, items):
        return list(items)

    def dims(self, items):
        return list(items)

    def dim(self, items):
        (tok,) = items
        return tok

    def declare(self, items):
        names, dims, *properties = items
        if len(dims) == 1 and str(dims[0]) == "scalar":
            dims = []
        return [Declaration(span=_span_of(n, *dims), name=str(n), dims=tuple(_dim(d) for d in dims),
                            properties=tuple(str(p) for p in properties))
                for n in names]

    def declare_space(self, items):
        names, reals, *rest = items
        properties = [str(t) for t in rest if isinstance(t, Token) and t.type == "PROPERTY"]
        rest = [t for t in rest if not (isinstance(t, Token) and t.type == "PROPERTY")]
        dims = rest[0] if rest and rest[0] is not None else []
        if isinstance(dims, Token):
            dims = [dims]
        return [Declaration(span=_span_of(n, reals, *dims), name=str(n), dims=tuple(_dim(d) for d in dims),
                            properties=tuple(properties))
                for n in names]

    # expressions ------------------------------------------------------
    def paren(self, items):
        tokens = [it for it in items if isinstance(it, Token)]
        (e,) = [_done(it) for it in items if not isinstance(it, Token)]
        span = _span_of(*tokens, e)  # the brackets too: error messages quote "W (u .* f'(z))"
        if isinstance(e, MatMul):
            return Paren(e, span)
        return dataclasses.replace(e, span=span) if "span" in e.__dataclass_fields__ else e

    def symbol(self, items):
        (tok,) = items
        if str(tok) == "I":  # each I is its own identity, sized where it is used (I_n + … + I_m)
            return Identity(f"@{tok.start_pos}", _span_of(tok))
        return Symbol(str(tok), _span_of(tok))

    def number(self, items):
        (tok,) = items
        return Number(_fraction(tok), _span_of(tok))

    def neg_number(self, items):
        (tok,) = items
        return Number(-_fraction(tok), _span_of(tok))

    def add(self, items):
        left, right = items
        return _chain(Add, left, right)

    def sub(self, items):
        left, right = items
        right = _done(right)
        return _chain(Add, left, _negate(right, right.span))

    def hadamard(self, items):
        left, right = items
        return _chain(Hadamard, left, right)

    @_done_all
    def elemdiv(self, items):
        left, right = items
        return ElemDiv(left, right, _span_of(left, right))

    @_done_all
    def neg(self, items):
        (e,) = items
        return _negate(e, e.span)

    def matmul(self, items):
        left, right = items
        return _chain(MatMul, left, right)

    @_done_all
    def vcat(self, items):
        """[a; b; …]: typed as the call vcat(a, b, …)."""
        parts = [it for it in items if isinstance(it, Expr)]
        return Call("vcat", tuple(parts), 0, _bracketed(_span_of(parts[0], parts[-1])))

    @_done_all
    def hcat(self, items):
        """[A, B, …]: typed as the call hcat(A, B, …)."""
        parts = [it for it in items if isinstance(it, Expr)]
        return Call("hcat", tuple(parts), 0, _bracketed(_span_of(parts[0], parts[-1])))

    @_done_all
    def kron(self, items):
        """A ⊗ B: the Kronecker product, typed as the call kron(A, B)."""
        left, right = items
        return Call("kron", (left, right), 0, _span_of(left, right))

    @_done_all
    def div(self, items):
        left, right = items
        if isinstance(left, Number) and isinstance(right, Number) and right.value != 0:
            return Number(left.value / right.value, _span_of(left, right))
        return Div(left, right, _span_of(left, right))

    @_done_all
    def frac(self, items):
        start, left, right, end = items
        if isinstance(left, Number) and isinstance(right, Number) and right.value != 0:
            return Number(left.value / right.value, _span_of(start, end))
        return Div(left, right, _span_of(start, end))

    def postop(self, items):
        (tok,) = items
        return tok

    @_done_all
    def power(self, items):
        (e,) = items
        return ("power", e)

    @_done_all
    def elempower(self, items):
        (e,) = items
        return ("elempower", e)

    @_done_all
    def postfix(self, items):
        base, op = items
        if isinstance(op, tuple):
            kind, exponent = op
            span = _span_of(base, exponent)
            return (Power if kind == "power" else ElemPower)(base, exponent, span)
        span = _span_of(base, op)
        if op.type == "SUBSCRIPT":  # (W x)_i, tanh(z)_i: an entry (index notation)
            return Entry(base, indexing.subscript_indices(str(op)), span)
        if op.type in ("TRANSPOSE", "PRIME"):
            return Transpose(base, span)
        if op.type == "INVERSE":
            return Inverse(base, span)
        return Transpose(Inverse(base, span), span)  # X^{-T}

    # index notation (grammar's last block; the typer resolves names: matcalc.language.indexing)
    def zeros(self, items):
        (tok,) = items
        return indexing.zeros(str(tok), _span_of(tok))

    def indexed_name(self, items):
        return indexing.lhs_name([it for it in items if isinstance(it, Token)])

    @_done_all
    def tensor(self, items):
        _, f, _, v, body = items
        return ExprStatement(span=_span_of(items[0], body), value=indexing.tensor(f, v, body, items[0]))

    @_done_all
    def hessian_tensor(self, items):
        _, s, _, v1, _, v2, body = items
        return ExprStatement(span=_span_of(items[0], body), value=indexing.hessian(s, v1, v2, body, items[0]))

    @_done_all
    def bars(self, items):
        start, e, end = items
        return Norm(e, _span_of(start, end))

    @_done_all
    def norm_bars(self, items):
        start, e, end = items
        return Norm(e, _span_of(start, end))

    @_done_all
    def sqrt(self, items):
        start, e, end = items
        return Call("sqrt", (e,), 0, _span_of(start, end))

    @_done_all
    def call(self, items):
        tok, *args, close = items
        args = [a for a in args if a is not None]
        text = str(tok)
        order = len(text) - len(text.rstrip("'"))
        name = text.rstrip("'")
        if name.startswith("\\"):  # \exp(x) is exp(x), \sigma(x) is σ(x)
            name = greek.LETTERS.get(name, name[1:])
        return Call(name, tuple(args), order, _span_of(tok, close))

    @_done_all
    def operatorname(self, items):
        start, name, close = items[0], items[1], items[-1]
        args = [a for a in items[2:-1] if a is not None]
        return Call(str(name), tuple(args), 0, _span_of(start, close))


def _bracketed(span: Span | None) -> Span | None:
    """The span of [a; b] from the span of a … b (the brackets are anonymous tokens, one character each)."""
    if span is None:
        return None
    return Span(span.start - 1, span.end + 1, span.line, span.column - 1)


def _dim(tok: Token):
    text = str(tok)
    if text.isdigit() and len(text) > limits.MAX_NUMBER_DIGITS:
        raise LimitError(f"the dim {text[:20]}… has {len(text):,} digits; matcalc accepts at most "
                         f"{limits.MAX_NUMBER_DIGITS}", None, _span_of(tok), "name the dim instead (x : n)")
    return int(text) if text.isdigit() else text


def _fraction(tok: Token) -> Fraction:
    text = str(tok)
    if len(text) > limits.MAX_NUMBER_DIGITS or _exponent_too_big(text):
        raise LimitError(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is too large to work with exactly",
                         None, _span_of(tok), "numbers may have at most 400 digits and an exponent of at most 400")
    return Fraction(text)


def _exponent_too_big(text: str) -> bool:
    for marker in ("e", "E"):
        if marker in text:
            try:
                return abs(int(text.split(marker)[1])) > 400
            except ValueError:
                return True
    return False


_PARSER: Lark | None = None


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        # the transformer runs inside the LALR parser: no recursion, whatever the nesting
        _PARSER = _lalr.Lark_StandAlone(transformer=_ToTree())
    return _PARSER


def parse_statements(source: str, rewrite: bool = True) -> list[Statement]:
    """The statements of a program, untyped. Raises :class:`ParseError` or :class:`LimitError`.

    The text is first rewritten from pasted LaTeX and Unicode (:func:`pasted.normalize`) unless
    ``rewrite`` is false (the caller did it, and positions refer to the rewritten text).
    """
    if not isinstance(source, str):
        raise ParseError(f"a program is text, not {type(source).__name__}")
    if len(source) > limits.MAX_INPUT:
        raise LimitError(f"the program is {len(source):,} characters long; matcalc reads at most "
                         f"{limits.MAX_INPUT:,}",
                         hint="split it into smaller programs, or name repeated parts with definitions")
    if "\x00" in source:
        index = source.index("\x00")
        raise ParseError("the program contains a NUL character", source, _span_at(source, index))
    if rewrite:
        source = pasted.normalize(source)
    if len(source) > limits.MAX_INPUT:
        raise LimitError(f"the program is {len(source):,} characters long once read; matcalc reads at most "
                         f"{limits.MAX_INPUT:,}")
    try:
        raw = _parser().parse(source)
    except UnexpectedInput as error:
        raise _parse_error(source, error) from None
    except (LimitError, ParseError) as error:
        raise error.with_source(source) from None
    statements: list[Statement] = []
    for item in raw:
        statements.extend(item if isinstance(item, list) else [item])
    return statements


def _span_at(source: str, index: int, length: int = 1) -> Span:
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return Span(index, index + length, line, column)


def _parse_error(source: str, error: UnexpectedInput) -> ParseError:
    if isinstance(error, UnexpectedCharacters):
        index = error.pos_in_stream
        char = source[index]
        hint = _character_hint(source, index)
        if char == "\\" and re.match(r"\\[A-Za-z]+", source[index:]):
            command = re.match(r"\\[A-Za-z]+", source[index:]).group(0)
            return ParseError(f'unknown LaTeX command "{command}" at line {error.line}, column {error.column}',
                              source, _span_at(source, index, len(command)), hint)
        shown = repr(char) if char.isprintable() and not char.isspace() or char == " " else f"U+{ord(char):04X}"
        return ParseError(f"unexpected character {shown} at line {error.line}, column {error.column}",
                          source, _span_at(source, index), hint)
    token = getattr(error, "token", None)
    at_end = isinstance(error, UnexpectedEOF) or (token is not None and token.type == "$END")
    expected = _expected_text(_acceptable(source, None if at_end else token))
    if at_end:
        index = len(source.rstrip())
        span = _span_at(source, index)
        return ParseError(f"unexpected end of input at line {span.line}, column {span.column}{expected}",
                          source, span, _eof_hint(source))
    index = token.start_pos if token is not None and token.start_pos is not None else 0
    width = max(1, len(str(token))) if token is not None else 1
    span = _span_at(source, index, width)
    text = str(token).replace("\n", "\\n").replace("\r", "\\r") if token is not None else "?"
    what = "end of line" if token is not None and token.type == "_SEP" and str(token) != ";" else f'"{text}"'
    return ParseError(f"unexpected {what} at line {span.line}, column {span.column}{expected}",
                      source, span, _token_hint(source, index, token))


def _acceptable(source: str, token) -> set[str]:
    """The terminals the parser would take just before ``token`` (None: at the end of input).

    Lark's error reports the state after LALR default reductions, which lists too little
    (after ``f(W x + b`` only ")" and ","), so the prefix is parsed again and stopped
    before the offending token.
    """
    try:
        interactive = _parser().parse_interactive(source)
    except (UnexpectedInput, MatcalcError):
        return set()
    try:
        for tok in interactive.iter_parse():
            if token is not None and tok.start_pos >= token.start_pos:
                break
    except (UnexpectedInput, MatcalcError):
        pass  # the lexer stopped at the offending token: the parser is where we want it
    try:
        return set(interactive.accepts())
    except (UnexpectedInput, MatcalcError):
        return set()


def _terminal_text(name: str) -> str | None:
    if name in TERMINAL_TEXT:
        return TERMINAL_TEXT[name]
    for terminal in _parser().terminals:
        if terminal.name == name and terminal.pattern.type == "str":
            return f'"{terminal.pattern.value}"'
    return None


def _expected_text(expected) -> str:
    texts = {t for t in (_terminal_text(n) for n in expected) if t}
    # after an operand ("+" is possible) a bar can only close; before one it opens
    preferred = [*CLOSING_BARS, *PREFERRED] if "PLUS" in expected else PREFERRED
    if expected and expected <= {"NAME", "INT"}:
        return " (expected a dimension: a name or a positive integer)"
    shown = sorted(texts, key=lambda t: (preferred.index(t) if t in preferred else len(preferred), t))[:2]
    if not shown:
        return ""
    return f" (expected {' or '.join(shown)})"


def _eof_hint(source: str) -> str | None:
    opened = source.count("(") - source.count(")")
    if opened > 0:
        return f"close the {opened} open bracket{'s' if opened > 1 else ''} with \")\""
    return "finish the expression"


def _character_hint(source: str, index: int) -> str | None:
    char = source[index]
    if char in "²³":
        return f"write powers with ^, as in x^{'2' if char == '²' else '3'} (or x .^ 2 elementwise)"
    if char in "[]":
        return "use ( ) for grouping"
    if char in "≥≤<>≠":
        return ("constraints are not part of the language; a declaration can promise positive entries "
                '(e.g. "λ : scalar positive")')
    if char == "!":
        return "matcalc has no factorial or negation with !"
    if char == "\\":
        command = re.match(r"\\[A-Za-z]*", source[index:]).group(0)
        if command in ("\\mathbf", "\\boldsymbol", "\\mathrm", "\\bm", "\\vec"):
            return f"write the name alone: x, not {command}{{x}}"
        if command in ("\\partial", "\\nabla", "\\sum", "\\int", "\\begin"):
            return f"{command} is not part of the language; write the function and use derive(…, wrt=…)"
        return (f"{command or chr(92)} is not part of the language; the LaTeX it reads is Greek letters, "
                "\\mathbf{x} \\hat{y} W_{hh}, \\top \\odot \\cdot \\times \\frac \\sqrt \\left( \\right) \\|x\\|_2 "
                "\\lVert \\log\\det \\operatorname{tr} \\in \\mathbb{R} and function names (README, pasted LaTeX)")
    return None


def _token_hint(source: str, index: int, token) -> str | None:
    if token is None:
        return None
    if str(token) == "*" and source[index - 1:index] == "*":
        return "write powers with ^ (scalars) or .^ (elementwise), not **"
    if str(token) == "=" and source[index - 1:index] in "=<>!":
        return "a definition is written name = expression; comparisons are not part of the language"
    if token.type == "_SEP":
        return "a statement cannot end with an operator; finish the expression"
    if str(token) == ")" and source.count("(", 0, index) <= source.count(")", 0, index):
        return 'this ")" closes no bracket; remove it or add a "(" before it'
    if str(token) == "=":
        return "a definition is written name = expression, one per statement"
    if str(token) == "]":
        return "[a; b] stacks vectors or matrices vertically and [A, B] side by side; use ( ) for grouping"
    return None
