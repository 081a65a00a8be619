"""Amendments state only what changes: how inherited versions are resolved."""

from __future__ import annotations

from typing import Any

from convenio.terms.inherit import resolve_versions


def first() -> dict[str, Any]:
    return {
        "id": "v1",
        "name": "one",
        "effective": "2000-01-01",
        "note": "about v1",
        "financing": {
            "short_term": {"days": 90},
            "bands": [{"at_or_above": 15, "share": "5%"}],
            "loan": {"term_years": 15, "grace_months": 12, "rate": "2%"},
        },
        "rate_cards": [{"item": "doctor"}],
    }


def test_mappings_merge_and_everything_else_replaces() -> None:
    amendment = {
        "id": "v2",
        "name": "two",
        "effective": "2005-01-01",
        "inherits": "previous",
        "financing": {"bands": [{"at_or_above": 20, "share": "10%"}], "loan": {"rate": "1%"}},
    }
    resolution = resolve_versions([first(), amendment])
    assert resolution.findings == []
    merged = resolution.versions[1]
    assert merged["financing"]["bands"] == [{"at_or_above": 20, "share": "10%"}]
    assert merged["financing"]["loan"] == {"term_years": 15, "grace_months": 12, "rate": "1%"}
    assert merged["financing"]["short_term"] == {"days": 90}
    assert merged["rate_cards"] == [{"item": "doctor"}]
    assert merged["inherits"] == "v1"
    assert "note" not in merged, "a version's own description is not inherited"


def test_null_removes_and_exclusive_keys_replace_each_other() -> None:
    amendment = {
        "id": "v2",
        "name": "two",
        "effective": "2005-01-01",
        "inherits": "v1",
        "rate_cards": None,
        "financing": {"loan": {"term_months": 120}},
    }
    merged = resolve_versions([first(), amendment]).versions[1]
    assert merged["rate_cards"] is None
    assert merged["financing"]["loan"] == {"grace_months": 12, "rate": "2%", "term_months": 120}


def test_provenance_points_at_the_version_that_wrote_each_part() -> None:
    amendment = {
        "id": "v2",
        "name": "two",
        "effective": "2005-01-01",
        "inherits": "previous",
        "financing": {"loan": {"rate": "1%"}},
    }
    third = {"id": "v3", "name": "three", "effective": "2008-01-01", "inherits": "previous"}
    provenance = resolve_versions([first(), amendment, third]).provenance[2]
    assert provenance.source_of(("financing", "loan", "rate")) == (
        "versions",
        1,
        "financing",
        "loan",
        "rate",
    )
    assert provenance.source_of(("financing", "bands", 0, "share")) == (
        "versions",
        0,
        "financing",
        "bands",
        0,
        "share",
    )
    assert provenance.source_of(("name",)) == ("versions", 2, "name")


def test_inheritance_goes_only_backwards() -> None:
    early = {"id": "v0", "name": "zero", "effective": "1999-01-01", "inherits": "previous"}
    later_ref = {**first(), "inherits": "v9"}
    unknown = {"id": "v9", "name": "nine", "effective": "2009-01-01", "inherits": "v8"}
    resolution = resolve_versions([early, later_ref, unknown])
    assert [loc for loc, _ in resolution.findings] == [
        ("versions", 0, "inherits"),
        ("versions", 1, "inherits"),
        ("versions", 2, "inherits"),
    ]
    assert "not listed before" in resolution.findings[1][1]
    assert "no version has that id" in resolution.findings[2][1]
