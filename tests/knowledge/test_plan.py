"""Plan suggestion: myotome + paraspinal sites with the patient's precautions applied."""

import pytest

from imsclinic.knowledge import Precaution, suggest_plan


def _ids(plan):
    return [(item.muscle_id, item.side) for item in plan.items]


def test_plan_lists_the_paraspinal_first_then_the_myotome():
    plan = suggest_plan([("C5", "R")])
    assert not plan.blocked
    assert plan.items[0].muscle_id == "cervical_multifidus_c5"
    assert plan.items[0].kind == "paraspinal"
    peripheral = {item.muscle_id for item in plan.items[1:]}
    assert {"deltoid", "supraspinatus", "infraspinatus"} <= peripheral
    assert all(item.side == "R" for item in plan.items)
    assert all(item.kind == "peripheral" for item in plan.items[1:])


def test_plan_items_carry_depth_position_and_hazard_cautions():
    plan = suggest_plan([("C5", "R")], max_per_segment=20)
    rhomboid = next(i for i in plan.items if i.muscle_id == "rhomboid_major")
    assert rhomboid.depth_mm == (10, 19)
    assert rhomboid.thorax is True
    assert rhomboid.body_region == "upper_back_r"
    assert rhomboid.hazards[0].id == "pleura_lung"
    assert "both sides" in rhomboid.hazards[0].caution


def test_a_muscle_serving_two_targets_appears_once():
    plan = suggest_plan([("C5", "R"), ("C6", "R")], max_per_segment=20)
    biceps = [i for i in plan.items if i.muscle_id == "biceps_brachii"]
    assert len(biceps) == 1
    assert biceps[0].segments == ("C5", "C6")


def test_never_thorax_on_both_sides_in_one_session():
    plan = suggest_plan([("T4", "R"), ("T4", "L")])
    thorax_sides = {item.side for item in plan.items if item.thorax}
    assert thorax_sides == {"R"}
    deferred = [e for e in plan.excluded if e.code == "bilateral_thorax"]
    assert deferred and all(e.side == "L" for e in deferred)


def test_absolute_contraindication_blocks_the_plan():
    plan = suggest_plan([("L5", "L")], ["needle_phobia"])
    assert plan.blocked
    assert plan.items == ()
    assert plan.warnings[0].code == "needle_phobia"


def test_lymphoedematous_limb_is_avoided(kb):
    plan = suggest_plan(
        [("C6", "R"), ("C6", "L")], [Precaution("lymphoedema", side="R", limb="upper")]
    )
    right_limb = [
        i for i in plan.items if i.side == "R" and kb.body_regions[i.body_region].area.limb
    ]
    assert right_limb == []
    # Sites off the limb (neck, chest wall) on the same side are still offered.
    assert any(i.side == "R" and i.muscle_id == "cervical_multifidus_c6" for i in plan.items)
    assert any(i.side == "L" and i.muscle_id == "brachioradialis" for i in plan.items)
    assert any(e.code == "lymphoedema" and e.side == "R" for e in plan.excluded)


def test_restriction_by_region_only_removes_that_region():
    plan = suggest_plan([("S1", "L")], [{"id": "local_infection", "regions": ["calf_l"]}])
    kept = {i.muscle_id for i in plan.items}
    assert "gastrocnemius" not in kept and "soleus" not in kept
    assert "gluteus_maximus" in kept


def test_unlocated_lymphoedema_warns_instead_of_guessing():
    plan = suggest_plan([("C6", "R")], ["lymphoedema"])
    assert any(w.code == "lymphoedema" and "location" in w.message for w in plan.warnings)


def test_anticoagulants_drop_vascular_sites_and_add_a_superficial_note():
    plan = suggest_plan([("L2", "R")], ["anticoagulants"])
    kept = {i.muscle_id for i in plan.items}
    assert "sartorius" not in kept  # femoral triangle
    assert any(e.code == "bleeding_risk" and e.muscle_id == "sartorius" for e in plan.excluded)
    assert all(any("superficial" in note for note in i.notes) for i in plan.items)
    assert any(w.code == "anticoagulants" for w in plan.warnings)


def test_lung_disease_removes_every_thorax_site():
    plan = suggest_plan([("C5", "R"), ("T6", "R")], ["lung_disease"])
    assert not any(item.thorax for item in plan.items)
    assert any(e.code == "lung_disease" for e in plan.excluded)


def test_pregnancy_avoids_sacral_sites():
    plan = suggest_plan([("S1", "R")], ["pregnancy"])
    assert "sacral_multifidus_s1" not in {i.muscle_id for i in plan.items}


def test_warn_only_precautions_keep_sites_and_warn():
    plan = suggest_plan([("C5", "R")], ["vasovagal"])
    assert plan.items
    assert any(w.code == "vasovagal" and "lying down" in w.message for w in plan.warnings)


def test_unknown_inputs_raise():
    with pytest.raises(ValueError, match="unknown segment"):
        suggest_plan([("C9", "R")])
    with pytest.raises(ValueError, match="unknown precaution"):
        suggest_plan([("C5", "R")], ["allergic_to_mondays"])
