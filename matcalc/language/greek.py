"""Greek letters and their LaTeX commands, both ways (α ↔ \\alpha, Δ ↔ \\Delta)."""
from __future__ import annotations

import unicodedata

LOWER = (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega",
)
UPPER = ("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega")


def command(ch: str) -> str | None:
    """\\alpha for α, \\Delta for Δ, None for a character that is not a Greek letter with a command."""
    uname = unicodedata.name(ch, "")
    if not uname.startswith("GREEK") or "LETTER" not in uname:
        return None
    word = uname.split("LETTER", 1)[1].strip().lower().replace("lamda", "lambda")
    if word == "final sigma":
        return r"\varsigma"
    if "CAPITAL" in uname:
        word = word.capitalize()
        return "\\" + word if word in UPPER else None
    return "\\" + word if word in LOWER else None


def _letter(word: str) -> str:
    name = word.upper().replace("LAMBDA", "LAMDA")
    kind = "CAPITAL" if word[0].isupper() else "SMALL"
    return unicodedata.lookup(f"GREEK {kind} LETTER {name}")


LETTERS: dict[str, str] = {"\\" + w: _letter(w) for w in (*LOWER, *UPPER)}
"""LaTeX command -> the Greek letter: \\lambda -> λ"""
LETTERS[r"\varsigma"] = "ς"
