"""The command line: the only code that prints or exits.

Exit status: 0 done, 1 a claim that ``verify`` refuted, 2 bad input (the message on
standard error, never a traceback). Anything else that goes wrong (a bug in matcalc) is reported
in one line, and exits 2 too: 1 always means "refuted". A program read from a file or standard
input is read up to matcalc's input size limit and no further.
"""
from __future__ import annotations

import argparse
import sys

from .core import limits
from .core.errors import LimitError, MatcalcError
from .language.readings import explain

# what only some commands need is imported when they run (start-up: issue 14): code generation,
# graphs, the gallery, verify and json are not needed for `matcalc grad "…" --wrt W`

EXIT_OK, EXIT_REFUTED, EXIT_BAD_INPUT = 0, 1, 2
FORMATS = ("text", "latex", "json", "numpy", "torch", "jax")


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns without importing shutil (and bz2, lzma) at start-up."""
    import os
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, its width found as argparse finds it (argparse makes one per argument)."""

    def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as bad input (exit 2) in our own words."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _read_program(args) -> str:
    if args.file:
        if args.file == "-":
            return _bounded(sys.stdin, "standard input")
        try:
            with open(args.file, encoding="utf-8") as handle:
                return _bounded(handle, args.file)
        except OSError as error:
            raise MatcalcError(f"cannot read {args.file}: {error.strerror}") from None
    if args.program is None or args.program == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise MatcalcError("no program given", hint='write one, e.g. matcalc grad "u^T f(W x + b)" --wrt W')
        return _bounded(sys.stdin, "standard input")
    return args.program


def _bounded(stream, name: str) -> str:
    """At most MAX_INPUT characters of a text stream (one more would be refused anyway)."""
    try:
        text = stream.read(limits.MAX_INPUT + 1)
    except UnicodeDecodeError:
        raise MatcalcError(f"{name} is not UTF-8 text") from None
    if len(text) > limits.MAX_INPUT:
        raise LimitError(f"{name} holds more than {limits.MAX_INPUT:,} characters; matcalc reads at most "
                         f"{limits.MAX_INPUT:,}", hint="split the program, or raise matcalc.limits.MAX_INPUT")
    return text


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
        import json
        return json.dumps([_json_of(d) for d in results.values()], ensure_ascii=False, indent=2)
    if fmt in FORMATS[3:]:  # numpy, torch, jax (codegen.TARGETS): one function returning the value and every derivative
        from .views import codegen
        first = next(iter(results.values()))
        return codegen.generate(first.program, list(results.values()), target=fmt).source
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
    from .api import derive, grad, hessian, parse
    from .language.typecheck import read
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
        import json
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
        from .api import parse
        print("\n".join(explain(parse(text))), file=sys.stderr)


def _cmd_graph(args) -> int:
    text = _read_program(args)
    _explain(args, text)
    at = None
    if args.at:
        at = {}
        for spec in args.at:
            at.update(_parse_values(spec))
    from .views.graph import graph
    g = graph(text, at=at)
    if args.output:
        g.render(args.output)
    else:
        sys.stdout.write(g.source)
    return EXIT_OK


def _parse_values(spec: str) -> dict:
    """x=-2,y=5,W=[[1,2],[3,4]] -> {"x": -2.0, "y": 5.0, "W": [[1, 2], [3, 4]]}."""
    import json
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
    from .api import derive
    from .views import gallery as _gallery
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
    claims = p.add_mutually_exclusive_group(required=True)
    claims.add_argument("--claim",
                        help='the claimed derivative, e.g. "(u .* f\'(W x + b)) x^T" or "δ = u ⊙ f\'(z); δ x^T"')
    claims.add_argument("--claims", metavar="FILE",
                        help="many claims at once: a .csv with id and claim columns, or .jsonl with "
                             "{\"id\": …, \"claim\": …} a line; each verdict, then a summary")
    p.add_argument("--layout", choices=("shape", "numerator", "denominator"), default="shape",
                   help="the layout the claim is written in (default: the shape of the variable)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--explain-types", action="store_true",
                   help="show the kind and dims inferred for every symbol, and why (on standard error)")
    p.set_defaults(run=_cmd_verify)


def _cmd_verify(args) -> int:
    if args.claims:
        return _cmd_verify_claims(args)
    import json

    from .api import parse, verify
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


def _cmd_verify_claims(args) -> int:
    """Exit 0 when every claim is right, 1 when any is refuted or unreadable, 2 on a bad program or file."""
    import json

    from .views.claims import grade, read_claims
    grades = grade(_read_program(args), args.wrt, read_claims(args.claims), layout=args.layout)
    if args.format == "json":
        print(json.dumps(grades.as_json(), ensure_ascii=False, indent=2))
    else:
        print(grades.text())
    return EXIT_OK if all(r.ok for r in grades.rows) else EXIT_REFUTED


_EXTRA_COMMANDS.append(_add_verify_command)


# ---------------------------------------------------------------- serve

def _add_serve_command(sub) -> None:
    p = sub.add_parser("serve", help="a local web page: type a program, see the derivative, check your answer")
    p.add_argument("--port", type=int, default=8000, help="the port on 127.0.0.1 (default 8000; 0 picks a free one)")
    p.add_argument("--log", action="store_true", help="log each request on standard error")
    p.set_defaults(run=_cmd_serve)


def _cmd_serve(args) -> int:
    """Serve until interrupted; print the URL and open no browser."""
    from .views.web.server import make_server, url
    if not 0 <= args.port <= 65535:
        raise MatcalcError(f"{args.port} is not a port", hint="choose one from 1024 to 65535, or 0 for a free one")
    server = make_server(args.port, quiet=not args.log)
    print(f"matcalc is serving {url(server)}  (this computer only; Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return EXIT_OK


_EXTRA_COMMANDS.append(_add_serve_command)


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
    except MemoryError:
        print("error: matcalc ran out of memory on this input", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - a bug: one line, and never the exit status of "refuted"
        print(f"error: matcalc failed on this input ({type(error).__name__}: {error}); please report it",
              file=sys.stderr)
        return EXIT_BAD_INPUT
