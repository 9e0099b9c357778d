"""Gunn's examination by spinal level (the palpation grid on the assessment) and the re-test of
signs after needling (before -> after, on the session)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from imsclinic.clinical import actions
from imsclinic.clinical.actions import ClinicalError, RecordLocked
from imsclinic.clinical.forms import RetestForm
from imsclinic.clinical.models import (
    SPINAL_LEVELS,
    Assessment,
    SpinalLevelFinding,
    TreatmentSession,
)
from imsclinic.clinical.views.common import refuse_to
from imsclinic.gateway.records import record_view

# Grid columns: (structure, side, state) in the order they are shown.
GRID_COLUMNS = [
    (structure, side, state)
    for structure, sides in (
        (SpinalLevelFinding.Structure.PARASPINAL, ("L", "R")),
        (SpinalLevelFinding.Structure.SPINOUS, ("L", "M", "R")),
    )
    for side in sides
    for state in SpinalLevelFinding.State.values
]
SIDE_WORDS = {"L": "left", "R": "right", "M": "midline"}


def cell_label(structure: str, level: str, side: str, state: str) -> str:
    """Accessible label of one grid cell: 'T4 left tender' (paraspinal) or 'T4 spinous process
    midline tender'."""
    where = "" if structure == SpinalLevelFinding.Structure.PARASPINAL else " spinous process"
    return f"{level}{where} {SIDE_WORDS[side]} {state}"


def level_grid(assessment) -> dict:
    """The grid as rows of cells for the template, ticked where a finding is recorded."""
    recorded = {(f.structure, f.level, f.side, f.state) for f in assessment.level_findings.all()}
    rows = []
    for level in SPINAL_LEVELS:
        cells = [
            {
                "value": f"{structure}|{level}|{side}|{state}",
                "label": cell_label(structure, level, side, state),
                "checked": (structure, level, side, state) in recorded,
            }
            for structure, side, state in GRID_COLUMNS
        ]
        rows.append({"level": level, "cells": cells})
    headers = [
        {
            "structure": "Paraspinal" if structure == "paraspinal" else "Spinous process",
            "side": SIDE_WORDS[side].capitalize(),
            "state": state.capitalize(),
        }
        for structure, side, state in GRID_COLUMNS
    ]
    return {
        "rows": rows,
        "headers": headers,
        "count": len(recorded),
        "tap_rows": _tap_rows(recorded),
        "tap_headers": [_place_header(structure, side) for structure, side in TAP_PLACES],
    }


# The one-tap grid: one cell per level, structure and side, cycling none -> tender -> taut.
TAP_PLACES = list(dict.fromkeys((structure, side) for structure, side, _state in GRID_COLUMNS))
STATE_LABELS = {(): "None", ("tender",): "Tender", ("taut",): "Taut", ("taut", "tender"): "Both"}


def _place_header(structure: str, side: str) -> str:
    what = "Paraspinal" if structure == SpinalLevelFinding.Structure.PARASPINAL else "Spinous"
    return f"{what} {SIDE_WORDS[side]}"


def _tap_rows(recorded: set) -> list[dict]:
    rows = []
    for level in SPINAL_LEVELS:
        cells = []
        for structure, side in TAP_PLACES:
            states = tuple(
                sorted(
                    state
                    for state in SpinalLevelFinding.State.values
                    if (structure, level, side, state) in recorded
                )
            )
            where = (
                "paraspinal"
                if structure == SpinalLevelFinding.Structure.PARASPINAL
                else ("spinous process")
            )
            cells.append(
                {
                    "value": f"{structure}|{level}|{side}",
                    "label": f"{level} {where} {SIDE_WORDS[side]}",
                    "state_label": STATE_LABELS[states],
                }
            )
        rows.append({"level": level, "cells": cells})
    return rows


@record_view(Assessment, "chart.assessment.levels", url_kwarg="assessment_uuid")
@require_POST
def level_grid_save(request, assessment):
    url = reverse("clinical:assessment", args=[assessment.uuid]) + "#levels"
    findings = []
    for value in request.POST.getlist("level"):
        parts = value.split("|")
        if len(parts) != 4:
            messages.error(request, "A ticked cell of the grid was not understood. Nothing saved.")
            return redirect(url)
        structure, level, side, state = parts
        findings.append({"structure": structure, "level": level, "side": side, "state": state})
    try:
        rows = actions.set_level_findings(assessment=assessment, by=request.user, findings=findings)
    except (ClinicalError, RecordLocked) as error:
        return refuse_to(request, error, url)
    messages.success(request, f"Spinal palpation saved ({len(rows)} findings).")
    return redirect(url)


@record_view(TreatmentSession, "chart.session.retest", url_kwarg="session_uuid")
@require_POST
def retest_add(request, session):
    url = reverse("clinical:session", args=[session.uuid]) + "#retests"
    form = RetestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A re-test needs what was tested, the finding before and after.")
        return redirect(url)
    try:
        actions.add_retest(session=session, by=request.user, **form.cleaned_data)
    except (ClinicalError, RecordLocked) as error:
        return refuse_to(request, error, url)
    messages.success(request, "Re-test recorded.")
    return redirect(url)


@record_view(TreatmentSession, "chart.session.retest", url_kwarg="session_uuid")
@require_POST
def retest_delete(request, session, retest_id):
    url = reverse("clinical:session", args=[session.uuid]) + "#retests"
    retest = get_object_or_404(session.retests, pk=retest_id)
    try:
        actions.remove_retest(retest=retest, by=request.user)
    except RecordLocked as error:
        return refuse_to(request, error, url)
    return redirect(url)
