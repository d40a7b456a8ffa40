"""Text as people paste it, rewritten into the language before the grammar reads it.

LaTeX from papers and course notes and Unicode as typed become the language's own spelling:

* Greek commands are letters (``\\theta`` → θ), decorated names are names (``\\hat{y}`` → ŷ,
  ``\\mathbf{x}`` → x, ``\\mathit{Uneg}`` → Uneg), braced subscripts are part of the name
  (``W_{hh}`` → W_hh, ``h_{t-1}`` → h_tm1, ``z_{i,j}`` → z_i_j);
* ``\\|x\\|_2``, ``\\|X\\|_F`` are norms, ``\\log \\det`` is logdet, ``\\operatorname{tr}``,
  ``\\mathrm{Tr}``, ``\\text{softmax}`` are calls, ``\\exp x``, ``\\log \\sigma(z)`` apply without
  brackets when the argument is one name, number or call, ``\\cdot \\times`` are products,
  ``x^{\\mathsf{T}}`` a transpose, ``x^{\\circ 2}`` an elementwise power, ``\\oslash`` ./,
  ``\\mathbf{1}_{n}`` is ones(n), ``\\begin{aligned} … &= … \\\\ … \\end{aligned}`` statements;
* Unicode: math bold and italic letters are plain letters (NFKC), ``x⊤`` and ``xᵀ`` transposes,
  ``‖x‖²`` and ``A⁻¹`` powers, ``W₁`` a subscript, ``√x`` sqrt(x), ``−`` a minus.

Bars: a ``|`` or ``‖`` after an operand closes the innermost open bar of its kind; otherwise it
opens one, and after an operand it multiplies (``λ ‖w‖^2``, ``(1/2) ‖X θ - y‖^2``, ``2 |x|``).
Look-alike letters (Greek Α, Ι, Ο, … for Latin A, I, O; Cyrillic; the Greek question mark ";")
are refused with a message. Error positions refer to the rewritten text.
"""
from __future__ import annotations

import re
import unicodedata

from . import greek
from .pasted_base import (
    _COMMAND, ACCENTS, DROPPED, EXTRA_LETTERS, FONTS, FUNCTION_COMMANDS, LOOKALIKE, SIMPLE, SUBSCRIPTS,
    SUPERSCRIPTS, UNICODE, _emit_name, _group, _matching, _next_is_bracket, _plain_name, _Text,
)


def normalize(source: str) -> str:
    """The source in the language's own spelling (the text the grammar and error messages see)."""
    if source.isascii() and not _NEEDS_WORK.search(source):
        return source
    source = _rewrite_forms(source)
    t = _Text(source)
    _check_characters(t)
    text = source.strip()
    if len(text) > 1 and text.startswith("$") and text.endswith("$"):  # pasted in math mode
        t.src = source.replace("$", " ")
    while t.i < len(t.src):
        _step(t)
    result = "".join(t.out)  # NFKC, but ∂² (index notation's second derivative) stays as printed
    return "∂²".join(unicodedata.normalize("NFKC", part) for part in result.split("∂²"))


_NEEDS_WORK = re.compile(r"[\\|$&{]|log\s+det|\^T[^\W\d_]|(?<![\w'])e\^|^\s*\w+\s*\([^()]*\)\s*=(?!=)", re.MULTILINE)
_DEFINES_E = re.compile(r"(?<![\w\\])e\s*(:|=|∈|\\in(?![A-Za-z]))")


_BMATRIX = re.compile(r"\\begin\{[bp]matrix\}((?:(?!\\begin\{[bp]matrix\}).)*?)\\end\{[bp]matrix\}", re.S)


def _block(m: re.Match) -> str:
    """A bmatrix (or pmatrix) as the language's block: rows by ;, columns by ,."""
    rows = [r for r in re.split(r"\\\\", m.group(1))]
    return "[" + "; ".join(", ".join(c.strip() for c in r.split("&")) for r in rows if r.strip()) + "]"


