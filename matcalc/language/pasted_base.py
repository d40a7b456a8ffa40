"""The tables and the cursor of :mod:`matcalc.language.pasted`: LaTeX commands and Unicode
characters with their spellings in the language, and small readers of names and groups."""
from __future__ import annotations

import re
import unicodedata

from . import greek
from ..core.errors import ParseError, Span

# Greek capitals with no LaTeX command: LaTeX writes them as the Latin letters they look like
LOOKALIKE = {
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o",
}


EXTRA_LETTERS = {
    r"\varepsilon": "ε", r"\epsilon": "ε", r"\vartheta": "θ", r"\varphi": "φ", r"\varrho": "ρ",
    r"\varpi": "π", r"\ell": "ℓ", r"\Alpha": "A", r"\Beta": "B",
}


ACCENTS = {r"\hat": "\u0302", r"\widehat": "\u0302", r"\tilde": "\u0303", r"\widetilde": "\u0303",
           r"\bar": "\u0304", r"\overline": "\u0304", r"\dot": "\u0307", r"\vec": ""}


FONTS = (r"\mathbf", r"\boldsymbol", r"\bm", r"\mathit", r"\mathrm", r"\mathsf", r"\mathnormal",
         r"\mathcal", r"\text", r"\textrm", r"\textit", r"\textbf", r"\operatorname", r"\rm", r"\bf")


DROPPED = (r"\displaystyle", r"\textstyle", r"\quad", r"\qquad", r"\big", r"\Big", r"\bigg", r"\Bigg",
           r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\biggl", r"\biggr", r"\left.", r"\right.",
           r"\nonumber", r"\limits")
# LaTeX functions that may apply without brackets (\exp x, \log \det X)


# LaTeX functions that may apply without brackets (\exp x, \log \det X)
FUNCTION_COMMANDS = {
    r"\exp": "exp", r"\log": "log", r"\ln": "log", r"\tanh": "tanh", r"\sin": "sin", r"\cos": "cos",
    r"\tan": "tan", r"\sinh": "sinh", r"\cosh": "cosh", r"\arctan": "atan", r"\det": "det",
    r"\tr": "tr", r"\Tr": "tr", r"\logdet": "logdet", r"\sqrt": None,
}


SIMPLE = {
    r"\cdot": " * ", r"\times": " * ", r"\ast": " * ", r"\odot": " ⊙ ", r"\circ": " ∘ ", r"\oslash": " ./ ",
    r"\top": r"\top", r"\intercal": r"\top", r"\vert": "|", r"\mid": "|", r"\Vert": "‖",
    r"\lVert": r"\lVert", r"\rVert": r"\rVert",
    r"\R": "ℝ", r"\in": r" \in ", r"\prime": "'", r"\T": "T",
}


UNICODE = {"−": "-", "–": "-", "∗": "*", "·": "*", "⋅": "*", "×": " × ", "⊘": " ./ ", "′": "'", "″": "''",
           "ᵀ": "^T ", "\u00a0": " ", "⊺": "⊤", "⁄": "/", "½": "(1/2)", "⅓": "(1/3)", "¼": "(1/4)",
           "¾": "(3/4)", "⅔": "(2/3)"}


SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8",
                "⁹": "9", "⁻": "-", "⁺": "+", "ⁿ": "n", "ᵐ": "m", "ᵏ": "k", "ᵈ": "d", "ˣ": " x ", "ᵖ": "p",
                "ʳ": "r", "ᵗ": "t"}


SUBSCRIPTS = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8",
              "₉": "9", "ᵢ": "i", "ⱼ": "j", "ₖ": "k", "ₙ": "n", "ₘ": "m", "ₜ": "t", "ₓ": "x", "ₚ": "p",
              "ₕ": "h", "ₒ": "o", "ₐ": "a", "ₑ": "e", "ₗ": "l", "ₛ": "s", "ᵣ": "r", "ᵤ": "u", "ᵥ": "v"}


_COMMAND = re.compile(r"\\([A-Za-z]+|.)")




