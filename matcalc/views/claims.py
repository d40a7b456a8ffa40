"""Many claims at once: a class's answers to one question (one program, one variable), graded.

A file of claims is CSV (a header with an ``id`` column and a ``claim`` column; ``answer`` is
read as ``claim``) or JSON Lines (one object a line with ``id`` and ``claim``). The program is
parsed and differentiated once; each distinct claim text is verified once (a class hands in
the same answer many times) against that one derivation. A claim that cannot be read (a
parse error, an unknown name) is graded "unreadable" with the error, caret and all; it does
not stop the others.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..calculus.engine import derive
from ..calculus.numeric import as_program, freed
from ..calculus.verify import Verdict, verify
from ..core.errors import MatcalcError
from ..core.program import Program

UNREADABLE = "unreadable"
ID_COLUMNS = ("id", "student", "name")
CLAIM_COLUMNS = ("claim", "answer")


@dataclass
class Graded:
    """One claim of the file and its verdict (``verdict`` is None when the claim is unreadable)."""
    id: str
    claim: str
    ok: bool
    reason: str
    message: str
    verdict: Verdict | None = field(default=None, repr=False)

    def as_json(self) -> dict:
        v = self.verdict
        return {"id": self.id, "claim": self.claim, "ok": self.ok, "reason": self.reason, "message": self.message,
                "fix": v.fix if v is not None else None, "factor": v.factor if v is not None else None}


@dataclass
class Grades:
    """Every claim's verdict, in file order, with the derivation they were checked against."""
    program: Program
    wrt: str
    label: str          # ∂s/∂W
    expected: str
    rows: list[Graded]

    def summary(self) -> dict:
        by_reason = Counter(r.reason for r in self.rows)
        right = sum(r.ok for r in self.rows)
        unreadable = by_reason.get(UNREADABLE, 0)
        return {"claims": len(self.rows), "right": right, "refuted": len(self.rows) - right - unreadable,
                "unreadable": unreadable,
                "by_reason": {reason: by_reason[reason] for reason in sorted(by_reason, key=_reason_order)}}

    def as_json(self) -> dict:
        return {"program": self.program.source, "wrt": self.wrt, "derivative": self.label, "expected": self.expected,
                "claims": [r.as_json() for r in self.rows], "summary": self.summary()}

    def text(self) -> str:
        """One line a claim (the diagnosis's further lines indented), then the summary table."""
        width = max([len("id")] + [len(r.id) for r in self.rows])
        lines = [f"{'id':<{width}}  {'verdict':<8} {'reason':<10} message"]
        for r in self.rows:
            first, *rest = r.message.split("\n")
            lines.append(f"{r.id:<{width}}  {'right' if r.ok else 'refuted' if r.reason != UNREADABLE else '-':<8} "
                         f"{r.reason:<10} {first}")
            lines.extend(" " * (width + 22) + line for line in rest)
        s = self.summary()
        lines += ["", f"{s['claims']} claims: {s['right']} right, {s['refuted']} refuted, {s['unreadable']} unreadable",
                  f"the answer: {self.label} = {self.expected}", "", f"{'reason':<12} claims"]
        lines += [f"{reason:<12} {count}" for reason, count in s["by_reason"].items()]
        return "\n".join(lines)


def _reason_order(reason: str) -> tuple:
    order = ("symbolic", "numeric", "shape", "sign", "factor", "transpose", "value", UNREADABLE)
    return (order.index(reason) if reason in order else len(order), reason)


def grade(program: str | Program, wrt: str, claims: list[tuple[str, str]], layout: str = "shape") -> Grades:
    """Verify each (id, claim) against one derivation of ∂F/∂wrt."""
    typed = as_program(program)
    if wrt in typed.definitions:
        typed = freed(typed, wrt)
    d = derive(typed, wrt, layout)
    # the claim 0 first: a program verify cannot check (a generalized Jacobian) raises here, once,
    # and its verdict carries the expected answer even when no claim of the file can be read
    expected = verify(typed, wrt, "0", layout, derivative=d).expected
    seen: dict[str, Verdict | MatcalcError] = {}
    rows = []
    for id_, claim in claims:
        key = claim.strip()
        if key not in seen:
            try:
                seen[key] = verify(typed, wrt, key, layout, derivative=d)
            except MatcalcError as error:
                seen[key] = error
        found = seen[key]
        if isinstance(found, Verdict):
            rows.append(Graded(id_, claim, found.ok, found.reason, found.message, found))
        else:
            rows.append(Graded(id_, claim, False, UNREADABLE, str(found)))
    return Grades(typed, wrt, f"∂{d.function_name}/∂{wrt}", expected, rows)


# ---------------------------------------------------------------- reading files

def read_claims(path: str | Path, text: str | None = None) -> list[tuple[str, str]]:
    """(id, claim) pairs from a .csv or .jsonl file (or its ``text``); rows without an id get their row number."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as error:
            raise MatcalcError(f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise MatcalcError(f"{path} is not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        claims = _read_jsonl(path, text)
    elif suffix in (".csv", ".tsv", ".txt"):
        claims = _read_csv(path, text, "\t" if suffix == ".tsv" else ",")
    else:
        raise MatcalcError(f'cannot tell the format of "{path}"', hint="name a file ending in .csv or .jsonl")
    if not claims:
        raise MatcalcError(f"{path} holds no claims", hint=_FORMAT_HINT)
    ids = Counter(i for i, _ in claims)
    twice = [i for i, n in ids.items() if n > 1]
    if twice:
        raise MatcalcError(f"{path}: the id {twice[0]!r} appears {ids[twice[0]]} times", hint="give every claim its own id")
    return claims


_FORMAT_HINT = ('CSV with a header "id,claim" (one claim a row), or JSON Lines: {"id": "alice", "claim": "u x^T"}'
                " one a line")


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _read_csv(path: Path, text: str, delimiter: str) -> list[tuple[str, str]]:
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(cell.strip() for cell in r)]
    if not rows:
        return []
    header = rows[0]
    claim_at, id_at = _column(header, CLAIM_COLUMNS), _column(header, ID_COLUMNS)
    if claim_at is None:
        raise MatcalcError(f"{path}: the first row names no claim column (it reads {', '.join(header)})",
                           hint=_FORMAT_HINT)
    claims = []
    for number, row in enumerate(rows[1:], start=2):
        if claim_at >= len(row):
            raise MatcalcError(f"{path}, row {number}: no claim", hint="quote a claim that holds a comma: \"a, b\"")
        if len(row) > len(header):
            raise MatcalcError(f"{path}, row {number}: {len(row)} cells under a header of {len(header)}",
                               hint='a claim with a comma, as in max(a, b), must be quoted: "max(a, b)"')
        id_ = row[id_at].strip() if id_at is not None and id_at < len(row) and row[id_at].strip() else str(number)
        claims.append((id_, row[claim_at]))
    return claims


def _read_jsonl(path: Path, text: str) -> list[tuple[str, str]]:
    claims = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as error:
            raise MatcalcError(f"{path}, line {number}: not JSON ({error.msg})", hint=_FORMAT_HINT) from None
        if not isinstance(item, dict) or not isinstance(item.get("claim", item.get("answer")), str):
            raise MatcalcError(f'{path}, line {number}: no "claim" string', hint=_FORMAT_HINT)
        id_ = item.get("id", item.get("student", number))
        claims.append((str(id_), item.get("claim", item.get("answer"))))
    return claims
