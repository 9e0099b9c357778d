"""The JSON API, version 1, mounted at /api/v1/ (schema at /api/v1/openapi.json, docs at /api/v1/docs).

Each clinical area owns a `router` in its api.py; this module only mounts them. Authentication,
permission rules, audit and clinic scoping are the same as in the UI.
"""

import functools

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from ninja import NinjaAPI

from imsclinic.billing.api import Refused as BillingRefused
from imsclinic.billing.api import refused_response as billing_refused
from imsclinic.billing.api import router as billing_router
from imsclinic.clinical.api import router as clinical_router
from imsclinic.clinics.api import router as clinics_router
from imsclinic.core.api_docs import OfflineSwagger
from imsclinic.core.api_errors import database_busy
from imsclinic.core.db import DatabaseBusy
from imsclinic.core.openapi import document_shared_behaviour
from imsclinic.core.ratelimits import ApiRateThrottle
from imsclinic.interop.api import router as interop_router
from imsclinic.interop.rest import exports_router, practitioners_router
from imsclinic.outcomes.api import router as outcomes_router
from imsclinic.patients.api import router as patients_router
from imsclinic.scheduling.api import router as scheduling_router
from imsclinic.scheduling.waitlist.api import router as waitlist_router
from imsclinic.screening.api import router as screening_router


class ClinicAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        # Errors from the shared layers and the control-character rule (core/openapi.py).
        return document_shared_behaviour(super().get_openapi_schema(**kwargs))


api = ClinicAPI(
    title="IMS Clinic API",
    version="1.0.0",
    description="Patients, scheduling, assessments, needling sessions, outcomes and FHIR R4 for "
    "IMS and dry-needling clinics. Staff authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api-v1",
    # Vendored Swagger UI and a static initialiser: works offline and under the CSP (core/api_docs).
    docs=OfflineSwagger(),
    # One request budget per token (settings.RATE_LIMITS["api"]); past it, 429 JSON.
    throttle=[ApiRateThrottle()],
)
api.add_router("/screening", screening_router)
api.add_router("/patients", patients_router)
api.add_router("/scheduling", scheduling_router)
api.add_router("/scheduling/waitlist", waitlist_router)
api.add_router("/clinical", clinical_router)
api.add_router("/outcomes", outcomes_router)
api.add_router("/fhir", interop_router)
api.add_router("/practitioners", practitioners_router)
api.add_router("/exports", exports_router)
api.add_router("/admin", clinics_router)
api.add_router("/billing", billing_router)
# An area's router is mounted once it has an endpoint: an empty one would only add an empty tag
# to the OpenAPI schema (reports has none yet; the bench harness is not part of the product).


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    """The gateway (gateway.records.load) refuses a role with PermissionDenied: a 403 here, once
    for every router, as Django answers it on pages."""
    return api.create_response(
        request, {"detail": str(exc) or "Your role does not allow this."}, status=403
    )


# A billing rule's refusal: 409 with the rule's message and field (billing/api/).
api.add_exception_handler(BillingRefused, functools.partial(billing_refused, api=api))

# Contention is a 503 "try again", never a 500 (core.db.write_transaction retries first).
api.add_exception_handler(DatabaseBusy, functools.partial(database_busy, api=api))
api.add_exception_handler(DatabaseError, functools.partial(database_busy, api=api))
