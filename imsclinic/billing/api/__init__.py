"""JSON API routes for billing, mounted under /api/v1/billing by imsclinic.api.

The same rules as the billing pages: front desk and clinic admins of the record's clinic bill
(everyone else gets a 403; another clinic's record is a 404), practitioners read their own
revenue only (`/reports/revenue`), nothing here carries a clinical note. Every record is read
through the gateway (one access-log row per request); every write calls the action in
billing/actions.py, which holds the rule. A refused rule is a 409 `{"code": "refused", "detail":
<the rule's message>, "field": ...}`; a malformed value a 422. Reads need the token scope `read`,
writes `write`. Money is a decimal string next to its currency (billing/schemas.py).
"""

# The router and its operations, one module per part (each registers on the same router).
from imsclinic.billing.api import claims, invoices, payments, reports  # noqa: F401
from imsclinic.billing.api.common import Refused, refused_response, router

__all__ = ["Refused", "refused_response", "router"]
