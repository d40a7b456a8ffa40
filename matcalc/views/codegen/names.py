"""Names in generated code: every name that reaches the source passed :func:`safe_name` or
was made by the code generator itself.

Parameters are named as the program names them: Python identifiers may be Greek, so θ, λ, Σ
and ``x_α`` stay as they are. A character of a program name that cannot stand in a Python
identifier as it is — one that Python would read as another letter (NFKC: ``ϑ`` is ``θ``,
``ϐ`` is ``β`` to Python) or that is no letter (the Greek numeral sign) — is spelt in ASCII
from its Unicode name: ``ϑ`` → ``theta_symbol``, ``ϐ`` → ``beta_symbol``, the numeral sign U+0374 →
``numeral_sign``. :func:`ascii_name` spells every Greek letter out (θ → ``theta``, Σ →
``Sigma``, λ → ``lamda`` as Unicode names it); compiled functions accept that spelling as a
keyword alias.
"""
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


def _is_greek(ch: str) -> bool:
    return "\u0370" <= ch <= "\u03ff"  # the block the grammar's names may use


def _keeps(ch: str, first: bool) -> bool:
    """Whether a Greek character stands in an identifier as itself."""
    return unicodedata.normalize("NFKC", ch) == ch and (ch.isidentifier() or (not first and f"a{ch}".isidentifier()))


def _spelt(ch: str, name: str) -> str:
    """A Greek character in ASCII, from its Unicode name (θ → theta, Σ → Sigma, ϑ → theta_symbol)."""
    uname = unicodedata.name(ch, "")
    for prefix in ("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ", "GREEK "):
        if uname.startswith(prefix):
            word = uname[len(prefix):].replace(" ", "_").replace("-", "_").lower()
            if not re.fullmatch(r"[a-z_]+", word):
                break
            return word.capitalize() if prefix == "GREEK CAPITAL LETTER " else word
    raise CodegenError(f'cannot spell the Greek character "{ch}" of "{name}" in ASCII')


def _checked(name: str, out: str) -> str:
    if not out.isidentifier() or unicodedata.normalize("NFKC", out) != out:
        raise CodegenError(f'"{name}" is not a valid identifier', hint="use letters, digits and _")
    if out.startswith("__"):
        raise CodegenError(f'"{name}" starts with "__", which generated code does not allow')
    if keyword.iskeyword(out) or keyword.issoftkeyword(out):
        raise CodegenError(f'"{name}" is a Python keyword', hint="rename the symbol")
    if out in USED_BY_GENERATED:
        raise CodegenError(f'"{name}" is a name the generated code uses itself', hint="rename the symbol")
    return out


def _chars(name: str, greek) -> str:
    if not isinstance(name, str) or not name:
        raise CodegenError(f"cannot use {name!r} as a name in generated code")
    out = []
    for i, ch in enumerate(name):
        if ch.isascii():
            out.append(ch)
        elif _is_greek(ch):
            out.append(greek(ch, i == 0))
        else:
            raise CodegenError(f'"{name}" cannot be a name in generated code: "{ch}" is neither ASCII nor Greek',
                               hint="use letters, digits, _ and Greek letters")
    return "".join(out)


def safe_name(name: str) -> str:
    """The Python identifier for a program name, or CodegenError.

    Greek letters stay Greek where Python reads them as themselves (θ, λ, Σ); any other Greek
    character is spelt in ASCII (ϑ → theta_symbol). The result must be an identifier, not a
    keyword, not a name the generated code uses, not starting with ``__``.
    """
    return _checked(name, _chars(name, lambda ch, first: ch if _keeps(ch, first) else _spelt(ch, name)))


def ascii_name(name: str) -> str:
    """The all-ASCII spelling of a program name (θ → theta, Σ → Sigma): a keyword alias."""
    return _checked(name, _chars(name, lambda ch, first: _spelt(ch, name)))


def check_function_name(name: str) -> None:
    """CodegenError unless ``name`` may name the generated function."""
    if not (isinstance(name, str) and _IDENTIFIER.match(name) and not name.startswith("__")
            and not keyword.iskeyword(name) and name not in USED_BY_GENERATED - {FUNCTION_NAME}):
        raise CodegenError(f"{name!r} cannot name the generated function", hint="use an ASCII identifier")
