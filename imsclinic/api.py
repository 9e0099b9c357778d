"""The JSON API, version 1, mounted at /api/v1/ (schema at /api/v1/openapi.json, docs at /api/v1/docs).

Each clinical area owns a `router` in its api.py; this module only mounts them. Authentication,
permission rules, audit and clinic scoping are the same as in the UI.
"""

from ninja import NinjaAPI

from imsclinic.clinical.api import router as clinical_router
from imsclinic.interop.api import router as interop_router
from imsclinic.interop.rest import exports_router, practitioners_router
from imsclinic.outcomes.api import router as outcomes_router
from imsclinic.patients.api import router as patients_router
from imsclinic.scheduling.api import router as scheduling_router
from imsclinic.screening.api import router as screening_router

api = NinjaAPI(
    title="IMS Clinic API",
    version="1.0.0",
    description="Patients, scheduling, assessments, needling sessions, outcomes and FHIR R4 for "
    "IMS and dry-needling clinics. Staff authenticate with `Authorization: Bearer <token>`.",
    urls_namespace="api-v1",
)
api.add_router("/screening", screening_router)
api.add_router("/patients", patients_router)
api.add_router("/scheduling", scheduling_router)
api.add_router("/clinical", clinical_router)
api.add_router("/outcomes", outcomes_router)
api.add_router("/fhir", interop_router)
api.add_router("/practitioners", practitioners_router)
api.add_router("/exports", exports_router)
# An area's router is mounted once it has an endpoint: an empty one would only add an empty tag
# to the OpenAPI schema (reports has none yet; the bench harness is not part of the product).
