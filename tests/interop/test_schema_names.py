"""Every API schema class has its own name.

django-ninja files each schema of the OpenAPI document under its class name: two classes called
`Refusal` in two areas shared one entry, so the document described a clinic-admin 409 with
billing's fields and schemathesis found a response that "violates the schema".
"""

import collections

from ninja import Schema

import imsclinic.api  # noqa: F401 - imports every router and schema the API serves


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_two_api_schemas_share_a_name():
    by_name = collections.defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("imsclinic."):
            by_name[schema.__name__].add(f"{schema.__module__}.{schema.__qualname__}")
    assert {name: paths for name, paths in by_name.items() if len(paths) > 1} == {}