def _rewrite_forms(source: str) -> str:
    """Forms LaTeX gives a meaning the language's grammar would not: x^TAx is x^T A x (a bare
    superscript is one character), e^{…} is exp(…) (unless e is declared or defined), and
    J(θ) = … defines J."""
    source = _index_heads(source)
    source = re.sub(r"(?<![\w\\])log\s+det(?=\s*\()", "logdet", source)  # log det(X)
    while (blocked := _BMATRIX.sub(_block, source)) != source:  # \begin{bmatrix} a \\ b \end{bmatrix}: [a; b],
        source = blocked  # the innermost first
    source = re.sub(r"\^T([A-Z])([a-z])(?!\w)", r"^T \1 \2", source)  # x^TAx: x^T A x
    source = re.sub(r"\^T(?=[^\W\d_]|\\(?!top|intercal))", "^T ", source)
    if not _DEFINES_E.search(source):
        source = re.sub(r"(?<![\w\\'])e\^", r"\\exp ", source)
    return re.sub(r"^(\s*(?:\\[A-Za-z]+(?:\{[^{}]*\})?|[^\W\d]\w*))\s*\([^()=]*\)\s*=(?!=)", r"\1 =", source,
                  flags=re.MULTILINE)


# index notation's heads as matcalc prints them and as people write them:
# \frac{\partial F_{ij}}{\partial X_{kl}}, \frac{\partial^2 s}{\partial X_{ij}\, \partial X_{kl}},
# \partial F_{i} / \partial X_{kl}, \partial^2 s / \partial X_{ij} \partial X_{kl}
_SUB = r"(?:_\{[^{}]*\}|_[A-Za-z0-9]+)"
_NAMED = r"(?:\\(?:mathit|mathrm|mathbf|boldsymbol|bm)\{[A-Za-z0-9]+\}|\\?[A-Za-z]+|\([^()]*\)|\{(?:[^{}]|\{[^{}]*\})*\})"  # F, \ell, (W_1), {W_{1}}, {\delta_{1}}
_GAP = r"(?:\s|\\[,;:!]|\\quad)*"
_PARTIAL = r"(?:\\partial(?![A-Za-z])|∂)"
_SQUARE = r"(?:\^\{?2\}?|²)"
_JACOBIAN_HEAD = re.compile(
    rf"\\[dt]?frac\s*\{{\s*{_PARTIAL}\s*(?P<f>{_NAMED}{_SUB}?)\s*\}}\s*\{{\s*{_PARTIAL}\s*(?P<v>{_NAMED}{_SUB}?)\s*\}}"
    rf"|(?<![\w}}]){_PARTIAL}\s*(?P<f2>{_NAMED}{_SUB}?)\s*/\s*{_PARTIAL}\s*(?P<v2>{_NAMED}{_SUB}?)")
_HESSIAN_HEAD = re.compile(
    rf"\\[dt]?frac\s*\{{\s*{_PARTIAL}\s*{_SQUARE}\s*(?P<s>{_NAMED})\s*\}}\s*\{{\s*{_PARTIAL}\s*(?P<v>{_NAMED}{_SUB})"
    rf"{_GAP}{_PARTIAL}\s*(?P<w>{_NAMED}{_SUB})\s*\}}"
    rf"|(?<![\w}}]){_PARTIAL}\s*{_SQUARE}\s*(?P<s2>{_NAMED})\s*/\s*{_PARTIAL}\s*(?P<v2>{_NAMED}{_SUB}){_GAP}"
    rf"{_PARTIAL}\s*(?P<w2>{_NAMED}{_SUB})")

_MATRIX_HESSIAN_HEAD = re.compile(  # \frac{\partial^2 F}{\partial x\, \partial x^{\top}}: a Hessian in matrix notation
    rf"\\[dt]?frac\s*\{{\s*{_PARTIAL}\s*{_SQUARE}\s*(?P<s>{_NAMED})\s*\}}\s*\{{\s*{_PARTIAL}\s*(?P<v>{_NAMED})"
    rf"{_GAP}{_PARTIAL}\s*(?P<w>{_NAMED})\s*(?:\^\{{?(?:\\top|T|⊤)\}}?)?\s*\}}")


