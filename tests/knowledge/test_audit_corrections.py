"""The knowledge rows the November 2026 clinical audit corrected, each checked against its source.

Every test names the reference it encodes (param id or docstring) and checks that the row cites
it, so a later edit that drops the source or reverts the value fails here.
"""

import pytest

from imsclinic.knowledge import infer_segments, load_knowledge, suggest_plan
from imsclinic.knowledge.engines.plan import hazard_rank

KB = load_knowledge()


def _muscle(muscle_id):
    return KB.muscles[muscle_id]


# (muscle, primary roots, minor roots that must be present, source the row must cite)
ROOT_CORRECTIONS = [
    pytest.param(
        "tibialis_posterior",
        ["L5"],
        {"L4", "S1"},
        "tsao_2003",
        id="tibialis posterior L5 predominant - Tsao 2003 (23/25 L5, 2/11 S1); Kendall L(4)5 S1",
    ),
    pytest.param(
        "tibialis_anterior",
        ["L4", "L5"],
        {"S1"},
        "tsao_2003",
        id="tibialis anterior L4-L5, L5 at least equal - Gray's L4-L5; Tsao 2003 20/26 L5",
    ),
    pytest.param(
        "biceps_femoris_short_head",
        ["S1"],
        {"L5"},
        "tsao_2003",
        id="biceps femoris short head S1 predominant - Tsao 2003 (normal 13/13 L5, 8/9 S1)",
    ),
    pytest.param(
        "thenar_muscles",
        ["T1"],
        {"C8"},
        "wilbourn_aminoff_1998",
        id="APB (thenar) T1 predominant - Wilbourn & Aminoff 1998",
    ),
    pytest.param(
        "hypothenar_muscles",
        ["T1"],
        {"C8"},
        "asia_isncsci_2019",
        id="ADM (hypothenar) T1 predominant - ASIA 2019 T1 key muscle",
    ),
    pytest.param(
        "foot_interossei",
        ["S1", "S2"],
        set(),
        "kendall_2005",
        id="foot interossei S1-S2 - Kendall (lateral plantar nerve)",
    ),
]


@pytest.mark.parametrize(("muscle_id", "primary", "minor", "source"), ROOT_CORRECTIONS)
def test_corrected_root_values_cite_their_source(muscle_id, primary, minor, source):
    muscle = _muscle(muscle_id)
    assert muscle.roots.primary == primary
    assert minor <= set(muscle.roots.minor)
    assert source in muscle.sources
    assert source in KB.sources


def test_tibialis_anterior_never_ranks_l5_below_l4():
    """Tsao 2003: tibialis anterior abnormal in 20/26 surgically confirmed L5 lesions."""
    muscle = _muscle("tibialis_anterior")
    result = infer_segments([{"muscle": "tibialis anterior", "side": "L"}])
    assert result.score_of("L5", "L") >= result.score_of("L4", "L")
    assert "L5" in muscle.roots.primary


def test_tibialis_anterior_and_posterior_together_point_to_l5():
    """The audit measured TA + TP -> L4 (1.71 vs 1.06); with Tsao 2003's values it is L5."""
    result = infer_segments(
        [
            {"muscle": "tibialis anterior", "side": "R"},
            {"muscle": "tibialis posterior", "side": "R"},
        ]
    )
    assert result.segments[0].segment == "L5"


def test_a_t1_pattern_ranks_t1_first():
    """Wilbourn & Aminoff 1998 / ASIA 2019: APB and ADM are T1 muscles; C8 must not win a tie."""
    result = infer_segments(
        [{"muscle": "thenar muscles", "side": "R"}, {"muscle": "hypothenar muscles", "side": "R"}]
    )
    assert result.segments[0].segment == "T1"
    assert result.score_of("T1", "R") > result.score_of("C8", "R")


@pytest.mark.parametrize(
    "muscle_id",
    [
        pytest.param(m, id=f"{m} - motor CN XI, cervical rami proprioceptive (Gray's/Standring)")
        for m in ("upper_trapezius", "middle_trapezius", "lower_trapezius", "sternocleidomastoid")
    ],
)
def test_accessory_nerve_muscles_have_cervical_rami_as_a_minor_share_only(muscle_id):
    muscle = _muscle(muscle_id)
    assert muscle.cranial_nerves == ["XI"]
    assert muscle.roots.primary == []
    assert muscle.roots.minor
    assert "grays_41" in muscle.sources
    assert "proprioceptive" in muscle.nerve


@pytest.mark.parametrize("segment", ["C3", "C4"])
def test_c3_c4_plans_do_not_reach_for_trapezius_over_the_thorax(segment):
    """Trapezius is CN XI (Gray's/Standring): a C3/C4 plan must not pick middle/lower trapezius."""
    plan = suggest_plan([(segment, "R")], max_per_segment=20)
    chosen = {item.muscle_id for item in plan.items}
    assert not chosen & {"upper_trapezius", "middle_trapezius", "lower_trapezius"}
    assert not [i for i in plan.items if i.kind == "peripheral" and "trapezius" in i.muscle_id]


# ---------------- hazards ----------------

CERVICAL_UP_TO_C6 = [
    m
    for m in KB.muscles.values()
    if m.paraspinal and m.level in ("C1", "C2", "C3", "C4", "C5", "C6")
]
CERVICAL_AND_THORACIC = [
    m for m in KB.muscles.values() if m.paraspinal and m.level[0] in ("C", "T")
]


def test_there_are_cervical_paraspinal_rows_to_check():
    assert {m.level for m in CERVICAL_UP_TO_C6} >= {"C3", "C4", "C5", "C6"}
    assert len(CERVICAL_AND_THORACIC) >= 18


