"""Rate limits (django-ratelimit) on public forms, password reset and the API, each a clear 429
(issue 13, finding 8)."""

import pytest
from django.core import mail
from django.urls import reverse

from imsclinic.gateway.actions import create_personal_token
from imsclinic.screening.models import EvaluationRequest
from tests import workers

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS} | {
        "public-screening": "2/h",
        "public-booking": "2/h",
        "public-contact": "2/h",
        "password-reset": "3/h",
        "password-reset-email": "2/h",
        "api": "3/m",
    }
    return settings.RATE_LIMITS


@pytest.mark.parametrize("page", ["form", "contact", "book"])
def test_public_forms_answer_429_past_the_limit(client, clinic_a, tight_limits, page):
    url = reverse(f"screening:{page}", kwargs={"clinic_slug": clinic_a.slug})
    for _ in range(2):
        assert client.post(url, {}).status_code != 429
    refused = client.post(url, {"given_name": "Flood"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()
    assert "Nothing was saved" in refused.content.decode()
    assert not EvaluationRequest.objects.exists()
    # Reading the page is not limited; another address is not affected.
    assert client.get(url).status_code != 429
    assert client.post(url, {}, REMOTE_ADDR="198.51.100.9").status_code != 429


def test_password_reset_is_limited_per_address(client, alice, tight_limits):
    for i in range(3):
        client.post(reverse("password_reset"), {"email": f"nobody{i}@example.org"})
    refused = client.post(reverse("password_reset"), {"email": "alice@example.org"})
    assert refused.status_code == 429
    assert mail.outbox == []


def test_password_reset_is_limited_per_email_from_any_address(client, alice, tight_limits):
    for i in range(2):
        client.post(
            reverse("password_reset"), {"email": "alice@example.org"}, REMOTE_ADDR=f"10.0.0.{i}"
        )
    assert len(mail.outbox) == 2
    refused = client.post(
        reverse("password_reset"), {"email": " ALICE@example.org"}, REMOTE_ADDR="10.0.0.99"
    )
    assert refused.status_code == 429
    assert len(mail.outbox) == 2


def test_api_is_limited_per_token(client, alice, tight_limits):
    _, first = create_personal_token(user=alice, by=alice, name="one")
    _, second = create_personal_token(user=alice, by=alice, name="two")
    for _ in range(3):
        assert (
            client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
        )
    refused = client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {first}")
    assert refused.status_code == 429
    assert refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


@pytest.fixture
def redis_cache(settings):
    """The production cache: Redis (every worker shares the counts), this test worker's db."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": workers.redis_url(),
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_limits_work_on_the_shared_redis_cache(client, alice, tight_limits, redis_cache):
    _, token = create_personal_token(user=alice, by=alice, name="one")
    statuses = [
        client.get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
