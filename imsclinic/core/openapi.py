"""The OpenAPI schema says what the API really answers (schemathesis checks it, all checks).

django-ninja documents each operation's success responses; the errors every operation can give
come from shared layers and are added here, once:

- 400: a malformed body, a control character, JSON nested too deep (core.validation);
- 401: no or a bad credential; 403: a role or token scope that does not allow it;
- 404: not found, or another clinic's record (never told apart);
- 422: a value the schema or a rule refuses; 429: over the rate limit (core.ratelimits).

And the input rules of core.validation, so clients and fuzzers know them: no query or path
value may hold a control character other than tab, CR and LF; no string or key of a JSON body
may hold NUL; fields typed SafeText (patient demographics) refuse every control character.
"""

import copy
from typing import Any

NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
NO_NUL = "^[^\\u0000]*$"

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {
            "description": "What went wrong: a sentence, or a list of field errors (422)",
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}],
        }
    },
    "required": ["detail"],
}
COMMON_ERRORS = {
    "400": "The request is malformed (body, control characters, JSON depth)",
    "401": "No valid credential",
    "403": "Your role or the token's scope does not allow this",
    "404": "Not found (or not in your clinics)",
    "422": "A value was refused",
    "429": "Too many requests; see Retry-After",
}
METHODS = {"get", "post", "put", "patch", "delete"}


def _restrict_text(node: Any, pattern: str) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and not (
            {"format", "enum", "pattern", "const"} & set(node)
        ):
            node["pattern"] = pattern
        if node.get("type") == "object" and "propertyNames" not in node:
            node["propertyNames"] = {"pattern": NO_NUL}
        for value in node.values():
            _restrict_text(value, pattern)
    elif isinstance(node, list):
        for value in node:
            _restrict_text(value, pattern)


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.add(ref.rsplit("/", 1)[-1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _request_side(schema: dict) -> tuple[list, list, set[str]]:
    """(parameter schemas, inline body schemas, names of component schemas bodies use)."""
    parameters, bodies = [], []
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            parameters.extend(p.get("schema", {}) for p in operation.get("parameters", []))
            body = operation.get("requestBody", {}).get("content", {})
            bodies.extend(media.get("schema", {}) for media in body.values())
    components = schema.get("components", {}).get("schemas", {})
    names, todo = set(), _refs(bodies) | _refs(parameters)
    while todo:
        name = todo.pop()
        if name in names or name not in components:
            continue
        names.add(name)
        todo |= _refs(components[name])
    return parameters, bodies, names


def document_shared_behaviour(schema: dict) -> dict:
    """Add the shared error responses to every operation and the control-character rule to
    everything a request carries (parameters and bodies; responses are left as they are)."""
    parameters, bodies, names = _request_side(schema)
    # Query and path values: no control character at all (RejectUnsafeInputMiddleware).
    for node in parameters:
        _restrict_text(node, NO_CONTROL_CHARACTERS)
    # JSON bodies: no NUL anywhere (the middleware); fields declared SafeText carry the full rule.
    for node in bodies:
        _restrict_text(node, NO_NUL)
    components = schema.get("components", {}).get("schemas", {})
    for name in names:
        _restrict_text(components[name], NO_NUL)
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in COMMON_ERRORS.items():
                if status in responses or int(status) in responses:
                    continue
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": copy.deepcopy(ERROR_SCHEMA)}},
                }
    return schema
