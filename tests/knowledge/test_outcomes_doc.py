"""docs/outcomes.md states the MCIDs the knowledge base uses (the audit found SPADI 10 vs 13)."""

import re
from pathlib import Path

from imsclinic.knowledge import load_knowledge

DOC = Path(__file__).resolve().parents[2] / "docs" / "outcomes.md"
ROW = re.compile(r"^\| (?P<name>[A-Za-z]+)(?: \(clinic-supplied\))? \| (?P<mcid>[0-9.]+|none) \|")


def _documented() -> dict[str, str]:
    return {m["name"]: m["mcid"] for line in DOC.read_text().splitlines() if (m := ROW.match(line))}


def test_every_instrument_mcid_in_the_doc_matches_the_data():
    kb = load_knowledge()
    documented = _documented()
    rows = [*kb.instruments.values(), *kb.clinic_scoring.values()]
    assert {r.abbreviation for r in rows} == set(documented)
    for row in rows:
        expected = "none" if row.mcid is None else f"{row.mcid:g}"
        assert documented[row.abbreviation] == expected, row.abbreviation