def _index_name(text: str) -> str:
    r"""F_{ij} → F_ij, (W_{1})_{kl} → (W_1)_kl, \ell → ℓ: a head's name in the language's spelling."""
    text = text.strip()
    if text.startswith("{"):  # {W_{1}}_{kl}: the name W_1 at k, l
        close = _matching(text, 0)
        text = "(" + text[1:close] + ")" + text[close + 1:]
    text = re.sub(r"_\{([^{}]*)\}", lambda m: "_" + m.group(1).replace(",", "").replace(" ", ""), text)
    text = re.sub(r"\\(?:mathit|mathrm|mathbf|boldsymbol|bm)\{([A-Za-z0-9]+)\}", r"\1", text)
    text = re.sub(r"\\[A-Za-z]+", lambda m: greek.LETTERS.get(m.group(0)) or EXTRA_LETTERS.get(m.group(0), m.group(0)), text)
    return text.replace("{", "").replace("}", "")


def _index_heads(source: str) -> str:
    """The LaTeX head of index notation as the language writes it: ∂F_ij/∂X_kl, ∂²s/∂X_ij ∂X_kl."""
    if "partial" not in source and "∂" not in source:
        return source

    def hessian(m: re.Match) -> str:
        s, v, w = (m.group("s"), m.group("v"), m.group("w")) if m.group("s") else (m.group("s2"), m.group("v2"), m.group("w2"))
        return f"∂²{_index_name(s)}/∂{_index_name(v)} ∂{_index_name(w)}"

    def jacobian(m: re.Match) -> str:
        f, v = (m.group("f"), m.group("v")) if m.group("f") else (m.group("f2"), m.group("v2"))
        return f"∂{_index_name(f)}/∂{_index_name(v)}"

    def matrix_hessian(m: re.Match) -> str:
        return f"∂²{_index_name(m.group('s'))}/∂{_index_name(m.group('v'))} ∂{_index_name(m.group('w'))}"

    source = _MATRIX_HESSIAN_HEAD.sub(matrix_hessian, source)
    return _JACOBIAN_HEAD.sub(jacobian, _HESSIAN_HEAD.sub(hessian, source))


def _check_characters(t: _Text) -> None:
    for index, ch in enumerate(t.src):
        if ch == "\u037e":
            t.error("U+037E GREEK QUESTION MARK looks like a semicolon but is not one", index, index + 1,
                    'write ";" to separate statements')
        if ch in LOOKALIKE:
            t.error(f"{ch} (Greek {unicodedata.name(ch).split('LETTER ')[-1].lower()}) looks like the Latin "
                    f"{LOOKALIKE[ch]}, and the two would print the same", index, index + 1,
                    f'write the Latin letter "{LOOKALIKE[ch]}"' + (" (the identity is I)" if ch == "Ι" else ""))
        uname = unicodedata.name(ch, "")
        if ("SUPERSCRIPT" in uname or "SUBSCRIPT" in uname or "MODIFIER LETTER" in uname) \
                and ch not in SUPERSCRIPTS and ch not in SUBSCRIPTS and ch not in UNICODE:
            t.error(f"{ch} ({uname.lower()}) is not one matcalc reads", index, index + 1,
                    "write powers with ^ and subscripts with _, as in x^2 or x_i")
        if "CYRILLIC" in uname:
            t.error(f"{ch} is a Cyrillic letter (it looks like a Latin one)", index, index + 1,
                    "write names in Latin or Greek letters")


_PLAIN = re.compile(r"[A-Za-z0-9 \t+\-*/.=']+")


