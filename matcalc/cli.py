"""The command line: the only code that prints or exits.

Exit status: 0 done, 1 a claim that ``verify`` refuted, 2 bad input (the message on
standard error, never a traceback).
"""
from __future__ import annotations

import argparse
import json
import sys

from . import MatcalcError, derive, grad, hessian, parse, verify
from .language.readings import explain
from .language.typecheck import read
from .views import codegen
from .views.graph import graph as _graph
from .views import gallery as _gallery

EXIT_OK, EXIT_REFUTED, EXIT_BAD_INPUT = 0, 1, 2
FORMATS = ("text", "latex", "json", "numpy")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as bad input (exit 2) in our own words."""

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _read_program(args) -> str:
    if args.file:
        if args.file == "-":
            return sys.stdin.read()
        try:
            with open(args.file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as error:
            raise MatcalcError(f"cannot read {args.file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise MatcalcError(f"{args.file} is not UTF-8 text") from None
    if args.program is None or args.program == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise MatcalcError("no program given", hint='write one, e.g. matcalc grad "u^T f(W x + b)" --wrt W')
        return sys.stdin.read()
    return args.program


def _format(args) -> str:
    if getattr(args, "latex", False):
        return "latex"
    return args.format


def _json_of(d) -> dict:
    out = {"wrt": d.wrt, "kind": d.kind, "layout": d.layout, "result": str(d),
           "shape": [str(s) for s in d.shape], "latex": d.latex()}
    steps = getattr(d, "steps", None)
    if steps is not None:
        out["steps"] = [str(s) for s in steps] if not isinstance(steps, str) else steps
    return out


def _show(results: dict, fmt: str, steps: bool) -> str:
    """The derivatives in one format, one after another."""
    if fmt == "json":
        return json.dumps([_json_of(d) for d in results.values()], ensure_ascii=False, indent=2)
    if fmt == "numpy":
        first = next(iter(results.values()))
        return codegen.generate(first.program, list(results.values())).source
    blocks = []
    for name, d in results.items():
        lines = []
        if steps:
            lines.append(d.steps_latex() if fmt == "latex" else d.steps_text())
        lines.append(d.latex() if fmt == "latex" else _label(d, len(results) > 1) + str(d))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _label(d, several: bool) -> str:
    if not several:
        return ""
    f = d.function_name
    return f"∂{f}/∂{d.wrt} = " if "\n" not in str(d) else f"∂{f}/∂{d.wrt}:\n"


def _cmd_derive(args, kind: str) -> int:
    text = _read_program(args)
    # grad and hessian read names so that the function is a scalar (matcalc.language.readings)
    program = read(text, prefer_scalar=True) if kind in ("grad", "hessian") else parse(text)
    types = explain(program)
    fmt = _format(args)
    if args.explain_types and fmt != "json":
        print("\n".join(types), file=sys.stderr)  # before any error, so the reading is seen
    wrt = args.wrt or _default_wrt(program)
    if kind == "hessian":
        results = {w: hessian(program, w, layout=args.layout) for w in wrt}
    else:
        grads = (grad if kind == "grad" else derive)(program, list(wrt), layout=args.layout)
        results = dict(grads)
    shown = _show(results, fmt, args.steps)
    if fmt == "json":  # the inferred kinds and dims are always part of the answer
        shown = json.dumps([{**entry, "types": types} for entry in json.loads(shown)], ensure_ascii=False, indent=2)
    print(shown)
    return EXIT_OK



def _default_wrt(program) -> list[str]:
    if len(program.variables) == 1:
        return list(program.variables)
    raise MatcalcError("say which variable to differentiate with respect to",
                       hint="add --wrt NAME (variables: " + ", ".join(program.variables) + ")")


def _add_program_args(p: argparse.ArgumentParser):
    p.add_argument("program", nargs="?", help='the program, e.g. "u^T f(W x + b)" (or - for standard input)')
    p.add_argument("-f", "--file", help="read the program from a file (- for standard input)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="matcalc", description="Symbolic matrix calculus that prints what a textbook would.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in (("grad", "gradients of a scalar function, in the shape of each variable"),
                            ("jacobian", "Jacobians of a vector function"),
                            ("hessian", "second derivatives of a scalar function")):
        p = sub.add_parser(name, help=help_text)
        _add_program_args(p)
        p.add_argument("--wrt", action="append", help="a variable (repeat for several)")
        p.add_argument("--latex", action="store_true", help="the same as --format latex")
        p.add_argument("--format", choices=FORMATS, default="text")
        p.add_argument("--layout", choices=("shape", "numerator", "denominator"), default="shape",
                       help="shape: the shape of the variable (default); numerator or denominator layout")
        p.add_argument("--steps", action="store_true", help="show the chain rule step by step")
        p.add_argument("--explain-types", action="store_true",
                       help="show the kind and dims inferred for every symbol, and why (on standard error)")
        p.set_defaults(run=lambda a, k=name: _cmd_derive(a, {"grad": "grad", "hessian": "hessian"}.get(k, "derive")))
    _add_more_commands(sub)
    return parser


def _add_more_commands(sub) -> None:
    """verify, graph and examples (each in its own function below)."""
    for adder in _EXTRA_COMMANDS:
        adder(sub)


_EXTRA_COMMANDS: list = []


# ---------------------------------------------------------------- graph

def _add_graph_command(sub) -> None:
    p = sub.add_parser("graph", help="the computation graph, with values and gradients on its edges")
    _add_program_args(p)
    p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,…",
                   help="values, e.g. x=-2,y=5,z=-4 or x=[1,2] (repeatable); adds the forward value "
                        "and backward gradient to every edge")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write FILE.svg, .png, .pdf or .dot (default: DOT on standard output)")
    p.add_argument("--explain-types", action="store_true",
                   help="show the kind and dims inferred for every symbol, and why (on standard error)")
    p.set_defaults(run=_cmd_graph)


def _explain(args, text: str) -> None:
    """--explain-types: the inferred kinds and dims, on standard error, before anything can fail."""
    if getattr(args, "explain_types", False):
        print("\n".join(explain(parse(text))), file=sys.stderr)


def _cmd_graph(args) -> int:
    text = _read_program(args)
    _explain(args, text)
    at = None
    if args.at:
        at = {}
        for spec in args.at:
            at.update(_parse_values(spec))
    g = _graph(text, at=at)
    if args.output:
        g.render(args.output)
    else:
        sys.stdout.write(g.source)
    return EXIT_OK


def _parse_values(spec: str) -> dict:
    """x=-2,y=5,W=[[1,2],[3,4]] -> {"x": -2.0, "y": 5.0, "W": [[1, 2], [3, 4]]}."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(spec):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(spec[start:i])
            start = i + 1
    parts.append(spec[start:])
    values = {}
    for part in parts:
        if not part.strip():
            continue
        name, eq, value = part.partition("=")
        if not eq or not name.strip():
            raise MatcalcError(f'cannot read the value "{part.strip()}"', hint="write NAME=VALUE, e.g. --at x=-2,y=5")
        try:
            values[name.strip()] = json.loads(value.strip())
        except ValueError:
            raise MatcalcError(f'cannot read the value of {name.strip()}: "{value.strip()}"',
                               hint="a number like -2.5, or an array like [1,2] or [[1,2],[3,4]]") from None
        if not _numeric(values[name.strip()]):
            raise MatcalcError(f'the value of {name.strip()} is not a number or an array of numbers',
                               hint="e.g. x=-2.5 or x=[1,2]")
    return values


