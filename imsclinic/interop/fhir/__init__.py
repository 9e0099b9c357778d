"""FHIR R4 mapping of IMS Clinic records (built with fhir.resources' R4B models).

One module per resource type; each exposes pure functions from model instances to FHIR resources
as JSON-ready dicts, which the tests validate with fhir.resources' R4B classes (and `build` does
at run time when asked: see common.py). `collect` gathers them for a patient's `$everything` and a clinic's bulk
export; `common` explains the FHIR version, code systems and ids.
"""
