"""Pieces of generated source that know their own form, and one node's code while emitting.

The emitter never reads its own output back: a piece of source is a :class:`Code`, a string
that carries what the emitter knew when it wrote it — a bare name, a name transposed, a view
of a named array (indexed or transposed), a broadcast view, a number, or a computed
expression. Whether an operand needs brackets, and whether a node's result is an array of its
own that a consumer may write into, are read from that form.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from ...core import kernels

NAME, NAME_T, BRACKETED, VIEW, BROADCAST, NUMBER, EXPR = (
    "name", "name.T", "(name)", "view", "broadcast", "number", "expr")
_VIEWS = frozenset({NAME, NAME_T, BRACKETED, VIEW})
_SIMPLE = frozenset({NAME, NAME_T, NUMBER})


class Code(str):
    """Source text with its form (one of NAME … EXPR); a plain ``str`` is an EXPR."""

    form: str

    def __new__(cls, text: str, form: str = EXPR):
        self = super().__new__(cls, text)
        self.form = form
        return self


def form(code: str) -> str:
    return getattr(code, "form", EXPR)


def name(text: str) -> Code:
    return Code(text, NAME)


def simple(code: str) -> bool:
    """A bare name, a name transposed, or an unsigned number: an operand without brackets."""
    return form(code) in _SIMPLE


def is_view(code: str) -> bool:
    """Code that refers to a named array (the name, transposed, indexed): no new array."""
    return form(code) in _VIEWS


def bracketed(code: str) -> Code:
    return Code(f"({code})", BRACKETED if form(code) == NAME else EXPR)


def operand(code: str) -> str:
    """Code as an operand of an operator: bracketed unless simple."""
    return code if simple(code) else bracketed(code)


def indexed(code: str, index: str) -> Code:
    """``code[index]`` (or ``code.T`` for index ".T"): a view if code is one."""
    if index == ".T" and form(code) == NAME:
        return Code(f"{code}.T", NAME_T)
    return Code(f"{code}{index}", VIEW if is_view(code) else EXPR)


def number(value: Fraction) -> Code:
    f = kernels.number(value)  # refuses a literal past float's range (1e399)
    text = repr(f)
    if f < 0 or math.isnan(f):
        return Code(f"({text})", EXPR)
    return Code(text, NUMBER if f == 0 or f >= 1e-4 else EXPR)  # repr writes 1e-05 with a minus


@dataclass
class Val:
    """One node's code: an expression (inline) or, once made, a temporary's name.

    ``reads`` are the temporaries (by sequence number) the inline code refers to; a temporary
    refers to itself. ``make`` (lines of a temporary, a function of its name) is run on first use.
    """
    code: str
    atom: bool
    writer: object
    depth: int = 1
    shape: tuple = ()
    reads: frozenset = frozenset()
    make: object = None
    seq: int | None = None
    temp: bool = False     # a temporary made here (or to be made on first use)
    fresh: bool = False    # its array is new, referred to by nothing else
    extra: dict = field(default_factory=dict)

    def get(self) -> str:
        if self.make is not None:
            make, self.make = self.make, None
            self.seq, text = self.writer.temp(make, self.reads)
            self.code, self.atom, self.depth = name(text), True, 1
        self.writer.note(frozenset({self.seq}) if self.seq is not None else self.reads)
        return self.code

    def op(self) -> str:
        """The code as an operand of an operator."""
        c = self.get()
        return c if self.atom else bracketed(c)


def p(x) -> str:
    """An operand: a Val by its own atom flag, a piece of code by its form."""
    return x.op() if isinstance(x, Val) else operand(x)


def plain(x) -> str:
    return x.get() if isinstance(x, Val) else x