def _numeric(v) -> bool:
    if isinstance(v, list):
        return bool(v) and all(_numeric(x) for x in v)
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_EXTRA_COMMANDS.append(_add_graph_command)


# ---------------------------------------------------------------- examples

def _add_examples_command(sub) -> None:
    p = sub.add_parser("examples", help="the gallery of classic gradients (CS229, CS224N, CS231n, CS221)")
    p.add_argument("name", nargs="?", help="show one example with its derivation (no name: list them)")
    p.set_defaults(run=_cmd_examples)


def _cmd_examples(args) -> int:
    if args.name is None:
        width = max(len(e.name) for e in _gallery.EXAMPLES)
        for e in _gallery.EXAMPLES:
            print(f"{e.name:<{width}}  {e.course:<7} {e.title}  (∂/∂{', ∂/∂'.join(e.wrt)})")
        return EXIT_OK
    e = _gallery.example(args.name)
    program = e.program()
    print(f"{e.title} ({e.course}): {e.description}")
    print(f"reference: {e.reference}")
    print("\n" + e.source)
    grads = derive(program, e.wrt)
    for wrt, d in grads.items():
        print(f"\n∂{d.function_name}/∂{wrt}")
        print(d.steps_text())
        print("result:   " + str(d).replace("\n", "\n          "))
        print("textbook: " + e.answers[wrt])
        print("LaTeX:    " + d.latex())
    if e.onehot:
        print(f"\n(the textbook forms take {', '.join(e.onehot)} one-hot, so sum = 1)")
    return EXIT_OK


_EXTRA_COMMANDS.append(_add_examples_command)


# ---------------------------------------------------------------- verify

def _add_verify_command(sub) -> None:
    p = sub.add_parser("verify", help="check a hand derivation: exit 0 if right, 1 if refuted, 2 if bad input")
    _add_program_args(p)
    p.add_argument("--wrt", required=True, help="the variable the claim differentiates with respect to")
    p.add_argument("--claim", required=True,
                   help='the claimed derivative, e.g. "(u .* f\'(W x + b)) x^T" or "δ = u ⊙ f\'(z); δ x^T"')
    p.add_argument("--layout", choices=("shape", "numerator", "denominator"), default="shape",
                   help="the layout the claim is written in (default: the shape of the variable)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--explain-types", action="store_true",
                   help="show the kind and dims inferred for every symbol, and why (on standard error)")
    p.set_defaults(run=_cmd_verify)


def _cmd_verify(args) -> int:
    text = _read_program(args)
    _explain(args, text)
    v = verify(text, args.wrt, args.claim, layout=args.layout)
    if args.format == "json":
        print(json.dumps({"ok": v.ok, "reason": v.reason, "message": v.message, "claim": v.claim,
                          "expected": v.expected, "fix": v.fix, "factor": v.factor,
                          "types": explain(parse(text))},
                         ensure_ascii=False, indent=2))
    else:
        print(v.message)
    return EXIT_OK if v.ok else EXIT_REFUTED


_EXTRA_COMMANDS.append(_add_verify_command)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except MatcalcError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:
        print("error: the input is nested too deeply for matcalc", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
