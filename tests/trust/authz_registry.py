"""The authorisation matrix registry: one tiny entry per protected object route.

tests/trust/test_authz_matrix.py takes every route in core/routes.py PROTECTED_ROUTES that has a
`<uuid:...>` / `<uuidstr:...>` parameter and FAILS if no entry here describes it. For each entry
it builds the object in clinic A and checks, with the named cast of tests/conftest.py:

  alice (practitioner A), bob (front desk A), olivia (clinic admin A)  → `ok` or 403
  carol (practitioner at clinic B)                                      → 404
  anonymous                                                             → login redirect / 401
  pat (portal patient of patient_a): staff routes → 403 or 404; `portal=True` routes → her own
      object answers `status`, the same kind of object of another patient of clinic A → 404

How an area adds its routes (docs/security.md, "Authorisation matrix"): create
`tests/<area>/authz.py` with a list named AUTHZ, e.g.

    from tests.trust.authz_registry import Route
    AUTHZ = [
        Route("clinical/sessions/<uuid:session_uuid>/",
              lambda w, patient: {"session_uuid": SessionFactory(patient=patient).uuid},
              clinical=True),
    ]

`make(w, patient)` builds the object for `patient` (a patient of clinic A) and returns the URL
kwargs; `w` holds the cast and clinics (w.alice, w.clinic_a, w.patient_a ...). Defaults: every
staff role of clinic A may open it (`clinical=True`: front desk gets 403; `ok=` names the roles
exactly), the GET answers 200 (`status=`), and API routes are recognised by their "api/" prefix.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

STAFF = ("alice", "bob", "olivia")


@dataclass(frozen=True)
class Route:
    pattern: str
    make: Callable
    clinical: bool = False
    ok: tuple[str, ...] | None = None
    status: int = 200
    portal: bool = False
    query: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def allowed(self) -> tuple[str, ...]:
        if self.portal:
            return ()
        if self.ok is not None:
            return self.ok
        return ("alice", "olivia") if self.clinical else STAFF

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def _patient_kwargs(w, patient):
    return {"patient_uuid": patient.uuid}


# The foundation's own object routes.
FOUNDATION = [
    Route("patients/<uuid:patient_uuid>/", _patient_kwargs),
    Route("patients/<uuid:patient_uuid>/edit/", _patient_kwargs),
    Route("patients/<uuid:patient_uuid>/access-log/", _patient_kwargs, ok=("olivia",)),
    Route("api/v1/patients/<uuidstr:patient_uuid>", _patient_kwargs),
]


def all_routes() -> dict[str, Route]:
    """FOUNDATION plus every tests/<area>/authz.py AUTHZ list, keyed by pattern."""
    routes = {route.pattern: route for route in FOUNDATION}
    tests_dir = Path(__file__).resolve().parents[1]
    for info in pkgutil.iter_modules([str(tests_dir)]):
        if not info.ispkg or not (tests_dir / info.name / "authz.py").exists():
            continue
        module = importlib.import_module(f"tests.{info.name}.authz")
        for route in module.AUTHZ:
            assert route.pattern not in routes, f"{route.pattern} is registered twice"
            routes[route.pattern] = route
    return routes