def _step(t: _Text) -> None:
    src, i = t.src, t.i
    plain = _PLAIN.match(src, i)
    if plain:  # a run of characters that need nothing (fast on long inputs)
        t.out.append(plain.group(0))
        t.i = plain.end()
        return
    ch = src[i]
    if ch == "\n" or ch == ";":
        t.decl = False
        t.out.append(ch)
        t.i += 1
        return
    if ch in "⟨⟩":
        _angle(t, ch == "⟨")
        t.i += 1
        return
    if ch == "," and t.bars and t.bars[-1] == "⟨":
        t.out.append(")^T (")
        t.i += 1
        return
    if ch in ":∈":
        t.decl = True
    if ch == "," and t.decl and not t.bars and re.match(r"\s*[^\W\d]\w*\s*(\\in(?![A-Za-z])|∈)", src[i + 1:]):
        t.out.append("\n")  # θ ∈ ℝ^m, X ∈ ℝ^{n × m}: two declarations
        t.decl = False
        t.i += 1
        return
    if ch == "&":  # alignment in aligned environments
        t.i += 1
        return
    if ch == "\\":
        _command(t)
        return
    if ch in "|‖":
        _bar(t, ch, i + 1)
        return
    if ch == "{":
        close = _matching(src, i)
        before = src[:i].rstrip(" ")[-1:]
        command = re.search(r"\\[A-Za-z]+\s*$", src[:i])
        command = command and command.group(0).rstrip()
        argument = before in "_^" or (command and command not in greek.LETTERS and command not in EXTRA_LETTERS
                                      and command not in SIMPLE and command not in DROPPED) or (  # x^{…}, \sqrt{…}
            before == "}" and re.search(r"\\[dt]?frac\s*$", src[:_opening(src, src[:i].rstrip(" ")) or 0]))  # \frac{…}{…}
        if close is not None and not argument:
            # {\operatorname{softmax}(X)}_{ij}: an entry, (softmax(X))_ij; {{\lVert X \rVert}}: a group ({\\operatorname{tr}(X)} δ_ik)
            t.bars.append("{(")
            t.out.append("(")
            t.i += 1
            return
    if ch == "}" and t.bars and t.bars[-1] == "{(":
        t.bars.pop()
        t.out.append(")")
        t.i += 1
        return
    if ch in "([{":
        t.bars.append(ch)
    elif ch in ")]}" and t.bars and t.bars[-1] in "([{":
        t.bars.pop()
    if ch == "^" and re.match(r"\^\{\s*\\circ(?![A-Za-z])", src[i:]):  # x^{\circ 2}: x .^ 2
        m = re.match(r"\^\{\s*\\circ\s*", src[i:])
        t.out.append(" .^{")
        t.bars.append("{")
        t.i = i + m.end()
        return
    if 0x1D400 <= ord(ch) <= 0x1D7FF:  # math bold, italic, …: one letter, one name
        t.i += 1
        _emit_name(t, unicodedata.normalize("NFKC", ch))
        return
    if ch == "_" and src.startswith("_{", i):
        _braced_subscript(t)
        return
    if ch in UNICODE:
        if ch == "×" and not t.decl:
            t.out.append(" * ")
        else:
            t.out.append(UNICODE[ch])
        t.i += 1
        return
    if ch == "⊤" and t.last() != "^":
        t.out.append("^T ")
        t.i += 1
        return
    if ch in SUPERSCRIPTS and t.last() == "∂":  # ∂²s/∂X_ij ∂X_kl: index notation, read by the grammar
        t.out.append(ch)
        t.i += 1
        return
    if ch in SUPERSCRIPTS:
        j = i
        while j < len(src) and src[j] in SUPERSCRIPTS:
            j += 1
        body = "".join(SUPERSCRIPTS[c] for c in src[i:j])
        t.out.append("^{" + body + "}" if t.decl or body not in ("-1",) else "^{-1}")
        t.i = j
        return
    if ch in SUBSCRIPTS:
        j = i
        while j < len(src) and src[j] in SUBSCRIPTS:
            j += 1
        t.out.append("_" + "".join(SUBSCRIPTS[c] for c in src[i:j]))
        t.i = j
        return
    if ch == "√":
        t.i += 1
        arg = _argument(t, "√")
        t.out.append("sqrt(" + arg + ")")
        return
    t.out.append(ch)
    t.i += 1


