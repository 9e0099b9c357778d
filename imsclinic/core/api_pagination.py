"""Pagination for every list endpoint of the API."""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination


class BoundedPagination(LimitOffsetPagination):
    """limit/offset with bounds: an unbounded offset overflows the database's 64-bit integers
    (a 500 found by schemathesis), and an unbounded limit lets one request read a whole clinic."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10_000_000)
