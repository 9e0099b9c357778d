"""factory_boy factories, one module per area. Import from here: `from tests.factories import ...`."""

from tests.factories.accounts import (  # noqa: F401
    ClinicFactory,
    MembershipFactory,
    NeedlingAuthorisationFactory,
    ProfessionalRegistrationFactory,
    UserFactory,
)
from tests.factories.billing import CoverageFactory  # noqa: F401
from tests.factories.clinical import (  # noqa: F401
    AdverseEventFactory,
    AssessmentFactory,
    ConsentFactory,
    ConsentTextVersionFactory,
    CourseOfCareFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)
from tests.factories.outcomes import QuestionnaireResponseFactory  # noqa: F401, E402
from tests.factories.patients import PatientFactory  # noqa: F401
from tests.factories.scheduling import (  # noqa: F401
    AppointmentFactory,
    AvailabilityFactory,
    ServiceFactory,
)
from tests.factories.screening import EvaluationRequestFactory  # noqa: F401
