"""Exceptions, source spans and caret rendering.

Every failure that user input can cause is a :class:`MatcalcError`; its message
shows the offending line with a caret (or a run of carets) under the place and,
where one is obvious, a hint.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A region of the source text: 0-based offsets, 1-based line and column."""

    start: int
    end: int
    line: int = 1
    column: int = 1


class MatcalcError(Exception):
    """Base class of every error that bad input can cause."""

    def __init__(self, message: str, source: str | None = None,
                 span: Span | None = None, hint: str | None = None):
        self.bare_message = message
        self.source = source
        self.span = span
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        text = f"error: {self.bare_message}"
        if self.span is not None and self.source is not None:
            text += "\n" + render_caret(self.source, self.span)
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text

    def with_source(self, source: str) -> "MatcalcError":
        """The same error, rendered against ``source`` (if it had none)."""
        if self.source is None and self.span is not None:
            return type(self)(self.bare_message, source, self.span, self.hint)
        return self


class ParseError(MatcalcError):
    """The text is not a program of the language."""


class ShapeError(MatcalcError):
    """Shapes that cannot agree."""


class SymbolError(MatcalcError):
    """An unknown or misused name."""


class EvaluationError(MatcalcError):
    """Bad values for evaluation: missing symbols, wrong array shapes, bad callables."""


class DerivativeError(MatcalcError):
    """A derivative that cannot be taken (unknown variable, non-differentiable node)."""


class MissingRuleError(DerivativeError):
    """No derivative rule for a node type."""


class LimitError(MatcalcError):
    """An input or a result beyond one of matcalc's documented limits."""


MAX_SHOWN_LINE = 120


def render_caret(source: str, span: Span) -> str:
    """The line of ``span`` and carets under it, clipped to a readable width."""
    lines = source.split("\n")
    index = max(0, min(span.line - 1, len(lines) - 1)) if lines else 0
    line = lines[index] if lines else ""
    line_start = sum(len(l) + 1 for l in lines[:index])
    col = max(0, span.start - line_start)
    width = max(1, min(span.end, line_start + len(line)) - span.start) if span.end > span.start else 1
    # clip very long lines to a window around the caret
    offset = 0
    if len(line) > MAX_SHOWN_LINE:
        offset = max(0, col - MAX_SHOWN_LINE // 2)
        line = ("…" if offset else "") + line[offset:offset + MAX_SHOWN_LINE] + "…"
        col = col - offset + (1 if offset else 0)
        width = min(width, MAX_SHOWN_LINE - (col - 1))
    line = line.replace("\t", " ")
    return f"  {line}\n  {' ' * col}{'^' * max(1, width)}"
