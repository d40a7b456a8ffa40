"""The naming convention: the kind a name has when nothing declares it, and the reserved names.

A name that starts with an upper-case letter (Latin or Greek: ``W``, ``Θ``) is a matrix, a
lower-case Greek name is a scalar, any other name is a vector; use overrides the convention
(:mod:`matcalc.language.typer`). The names of the language's functions are reserved.
"""
from __future__ import annotations

import unicodedata

from ..core.functions import FUNCTIONS
from ..core.ops import CALLS


FUNCTION_SPELLINGS = {s: f for f in FUNCTIONS.values() for s in f.spellings}
"""a name that calls an elementwise function (σ, sigmoid, ln, …) -> its row"""

RESERVED = set(CALLS) | set(FUNCTION_SPELLINGS)
"""Names of the language's functions: no variable or placeholder may take them."""

GREEK_SPELLINGS = {s for s in FUNCTION_SPELLINGS if len(s) == 1 and "GREEK" in unicodedata.name(s, "")}
"""σ: a function when called, a name (a standard deviation) when not."""

DIM_NAMES = ["n", "m", "k", "p", "q", "r", "d", "l", "s", "t", "a", "b", "c", "h", "w", "v"]


def is_greek(name: str) -> bool:
    return "GREEK" in unicodedata.name(name[0], "")


def conventional_kind(name: str) -> str:
    """'scalar', 'vector' or 'matrix', by the naming convention."""
    if name[0].isupper():  # W, Θ
        return "matrix"
    if is_greek(name):  # λ, α
        return "scalar"
    return "vector"


GENERIC = ("f", "g", "h", "φ", "ψ")
"""Names that are generic functions without a declaration (with subscripts and primes: f_1, g')."""


def is_generic(name: str) -> bool:
    """f, g, h, φ, ψ and their subscripted forms (f_1, h_out): the conventional generic functions."""
    return name.split("_", 1)[0] in GENERIC


def _squash(word: str) -> str:
    return word.lower().replace("_", "")


KNOWN_CALLS = {_squash(n): op.name for n, op in CALLS.items() if op.node is not None}
KNOWN_CALLS.update({_squash(n): f.name for n, f in FUNCTION_SPELLINGS.items() if len(n) > 1})
"""the language's function names, keyed case- and underscore-insensitively: relu, logsoftmax, …"""
KNOWN_CALLS.update({"logsumexp": "logsumexp", "lse": "logsumexp", "trace": "tr", "sigm": "sigmoid",
                    "logistic": "sigmoid", "arctan": "atan", "ln": "log"})


def known_function(word: str) -> str | None:
    """The language's spelling of a known function written in another case (ReLU, Tanh, log_softmax)."""
    if len(word) < 2:
        return None
    return KNOWN_CALLS.get(_squash(word))


def suggest_function(word: str) -> str | None:
    """The known function a misspelled name is closest to (sigmiod → sigmoid), if one is close."""
    import difflib
    if _squash(word) in ("sigma", "sig", "logit"):  # sigma(x) is not σ(x): it may be a product
        return "sigmoid"
    key = _squash(word)
    swapped = [k for k in KNOWN_CALLS if sorted(k) == sorted(key)]  # tahn: two letters swapped
    close = swapped or difflib.get_close_matches(key, list(KNOWN_CALLS), n=1, cutoff=0.7)
    return KNOWN_CALLS[close[0]] if close else None
