"""Verdicts on hand derivations: is a claimed derivative right, and if not, why not.

The claim is read in the program's context, its shape checked first, then it is compared with
the derived result symbolically and at random points (:mod:`matcalc.calculus.numeric`); a
refutation says what is wrong in the student's terms: a shape, a sign, a factor, a transpose.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from html import escape

from ..core.lazy import np

from ..core import limits
from ..core.errors import DerivativeError, EvaluationError, MatcalcError, ShapeError, SymbolError
from ..core.evaluate import evaluate_expr
from ..core.nodes import (
    Declaration, Definition, Expr, ExprStatement, MatMul, Number, Symbol, Tensor, Transpose, walk,
)
from ..core.program import Program, short, substitute
from ..core.shapes import normalize, shape_of, shape_words
from ..language import pasted
from ..language.parse import parse_statements
from ..language.printing import text
from ..language.typecheck import typecheck
from .engine import derive, hessian
from .numeric import GenericFunction, as_program, choose_dims, freed, random_env
from .result import Result
from .simplify import Simplifier



POINTS = 3          # random points (each with its own dims and its own stand-ins for f)
RTOL = 1e-6


@dataclass
class Verdict:
    """Whether a claimed derivative is right, and why not in the student's terms.

    ``reason`` is one of "symbolic" or "numeric" (accepted), "shape", "sign", "factor",
    "transpose", "value" (refuted). ``factor`` is the constant c with claim = c × truth when
    the reason is "sign" or "factor"; ``fix`` a form of the claim with the right shape.
    """
    ok: bool
    message: str
    reason: str
    claim: str
    expected: str
    derivative: Result
    factor: float | None = None
    fix: str | None = None
    point: dict | None = None

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return short(f"matcalc verdict {'right' if self.ok else 'refuted'} ({self.reason}): {self.message}")

    def _repr_html_(self) -> str:
        """The verdict in a box: green when right, red with the diagnosis when refuted."""
        color, word = ("#2e7d32", "right") if self.ok else ("#c62828", "refuted")
        return (f"<div class='matcalc-verdict' style='border-left: 4px solid {color}; padding-left: 8px'>"
                f"<b style='color: {color}'>{word}</b> ({escape(self.reason)}): <code>{escape(self.claim)}</code>"
                f"<pre>{escape(self.message)}</pre></div>")


def verify(text, wrt: str, claim: str, layout: str = "shape", domain="auto", points: int = POINTS,
           seed: int = 0, derivative: Result | None = None) -> Verdict:
    """Check a hand-derived ∂F/∂wrt (``claim``, in the language, in the program's context).

    The claim may use the program's symbols and placeholders (z, h, …) and define its own
    (``δ = u ⊙ f'(z); δ x^T``). Its shape is checked first, then it is compared with the derived
    result symbolically (after simplification) and at ``points`` random points. Bad claims
    (parse errors, unknown names) raise MatcalcError pointing into the claim. One call within
    matcalc's limits: the derivation, the claim and the random points share one budget.
    """
    with limits.call("verdict"):
        return _verify(text, wrt, claim, layout, domain, points, seed, derivative)


def _as_read(claim: str) -> str:
    """The claim in the language's own spelling (pasted LaTeX and Unicode rewritten), the text
    its positions and quoted parts refer to, as for a program (language.parse)."""
    return pasted.normalize(claim) if isinstance(claim, str) and len(claim) <= limits.MAX_INPUT else claim


def _verify(text, wrt: str, claim: str, layout: str, domain, points: int, seed: int,
            derivative: Result | None) -> Verdict:
    original, claim = claim, _as_read(claim)
    program = as_program(text)
    if wrt in program.definitions:
        program = freed(program, wrt)
    if derivative is None and _claims_a_hessian(claim):  # ∂²s/∂X_ij ∂X_kl = …: a Hessian by a matrix
        h = hessian(program, wrt, layout)
        if h.kind == "tensor":
            return _verify_tensor(program, h, original, domain, points, seed)
    d = derivative if derivative is not None else derive(program, wrt, layout)  # given: many claims, one derivation
    if d.kind == "tensor":
        return _verify_tensor(program, d, original, domain, points, seed)
    label = f"∂{d.function_name}/∂{wrt}"
    expected = _expected_text(d)
    want = normalize(tuple(d.target_shape))
    statements = parse_statements(claim, rewrite=False)
    decls = _declarations(program, statements)
    verdict = partial(Verdict, claim=original, expected=expected, derivative=d)
    try:
        claimed = _typed_as(decls, statements, claim, want) or typecheck(decls + statements, claim)
    except ShapeError as error:
        fix = _shape_fix(decls, statements, claim, want)
        message = f"your answer has no shape: {error.bare_message}; {label} must be {shape_words(want, article=True)}" \
                  f"{_like(d)}"
        if fix:
            message += f"; {fix} has that shape" + _and_right(program, wrt, claim, statements, fix, layout)
        return verdict(ok=False, message=message, reason="shape", fix=fix)
    _check_names(claimed, program, statements, claim)
    got = normalize(tuple(claimed.shape(claimed.expr)))
    if got != want and not isinstance(claimed.expr, Number):
        fix = _shape_fix(decls, statements, claim, want)
        message = f"your answer is {shape_words(got, article=True)}, {label} must be {shape_words(want, article=True)}{_like(d)}"
        if fix:
            message += f"; {fix} has that shape" + _and_right(program, wrt, claim, statements, fix, layout)
        return verdict(ok=False, message=message, reason="shape", fix=fix)

    shapes = {**d.shapes, **claimed.shapes}
    simp = Simplifier(lambda e: shape_of(e, shapes))
    claim_expr = substitute(claimed.inline(), program.inlined_definitions())
    if simp(claim_expr) == simp(d.inlined()):
        return verdict(ok=True, message=f"right: your answer is {label} = {expected}", reason="symbolic")

    definitions = {n: v for n, v in program.definitions.items() if n not in claimed.definitions}
    definitions.update(claimed.definitions)
    trials = _trials(program, d, claimed.expr, shapes, definitions, domain, points, seed)
    if not all(np.all(np.isfinite(t.true)) for t in trials):  # inf and nan agree with anything
        raise EvaluationError(f"{label} = {expected} is not finite at the random points matcalc tries "
                              f"(in every domain), so your answer cannot be checked numerically; it is not "
                              f"the same expression after simplification",
                              hint="check a smaller case, where the values stay within float64")
    noun = {"gradient": "gradient", "jacobian": "Jacobian", "hessian": "Hessian"}.get(d.kind, "derivative")
    return _diagnose(trials, label, expected, noun, verdict)


def _claims_a_hessian(claim) -> bool:
    """Is the claim (as read) second derivatives in index notation, ∂²s/∂X_ij ∂X_kl = …?"""
    return isinstance(claim, str) and re.search(r"(?:^|\n)[^\S\n]*∂²", claim) is not None


def _verify_tensor(program: Program, d: Result, claim: str, domain, points: int, seed: int) -> Verdict:
    """A generalized Jacobian claimed in index notation (∂F_ij/∂x_k = …), compared entry by entry."""
    from ..language.printing import TextPrinter
    from .indices import Unsupported, index_form, index_text
    label, expected = f"∂{d.function_name}/∂{d.wrt}", index_text(d)
    try:
        form = index_form(d)
        where = "; ".join(f"{n} = {text(v)}" for n, v in form.needed_definitions().items())
        label = TextPrinter().tensor_lhs(form.node)
        expected = text(form.node.arg) + (f" (where {where})" if where else "")
    except Unsupported:
        pass
    verdict = partial(Verdict, claim=claim, expected=expected, derivative=d)
    claim = _as_read(claim)
    statements = parse_statements(claim, rewrite=False)
    try:
        claimed = typecheck(_declarations(program, statements) + statements, claim)
    except ShapeError as error:
        return verdict(ok=False, reason="shape", message=f"your answer has no shape: {error.bare_message}; "
                       f"{label} = {expected}")
    _check_names(claimed, program, statements, claim)
    tensor = claimed.expr
    if not isinstance(tensor, Tensor):
        return verdict(ok=False, reason="shape", message=f"∂{d.function_name}/∂{d.wrt} is a generalized Jacobian "
                       f"(shape {' x '.join(map(str, d.shape))}): write it in index notation, as {label} = {expected}")
    if tensor.wrt != d.wrt:
        raise DerivativeError(f"your answer is a derivative by {tensor.wrt}, not by {d.wrt}", claim,
                              getattr(tensor, "span", None), f"write ∂{d.function_name}…/∂{d.wrt}… = …")
    got = [x for x in tensor.dims if x != 1]
    want = [x for x in d.target_shape if x != 1]
    if got != want:
        return verdict(ok=False, reason="shape", message=f"your answer is {' x '.join(map(str, tensor.dims))}, "
                       f"{label} is {' x '.join(map(str, d.target_shape))}: {label} = {expected}")
    definitions = {n: v for n, v in program.definitions.items() if n not in claimed.definitions}
    definitions.update(claimed.definitions)
    trials = _trials(program, d, tensor, {**d.shapes, **claimed.shapes}, definitions, domain, points, seed)
    return _diagnose(trials, label, expected, "derivative", verdict)


def _typed_as(decls, statements, claim: str, want: tuple) -> Program | None:
    """The claim typed as having the derivative's shape, so that dims it leaves open (the size
    of a bare I) take the derivative's; None if it cannot have that shape."""
    exprs = [st for st in statements if isinstance(st, ExprStatement)]
    if len(exprs) != 1:
        return None
    taken = {st.name for st in [*decls, *statements] if isinstance(st, (Declaration, Definition))}
    name = next(f"claim_{i}" for i in itertools.count() if f"claim_{i}" not in taken)
    dims = tuple(want)
    rest = [st for st in statements if st is not exprs[0]]
    try:
        typed = typecheck([*decls, *rest, Declaration(name=name, dims=dims),
                           Definition(name=name, value=exprs[0].value)], claim)
    except MatcalcError:
        return None
    definitions = {n: v for n, v in typed.definitions.items() if n != name}
    shapes = {n: s for n, s in typed.shapes.items() if n != name}
    return Program(source=claim, expr=typed.definitions[name], definitions=definitions, shapes=shapes,
                   functions=typed.functions, declared=typed.declared, properties=typed.properties)


def _and_right(program, wrt, claim: str, statements, fix: str, layout: str) -> str:
    """" and is right" when the reshaped claim (after the claim's own definitions) is the derivative."""
    span = getattr(statements[-1], "span", None)
    prefix = claim[:span.start] if span is not None else ""
    try:
        again = verify(program, wrt, prefix + fix, layout)
    except MatcalcError:
        return ""
    return " and is right" if again.ok else ""


def _expected_text(d: Result) -> str:
    """∂s/∂W's value, its placeholders after it: (u ⊙ f'(z)) x^T (where z = W x + b)."""
    body = text(d.expr)
    if d.definitions:
        body += " (where " + "; ".join(f"{n} = {text(v)}" for n, v in d.definitions.items()) + ")"
    return body


def _declarations(program: Program, statements) -> list[Declaration]:
    """The program's symbols and placeholders, declared with their shapes (unless the claim defines them)."""
    defined = {st.name for st in statements if isinstance(st, Definition)}
    out = []
    for name, shape in program.shapes.items():
        if name in defined:
            continue
        dims = tuple(shape)
        out.append(Declaration(name=name, dims=dims, properties=tuple(program.properties.get(name, ()))))
    return out


def _check_names(claimed: Program, program: Program, statements, source: str) -> None:
    """Every name in the claim is the program's or defined by the claim."""
    for name in claimed.shapes:
        if name not in program.shapes and name not in claimed.definitions:
            span = next((s.span for st in statements for s in walk(_value(st))
                         if isinstance(s, Symbol) and s.name == name), None)
            known = ", ".join(program.shapes)
            raise SymbolError(f'your answer uses "{name}", which the program does not have', source, span,
                              f"use the program's names ({known}) or define {name} first ({name} = …; …)")
    extra = sorted(set(claimed.functions) - set(program.functions))
    if extra:
        raise SymbolError(f'your answer uses the function "{extra[0]}", which the program does not have',
                          source, None, "the program's generic functions are: "
                          + (", ".join(sorted(program.functions)) or "none"))


def _value(st):
    return getattr(st, "value", None) or Number(Fraction(0))


def _like(d: Result) -> str:
    if d.kind == "gradient" and d.layout == "shape":
        return f" like {d.wrt}"
    return f" (the {d.kind}, {d.layout} layout)" if d.layout != "shape" else f" (the {d.kind})"


def _shape_fix(decls, statements, source: str, want: tuple) -> str | None:
    """A form of the claim with the wanted shape: its transpose, or some factors transposed."""
    last = statements[-1] if statements else None
    if not isinstance(last, ExprStatement):
        return None
    value = last.value
    variants: list[Expr] = []
    if isinstance(value, MatMul) and len(value.terms) <= 5:
        terms = value.terms
        n = len(terms)
        variants.append(MatMul(tuple(_untranspose(t) for t in reversed(terms))))  # (A B)^T = B^T A^T
        for count in range(1, n + 1):
            for chosen in itertools.combinations(range(n), count):
                new = tuple(_untranspose(t) if i in chosen else t for i, t in enumerate(terms))
                variants.append(MatMul(new))
    variants.append(_untranspose(value))
    for variant in variants:
        try:
            typed = typecheck(decls + list(statements[:-1]) + [ExprStatement(value=variant)], source)
        except MatcalcError:
            continue
        if normalize(tuple(typed.shape(typed.expr))) == want:
            return text(typed.expr)
    return None


def _untranspose(t: Expr) -> Expr:
    """t^T, with (a^T)^T written a (on untyped trees)."""
    return t.arg if isinstance(t, Transpose) else Transpose(t)


@dataclass
class _Trial:
    env: dict
    dims: dict
    true: np.ndarray
    claim: np.ndarray | None
    error: str | None = None


def _trials(program, d, claim_expr, shapes, definitions, domain, points, seed) -> list[_Trial]:
    """The true derivative and the claim at random points, in the first domain where both are finite."""
    domains = ("any", "positive", "spd") if domain == "auto" else (domain,)
    trials: list[_Trial] = []
    for dom in domains:
        trials = []
        finite = True
        for i in range(points):
            limits.check_time()
            rng = np.random.default_rng(seed + 7919 * i)
            dims = choose_dims(program, rng)
            env = random_env(program, seed + 7919 * i, dom, dims=dims)
            true = np.asarray(d.evaluate(env), dtype=float)
            finite = finite and bool(np.all(np.isfinite(true)))
            try:
                value = np.asarray(evaluate_expr(claim_expr, shapes, env, definitions=definitions), dtype=float)
                value = np.broadcast_to(value, true.shape) if value.ndim == 0 else value
                if value.shape != true.shape and value.size == true.size and value.ndim > 2:
                    value = value.reshape(true.shape)  # a tensor written without a row's axis of size 1
                trials.append(_Trial(env, dims, true, value))
            except EvaluationError as error:
                trials.append(_Trial(env, dims, true, None, error.bare_message))
        if finite:
            return trials
    return trials


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=1e-8 * scale))


