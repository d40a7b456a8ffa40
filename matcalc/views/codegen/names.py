"""Names in generated code: every name that reaches the source passed :func:`safe_name` or
was made by the code generator itself."""
from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

from ...core.errors import MatcalcError

FUNCTION_NAME = "f_and_grad"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
USED_BY_GENERATED = frozenset({"np", "math", "ValueError", "float", "int", "len", "tuple", "None", "True",
                               "False", FUNCTION_NAME})
"""Names the generated code itself refers to; no user name may take them."""

_ = builtins  # builtins other than USED_BY_GENERATED may be shadowed harmlessly: the code never calls them


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
        if uname.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):
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


def check_function_name(name: str) -> None:
    """CodegenError unless ``name`` may name the generated function."""
    if not (isinstance(name, str) and _IDENTIFIER.match(name) and not name.startswith("__")
            and not keyword.iskeyword(name) and name not in USED_BY_GENERATED - {FUNCTION_NAME}):
        raise CodegenError(f"{name!r} cannot name the generated function", hint="use an ASCII identifier")
