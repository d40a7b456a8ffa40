"""What the page asks the server: plain functions from request fields to JSON-ready dicts.

``analyze`` reads a program and differentiates it by the chosen variables: the declarations
it was typed with (inferred or given), each derivative as text and LaTeX, the chain rule step
by step, the computation graph as SVG, code for each target. ``check`` gives the verdict on a
claimed derivative. Bad input never raises: it comes back as ``{"error": …}`` with the line,
column and caret, so the page can show it under the input.
"""
from __future__ import annotations

from ...calculus.engine import derive
from ...calculus.verify import verify
from ...core.errors import MatcalcError
from ...core.limits import MAX_INPUT
from ...core.program import Program
from ...core.shapes import dims_text
from ...language.latex import latex_name
from ...language.typecheck import read
from .. import codegen
from ..graph import graph
from ..steps import chain_rule, steps_latex, steps_text

EXAMPLE = "u^T f(W x + b)"
MAX_VARIABLES = 20
MAX_GRAPH_NODES = 300   # dot takes seconds beyond this, and nobody reads such a drawing on a page


def error_json(error: MatcalcError, field: str = "program") -> dict:
    """The error as the page shows it: the whole message (caret included) and where it points."""
    span = error.span
    return {"error": {"field": field, "text": str(error), "message": error.bare_message, "hint": error.hint,
                      "line": span.line if span else None, "column": span.column if span else None,
                      "start": span.start if span else None, "end": span.end if span else None}}


def _program(text: str) -> Program:
    if not isinstance(text, str) or not text.strip():
        raise MatcalcError("type a program", hint=f"e.g. {EXAMPLE}")
    if len(text) > MAX_INPUT:
        raise MatcalcError(f"the program is longer than {MAX_INPUT:,} characters")
    return read(text)


def _wrt_list(wrt, program: Program) -> list[str]:
    names = [wrt] if isinstance(wrt, str) else list(wrt or [])
    names = [n.strip() for part in names for n in str(part).split(",") if n.strip()]
    if not names and len(program.variables) == 1:
        names = list(program.variables)
    return list(dict.fromkeys(names))[:MAX_VARIABLES]


def declarations(program: Program) -> list[dict]:
    """Every input of the program with its shape, and whether the program declared it or it was inferred."""
    return [{"name": n, "shape": dims_text(program.shapes[n]), "declared": n in program.declared,
             "properties": sorted(program.properties.get(n, ()))}
            for n in program.variables]


def analyze(text: str, wrt=None, with_graph: bool = True) -> dict:
    """Everything the page shows for a program and the variables to differentiate by."""
    try:
        program = _program(text)
    except MatcalcError as error:
        return error_json(error)
    out: dict = {"program": program.source, "declarations": declarations(program),
                 "variables": list(program.variables), "function": None}
    names = _wrt_list(wrt, program)
    out["wrt"] = names
    out["results"] = []
    if with_graph:
        out["graph"] = _graph_svg(program)
    if not names:
        out["note"] = "choose the variables to differentiate by"
        return out
    try:
        found = derive(program, names)
    except MatcalcError as error:
        return {**out, **error_json(error, "wrt" if error.span is None else "program")}
    results = []
    for name, d in found.items():
        steps = chain_rule(d)
        results.append({"wrt": name, "kind": d.kind, "text": str(d), "latex": d.latex(),
                        "shape": dims_text(tuple(str(s) for s in d.shape)), "function": d.function_name,
                        "label": f"∂{d.function_name}/∂{name}",
                        "label_latex": rf"\frac{{\partial {latex_name(d.function_name)}}}{{\partial {latex_name(name)}}}",
                        "steps_latex": steps_latex(steps) if steps else None,
                        "steps_text": steps_text(steps) if steps else None})
        out["function"] = d.function_name
    out["results"] = results
    out["code"] = _code(program, found)
    return out


def _graph_svg(program: Program) -> dict:
    try:
        g = graph(program)
        if len(g.nodes) > MAX_GRAPH_NODES:
            return {"error": f"the graph has {len(g.nodes)} nodes, more than the page draws ({MAX_GRAPH_NODES}); "
                             "matcalc graph … -o graph.svg draws it"}
        return {"svg": g.pipe("svg").decode("utf-8")}
    except MatcalcError as error:  # no dot on this machine: say what to install
        return {"error": str(error)}
    except RecursionError:
        return {"error": "error: the program is nested too deeply to draw"}


def _code(program: Program, found: dict) -> dict:
    """Source for each code target, or why there is none (a tensor has no matrix code)."""
    targets = {}
    for target, make in _targets().items():
        try:
            targets[target] = {"source": make(program, list(found.values()))}
        except MatcalcError as error:
            targets[target] = {"error": str(error)}
    return targets


def _targets() -> dict:
    """name -> (program, results) -> source: the code targets the house has (NumPy); a new
    target is one more row here, and the page shows a tab for each."""
    return {"numpy": lambda p, rs: codegen.generate(p, rs).source}


def check(text: str, wrt: str, claim: str) -> dict:
    """The verdict on a claimed ∂F/∂wrt, or the error in the program or in the claim."""
    try:
        program = _program(text)
    except MatcalcError as error:
        return error_json(error)
    if not isinstance(claim, str) or not claim.strip():
        return error_json(MatcalcError("type your answer", hint="e.g. (u ⊙ f'(W x + b)) x^T"), "claim")
    if len(claim) > MAX_INPUT:
        return error_json(MatcalcError(f"the answer is longer than {MAX_INPUT:,} characters"), "claim")
    names = _wrt_list(wrt, program)
    if len(names) != 1:
        return error_json(MatcalcError("say which variable your answer differentiates by",
                                       hint="variables: " + ", ".join(program.variables)), "wrt")
    if names[0] not in program.shapes:
        return error_json(MatcalcError(f'"{names[0]}" is not a variable of the program',
                                       hint="variables: " + ", ".join(program.variables)), "wrt")
    try:
        v = verify(program, names[0], claim)
    except MatcalcError as error:  # the claim's own errors point into the claim; the rest are the program's
        return error_json(error, "claim" if error.source is not None and error.source == claim else "wrt")
    d = v.derivative
    return {"verdict": {"ok": v.ok, "reason": v.reason, "message": v.message, "claim": v.claim,
                        "expected": v.expected, "fix": v.fix, "factor": v.factor,
                        "label": f"∂{d.function_name}/∂{names[0]}"}}