def _ratio(claim: np.ndarray, true: np.ndarray) -> float | None:
    """c with claim = c × true at this point, if there is one."""
    tt = float(np.sum(true * true))
    if claim.shape != true.shape or tt < 1e-12 or not np.all(np.isfinite(claim)):
        return None
    c = float(np.sum(claim * true)) / tt
    return c if _close(claim, c * true) else None


def _factor_words(c: float, noun: str) -> str:
    f = Fraction(c).limit_denominator(24)
    if abs(float(f) - c) > 1e-6 * max(1.0, abs(c)):
        return f"your answer is {c:.6g} times the true {noun}"
    if f == Fraction(1, 2):
        return f"your answer is half the true {noun}"
    if f == 0:
        return f"your answer is 0 but the true {noun} is not"
    return f"your answer is {f} times the true {noun}"


def _diagnose(trials: list[_Trial], label: str, expected: str, noun: str, verdict) -> Verdict:
    dims_seen = ", ".join(sorted({" ".join(f"{k}={v}" for k, v in sorted(t.dims.items())) or "scalars"
                                  for t in trials}))
    if all(t.claim is not None and _close(t.claim, t.true) for t in trials):
        return verdict(ok=True, reason="numeric",
                       message=f"right: your answer agrees with {label} = {expected} at {len(trials)} random "
                               f"points ({dims_seen})")
    usable = [t for t in trials if t.claim is not None]
    if len(usable) == len(trials):
        ratios = [_ratio(t.claim, t.true) for t in usable]
        if all(r is not None for r in ratios) and max(ratios) - min(ratios) <= 1e-6 * max(1.0, abs(ratios[0])):
            c = ratios[0]
            if abs(c + 1) < 1e-6:
                return verdict(ok=False, reason="sign", factor=-1.0,
                               message=f"your answer has the wrong sign: {label} = {expected}")
            return verdict(ok=False, reason="factor", factor=c,
                           message=f"{_factor_words(c, noun)}: {label} = {expected}")
        if all(t.claim.ndim == 2 and t.claim.shape == t.true.shape[::-1] for t in usable):
            transposed = [_ratio(t.claim.T, t.true) for t in usable]
            if all(r is not None and abs(r - 1) < 1e-6 for r in transposed):
                return verdict(ok=False, reason="transpose",
                               message=f"your answer is missing a transpose: its transpose is {label} = {expected}")
            if all(r is not None and abs(r + 1) < 1e-6 for r in transposed):
                return verdict(ok=False, reason="transpose", factor=-1.0,
                               message=f"your answer is missing a transpose and has the wrong sign: "
                                       f"{label} = {expected}")
    failing = [t for t in trials if t.claim is None or not _close(t.claim, t.true)]
    bad = min(failing, key=lambda t: sum(t.dims.values()))    # the smallest arrays read best
    point = _describe_point(bad.env, bad.dims)
    if bad.claim is None:
        message = f"your answer cannot be evaluated at {point}: {bad.error}"
    else:
        message = (f"your answer differs from {label} = {expected}\n  at {point}\n"
                   f"  {label} = {_show(bad.true)}\n  your answer = {_show(bad.claim)}")
    return verdict(ok=False, reason="value", message=message, point=bad.env)


def _show(value) -> str:
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return f"{float(value):.4g}"
    return np.array2string(value, precision=4, suppress_small=True, max_line_width=100).replace("\n", "")


def _describe_point(env: dict, dims: dict) -> str:
    parts = [f"{k} = {v}" for k, v in sorted(dims.items())]
    for name, value in env.items():
        if name in dims and value is dims[name]:
            continue
        if callable(value):
            if "'" in name:
                continue
            stand_in = getattr(value, "__self__", None)
            if isinstance(stand_in, GenericFunction):
                parts.append(f"{name}(t) = sin({stand_in.a:.3g} t) + {stand_in.b:.3g} t^2")
            continue
        parts.append(f"{name} = {_show(value)}")
    return ", ".join(parts)
