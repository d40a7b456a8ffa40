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
