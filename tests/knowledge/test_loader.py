"""Loading and validating the YAML knowledge files."""

import pytest

from imsclinic.knowledge import (
    AmbiguousMuscleError,
    KnowledgeDataError,
    UnknownMuscleError,
    find_muscle,
)
from imsclinic.knowledge.loader import DATA_DIR, build_knowledge, load_knowledge

EXPECTED_SEGMENTS = (
    [f"C{i}" for i in range(1, 9)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
    + ["S1", "S2", "S3"]
)


def test_load_knowledge_is_loaded_once_per_process():
    # Wall-clock limits belong in the benchmark report, not in a unit test on a shared machine;
    # what must hold here is that requests after the first never parse the YAML again.
    load_knowledge.cache_clear()
    first = load_knowledge()
    assert load_knowledge() is first
    assert load_knowledge.cache_info().hits == 1


def test_segments_run_c1_to_s3_in_order(kb):
    assert list(kb.segment_order) == EXPECTED_SEGMENTS
    assert kb.are_adjacent("C8", "T1")
    assert not kb.are_adjacent("C5", "C7")


def test_at_least_90_muscles_covering_every_region(kb):
    assert len(kb.muscles) >= 90
    regions = {m.region for m in kb.muscles.values()}
    assert regions >= {
        "jaw_head",
        "neck",
        "shoulder_girdle",
        "arm",
        "forearm",
        "hand",
        "trunk",
        "paraspinal",
        "hip",
        "thigh",
        "leg",
        "foot",
    }


@pytest.mark.parametrize(
    "level",
    [f"C{i}" for i in range(4, 9)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
    + ["S1", "S2"],
)
def test_each_paraspinal_level_has_one_flagged_row(kb, level):
    rows = kb.paraspinals_at(level)
    assert len(rows) == 1
    assert rows[0].paraspinal and rows[0].level == level
    assert rows[0].roots.primary == [level]


def test_every_muscle_has_roots_or_cranial_nerve_and_a_source(kb):
    for muscle in kb.muscles.values():
        assert muscle.roots.primary or muscle.cranial_nerves, muscle.id
        assert muscle.sources and all(s in kb.sources for s in muscle.sources), muscle.id


def test_every_reference_resolves(kb):
    for muscle in kb.muscles.values():
        assert all(h in kb.hazards for h in muscle.hazards), muscle.id
        assert muscle.chart_area in kb.body_areas, muscle.id
        assert all(a.source in kb.sources for a in muscle.alternatives), muscle.id
    for condition in kb.conditions.values():
        assert all(m in kb.muscles for m in condition.muscles), condition.id
    for rows in (kb.hazards, kb.contraindications, kb.conditions, kb.gunn_signs, kb.instruments):
        for row in rows.values():
            assert all(s in kb.sources for s in row.sources), row.id


def test_cranial_nerve_muscles_are_marked(kb):
    assert kb.muscles["masseter"].cranial_nerves == ["V"]
    assert kb.muscles["masseter"].roots.primary == []
    assert kb.muscles["temporalis"].cranial_nerves == ["V"]
    trapezius = kb.muscles["upper_trapezius"]
    assert trapezius.cranial_nerves == ["XI"]
    # Motor supply CN XI; cervical rami mainly proprioceptive (Gray's/Standring): minor only.
    assert trapezius.roots.primary == []
    assert set(trapezius.roots.minor) >= {"C3", "C4"}


def test_disputed_roots_carry_alternatives_with_sources(kb):
    tib_post = kb.muscles["tibialis_posterior"]
    assert tib_post.roots.primary == ["L5"]
    assert any(alt.primary == ["L4", "L5"] for alt in tib_post.alternatives)


def test_thorax_flag_is_derived_from_hazards(kb):
    assert kb.muscles["rhomboid_major"].thorax is True
    assert kb.muscles["thoracic_paraspinals_t6"].thorax is True
    assert kb.muscles["deltoid"].thorax is False
    assert kb.muscles["gluteus_medius"].thorax is False


def test_body_regions_are_sided(kb):
    assert "shoulder_back_r" in kb.body_regions
    assert kb.body_regions["shoulder_back_r"].side == "R"
    assert kb.body_region_for(kb.muscles["deltoid"], "L").id == "shoulder_front_l"
    views = {area.view for area in kb.body_areas.values()}
    assert views == {"front", "back"}


def test_required_conditions_have_who_and_cm_codes(kb):
    required = {
        "low_back_pain",
        "neck_pain",
        "shoulder_pain_rotator_cuff",
        "lateral_epicondylitis",
        "sciatica",
        "fibromyalgia",
        "tension_type_headache",
        "migraine",
        "postural_pain",
        "hip_osteoarthritis",
        "knee_osteoarthritis",
        "whiplash",
        "plantar_fasciitis",
        "carpal_tunnel_syndrome",
        "myofascial_pain",
    }
    assert required <= set(kb.conditions)
    for condition_id in required:
        systems = {code.system for code in kb.conditions[condition_id].icd10}
        assert {"who", "cm"} <= systems, condition_id
    low_back_cm = {c.code for c in kb.conditions["low_back_pain"].icd10 if c.system == "cm"}
    assert "M54.5" not in low_back_cm  # deleted from ICD-10-CM in 2021


def test_contraindications_cover_the_consensus_list(kb):
    absolute = {c.id for c in kb.contraindications.values() if c.kind == "absolute"}
    assert absolute == {
        "needle_phobia",
        "unwilling",
        "unable_to_consent",
        "medical_emergency",
        "lymphoedema",
        "local_infection",
    }
    relative = {c.id for c in kb.contraindications.values() if c.kind == "relative"}
    assert relative >= {
        "anticoagulants",
        "bleeding_disorder",
        "pregnancy",
        "immunocompromise",
        "hiv_hepatitis",
        "diabetes",
        "epilepsy",
        "vascular_disease",
        "metal_allergy",
        "recent_surgery",
        "vasovagal",
        "children",
        "frailty",
        "lung_disease",
    }
    assert kb.contraindications["recent_surgery"].window_default == 12


def test_instruments_have_direction_and_sourced_mcid(kb):
    assert {"nprs", "psfs", "lefs", "spadi", "pgic", "groc"} <= set(kb.instruments)
    assert kb.instruments["nprs"].higher_is_better is False
    assert kb.instruments["lefs"].higher_is_better is True
    for instrument in kb.instruments.values():
        assert instrument.licence == "free"
        if instrument.mcid is not None:
            assert instrument.mcid_source in kb.sources
    assert {"odi", "ndi", "quickdash"} <= set(kb.clinic_scoring)


def test_gunn_signs_cover_the_istop_list(kb):
    assert {
        "tender_motor_points",
        "vasomotor",
        "sudomotor",
        "pilomotor",
        "trophedema_matchstick",
        "trophedema_skin_rolling",
        "trophedema_peau_d_orange",
        "hair_loss",
        "nail_changes",
        "taut_bands",
        "restricted_rom",
    } <= set(kb.gunn_signs)


def _replace(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_broken_row_error_names_file_row_and_field(data_copy):
    _replace(
        data_copy / "muscles" / "upper_limb.yaml",
        "depth_mm: [10, 30]\n    position: [supine, side_lying, sitting]",
        "depth_mm: deep\n    position: [supine, side_lying, sitting]",
    )
    with pytest.raises(KnowledgeDataError) as caught:
        build_knowledge(data_copy)
    error = caught.value
    assert error.file == "muscles/upper_limb.yaml"
    assert error.row == "deltoid"
    assert error.field == "depth_mm"
    assert "muscles/upper_limb.yaml, row deltoid, field depth_mm" in str(error)


def test_row_without_id_is_named_by_index(data_copy):
    _replace(data_copy / "hazards.yaml", "  - id: pleura_lung\n", "  - nome: pleura_lung\n")
    with pytest.raises(KnowledgeDataError) as caught:
        build_knowledge(data_copy)
    assert caught.value.file == "hazards.yaml"
    assert caught.value.row == "#0"


def test_unknown_source_is_rejected(data_copy):
    _replace(
        data_copy / "muscles" / "lower_limb.yaml",
        "sources: [grays_41, kendall_2005, asia_isncsci_2019]",
        "sources: [no_such_book]",
    )
    with pytest.raises(KnowledgeDataError, match="psoas_major.*sources.*no_such_book"):
        build_knowledge(data_copy)


def test_unknown_hazard_is_rejected(data_copy):
    _replace(
        data_copy / "muscles" / "head_neck.yaml",
        "hazards: [facial_nerve_parotid]",
        "hazards: [dragons]",
    )
    with pytest.raises(KnowledgeDataError, match="masseter, field hazards: unknown id 'dragons'"):
        build_knowledge(data_copy)


def test_unknown_body_region_is_rejected(data_copy):
    # temporalis is the first row using the face area
    _replace(
        data_copy / "muscles" / "head_neck.yaml", "chart_area: face\n", "chart_area: elbow_pit\n"
    )
    with pytest.raises(KnowledgeDataError, match="temporalis, field chart_area"):
        build_knowledge(data_copy)


def test_duplicate_id_is_rejected(data_copy):
    extra = (DATA_DIR / "muscles" / "trunk.yaml").read_text()
    (data_copy / "muscles" / "zz_duplicate.yaml").write_text(extra)
    with pytest.raises(KnowledgeDataError, match="duplicate id"):
        build_knowledge(data_copy)


def test_bad_segment_name_is_rejected(data_copy):
    _replace(
        data_copy / "muscles" / "lower_limb.yaml",
        "roots: {primary: [L4, L5], minor: [S1]}",
        "roots: {primary: [L6, L5], minor: [S1]}",
    )
    with pytest.raises(KnowledgeDataError, match="tibialis_anterior, field roots.primary"):
        build_knowledge(data_copy)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("deltoid", "deltoid"),
        ("DELTOID", "deltoid"),
        ("Biceps Brachii", "biceps_brachii"),
        ("biceps_brachii", "biceps_brachii"),
        ("ECRB", "extensor_carpi_radialis_brevis"),
        ("peroneus longus", "fibularis_longus"),
        ("L5 multifidus", "lumbar_multifidus_l5"),
        ("gastroc", "gastrocnemius"),
    ],
)
def test_find_muscle_matches_id_name_and_synonym(query, expected):
    assert find_muscle(query).id == expected


def test_find_muscle_ambiguous_lists_candidates():
    with pytest.raises(AmbiguousMuscleError) as caught:
        find_muscle("biceps")
    assert {"biceps_brachii", "biceps_femoris_long_head"} <= set(caught.value.candidates)


def test_find_muscle_unknown_suggests_close_matches():
    with pytest.raises(UnknownMuscleError) as caught:
        find_muscle("deltiod")
    assert "deltoid" in caught.value.candidates
    assert "did you mean" in str(caught.value)
