"""matcalc verify --claims: a class's answers (CSV or JSON Lines) graded against one derivation.

The expected verdicts are the math of s = u^T f(W x + b): ∂s/∂W = (u ⊙ f'(W x + b)) x^T
(the cheatsheet's one-layer network); a negated form has the wrong sign, twice it is a factor 2
off, x u^T is m x n, a claim that does not parse is unreadable."""
from __future__ import annotations

import json

import pytest

import matcalc
from matcalc.cli import main
from matcalc.views.claims import UNREADABLE, grade, read_claims

PROGRAM = "u^T f(W x + b)"
CLASS = [
    ("alice", "(u ⊙ f'(W x + b)) x^T"),          # right
    ("bob", "x u^T"),                            # m x n: a shape error
    ("carol", "-(u .* f'(W x + b)) x^T"),        # the wrong sign
    ("dan", "2 (u ⊙ f'(W x + b)) x^T"),          # a factor 2
    ("erin", "u x^T +"),                         # does not parse
    ("frank", "δ = u ⊙ f'(W x + b); δ x^T"),     # right, with a placeholder of its own
    ("grace", "(u ⊙ f(W x + b)) x^T"),           # f for f': wrong values
    ("heidi", "(u ⊙ f'(W x + b)) x^T"),          # the same text as alice
]
REASONS = {"alice": "symbolic", "bob": "shape", "carol": "sign", "dan": "factor", "erin": UNREADABLE,
           "frank": "symbolic", "grace": "value", "heidi": "symbolic"}


def test_each_claim_gets_its_verdict():
    grades = grade(PROGRAM, "W", CLASS)
    assert [r.id for r in grades.rows] == [i for i, _ in CLASS]  # file order
    assert {r.id: r.reason for r in grades.rows} == REASONS
    assert {r.id for r in grades.rows if r.ok} == {"alice", "frank", "heidi"}
    assert grades.expected == "(u ⊙ f'(W x + b)) x^T" and grades.label == "∂s/∂W"
    dan = next(r for r in grades.rows if r.id == "dan")
    assert dan.verdict.factor == pytest.approx(2.0)
    erin = next(r for r in grades.rows if r.id == "erin")
    assert "^" in erin.message and erin.verdict is None  # the caret under the claim


def test_verdicts_are_those_of_verify_one_at_a_time():
    """Reusing the derivation and caching by text changes nothing: the same messages as matcalc.verify."""
    grades = grade(PROGRAM, "W", CLASS)
    for row in grades.rows:
        if row.reason == UNREADABLE:
            with pytest.raises(matcalc.ParseError):
                matcalc.verify(PROGRAM, "W", row.claim)
        else:
            v = matcalc.verify(PROGRAM, "W", row.claim)
            assert (v.ok, v.reason, v.message) == (row.ok, row.reason, row.message)


def test_summary_counts():
    s = grade(PROGRAM, "W", CLASS).summary()
    assert s == {"claims": 8, "right": 3, "refuted": 4, "unreadable": 1,
                 "by_reason": {"symbolic": 3, "shape": 1, "sign": 1, "factor": 1, "value": 1, UNREADABLE: 1}}


def test_a_program_verify_cannot_check_is_one_error():
    with pytest.raises(matcalc.DerivativeError, match="generalized Jacobian"):
        grade("x x^T", "x", [("a", "x")])


def _csv(rows) -> str:
    return "id,claim\n" + "".join(f'{i},"{c}"\n' for i, c in rows)


def test_csv_and_jsonl_read_the_same(tmp_path):
    (tmp_path / "a.csv").write_text(_csv(CLASS), encoding="utf-8")
    (tmp_path / "a.jsonl").write_text("".join(json.dumps({"id": i, "claim": c}) + "\n" for i, c in CLASS) + "\n",
                                      encoding="utf-8")
    assert read_claims(tmp_path / "a.csv") == read_claims(tmp_path / "a.jsonl") == CLASS


def test_csv_columns_by_name_and_row_numbers_as_ids(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("answer,Student\nx u^T,bob\n", encoding="utf-8")
    assert read_claims(path) == [("bob", "x u^T")]
    path.write_text("claim\nx u^T\nu x^T\n", encoding="utf-8")
    assert read_claims(path) == [("2", "x u^T"), ("3", "u x^T")]


@pytest.mark.parametrize("name, text, message", [
    ("a.csv", "id,answer_text\n1,x\n", "names no claim column"),
    ("a.csv", "id,claim\n1,max(a, b)\n", "must be quoted"),
    ("a.csv", "id,claim\n1,x\n1,y\n", "appears 2 times"),
    ("a.csv", "", "holds no claims"),
    ("a.jsonl", '{"id": 1, "claim": "x"}\n{"id": 2\n', "line 2: not JSON"),
    ("a.jsonl", '{"id": 1, "text": "x"}\n', 'no "claim" string'),
    ("a.xlsx", "x", "cannot tell the format"),
])
def test_bad_files_say_where(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(matcalc.MatcalcError, match=message):
        read_claims(path)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_text_lists_each_claim_then_the_summary(tmp_path, capsys):
    path = tmp_path / "answers.csv"
    path.write_text(_csv(CLASS), encoding="utf-8")
    code, out, err = run(capsys, "verify", PROGRAM, "--wrt", "W", "--claims", str(path))
    assert code == 1 and err == ""  # some claims are refuted
    lines = out.splitlines()
    assert lines[0].split() == ["id", "verdict", "reason", "message"]
    assert lines[1].split()[:3] == ["alice", "right", "symbolic"]
    assert "8 claims: 3 right, 4 refuted, 1 unreadable" in out
    assert "the answer: ∂s/∂W = (u ⊙ f'(W x + b)) x^T" in out


def test_cli_json_is_machine_readable(tmp_path, capsys):
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps({"id": i, "claim": c}) + "\n" for i, c in CLASS), encoding="utf-8")
    code, out, _ = run(capsys, "verify", PROGRAM, "--wrt", "W", "--claims", str(path), "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert {c["id"]: c["reason"] for c in data["claims"]} == REASONS
    assert data["summary"]["right"] == 3 and data["expected"] == "(u ⊙ f'(W x + b)) x^T"
    assert next(c for c in data["claims"] if c["id"] == "bob")["fix"] == "u x^T"


def test_cli_all_right_exits_0_and_bad_file_exits_2(tmp_path, capsys):
    path = tmp_path / "answers.csv"
    path.write_text(_csv(CLASS[:1]), encoding="utf-8")
    assert run(capsys, "verify", PROGRAM, "--wrt", "W", "--claims", str(path))[0] == 0
    code, out, err = run(capsys, "verify", PROGRAM, "--wrt", "W", "--claims", str(tmp_path / "missing.csv"))
    assert code == 2 and out == "" and "cannot read" in err


def test_cli_needs_one_of_claim_and_claims(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["verify", PROGRAM, "--wrt", "W"])
    assert stop.value.code == 2 and "one of the arguments --claim --claims is required" in capsys.readouterr().err
