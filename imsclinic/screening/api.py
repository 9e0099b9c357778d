"""JSON API routes for the screening area, mounted under /api/v1/ by imsclinic.api."""

from ninja import Router

router = Router(tags=["screening"])
