"""/healthz, /readyz and /metrics: open to probes without signing in, honest about failures, never leaky."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import OperationalError, connection

from syllabus.core import clock
from syllabus.core.models import Heartbeat

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


def test_healthz_answers_ok_with_database_access_blocked(client):
    # No django_db mark: any query would raise, so a 200 proves liveness never touches the database.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_makes_no_database_queries(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_answers(client, settings):
    settings.REDIS_URL = ""  # without Redis there is no cache check (CI's second run sets REDIS_URL)
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": {"status": "ok"}}
    assert "failing" not in body
    assert body["worker"] == {"last_seen": None, "age_seconds": None}


@pytest.mark.django_db
def test_readyz_reports_the_age_of_the_last_worker_heartbeat(client, frozen_now):
    Heartbeat.objects.create(name="worker", last_seen=frozen_now - dt.timedelta(seconds=42))
    body = client.get("/readyz").json()
    assert body["worker"] == {"last_seen": "2026-03-02T09:29:18+00:00", "age_seconds": 42}


@pytest.mark.django_db
def test_a_stale_heartbeat_does_not_fail_readiness(client, frozen_now):
    Heartbeat.objects.create(name="worker", last_seen=frozen_now - dt.timedelta(days=3))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["worker"]["age_seconds"] == 3 * 24 * 3600


@pytest.mark.django_db
def test_readyz_is_unavailable_and_names_the_database_when_it_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError('connection to "db.internal" failed: password=hunter2 rejected')

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"status": "failed", "error": "OperationalError"}
    assert body["worker"] == {"last_seen": None, "age_seconds": None}
    # The exception's message stays in the server log, never in the probe's answer.
    assert b"hunter2" not in response.content and b"db.internal" not in response.content


@pytest.mark.django_db
def test_readyz_checks_the_cache_when_redis_is_configured(client, settings):
    settings.REDIS_URL = "redis://cache.internal:6379/0"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": {"status": "ok"}, "cache": {"status": "ok"}}


@pytest.mark.django_db
def test_readyz_is_unavailable_and_names_the_cache_when_it_loses_values(client, settings, monkeypatch):
    settings.REDIS_URL = "redis://cache.internal:6379/0"
    monkeypatch.setattr(type(caches["default"]), "get", lambda self, key, default=None, version=None: default)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert body["checks"]["database"] == {"status": "ok"}
    assert b"cache.internal" not in response.content


@pytest.mark.django_db
def test_metrics_serves_prometheus_text_with_django_metrics(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"django_http_requests_total_by_method" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_ops_endpoints_need_no_sign_in_and_do_not_leak_secrets(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "Location" not in response
    assert settings.SECRET_KEY.encode() not in response.content
    assert settings.DATABASE_URL.encode() not in response.content
    if settings.REDIS_URL:
        assert settings.REDIS_URL.encode() not in response.content


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_writes(client, path):
    assert client.post(path).status_code == 405


def test_metrics_need_the_bearer_token_when_one_is_configured(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert response.status_code == 200 and b"django_http_requests" in response.content


def test_production_without_a_metrics_token_serves_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    settings.PRODUCTION = True
    assert client.get("/metrics").status_code == 404
