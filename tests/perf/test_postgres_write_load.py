"""PostgreSQL under a real write load: no server errors, no lost writes.

Six API clients (threads with keep-alive connections, each a practitioner with a personal token)
run for 20 seconds against gunicorn (3 processes × 2 threads) on 127.0.0.1, all at one clinic.
Each round a client registers a patient, books that patient's initial assessment with one of the
six practitioners (so bookings lock the same practitioner rows the other clients are charting
under), then charts and signs a needling session for its own consented patient. These are the
writes that used to deadlock with the audit chain's lock and run out of chart numbers.

Afterwards every acknowledged write must be in the database, with its audit event. The test
counts results; it asserts nothing about throughput or timing. Runs only on PostgreSQL (CI runs
the suite there too: DATABASE_URL=postgres://… pytest).
"""

import datetime
import http.client
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from imsclinic.accounts.models import Role
from imsclinic.audit.models import AuditEvent
from imsclinic.clinical.models import TreatmentSession
from imsclinic.gateway.actions import create_personal_token
from imsclinic.patients.models import Patient
from imsclinic.scheduling.availability import local_datetime
from imsclinic.scheduling.models import Appointment
from tests.factories import (
    ClinicFactory,
    MembershipFactory,
    NeedlingAuthorisationFactory,
    PatientFactory,
    ProfessionalRegistrationFactory,
    UserFactory,
)
from tests.factories.clinical import ConsentFactory
from tests.factories.scheduling import weekdays_open

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the write load test runs on PostgreSQL (DATABASE_URL=postgres://…)",
    ),
]

CLIENTS = 6
SECONDS = 20
MAX_ROUNDS_PER_CLIENT = 400  # a bound on the loop whatever the machine's speed
SESSION_BODY = {
    "pain_before": 6,
    "pain_after": 3,
    "needles_in": 2,
    "needles_out": 2,
    "duration_minutes": 30,
    "precheck_done": True,
    "clean_technique": {"skin_prep": True, "hand_hygiene": True, "sharps": True},
    "aftercare_given": "Heat and gentle movement; soreness for 24-48 hours is expected.",
    "rows": [
        {
            "muscle_id": "gluteus_medius",
            "side": "R",
            "insertions": 2,
            "depth_mm": "25",
            "needle_gauge": "0.30",
            "needle_length_mm": "50",
            "response": "twitch",
            "tolerance": "good",
        }
    ],
}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(data_dir: Path) -> dict:
    """The app's environment, pointed at this test's PostgreSQL database."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSCLINIC_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
    env["IMSCLINIC_DATA_DIR"] = str(data_dir)
    env["IMSCLINIC_LOG_LEVEL"] = "WARNING"
    env["IMSCLINIC_DB_POOL_MAX"] = "4"
    return env


def start_server(data_dir: Path, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "imsclinic.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--threads",
            "2",
            "--graceful-timeout",
            "5",
        ],
        env=server_env(data_dir),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(150):  # readiness: /healthz answers, or the server died
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not answer /healthz: {log.read_text()[-2000:]}")


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Results:
    """What the clients saw, merged under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.patients: list[str] = []
        self.appointments: list[str] = []
        self.signed: list[str] = []
        self.refused: list[str] = []  # a 4xx: the app said no (should not happen here)
        self.server_errors: list[str] = []  # a 5xx or a broken connection

    def add(self, kind: str, value: str) -> None:
        with self.lock:
            getattr(self, kind).append(value)


