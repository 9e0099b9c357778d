"""The one site rule shared by the plan engine and signing (needling_limits.yaml)."""

from pathlib import Path

import pytest
import yaml

from imsclinic.knowledge import suggest_plan
from imsclinic.knowledge.engines.site_rules import (
    Precaution,
    bilateral_thorax_problem,
    build_limits,
    depth_ceiling,
    excluded_regions,
    load_limits,
    site_exclusions,
)
from imsclinic.knowledge.errors import KnowledgeDataError
from imsclinic.knowledge.loader import build_knowledge


def excluded(kb, muscle_id, side, *precautions):
    return site_exclusions(kb, kb.muscles[muscle_id], side, precautions)


def test_right_arm_lymphoedema_covers_the_right_upper_quadrant(kb):
    regions = excluded_regions(kb, Precaution("lymphoedema", regions=("arm_front_r",)))
    assert {"shoulder_front_r", "hand_back_r", "chest_r", "upper_back_r"} <= regions
    assert not any(region.endswith("_l") for region in regions)
    assert "thigh_front_r" not in regions
    assert excluded(kb, "deltoid", "R", Precaution("lymphoedema", regions=("arm_front_r",)))
    assert excluded(
        kb, "pectoralis_major", "R", Precaution("lymphoedema", regions=("arm_front_r",))
    )
    assert not excluded(kb, "deltoid", "L", Precaution("lymphoedema", regions=("arm_front_r",)))


def test_infection_covers_neighbours_and_crosses_the_midline(kb):
    regions = excluded_regions(kb, Precaution("local_infection", regions=("low_back_r",)))
    assert regions == {
        "low_back_r",
        "low_back_l",
        "mid_back_r",
        "sacrum_r",
        "buttock_r",
        "abdomen_r",
    }


def test_adjacency_is_symmetric(kb):
    limits = load_limits()
    for area, neighbours in limits.adjacent.items():
        for neighbour in neighbours:
            assert area in limits.adjacent[neighbour]


@pytest.mark.parametrize(
    ("precaution", "muscle_id", "liftable"),
    [
        ("lung_disease", "thoracic_paraspinals_t5", False),
        ("pregnancy", "sacral_multifidus_s1", False),
        ("pregnancy", "lumbar_multifidus_l5", False),
        ("anticoagulants", "piriformis", True),
        ("bleeding_disorder", "gluteus_medius", True),
    ],
)
def test_site_precautions(kb, precaution, muscle_id, liftable):
    [exclusion] = excluded(kb, muscle_id, "R", Precaution(precaution))
    assert exclusion.precaution == precaution and exclusion.liftable is liftable
    assert not excluded(kb, "deltoid", "R", Precaution(precaution))


@pytest.mark.parametrize("precaution", ["anticoagulants", "lung_disease", "pregnancy"])
def test_plan_and_signing_rule_agree(kb, precaution):
    """Every site the plan leaves out for a precaution is one the shared rule excludes, and no
    site the plan keeps is excluded."""
    targets = [("T5", "R"), ("L5", "R"), ("S1", "R"), ("C5", "R")]
    plan = suggest_plan(targets, [precaution])
    for site in plan.excluded:
        if site.code != "bilateral_thorax":
            assert excluded(kb, site.muscle_id, site.side, Precaution(precaution))
    for item in plan.items:
        assert not excluded(kb, item.muscle_id, item.side, Precaution(precaution))
    assert any(site.code != "bilateral_thorax" for site in plan.excluded)


def test_a_clearance_returns_bleeding_risk_sites_to_the_plan():
    targets = [("S1", "R")]
    blocked = {i.muscle_id for i in suggest_plan(targets, ["anticoagulants"]).items}
    cleared = {
        i.muscle_id
        for i in suggest_plan(targets, ["anticoagulants"], cleared=["anticoagulants"]).items
    }
    assert "gluteus_maximus" not in blocked and "gluteus_maximus" in cleared


def test_thorax_ceilings(kb):
    assert depth_ceiling(kb.muscles["rhomboid_major"]) == 25
    assert depth_ceiling(kb.muscles["deltoid"]) is None
    for muscle in kb.muscles.values():
        if kb.is_thorax(muscle):
            assert depth_ceiling(muscle) >= muscle.depth_mm[1]


def test_bilateral_thorax(kb):
    rhomboid, t5 = kb.muscles["rhomboid_major"], kb.muscles["thoracic_paraspinals_t5"]
    assert bilateral_thorax_problem(
        kb, [(rhomboid, "L"), (rhomboid, "R")], lamina_policy=False, lamina_recorded=False
    )
    assert bilateral_thorax_problem(kb, [(t5, "B")], lamina_policy=False, lamina_recorded=True)
    assert (
        bilateral_thorax_problem(kb, [(t5, "B")], lamina_policy=True, lamina_recorded=True) is None
    )
    assert bilateral_thorax_problem(
        kb, [(t5, "B"), (rhomboid, "L")], lamina_policy=True, lamina_recorded=True
    )
    assert (
        bilateral_thorax_problem(
            kb, [(rhomboid, "L"), (t5, "L")], lamina_policy=False, lamina_recorded=False
        )
        is None
    )


def _edit(data_copy: Path, change) -> Path:
    path = data_copy / "needling_limits.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_thorax_muscle_without_a_ceiling_is_refused(data_copy):
    def drop_rhomboid(doc):
        doc["thorax_depth_ceilings"] = [
            row for row in doc["thorax_depth_ceilings"] if row["muscle"] != "rhomboid_major"
        ]

    path = _edit(data_copy, drop_rhomboid)
    with pytest.raises(KnowledgeDataError, match="rhomboid_major.*needs a ceiling"):
        build_limits(build_knowledge(data_copy), path)


def test_a_ceiling_shallower_than_the_guidance_is_refused(data_copy):
    def shallow(doc):
        for row in doc["thorax_depth_ceilings"]:
            if row["muscle"] == "rhomboid_major":
                row["ceiling_mm"] = 12

    path = _edit(data_copy, shallow)
    with pytest.raises(KnowledgeDataError, match="shallower than the depth guidance"):
        build_limits(build_knowledge(data_copy), path)


def test_limits_that_are_not_yaml_are_refused_naming_the_file(data_copy):
    path = data_copy / "needling_limits.yaml"
    path.write_text("thorax_depth_ceilings: [unclosed\n")
    with pytest.raises(KnowledgeDataError, match=r"^needling_limits\.yaml: not valid YAML"):
        build_limits(build_knowledge(data_copy), path)
