"""JSON API routes for the reports area, mounted under /api/v1/ by imsclinic.api."""

from ninja import Router

router = Router(tags=["reports"])