class Client:
    def __init__(self, port: int, token: str, results: Results):
        self.port = port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.results = results
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: dict, expect: int):
        """The JSON answer, or None after recording why the write was not acknowledged."""
        try:
            self.conn.request("POST", path, body=json.dumps(body), headers=self.headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.results.add("server_errors", f"POST {path}: {type(exc).__name__}: {exc}")
            return None
        if response.status == expect:
            return json.loads(payload)
        text = payload.decode(errors="replace")
        if len(text) > 400:  # a DEBUG traceback: its head and the exception at its end
            text = f"{text[:100]} … {text[-300:]}"
        excerpt = f"POST {path}: HTTP {response.status} {text}"
        self.results.add("server_errors" if response.status >= 500 else "refused", excerpt)
        return None


def slot_queues(clinic, practitioners, count_each: int) -> dict:
    """Distinct hour-long starts inside everyone's opening hours (08:00-18:00), from tomorrow on:
    no two bookings of a practitioner can collide, so every refusal would be a real failure."""
    hours = range(8, 18)
    queues = {}
    for practitioner in practitioners:
        starts = (
            local_datetime(
                clinic.today() + datetime.timedelta(days=1 + n // len(hours)),
                datetime.time(hours[n % len(hours)]),
                clinic.tz,
            ).isoformat()
            for n in range(count_each)
        )
        queues[str(practitioner.uuid)] = iter(list(starts))
    return queues


def test_six_api_writers_for_twenty_seconds_get_no_server_error_and_lose_nothing(tmp_path):
    clinic = ClinicFactory(slug="load-pg")
    practitioners = []
    for i in range(CLIENTS):
        user = UserFactory(username=f"load-practitioner-{i}")
        MembershipFactory(user=user, clinic=clinic, role=Role.PRACTITIONER)
        NeedlingAuthorisationFactory(user=user)
        ProfessionalRegistrationFactory(user=user, jurisdiction=clinic.jurisdiction)
        weekdays_open(user, clinic)
        practitioners.append(user)
    writers = [PatientFactory(clinic=clinic) for _ in range(CLIENTS)]
    for writer in writers:
        ConsentFactory(patient=writer)
    tokens = [
        create_personal_token(user=user, by=user, name="load test", expires_in_days=1)[1]
        for user in practitioners
    ]
    queues = slot_queues(clinic, practitioners, CLIENTS * MAX_ROUNDS_PER_CLIENT)
    queue_lock = threading.Lock()
    # Client c books with practitioner c+1, c+2, …: every practitioner row is locked by bookings
    # from the other clients while its own client is charting under it.
    practitioner_cycle = [
        itertools.cycle(str(p.uuid) for p in practitioners[c + 1 :] + practitioners[: c + 1])
        for c in range(CLIENTS)
    ]

    server, port = start_server(tmp_path, tmp_path / "server.log")
    results = Results()
    deadline: list[float] = []
    # Released together; the barrier's action sets the one deadline before any client runs.
    start = threading.Barrier(CLIENTS, action=lambda: deadline.append(time.monotonic() + SECONDS))

    def client(index: int) -> None:
        api = Client(port, tokens[index], results)
        writer = str(writers[index].uuid)
        start.wait(timeout=30)
        for round_ in range(MAX_ROUNDS_PER_CLIENT):
            if time.monotonic() >= deadline[0]:
                return
            patient = api.post(
                "/api/v1/patients",
                {
                    "given_name": "Load",
                    "family_name": f"Client{index}-{round_}",
                    "date_of_birth": "1980-02-03",
                    "sex": "female",
                    "preferred_language": "en",
                },
                201,
            )
            if patient:
                results.add("patients", patient["uuid"])
                practitioner = next(practitioner_cycle[index])
                with queue_lock:
                    starts_at = next(queues[practitioner])
                booked = api.post(
                    "/api/v1/scheduling/appointments",
                    {
                        "patient": patient["uuid"],
                        "practitioner": practitioner,
                        "kind": "initial_assessment",
                        "starts_at": starts_at,
                    },
                    201,
                )
                if booked:
                    results.add("appointments", booked[0]["uuid"])
            session = api.post(f"/api/v1/clinical/patients/{writer}/sessions", SESSION_BODY, 201)
            if session:
                signed = api.post(f"/api/v1/clinical/sessions/{session['uuid']}/sign", {}, 200)
                if signed:
                    results.add("signed", signed["uuid"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 300)
    finally:
        stop_server(server)
    log = (tmp_path / "server.log").read_text()
    retried = [line for line in log.splitlines() if "conflicted with another transaction" in line]
    retries = len(retried)
    print("\n".join(retried[:8]))
    print(
        f"acknowledged {len(results.patients)} patients, {len(results.appointments)} bookings, "
        f"{len(results.signed)} signed sessions; {len(results.server_errors)} server errors, "
        f"{len(results.refused)} refusals; {retries} retried conflicts in the server log"
    )

    assert not any(thread.is_alive() for thread in threads)
    assert results.server_errors == [], results.server_errors[:5]
    assert results.refused == [], results.refused[:5]
    assert "Traceback" not in log, log[-3000:]
    assert results.patients and results.appointments and results.signed

    # No lost writes: every acknowledged write is there, with its one audit event.
    assert Patient.objects.filter(uuid__in=results.patients).count() == len(results.patients)
    assert Appointment.objects.filter(uuid__in=results.appointments).count() == len(
        results.appointments
    )
    assert TreatmentSession.objects.filter(
        uuid__in=results.signed, signed_at__isnull=False
    ).count() == len(results.signed)
    created = AuditEvent.objects.filter(action="patient.create", clinic_id=clinic.pk)
    assert created.count() == Patient.objects.filter(family_name__startswith="Client").count()
    assert AuditEvent.objects.filter(action="appointment.book").count() == len(results.appointments)
    assert AuditEvent.objects.filter(action="session.sign").count() == len(results.signed)
