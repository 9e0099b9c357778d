"""Models of the clinical area: consent, assessment, course of care, sessions and addenda."""

from imsclinic.clinical.models.assessment import (  # noqa: F401
    SPINAL_LEVELS,
    Assessment,
    AssessmentFinding,
    CourseOfCare,
    SpinalLevelFinding,
)
from imsclinic.clinical.models.base import RecordLocked  # noqa: F401
from imsclinic.clinical.models.consent import (  # noqa: F401
    DEFAULT_CONSENT_BODY,
    DEFAULT_CONSENT_TITLE,
    Consent,
    ConsentTextVersion,
    consent_problems,
    latest_consent,
)
from imsclinic.clinical.models.pain_drawing import (  # noqa: F401
    PatientPainDrawing,
    latest_pain_drawing,
)
from imsclinic.clinical.models.precaution import (  # noqa: F401
    PrecautionClearance,
    PrecautionDecision,
)
from imsclinic.clinical.models.session import (  # noqa: F401
    Addendum,
    AdverseEvent,
    NeedlingRow,
    SignRetest,
    TreatmentSession,
)
