"""The interop area's full clinical record, reused: the gateway tests read every kind of record."""

from tests.interop.conftest import full_record  # noqa: F401 - a fixture, shared