def _opening(src: str, before: str) -> int | None:
    """Where the { closed by the } that ends before opens."""
    depth = 0
    for j in range(len(before) - 1, -1, -1):
        depth += {"}": 1, "{": -1}.get(before[j], 0)
        if depth == 0:
            return j
    return None


def _command(t: _Text) -> None:
    src, i = t.src, t.i
    m = _COMMAND.match(src, i)
    if m is None:
        t.out.append("\\")
        t.i += 1
        return
    cmd = m.group(0)
    end = m.end()
    if cmd == "\\\\":  # a line break in aligned environments: a new statement
        t.decl = False
        t.out.append("\n")
        t.i = end
        return
    if cmd == r"\|":
        _bar(t, "‖", end)
        return
    if cmd in (r"\left", r"\right"):
        return _left_right(t, cmd, end)
    if cmd in (r"\begin", r"\end"):
        close = src.find("}", end)
        t.i = close + 1 if src.startswith("{", end) and close > 0 else end
        if cmd == r"\end":
            t.out.append("\n")
        return
    if cmd in DROPPED or (cmd in (r"\left.", r"\right.")):
        t.i = end
        return
    if cmd == r"\in":
        t.decl = True
    if cmd == r"\mathbb":
        body, after = _group(t, end)
        t.out.append("ℝ" if body.strip() == "R" else body)
        t.i = after
        return
    if cmd in (r"\langle", r"\rangle"):
        _angle(t, cmd == r"\langle")
        t.i = end
        return
    if cmd in (r"\lVert", r"\rVert"):
        kind = "open" if cmd == r"\lVert" else "close"
        t.out.append(" " + cmd + " ")
        t.i = end
        if kind == "open":
            t.bars.append("L‖")
        else:
            if t.bars and t.bars[-1] == "L‖":
                t.bars.pop()
            _norm_subscript(t)
        return
    if cmd in (r"\lvert", r"\rvert"):  # \lvert x \rvert: the absolute value (of every entry)
        if t.after_operand() and cmd == r"\lvert":
            t.out.append(" * ")
        t.out.append(" abs(" if cmd == r"\lvert" else ") ")
        t.i = end
        return
    if cmd in greek.LETTERS or cmd in EXTRA_LETTERS:
        t.i = end
        _emit_name(t, greek.LETTERS.get(cmd) or EXTRA_LETTERS[cmd])
        return
    if cmd in ACCENTS:
        body, after = _group(t, end)
        name = _plain_name(t, body, i)
        mark = ACCENTS[cmd]
        t.i = after
        _emit_name(t, unicodedata.normalize("NFC", name[0] + mark + name[1:]) if mark else name)
        return
    if cmd in FONTS:
        body, after = _group(t, end)
        return _font(t, cmd, body, after, i)
    if cmd in (r"\frac", r"\dfrac", r"\tfrac"):
        # \frac12 is \frac{1}{2}
        m2 = re.match(r"\s*(\d)\s*(\d)", src[end:])
        if m2 and not src[end:].lstrip().startswith("{"):
            t.out.append(r"\frac{" + m2.group(1) + "}{" + m2.group(2) + "}")
            t.i = end + m2.end()
            return
        t.out.append(r"\frac")
        t.i = end
        return
    if cmd == r"\sqrt":
        if src[end:].lstrip().startswith("{"):
            t.out.append(r"\sqrt")
            t.i = end
            return
        t.i = end
        t.out.append("sqrt(" + _argument(t, cmd) + ")")
        return
    if cmd == r"\log" and re.match(r"\s*\\det(?![A-Za-z])", src[end:]):
        m2 = re.match(r"\s*\\det", src[end:])
        end += m2.end()
        cmd = r"\logdet"
    if cmd in FUNCTION_COMMANDS:
        name = FUNCTION_COMMANDS[cmd]
        t.i = end
        if _next_is_bracket(t, end):
            t.out.append(name)
            rest = src[end:]
            t.i = end + (len(rest) - len(rest.lstrip(" ")))
            return
        t.out.append(name + "(" + _argument(t, cmd) + ")")
        return
    if cmd == r"\sum" and (m2 := re.match(r"\s*_(?:\{\s*([A-Za-z](?:\s*,\s*[A-Za-z])*)\s*\}|([A-Za-z])(?![A-Za-z0-9_]))", src[end:])):
        letters = (m2.group(1) or m2.group(2)).replace(",", " ").split()  # \sum_{a,b}: Σ_a Σ_b (index notation)
        t.out.append(" " + " ".join("Σ_" + a for a in letters) + " ")
        t.i = end + m2.end()
        return
    if cmd in (r"\max", r"\min", r"\sum", r"\softmax", r"\relu", r"\sigmoid", r"\diag") \
            and _next_is_bracket(t, end):
        rest = src[end:]
        start = end + (len(rest) - len(rest.lstrip(" ")))
        if cmd == r"\sum" and src[start] == "(":
            close = _matching(src, start)
            follow = src[close + 1:].lstrip(" ")[:1] if close is not None else ""
            if follow and follow not in "+-)=;\n,}&" and not src[close + 1:].lstrip(" ").startswith("\\"):
                t.error(r"\sum (…)" + follow + "…: is the sum of the power, or the power of the sum?", i, close + 2,
                        "write sum((…) .^ 2) for the sum of squares, or sum(…)^2 for the square of the sum")
        t.out.append(cmd[1:])
        t.i = start
        return
    if cmd in SIMPLE:
        if cmd == r"\times" and t.decl:
            t.out.append(r" \times ")
        else:
            t.out.append(SIMPLE[cmd])
        t.i = end
        return
    t.out.append(cmd)
    t.i = end


