"""Two writes to one course at once leave its outcome row as the records say (PostgreSQL, where
transactions really overlap; SQLite serialises every writer)."""

import threading

import pytest
from django.db import connection, connections, transaction

from imsclinic.outcomes.models import CourseOutcome
from tests.factories import CourseOfCareFactory
from tests.outcomes.test_course_outcomes import record_nprs

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="overlapping transactions"),
]


def test_a_response_recorded_while_another_commits_counts_both(patient_a, alice):
    course = CourseOfCareFactory(patient=patient_a, practitioner=alice)
    recorded, release = threading.Event(), threading.Event()
    failures = []

    def first():
        try:
            with transaction.atomic():
                record_nprs(course, 8, "intake", alice)
                recorded.set()
                release.wait(timeout=30)
        except Exception as exc:  # surfaced below
            failures.append(repr(exc))
            recorded.set()
        finally:
            connections.close_all()

    def second():
        try:
            record_nprs(course, 4, "review", alice)
        except Exception as exc:  # surfaced below
            failures.append(repr(exc))
        finally:
            connections.close_all()

    holder = threading.Thread(target=first)
    holder.start()
    assert recorded.wait(timeout=30)
    follower = threading.Thread(target=second)
    follower.start()
    # The follow-up's refresh waits for the intake's transaction, then reads both responses.
    follower.join(timeout=1)
    assert follower.is_alive(), "the second refresh waits for the first write to commit"
    release.set()
    holder.join(timeout=30)
    follower.join(timeout=30)
    assert failures == []
    row = CourseOutcome.objects.get(course=course, instrument_id="nprs")
    assert (row.baseline_total, row.has_follow_up, row.first_mcid_session) == (8, True, 0)
