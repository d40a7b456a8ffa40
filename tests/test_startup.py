"""Start-up: the analysed grammar is cached on disk and reloaded from there."""
import os

import matcalc
from matcalc.language import parse


def test_the_grammar_is_cached_and_reloaded(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCALC_CACHE", str(tmp_path))
    monkeypatch.setattr(parse, "_PARSER", None)
    first = matcalc.parse("u^T f(W x + b)")
    (cached,) = os.listdir(tmp_path)
    assert cached.startswith("grammar-") and os.path.getsize(tmp_path / cached) > 0
    monkeypatch.setattr(parse, "_PARSER", None)  # a new process, as far as the parser knows
    assert matcalc.parse("u^T f(W x + b)").expr == first.expr
    assert os.listdir(tmp_path) == [cached]


def test_an_unwritable_cache_folder_means_no_cache(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("MATCALC_CACHE", str(blocked / "sub"))  # a folder under a file: cannot exist
    monkeypatch.setattr(parse, "_PARSER", None)
    assert parse._cache_file("grammar") is False
    assert matcalc.parse("x^T x").expr == matcalc.parse("x^\\top x").expr


def test_import_and_the_headline_derivation_load_neither_numpy_nor_sympy():
    # in a fresh interpreter: what the CLI's headline call pays for
    import subprocess
    import sys
    code = ("import sys, matcalc; d = matcalc.derive('u^T f(W x + b)', 'W'); str(d); "
            "print('numpy' in sys.modules, 'sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def _without_lark(then: str):
    import subprocess
    import sys
    code = "import sys; sys.modules['lark'] = None; " + then  # as if this Python had no lark
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_a_missing_dependency_on_the_command_line_is_one_error_and_exit_2():
    out = _without_lark("sys.argv = ['-m', 'grad', 'x^T x', '--wrt', 'x']; import matcalc")
    assert out.returncode == 2
    assert out.stderr.splitlines()[0].startswith("error: matcalc needs lark>=1.1.9")
    assert "Traceback" not in out.stderr and "pip install 'lark>=1.1.9'" in out.stderr


def test_a_missing_dependency_in_a_library_import_is_an_import_error_saying_what_to_install():
    out = _without_lark("import matcalc")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1].startswith("ImportError: matcalc needs lark>=1.1.9")


def test_the_headline_command_imports_neither_verify_nor_code_generation_nor_steps():
    # the command line imports what a command needs when it runs (issue 14)
    import subprocess
    import sys
    code = ("import sys; from matcalc.cli import main; main(['grad', 'u^T f(W x + b)', '--wrt', 'W']); "
            "print(*[m in sys.modules for m in ('matcalc.calculus.verify', 'matcalc.views.codegen', "
            "'matcalc.views.steps', 'matcalc.views.graph', 'matcalc.views.gallery', 'json')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["(u ⊙ f'(W x + b)) x^T", "False False False False False False"]


def test_the_lazy_public_names_are_the_real_ones():
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
    try:
        matcalc.no_such_name
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("matcalc.no_such_name did not raise")