def _angle(t: _Text, opening: bool) -> None:
    """⟨A, B⟩ = tr(A^T B): the inner product of vectors and the Frobenius product of matrices."""
    if opening:
        if t.after_operand():
            t.out.append(" * ")
        t.bars.append("⟨")
        t.out.append("tr((")
    else:
        if t.bars and t.bars[-1] == "⟨":
            t.bars.pop()
        t.out.append("))")


def _font(t: _Text, cmd: str, body: str, after: int, at: int) -> None:
    from .kinds import known_function
    word = body.strip()
    if cmd == r"\mathbf" and word == "1":  # the vector of ones
        rest = t.src[after:]
        m = re.match(r"_\{?([A-Za-z0-9]+)\}?", rest)
        if m:
            t.out.append(f"ones({m.group(1)})")
            t.i = after + m.end()
            return
        if re.match(r"\s*\^\s*(\{\s*)?(\\top|T|\\intercal|\\mathsf\{T\})", rest):
            t.out.append("1")
            t.i = after
            return
        t.error(r"\mathbf{1} without its size", at, after, r"write \mathbf{1}_{n} or ones(n)")
    if word in ("T", r"\top") and t.last() in "^{":
        t.out.append("T")
        t.i = after
        return
    if cmd == r"\operatorname" and word == "unvec" and t.src.startswith("_{", after):
        _sized_unvec(t, after)
        return
    if cmd in (r"\operatorname", r"\mathrm", r"\text", r"\textrm", r"\mathsf", r"\rm") and re.fullmatch(
            r"[A-Za-z_]+", word) and (known_function(word) or _next_is_bracket(t, after)):
        t.out.append(known_function(word) or word)
        rest = t.src[after:]
        t.i = after + (len(rest) - len(rest.lstrip(" ")))
        if not _next_is_bracket(t, after):
            t.out.append("(" + _argument(t, cmd + "{" + word + "}") + ")")
        return
    t.i = after
    _emit_name(t, _plain_name(t, body, at))


