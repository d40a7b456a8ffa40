"""Start-up: what the headline call imports, and the generated parser (issue 14)."""

import pytest


def test_the_generated_parser_is_in_sync_with_the_grammar():
    # matcalc/language/_lalr.py records the SHA-256 of the grammar it was made from; after an edit
    # of grammar/matcalc.lark, run scripts/build_parser.py
    import hashlib
    from pathlib import Path

    from matcalc.language import _lalr
    grammar = Path(__file__).resolve().parents[1] / "grammar" / "matcalc.lark"
    digest = hashlib.sha256(grammar.read_text("utf-8").encode("utf-8")).hexdigest()
    assert _lalr.GRAMMAR_SHA256 == digest, "grammar/matcalc.lark changed: run python scripts/build_parser.py"


def test_the_generated_parser_is_the_one_lark_builds_from_the_grammar():
    # the same options as scripts/build_parser.py: the same terminals and parse tables
    from pathlib import Path

    lark = __import__("pytest").importorskip("lark")
    from matcalc.language import _lalr
    grammar = (Path(__file__).resolve().parents[1] / "grammar" / "matcalc.lark").read_text("utf-8")
    built = lark.Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=True)
    ours = _lalr.Lark_StandAlone()
    assert [(t.name, t.pattern.value) for t in built.terminals] == [(t.name, t.pattern.value) for t in ours.terminals]
    for text in ["u^T f(W x + b)", "x: n\nA: n x n symmetric\nx^T A x", "‖W‖_F^2 + tr(A^{-1})"]:
        assert built.parse(text).pretty() == ours.parse(text).pretty()


def test_the_generated_parsers_precomputed_matches_are_what_re_says():
    # scripts/build_parser.py answers Lark's "does this terminal's regexp match that string?" ahead
    import re

    from matcalc.language import _lalr
    regexps = {t.pattern.to_regexp() for t in _lalr.Lark_StandAlone().terminals if t.pattern.type == "re"}
    assert len(_lalr._MATCHES) > 100 and {regexp for regexp, _, _ in _lalr._MATCHES} == regexps
    for (regexp, text, flags), answer in _lalr._MATCHES.items():
        m = re.match(regexp, text, flags)
        assert answer == (m.group(0) if m else None), (regexp, text)
    assert any(answer is not None for answer in _lalr._MATCHES.values())  # e.g. NAME matches "symmetric"


