"""matcalc verify on the command line: exit 0 right, 1 refuted, 2 bad input; grad --steps."""
import json

from matcalc.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_right_claim_exits_0(capsys):
    code, out, err = run(capsys, "verify", "u^T f(W x + b)", "--wrt", "W", "--claim", "(u .* f'(W x + b)) x^T")
    assert code == 0 and out.startswith("right") and err == ""


def test_right_claim_in_another_form_exits_0(capsys):
    code, out, _ = run(capsys, "verify", "u^T f(W x + b)", "--wrt", "W", "--claim", "diag(f'(W x + b)) u x^T")
    assert code == 0 and out.startswith("right")


def test_refuted_claim_exits_1_with_the_reason(capsys):
    code, out, _ = run(capsys, "verify", "u^T f(W x + b)", "--wrt", "W", "--claim", "x (u .* f'(W x + b))^T")
    assert code == 1
    assert out.startswith("your answer is m x n, ∂s/∂W must be n x m like W")
    code, out, _ = run(capsys, "verify", "u^T f(W x + b)", "--wrt", "W", "--claim", "-(u .* f'(W x + b)) x^T")
    assert code == 1 and out.startswith("your answer has the wrong sign")


def test_bad_claim_exits_2_with_a_caret(capsys):
    code, out, err = run(capsys, "verify", "u^T f(W x + b)", "--wrt", "W", "--claim", "(u .* f'(W x + b) x^T")
    assert code == 2 and out == ""
    assert err.startswith("error: unexpected end of input")
    assert "(u .* f'(W x + b) x^T\n" in err and "^" in err


def test_missing_claim_is_bad_input(capsys):
    import pytest
    with pytest.raises(SystemExit) as info:
        main(["verify", "u^T f(W x + b)", "--wrt", "W"])
    assert info.value.code == 2 and "--claim" in capsys.readouterr().err


def test_json_verdict(capsys):
    code, out, _ = run(capsys, "verify", "norm(x)^2", "--wrt", "x", "--claim", "x", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["reason"] == "factor" and data["factor"] == 0.5


def test_program_from_stdin(capsys, monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("z = W x + b; h = f(z); s = u^T h"))
    code, out, _ = run(capsys, "verify", "-", "--wrt", "b", "--claim", "δ = u ⊙ f'(z); δ")
    assert code == 0


def test_grad_steps(capsys):
    code, out, _ = run(capsys, "grad", "z = W x + b; h = f(z); s = u^T h", "--wrt", "W", "--steps")
    assert code == 0
    assert "forward pass" in out and "δ = ∂s/∂z" in out and "∂s/∂W = δ^T x^T" in out
    code, out, _ = run(capsys, "grad", "z = W x + b; h = f(z); s = u^T h", "--wrt", "W", "--steps",
                       "--format", "latex")
    assert code == 0 and r"\delta" in out


def test_grad_json_has_steps(capsys):
    code, out, _ = run(capsys, "grad", "(x + y) * max(y, z)", "--wrt", "x", "--format", "json")
    (entry,) = json.loads(out)
    assert code == 0 and any("b = max(y, z)" in s for s in entry["steps"])