def _sized_unvec(t: _Text, at: int) -> None:
    """\\operatorname{unvec}_{n \\times m}(v), as the LaTeX printer writes it: unvec(v, n, m)."""
    body, after = _group(t, at + 1)
    sizes = [part.strip() for part in re.split(r"\\times|×", body)]
    if len(sizes) != 2 or not all(re.fullmatch(r"[A-Za-z0-9_ +]+", d) for d in sizes):
        t.error(r"\operatorname{unvec}_{…} takes the two sizes of its matrix, n \times m", at, after)
    pos = after + (len(t.src[after:]) - len(t.src[after:].lstrip(" ")))
    if not t.src.startswith("(", pos):
        t.error(r"\operatorname{unvec}_{n \times m} needs its argument in brackets", at, after,
                r"write \operatorname{unvec}_{n \times m}(v)")
    group, t.i = _convert_group(t, pos)
    t.out.append(f"unvec{group[:-1]}, {sizes[0]}, {sizes[1]})")


def _braced_subscript(t: _Text) -> None:
    """_{…} after a name: part of the name (W_{hh} → W_hh, h_{t-1} → h_tm1)."""
    body, after = _group(t, t.i + 1)
    if t.last() == "‖" or t.last() == "|":  # ‖x‖_{2}
        t.i = after
        return
    if re.search(r"(?<![\w.])0\s*$", "".join(t.out)):  # a sized zero, 0_{k x m}: the grammar reads it
        t.out.append("_{" + body + "}")
        t.i = after
        return
    t.out.append("_" + _plain_name(t, body, t.i) if body.strip() else "")
    t.i = after


def _bar(t: _Text, kind: str, end: int) -> None:
    """| or ‖: closes the innermost open bar of its kind after an operand, else opens one."""
    if t.after_operand() and t.bars and t.bars[-1] == kind:
        t.bars.pop()
        t.out.append(kind)
        t.i = end
        _norm_subscript(t)
        return
    if t.after_operand():
        t.out.append(" * ")
    t.bars.append(kind)
    t.out.append(kind)
    t.i = end


def _norm_subscript(t: _Text) -> None:
    """‖x‖_2, ‖x‖_F, ‖x‖_2^2, ‖x‖^2_2: the subscript names the norm matcalc has (2 or Frobenius)."""
    rest = t.src[t.i:]
    m = re.match(r"(\^(\{[^{}]*\}|\S))?(_(\{\s*(2|F)\s*\}|2|F)|₂)(?![A-Za-z0-9])", rest)
    if m:
        t.out.append(m.group(1) or "")
        t.i += m.end()
        return
    m = re.match(r"_(\{\s*[^{}]*\}|[0-9a-zA-Z∞]+|\\infty)", rest)
    if m:
        t.error(f"the norm {m.group(0)[1:]} is not one matcalc has", t.i, t.i + m.end(),
                "matcalc's norm is the 2-norm of a vector and the Frobenius norm of a matrix: ‖x‖_2, ‖X‖_F")


def _left_right(t: _Text, cmd: str, end: int) -> None:
    src = t.src
    rest = src[end:]
    m = re.match(r"\s*(\\\||\\lVert|\\rVert|\\lvert|\\rvert|\\vert|\\Vert|\\\{|\\\}|\.|.)", rest)
    if not m:
        t.out.append(cmd)
        t.i = end
        return
    delim = m.group(1)
    t.i = end + m.end()
    if delim == ".":
        return
    if delim in ("(", "["):  # plain brackets: sigma\left(z\right) is the call σ(z)
        t.bars.append("(")
        t.out.append("(")
    elif delim in (")", "]"):
        if t.bars and t.bars[-1] == "(":
            t.bars.pop()
        t.out.append(")")
    elif delim in ("|", r"\vert", r"\lvert", r"\rvert"):
        t.out.append(r"\left|" if cmd == r"\left" else r"\right|")
    elif delim in (r"\|", r"\lVert", r"\rVert", r"\Vert", "‖"):
        if cmd == r"\left":
            t.bars.append("L‖")
            t.out.append(r" \lVert ")
        else:
            if t.bars and t.bars[-1] == "L‖":
                t.bars.pop()
            t.out.append(r" \rVert ")
            _norm_subscript(t)
    else:
        t.out.append(cmd + delim)


