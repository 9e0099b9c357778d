"""JSON API routes for patients, mounted under /api/v1/patients by imsclinic.api."""

from ninja import Router

router = Router(tags=["patients"])