def test_start_up_imports_no_lark():
    import subprocess
    import sys
    code = ("import sys, matcalc; matcalc.derive('u^T f(W x + b)', 'W'); "
            "print(sorted(m for m in sys.modules if m == 'lark' or m.startswith('lark.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_and_the_headline_derivation_load_neither_numpy_nor_sympy():
    # in a fresh interpreter: what the CLI's headline call pays for
    import subprocess
    import sys
    code = ("import sys, matcalc; d = matcalc.derive('u^T f(W x + b)', 'W'); str(d); "
            "print('numpy' in sys.modules, 'sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_parser_imports_no_logging():
    # Lark's logger is silent at level CRITICAL; importing logging for it cost 3 ms of the CLI's start-up
    import subprocess
    import sys
    code = ("import sys; before = 'logging' in sys.modules; import matcalc.language._lalr as p; "
            "p.logger.warning('dropped %s', 1); print(before or 'logging' not in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True" and out.stderr == ""


def _without(module: str, then: str):
    import subprocess
    import sys
    code = f"import sys; sys.modules[{module!r}] = None; " + then  # as if this Python had no such module
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_the_command_line_runs_without_lark():
    # the parser is generated stand-alone code: a Python without Lark derives (it used to refuse to start)
    out = _without("lark", "sys.argv = ['matcalc', 'grad', 'u^T f(W x + b)', '--wrt', 'W']; "
                           "import runpy; runpy.run_module('matcalc', run_name='__main__')")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(u ⊙ f'(W x + b)) x^T"


def test_a_missing_dependency_on_the_command_line_is_one_error_and_exit_2():
    out = _without("numpy", "sys.argv = ['-m', 'grad', 'x^T x', '--wrt', 'x']; import matcalc")
    assert out.returncode == 2
    assert out.stderr.splitlines()[0].startswith("error: matcalc needs numpy>=1.24")
    assert "Traceback" not in out.stderr and "pip install 'numpy>=1.24'" in out.stderr


def test_a_missing_dependency_in_a_library_import_is_an_import_error_saying_what_to_install():
    out = _without("numpy", "import matcalc")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1].startswith("ImportError: matcalc needs numpy>=1.24")


def test_the_headline_command_imports_neither_verify_nor_code_generation_nor_steps():
    # the command line imports what a command needs when it runs (issue 14)
    import subprocess
    import sys
    code = ("import sys; from matcalc.cli import main; main(['grad', 'u^T f(W x + b)', '--wrt', 'W']); "
            "print(*[m in sys.modules for m in ('matcalc.calculus.verify', 'matcalc.views.codegen', "
            "'matcalc.views.steps', 'matcalc.views.graph', 'matcalc.views.gallery', 'json', "
            "'matcalc.calculus.indices', 'shutil')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["(u ⊙ f'(W x + b)) x^T", "False False False False False False False False"]


def test_the_lazy_public_names_are_the_real_ones():
    import matcalc
    import matcalc.api
    import matcalc.results
    from matcalc.calculus.verify import Verdict
    from matcalc.views import codegen
    from matcalc.views.graph import Graph
    assert matcalc.derive is matcalc.api.derive and matcalc.verify is matcalc.api.verify
    assert matcalc.Verdict is Verdict and matcalc.Graph is Graph
    assert set(matcalc.__all__) <= set(dir(matcalc))
    assert all(getattr(matcalc, name) is not None for name in matcalc.__all__)
    assert matcalc.results.FUNCTION_NAME == codegen.FUNCTION_NAME
    import pytest
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = matcalc.no_such_name


def test_nodes_print_as_dataclasses_do_without_their_spans():
    # nodes share one __repr__ (Expr's) instead of a generated one each: the same text
    from fractions import Fraction

    from matcalc.core.errors import Span
    from matcalc.core.nodes import Add, Func, Number, Symbol, Transpose
    e = Add((Symbol("x", Span(0, 1, 1, 1)), Func("f", Transpose(Number(Fraction(1, 2))), 1)))
    assert repr(e) == ("Add(terms=(Symbol(name='x'), "
                       "Func(name='f', arg=Transpose(arg=Number(value=Fraction(1, 2))), order=1)))")


def test_the_help_is_as_wide_as_argparse_would_make_it(monkeypatch):
    # the CLI finds the terminal's width as shutil does, without importing it at start-up
    import shutil

    from matcalc import cli
    for columns in ("55", "0", "wide", None):
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        assert cli._terminal_columns() == shutil.get_terminal_size().columns
    import argparse
    monkeypatch.setenv("COLUMNS", "61")
    parser = cli.build_parser()
    ours = parser.format_help()
    parser.formatter_class = argparse.HelpFormatter  # argparse's own, which asks shutil
    assert ours == parser.format_help()


def test_nodes_are_frozen_dataclasses_with_shared_inits():
    # nodes are frozen by Expr and share one __init__ per list of fields (start-up): the same to a caller
    import dataclasses
    import inspect

    import pytest

    from matcalc.core.nodes import Binary, Func, Neg, Number, Symbol, Transpose, Unary
    x = Symbol("x")
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'name'"):
        x.name = "y"
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'name'"):
        del x.name
    assert dataclasses.replace(x, name="y") == Symbol("y") and x == Symbol("x")
    assert str(inspect.signature(Func)) == "(name: 'str', arg: 'Expr', order: 'int' = 0, span: 'Span | None' = None) -> None"
    assert Func("f", x).order == 0 and Func("f", x, 2).order == 2 and Func(name="f", arg=x) == Func("f", x)
    assert Unary.__doc__ == "Unary(arg: 'Expr')" and Binary.__doc__ == "Binary(left: 'Expr', right: 'Expr')"
    assert Neg.__init__ is Transpose.__init__ and Symbol.__init__ is not Number.__init__
    assert [f.name for f in dataclasses.fields(Neg)] == ["arg", "span"] and Neg.__match_args__ == ("arg", "span")
    assert hash(Neg(x)) != hash(Transpose(x)) and Neg(x) != Transpose(x)


def test_a_node_class_with_its_own_post_init_is_refused():
    """The shared __init__ calls Expr.__post_init__ only, so another one would be skipped in silence."""
    from matcalc.core.nodes import Expr, node
    with pytest.raises(TypeError, match="may not define __post_init__"):
        @node
        class Bad(Expr):
            a: int = 0

            def __post_init__(self):
                pass


def _command(then: str, *argv: str):
    # the matcalc command as a process of its own, after `then` (what some earlier code might have done)
    import subprocess
    import sys
    code = f"import sys; sys.argv = ['matcalc', *{list(argv)!r}]; {then}; from matcalc.__main__ import run; run()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_the_command_ends_with_mains_exit_status_and_all_of_its_output():
    # the process skips the interpreter's teardown when nothing is left to run at exit (issue 14)
    done = _command("pass", "grad", "u^T f(W x + b)", "--wrt", "W")
    assert (done.returncode, done.stdout, done.stderr) == (0, "(u ⊙ f'(W x + b)) x^T\n", "")
    bad = _command("pass", "grad", "u^T f(W x", "--wrt", "W")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.startswith("error: unexpected end of input")
    long = _command("pass", "examples")  # much more than one line: buffered, and all of it written
    assert long.returncode == 0 and len(long.stdout.splitlines()) > 20 and long.stdout.endswith("\n")


def test_the_command_still_runs_what_was_registered_to_run_at_exit():
    # a callback at exit (tempfile's and logging's clean-up register one) is not skipped by the quick exit
    done = _command("import atexit; atexit.register(print, 'at exit')", "grad", "x^T x", "--wrt", "x")
    assert (done.returncode, done.stdout) == (0, "2 x\nat exit\n")


def test_the_command_waits_for_a_thread_it_started():
    started = ("import threading, time; threading.Thread(target=lambda: (time.sleep(0.2), print('thread done')))"
               ".start()")
    done = _command(started, "grad", "x^T x", "--wrt", "x")
    assert done.returncode == 0 and sorted(done.stdout.splitlines()) == ["2 x", "thread done"]


@pytest.mark.parametrize("then", ["pass", "import atexit; atexit.register(int)"])  # the quick exit and the usual
def test_the_command_into_a_closed_pipe_says_nothing_more(then):
    import subprocess
    import sys
    code = f"import sys; sys.argv = ['matcalc', 'examples']; {then}; from matcalc.__main__ import run; run()"
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        p.stdout.close()  # as `matcalc examples | head -0` does
        err = p.stderr.read().decode()
    assert p.returncode == 0 and err == ""


def test_only_the_command_sets_the_collectors_thresholds():
    # a library user's process (or a test calling cli.main) keeps Python's garbage-collector settings
    import subprocess
    import sys
    code = ("import gc; before = gc.get_threshold(); import matcalc.__main__; from matcalc.cli import main; "
            "main(['grad', 'x^T x', '--wrt', 'x']); print(gc.get_threshold() == before)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["2 x", "True"]
    seen = _command("import gc, atexit; atexit.register(lambda: print(gc.get_threshold()))", "grad", "x^T x", "--wrt", "x")
    from matcalc.__main__ import GC_THRESHOLD
    assert seen.stdout.splitlines() == ["2 x", str(GC_THRESHOLD)]


def test_the_headline_command_leaves_nothing_to_run_at_exit():
    # so its process ends without the teardown (~13 ms); an import that registers a clean-up would undo it
    import subprocess
    import sys
    code = ("from matcalc.__main__ import _nothing_left_to_run_at_exit; from matcalc.cli import main; "
            "main(['grad', 'u^T f(W x + b)', '--wrt', 'W']); print(_nothing_left_to_run_at_exit())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["(u ⊙ f'(W x + b)) x^T", "True"]


def test_equal_trees_once_compared_share_a_representative():
    # so that a memo keyed by nodes does not walk an equal-but-distinct tree in full on every lookup
    # (the 64-layer chain was quadratic in its depth: bench/depth.py)
    from matcalc.core.nodes import Add, Neg, Symbol, Transpose, _representative

    def tree(names):
        e = Symbol(names[0])
        for k, n in enumerate(names[1:]):
            e = Add((Neg(e), Transpose(Symbol(n)))) if k % 2 else Add((e, Symbol(n)))
        return e
    a, b, c = tree("xyzw" * 50), tree("xyzw" * 50), tree("xyzw" * 50)
    assert a is not b and _representative(a) is a and _representative(b) is b  # none compared yet
    assert a == b and _representative(a) is _representative(b)
    assert b == c and c == a and len({id(_representative(t)) for t in (a, b, c)}) == 1
    assert _representative(a.terms[0]) is _representative(b.terms[0])  # their parts too
    assert Neg(a) == Neg(c) and Neg(a) != Neg(tree("xyzv" * 50)) and a != tree("xyzw" * 49)
    for t in (a, b, c):  # no cycle: every chain of representatives ends
        assert _representative(t) is _representative(_representative(t))