def _argument(t: _Text, cmd: str) -> str:
    """The argument of a function written without brackets: one name, number, call or group."""
    src = t.src
    start = t.i
    while t.i < len(src) and src[t.i] == " ":
        t.i += 1
    i = t.i
    if i >= len(src):
        t.error(f"{cmd} needs an argument", max(0, start - len(cmd)), start)
    ch = src[i]
    if ch in "({":
        body, t.i = _convert_group(t, i)
        if ch == "{":
            body = "(" + body[1:-1] + ")"
    elif src.startswith((r"\frac", r"\dfrac", r"\tfrac"), i):  # \log \frac{a}{b}
        after = _COMMAND.match(src, i).end()
        _, after = _group(t, after)  # numerator
        _, after = _group(t, after)  # denominator
        sub = _Text(src[:after])
        sub.i, sub.decl = i, t.decl
        while sub.i < after:
            _step(sub)
        body, t.i = "".join(sub.out), after
    elif ch == "\\":
        sub = _Text(src)
        sub.i, sub.decl = i, t.decl
        _command(sub)
        body, t.i = "".join(sub.out), sub.i
        if t.i < len(src) and src[t.i] == "(":  # \log \sigma(z): the inner call's brackets
            group, t.i = _convert_group(t, t.i)
            body += group
    elif unicodedata.category(ch).startswith("L") and re.match(r"[^\W\d_]", ch) and ch not in SUBSCRIPTS \
            and ch not in SUPERSCRIPTS and ch not in UNICODE:
        m = re.match(r"[^\W_](?:[^\W_]|_[^\W_{]+)*", src[i:])
        word = m.group(0)
        cut = next((j for j, c in enumerate(word) if c in SUPERSCRIPTS or c in UNICODE or c in "ᵀ"), len(word))
        word = word[:cut]
        t.i = i + len(word)
        body = re.sub(f"[{''.join(SUBSCRIPTS)}]+", lambda s: "_" + "".join(SUBSCRIPTS[c] for c in s.group(0)), word)
        if src.startswith("_{", t.i):
            inner, after = _group(t, t.i + 1)
            body += "_" + _plain_name(t, inner, t.i)
            t.i = after
        if t.i < len(src) and src[t.i] == "(":  # a call: f(x)
            group, t.i = _convert_group(t, t.i)
            body += group
    elif ch in "0123456789":
        m = re.match(r"[0-9]+(\.[0-9]*)?", src[i:])
        t.i = i + m.end()
        body = m.group(0)
    elif ch in "|‖" and cmd == r"\log":
        t.error(r"\log|…|: the log of a determinant or of an absolute value?", i, i + 1,
                r"write \log\det(Σ) (or logdet(Σ)) for log |Σ|, or \log(abs(…))")
    else:
        t.error(f"{cmd} needs an argument in brackets here", i, i + 1, f"write {cmd}(…)")
    follow = src[t.i:t.i + 1]
    if follow and (follow in "^'_" or follow in SUPERSCRIPTS or follow in "ᵀ⊤"):
        shown = cmd.lstrip("\\")
        written = src[i:t.i]
        t.error(f"{cmd} {written}{follow}…: is the {follow} part of the argument of {shown} or not?",
                start, t.i + 1, f"write {shown}({written}{follow}…) or ({shown} {written}){follow}…")
    return body


def _convert_group(t: _Text, i: int) -> tuple[str, int]:
    """The bracketed group at i, rewritten, and the position after it."""
    close = _matching(t.src, i)
    if close is None:
        t.error(f"this {t.src[i]} is never closed", i, i + 1)
    inner = _Text(t.src[:close + 1])
    inner.i, inner.decl = i, t.decl
    while inner.i < close + 1:
        _step(inner)
    return "".join(inner.out), close + 1

