"""Property tests of `imsclinic segments --json`: the engine says only what the findings support.

Duplicates count once, spared (normal) muscles count against their roots, ties are reported as
two levels, and findings that point nowhere carry a `does_not_localise` warning with no plan.
"""

import io
import json
import random

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from imsclinic.knowledge import load_knowledge, run_segments_cli

KB = load_knowledge()
PERIPHERAL = sorted(m.id for m in KB.muscles.values() if m.roots.primary and not m.paraspinal)
ALL_MUSCLES = sorted(KB.muscles)
GRADES = ["tender", "taut", "shortened"]
# Muscles whose primary roots are exactly two adjacent levels: alone they must tie.
TWO_ROOT = sorted(
    m.id
    for m in KB.muscles.values()
    if len(m.roots.primary) == 2
    and not m.roots.minor
    and not m.alternatives
    and KB.are_adjacent(*m.roots.primary)
)


def segments_json(tokens):
    out, err = io.StringIO(), io.StringIO()
    code = run_segments_cli([*tokens, "--json"], out, err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def token(muscle_id, side, grades=("tender",)):
    return f"{KB.muscles[muscle_id].name}:{side}:{'+'.join(grades)}"


def scores(payload):
    return {(s["segment"], s["side"]): s["score"] for s in payload["segments"]}


finding = st.tuples(
    st.sampled_from(ALL_MUSCLES),
    st.sampled_from(["L", "R"]),
    st.lists(st.sampled_from(GRADES), min_size=1, max_size=2, unique=True),
)


@settings(max_examples=60, deadline=None)
@given(findings=st.lists(finding, min_size=1, max_size=6), repeats=st.integers(2, 4))
def test_repeating_findings_changes_nothing(findings, repeats):
    once = segments_json([token(m, s, g) for m, s, g in findings])
    many = segments_json([token(m, s, g) for m, s, g in findings] * repeats)
    assert scores(once) == scores(many)
    assert once["levels"] == many["levels"]
    assert once["warnings"] == many["warnings"]


@settings(max_examples=60, deadline=None)
@given(
    findings=st.lists(finding, min_size=1, max_size=6),
    spared=st.sampled_from(PERIPHERAL),
    side=st.sampled_from(["L", "R"]),
)
def test_a_spared_muscle_counts_against_its_roots_and_raises_nothing(findings, spared, side):
    base = [token(m, s, g) for m, s, g in findings if (m, s) != (spared, side)]
    assume(base)
    before = scores(segments_json(base))
    after = scores(segments_json([*base, token(spared, side, ("normal",))]))
    assert set(after) <= set(before)
    assert all(after[key] <= before[key] for key in after)
    for root in KB.muscles[spared].roots.primary:
        if (root, side) in before:
            assert after[(root, side)] < before[(root, side)]


def test_the_cli_refuses_a_muscle_recorded_both_normal_and_tender():
    out, err = io.StringIO(), io.StringIO()
    code = run_segments_cli(["deltoid:R", "deltoid:R:normal"], out, err)
    assert code == 1
    assert "both as normal and as abnormal" in err.getvalue()


def test_a_spared_biceps_femoris_short_head_argues_against_s1():
    """Tsao 2003: the short head is normal in L5 lesions and abnormal in S1 lesions."""
    l5_or_s1 = ["extensor digitorum brevis:R", "fibularis brevis:R"]  # L5 = S1 in the data
    tied = segments_json(l5_or_s1)
    assert tied["levels"][0]["tied"] == ["L5", "S1"]
    spared = segments_json([*l5_or_s1, "biceps femoris short head:R:normal"])
    assert spared["segments"][0]["segment"] == "L5"
    assert spared["levels"][0]["tied"] == []


@settings(max_examples=40, deadline=None)
@given(muscle=st.sampled_from(TWO_ROOT), side=st.sampled_from(["L", "R"]))
def test_a_tie_is_reported_as_both_levels_never_the_upper_one_alone(muscle, side):
    payload = segments_json([token(muscle, side)])
    roots = KB.muscles[muscle].roots.primary
    (group,) = payload["levels"]
    assert group["levels"] == sorted(roots, key=KB.segment_position)
    assert group["tied"] == group["levels"]
    assert group["multi_level"]
    (warning,) = [w for w in payload["warnings"] if w["code"] == "tie"]
    assert warning["levels"] == group["levels"] and warning["side"] == side


def test_the_tie_needs_no_adjacency():
    """Two separate levels scoring the same are both reported, labelled as alternatives."""
    payload = segments_json(["C5 paraspinals:R", "C7 paraspinals:R"])
    (group,) = payload["levels"]
    assert group["tied"] == ["C5", "C7"]
    assert group["label"] == "C5 / C7"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_200_random_findings_never_give_a_confident_answer(seed):
    rng = random.Random(seed)
    tokens = [
        token(rng.choice(ALL_MUSCLES), rng.choice("LR"), (rng.choice(GRADES),)) for _ in range(200)
    ]
    payload = segments_json(tokens)
    assert payload["levels"], "200 findings always score something"
    for group in payload["levels"]:
        assert group["localises"] is False
        assert {"code": "does_not_localise", "side": group["side"]}.items() <= next(
            w
            for w in payload["warnings"]
            if w["side"] == group["side"] and w["code"] == "does_not_localise"
        ).items()
    assert payload["plan"] == []


def test_a_clear_pattern_localises_with_no_warning():
    payload = segments_json(
        ["EHL:L", "gluteus medius:L", "tensor fasciae latae:L", "L5 paraspinals:L"]
    )
    assert payload["warnings"] == []
    assert payload["levels"][0]["label"] == "L5"
    assert payload["levels"][0]["localises"] is True
    assert payload["plan"]
