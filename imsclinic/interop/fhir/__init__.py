"""FHIR R4 mapping of IMS Clinic records (built with fhir.resources' R4B models).

One module per resource type; each exposes pure functions from model instances to validated
fhir.resources objects. `collect` gathers them for a patient's `$everything` and a clinic's bulk
export; `common` explains the FHIR version, code systems and ids.
"""
