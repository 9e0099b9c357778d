"""Authorisation-matrix entries of the gateway (see tests/trust/authz_registry.py).

Revoking a token is POST-only: its owner (alice) and her clinic's admin (olivia) get the GET's
405; front desk at the same clinic may not (403); another clinic's practitioner gets a 404.
"""

from imsclinic.gateway import actions
from tests.trust.authz_registry import Route


def _alice_token(w, patient):
    token, _ = actions.create_personal_token(user=w.alice, by=w.alice, name="Scripts")
    return {"token_uuid": token.uuid}


AUTHZ = [
    Route("api-tokens/<uuid:token_uuid>/revoke/", _alice_token, ok=("alice", "olivia"), status=405),
]