@pytest.mark.parametrize(
    "muscle", CERVICAL_UP_TO_C6, ids=lambda m: f"{m.id} - Gray's: C1-C6 foramina"
)
def test_vertebral_artery_on_every_c1_to_c6_paraspinal_row(muscle):
    assert "vertebral_artery_foramen" in muscle.hazards
    hazard = KB.hazards["vertebral_artery_foramen"]
    assert hazard.vascular and hazard.severity == "high"
    assert "grays_41" in hazard.sources


@pytest.mark.parametrize(
    "muscle",
    CERVICAL_AND_THORACIC,
    ids=lambda m: (
        f"{m.id} - Lee 2011 Spine; Spine J 2015 (cord/epidural after paraspinal needling)"
    ),
)
def test_spinal_cord_and_epidural_hazard_on_cervical_and_thoracic_paraspinals(muscle):
    assert "spinal_cord_epidural" in muscle.hazards
    hazard = KB.hazards["spinal_cord_epidural"]
    assert {"lee_2011_epidural_hematoma", "spine_j_2015_paraspinal_hemiplegia"} <= set(
        hazard.sources
    )
    assert "lamina" in hazard.caution


def test_quadratus_lumborum_carries_the_pleura_at_the_12th_rib():
    """Gray's: the costodiaphragmatic recess reaches the 12th rib, where QL attaches."""
    muscle = _muscle("quadratus_lumborum")
    assert "pleura_12th_rib" in muscle.hazards
    hazard = KB.hazards["pleura_12th_rib"]
    assert hazard.thorax and "grays_41" in hazard.sources
    assert muscle.thorax is True  # so consent must cover thorax needling


def test_every_thorax_hazard_is_high_severity():
    assert all(h.severity == "high" for h in KB.hazards.values() if h.thorax)


# ---------------- conditions (ICD-10) ----------------


@pytest.mark.parametrize(
    ("condition_id", "codes"),
    [
        pytest.param(
            "cervical_radiculopathy", {"M54.1", "M50.1", "M54.12"}, id="cervical - WHO/CMS ICD-10"
        ),
        pytest.param(
            "lumbar_radiculopathy", {"M54.1", "M51.1", "M54.16", "M51.16"}, id="lumbar - WHO/CMS"
        ),
    ],
)
def test_radiculopathy_conditions_exist_with_their_codes(condition_id, codes):
    condition = KB.conditions[condition_id]
    assert codes <= {c.code for c in condition.icd10}
    assert {"who_icd10_2019", "cms_icd10cm_2025"} <= set(condition.sources)


def test_no_condition_uses_the_non_billable_m75_10_header():
    """CMS ICD-10-CM: M75.10 is a header; billable codes need the sixth character."""
    codes = {c.code for condition in KB.conditions.values() for c in condition.icd10}
    assert "M75.10" not in codes
    cuff = KB.conditions["shoulder_pain_rotator_cuff"]
    assert "M75.100" in {c.code for c in cuff.icd10 if c.system == "cm"}


def test_frozen_shoulder_is_its_own_condition_not_a_rotator_cuff_synonym():
    """WHO ICD-10 M75.0 adhesive capsulitis is a separate code from M75.1 rotator cuff."""
    cuff = KB.conditions["shoulder_pain_rotator_cuff"]
    assert not any("frozen" in s.lower() for s in cuff.synonyms)
    assert "M75.0" not in {c.code for c in cuff.icd10}
    frozen = KB.conditions["frozen_shoulder"]
    assert {("M75.0", "who"), ("M75.00", "cm")} <= {(c.code, c.system) for c in frozen.icd10}


# ---------------- plan ordering ----------------


def test_vasti_come_before_any_femoral_triangle_site():
    plan = suggest_plan([("L3", "R")], max_per_segment=30)
    order = [item.muscle_id for item in plan.items if item.kind == "peripheral"]
    vasti = [i for i, m in enumerate(order) if m.startswith("vastus_")]
    triangle = [i for i, m in enumerate(order) if "femoral_triangle" in KB.muscles[m].hazards]
    assert vasti and triangle
    assert max(vasti) < min(triangle)


def test_tibialis_anterior_is_in_the_l5_plan():
    """Tsao 2003: tibialis anterior is one of the most sensitive L5 muscles."""
    plan = suggest_plan([("L5", "L")])
    assert "tibialis_anterior" in {item.muscle_id for item in plan.items}


def test_at_equal_evidence_a_safer_site_comes_first():
    for segment in KB.segment_order:
        muscles = [
            item
            for item in suggest_plan([(segment, "R")], max_per_segment=50).items
            if item.kind == "peripheral"
        ]
        for before, after in zip(muscles, muscles[1:], strict=False):
            a, b = KB.muscles[before.muscle_id], KB.muscles[after.muscle_id]
            same_class = (segment in a.roots.primary, segment in a.key_segments) == (
                segment in b.roots.primary,
                segment in b.key_segments,
            )
            if same_class:
                assert hazard_rank(KB, a) <= hazard_rank(KB, b), (segment, a.id, b.id)


# ---------------- outcome instruments ----------------


def test_psfs_2_is_labelled_a_minimal_detectable_change_and_the_mcid_is_cited():
    """Stratford 1995: MDC(90%) 2 points. Abbott & Schmitt 2014: MID 1.3 / 2.3 / 2.7."""
    psfs = KB.instruments["psfs"]
    assert psfs.mdc == 2 and psfs.mdc_source == "stratford_1995"
    assert psfs.mcid == 2.3 and psfs.mcid_source == "abbott_schmitt_2014"
    assert "detectable" in psfs.mdc_note.lower()