class _Text:
    """A cursor over the source with the output being built."""

    def __init__(self, source: str):
        self.src = source
        self.i = 0
        self.out: list[str] = []
        self.bars: list[str] = []  # open bars and brackets, innermost last
        self.decl = False  # inside a declaration (after ":" or \in): \times separates dims

    def error(self, message: str, start: int, end: int, hint: str | None = None):
        line = self.src.count("\n", 0, start) + 1
        column = start - (self.src.rfind("\n", 0, start) + 1) + 1
        raise ParseError(message, self.src, Span(start, max(end, start + 1), line, column), hint)

    def last(self) -> str:
        """The last non-space output character."""
        for piece in reversed(self.out):
            stripped = piece.rstrip()
            if stripped:
                return stripped[-1]
        return ""

    def after_operand(self) -> bool:
        text = "".join(self.out[-3:]).rstrip(" \t")
        if not text or text[-1] in "\n;":
            return False
        if re.search(r"\\(left|right|frac|dfrac|tfrac|sqrt|in|lVert|operatorname|mathrm)$", text):
            return text.endswith((r"\rVert",))
        ch = text[-1]
        if text.endswith((r"\top", r"\intercal", r"\rVert", r"\right|", r"\right)")):
            return True
        return ch.isalnum() or ch in ")}'‖|⊤" or unicodedata.category(ch).startswith("M")


def _emit_name(t: _Text, name: str) -> None:
    """A name made from a command or a math letter, kept apart from letters around it (X\\theta: X θ)."""
    before = "".join(t.out[-1:])[-1:]
    after = t.src[t.i:t.i + 1]
    if before and (before.isalnum() or unicodedata.category(before).startswith("M")):
        name = " " + name
    if after == "\\":
        m = _COMMAND.match(t.src, t.i)
        word = m.group(0) if m else ""
        if not (word in greek.LETTERS or word in EXTRA_LETTERS or word in ACCENTS or word in FONTS):
            after = ""
    if after and (after.isalpha() or after == "\\") and after not in SUBSCRIPTS and after not in SUPERSCRIPTS and after not in "ᵀ⊤":
        name += " "
    t.out.append(name)


def _next_is_bracket(t: _Text, pos: int) -> bool:
    rest = t.src[pos:].lstrip(" ")
    return rest.startswith(("(", r"\left(", r"\big(", r"\Big(", r"\bigl("))


def _group(t: _Text, pos: int) -> tuple[str, int]:
    """The body of {…} at pos (nested braces kept), or the single next character or command."""
    src = t.src
    while pos < len(src) and src[pos] == " ":
        pos += 1
    if pos >= len(src):
        t.error("a LaTeX command needs an argument here", pos - 1, pos)
    if src[pos] == "{":
        depth, j = 0, pos
        while j < len(src):
            if src[j] == "{":
                depth += 1
            elif src[j] == "}":
                depth -= 1
                if depth == 0:
                    return src[pos + 1:j], j + 1
            j += 1
        t.error("this { is never closed", pos, pos + 1, 'close it with "}"')
    m = _COMMAND.match(src, pos)
    if m:
        return m.group(0), m.end()
    return src[pos], pos + 1


def _plain_name(t: _Text, body: str, at: int) -> str:
    """The text of a name written inside \\mathbf{…}, \\hat{…}: Greek commands as letters, braces gone."""
    out = []
    j = 0
    while j < len(body):
        m = _COMMAND.match(body, j)
        if m:
            cmd = m.group(0)
            if cmd in greek.LETTERS or cmd in EXTRA_LETTERS:
                out.append(greek.LETTERS.get(cmd) or EXTRA_LETTERS[cmd])
            elif cmd in ACCENTS or cmd in FONTS:
                inner, after = _group(_Text(body), m.end())
                inner_name = _plain_name(t, inner, at)
                mark = ACCENTS.get(cmd, "")
                out.append(unicodedata.normalize("NFC", inner_name[:1] + mark + inner_name[1:]))
                j = after
                continue
            else:
                t.error(f'"{cmd}" cannot be part of a name', at, at + len(body) + 2)
            j = m.end()
            continue
        if body[j] in "{} ":
            j += 1
            continue
        out.append(body[j])
        j += 1
    name = "".join(out)
    if not name:
        t.error("an empty name", at, at + 1)
    return _subscript_text(name)


def _subscript_text(name: str) -> str:
    """x_{t-1} → x_tm1, x_{t+1} → x_tp1, x_{i,j} → x_i_j inside an already-collected name."""
    return name.replace("-", "m").replace("+", "p").replace(",", "_")


def _matching(src: str, i: int) -> int | None:
    opener = src[i]
    closer = {"(": ")", "{": "}", "[": "]"}.get(opener)
    if closer is None:
        return None
    depth = 0
    for j in range(i, len(src)):
        if src[j] == opener:
            depth += 1
        elif src[j] == closer:
            depth -= 1
            if depth == 0:
                return j
    return None
