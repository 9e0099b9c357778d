"""Segment inference: textbook myotome patterns, multi-level reporting and invariants."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imsclinic.knowledge import UnknownMuscleError, infer_segments, load_knowledge

# Classic single-root patterns from standard references (ASIA key muscles; Wilbourn & Aminoff
# 1998 EMG root localisation; Kendall). Each must rank its textbook level first.
TEXTBOOK_PATTERNS = {
    "C5": ["deltoid", "biceps brachii", "infraspinatus", "supraspinatus", "rhomboid major"],
    "C6": ["biceps brachii", "brachioradialis", "ECRL", "pronator teres", "supinator"],
    "C7": ["triceps", "flexor carpi radialis", "ECRB", "latissimus dorsi", "extensor digitorum"],
    "C8": ["FDP", "FCU", "flexor pollicis longus", "extensor indicis", "first dorsal interosseous"],
    # T1: APB and ADM are T1 predominant (Wilbourn & Aminoff 1998; ADM is the ASIA T1 key muscle).
    "T1": ["thenar muscles", "hypothenar muscles", "first dorsal interosseous", "hand interossei"],
    # L4 has no muscle of its own (tibialis anterior is L4 = L5, the vasti L3-L4); Gunn's
    # paraspinal finding at the level is what separates it.
    "L4": ["tibialis anterior", "vastus medialis", "vastus lateralis", "L4 paraspinals"],
    # Tibialis posterior is L5 predominant (Tsao 2003: 23/25 L5 lesions).
    "L5": [
        "EHL",
        "gluteus medius",
        "fibularis longus",
        "tensor fasciae latae",
        "tibialis posterior",
    ],
    # Biceps femoris short head is S1 predominant (Tsao 2003: abnormal in 8/9 S1 lesions).
    "S1": ["gastrocnemius", "soleus", "gluteus maximus", "biceps femoris short head"],
}


def _findings(names, side="R"):
    return [{"muscle": name, "side": side} for name in names]


@pytest.mark.parametrize(("level", "muscles"), TEXTBOOK_PATTERNS.items())
def test_textbook_pattern_ranks_its_level_first_as_a_single_level(level, muscles):
    result = infer_segments(_findings(muscles))
    assert result.segments[0].segment == level
    assert result.segments[0].side == "R"
    assert result.levels[0].levels == (level,)
    assert not result.levels[0].multi_level


def test_c5_c6_pattern_is_reported_as_two_levels():
    muscles = [
        "deltoid",
        "infraspinatus",
        "brachioradialis",
        "ECRL",
        "pronator teres",
        "biceps brachii",
    ]
    result = infer_segments(_findings(muscles))
    group = result.levels[0]
    assert group.levels == ("C5", "C6")
    assert group.multi_level
    assert group.label == "C5-C6"


def test_l5_s1_pattern_is_reported_as_two_levels():
    muscles = [
        "EHL",
        "gluteus medius",
        "tensor fasciae latae",
        "gastrocnemius",
        "soleus",
        "gluteus maximus",
    ]
    result = infer_segments(_findings(muscles, side="L"))
    assert result.levels[0].levels == ("L5", "S1")


def test_sides_are_scored_separately():
    findings = _findings(TEXTBOOK_PATTERNS["C5"], "R") + _findings(TEXTBOOK_PATTERNS["S1"], "L")
    result = infer_segments(findings)
    assert result.top("R").segment == "C5"
    assert result.top("L").segment == "S1"
    assert result.score_of("S1", "R") == 0.0
    assert {g.side for g in result.levels} == {"L", "R"}


def test_primary_roots_weigh_more_than_minor_roots():
    result = infer_segments(_findings(["deltoid"]))  # C5 primary, C6 minor
    assert result.score_of("C5", "R") > result.score_of("C6", "R") > 0


def test_paraspinal_finding_points_strongly_to_its_level():
    result = infer_segments(_findings(["L5 multifidus"]))
    assert result.segments[0].segment == "L5"
    assert result.score_of("L5", "R") > 3 * result.score_of("L4", "R")
    # ...and outweighs one peripheral muscle of a neighbouring level.
    mixed = infer_segments(_findings(["L5 multifidus", "tibialis anterior"]))
    assert mixed.segments[0].segment == "L5"


def test_paraspinals_break_a_tie_between_adjacent_levels():
    base = ["deltoid", "infraspinatus", "brachioradialis", "ECRL", "pronator teres"]
    with_c6_paraspinal = infer_segments(_findings([*base, "C6 multifidus"]))
    with_c5_paraspinal = infer_segments(_findings([*base, "C5 multifidus"]))
    assert with_c6_paraspinal.segments[0].segment == "C6"
    assert with_c5_paraspinal.segments[0].segment == "C5"


def test_evidence_explains_the_score():
    result = infer_segments(_findings(["deltoid", "biceps brachii"]))
    top = result.segments[0]
    assert {e.ref for e in top.evidence} == {"deltoid", "biceps_brachii"}
    assert top.score == pytest.approx(sum(e.weight for e in top.evidence))


def test_grades_add_weight():
    tender = infer_segments([{"muscle": "deltoid", "side": "R", "grades": ["tender"]}])
    tender_taut = infer_segments([{"muscle": "deltoid", "side": "R", "grades": ["tender", "taut"]}])
    assert tender_taut.score_of("C5", "R") > tender.score_of("C5", "R")


def test_gunn_sign_on_a_region_supports_its_dermatomes():
    result = infer_segments([{"sign": "trophedema_skin_rolling", "region": "leg_front_l"}])
    scored = {s.segment for s in result.segments}
    assert scored == {"L4", "L5"}
    assert all(s.side == "L" for s in result.segments)


def test_gunn_sign_on_a_segment_goes_to_that_segment():
    result = infer_segments([{"sign": "paraspinal_tenderness", "segment": "C6", "side": "R"}])
    assert result.segments[0].segment == "C6"


def test_signs_tip_a_close_call():
    muscles = ["deltoid", "infraspinatus", "brachioradialis", "ECRL", "pronator teres"]
    plain = infer_segments(_findings(muscles))
    with_signs = infer_segments(
        _findings(muscles) + [{"sign": "paraspinal_tenderness", "segment": "C5", "side": "R"}]
    )
    assert with_signs.score_of("C5", "R") > plain.score_of("C5", "R")
    assert with_signs.segments[0].segment == "C5"


def test_cranial_only_muscles_are_reported_as_cranial_nerves():
    result = infer_segments(_findings(["masseter", "temporalis", "upper trapezius"]))
    nerves = {c.nerve for c in result.cranial}
    assert nerves == {"V", "XI"}
    # Trapezius's C3-C4 rami are mainly proprioceptive: a minor share only (Gray's/Standring).
    assert {s.segment for s in result.segments} >= {"C3", "C4"}
    assert all(e.role == "minor" for s in result.segments for e in s.evidence)


def test_muscle_located_sign_counts_as_a_taut_muscle():
    as_sign = infer_segments([{"sign": "taut_bands", "muscle": "deltoid", "side": "R"}])
    as_grade = infer_segments([{"muscle": "deltoid", "side": "R", "grades": ["taut"]}])
    assert as_sign.score_of("C5", "R") == as_grade.score_of("C5", "R")


def test_bad_input_raises_clear_errors():
    with pytest.raises(UnknownMuscleError):
        infer_segments(_findings(["deltoyd"]))
    with pytest.raises(ValueError, match="side must be L or R"):
        infer_segments([{"muscle": "deltoid", "side": "X"}])
    with pytest.raises(ValueError, match="unknown grade"):
        infer_segments([{"muscle": "deltoid", "side": "R", "grades": ["sore"]}])
    with pytest.raises(ValueError, match="unknown body-chart region"):
        infer_segments([{"sign": "vasomotor", "region": "elbow_x"}])
    with pytest.raises(ValueError, match="is on side L"):
        infer_segments([{"sign": "vasomotor", "region": "calf_l", "side": "R"}])


def test_no_findings_gives_an_empty_result():
    result = infer_segments([])
    assert result.segments == () and result.levels == ()


# ---------------- property tests ----------------

KB = load_knowledge()
PERIPHERAL = sorted(m.id for m in KB.muscles.values() if m.roots.primary and not m.paraspinal)
ALL_WITH_ROOTS = sorted(m.id for m in KB.muscles.values() if m.roots.primary)
finding_strategy = st.fixed_dictionaries(
    {
        "muscle": st.sampled_from(ALL_WITH_ROOTS),
        "side": st.sampled_from(["L", "R"]),
        "grades": st.lists(
            st.sampled_from(["tender", "taut", "shortened"]), min_size=1, max_size=3
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(base=st.lists(finding_strategy, max_size=8), data=st.data())
def test_adding_a_myotome_finding_never_lowers_that_segment(base, data):
    segment = data.draw(st.sampled_from(list(KB.segment_order)))
    side = data.draw(st.sampled_from(["L", "R"]))
    in_myotome = KB.muscles_for_segment(segment, include_paraspinal=True)
    if not in_myotome:
        return
    muscle = data.draw(st.sampled_from([m.id for m in in_myotome]))
    before = infer_segments(base).score_of(segment, side)
    after = infer_segments([*base, {"muscle": muscle, "side": side}]).score_of(segment, side)
    already_listed = any(f["muscle"] == muscle and f["side"] == side for f in base)
    # A repeated finding counts once, so it adds nothing; a new one always adds.
    assert after >= before if already_listed else after > before


@settings(max_examples=100, deadline=None)
@given(findings=st.lists(finding_strategy, min_size=1, max_size=10), data=st.data())
def test_ranking_does_not_depend_on_finding_order(findings, data):
    shuffled = data.draw(st.permutations(findings))
    first = infer_segments(findings)
    second = infer_segments(shuffled)
    assert [(s.segment, s.side, round(s.score, 6)) for s in first.segments] == [
        (s.segment, s.side, round(s.score, 6)) for s in second.segments
    ]


@settings(max_examples=100, deadline=None)
@given(findings=st.lists(finding_strategy, min_size=1, max_size=10))
def test_scores_are_positive_and_sorted(findings):
    result = infer_segments(findings)
    scores = [s.score for s in result.segments]
    assert all(score > 0 for score in scores)
    assert scores == sorted(scores, reverse=True)
    for group in result.levels:
        if not group.tied:  # only a tie between separate levels leaves a gap
            assert group.contiguous


def _far_from(level, muscle_id):
    position = KB.segment_position(level)
    muscle = KB.muscles[muscle_id]
    roots = [*muscle.all_roots, *(r for alt in muscle.alternatives for r in alt.primary)]
    return all(abs(KB.segment_position(r) - position) >= 2 for r in roots)


@settings(max_examples=200, deadline=None)
@given(level=st.sampled_from(sorted(TEXTBOOK_PATTERNS)), data=st.data())
def test_one_wrong_peripheral_finding_does_not_change_the_textbook_level(level, data):
    wrong = data.draw(st.sampled_from([m for m in PERIPHERAL if _far_from(level, m)]))
    findings = _findings([*TEXTBOOK_PATTERNS[level], wrong])
    assert infer_segments(findings).segments[0].segment == level
