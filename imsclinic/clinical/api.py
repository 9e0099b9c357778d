"""JSON API routes for the clinical area, mounted under /api/v1/ by imsclinic.api."""

from ninja import Router

router = Router(tags=["clinical"])
