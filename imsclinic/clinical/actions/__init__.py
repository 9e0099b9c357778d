"""Writes of the clinical area. Each action is atomic, keyword-only, takes `by=` and records one
audit event. Safety rules (signing refusals) are enforced here, not only in forms."""

from imsclinic.clinical.actions.assessment import (  # noqa: F401
    add_finding,
    create_course,
    remove_finding,
    set_course_status,
    sign_assessment,
    start_assessment,
    update_assessment,
)
from imsclinic.clinical.actions.consent import (  # noqa: F401
    current_text_or_default,
    publish_consent_text,
    record_consent,
    withdraw_consent,
)
from imsclinic.clinical.actions.errors import ClinicalError  # noqa: F401
from imsclinic.clinical.actions.gunn import (  # noqa: F401
    add_retest,
    remove_retest,
    retest_candidates,
    set_level_findings,
)
from imsclinic.clinical.actions.pain_drawing import save_pain_drawing  # noqa: F401
from imsclinic.clinical.actions.precautions import (  # noqa: F401
    record_clearance,
    record_decision,
    review_course_plan,
)
from imsclinic.clinical.actions.session import (  # noqa: F401
    add_addendum,
    add_adverse_event,
    add_needling_row,
    chart_session,
    draft_for,
    previous_signed_session,
    remove_needling_row,
    repeat_last_session,
    sign_session,
    start_session,
    update_needling_row,
    update_session,
)
from imsclinic.clinical.actions.signing import (  # noqa: F401
    SigningRefused,
    actor_problems,
    assessment_refusals,
    session_refusals,
)
from imsclinic.clinical.models import RecordLocked  # noqa: F401
