"""Operations endpoints for load balancers, orchestrators and monitoring; none needs signing in.

- /healthz: the process is up and serving (liveness). Touches nothing else, so a slow database never gets a
  healthy web process restarted.
- /readyz: this process can serve real traffic (readiness): the database answers and, when Redis is configured,
  the cache does too. It also reports when a Celery worker last ran the heartbeat task; that is informational
  and never fails readiness, because web processes can serve pages while the workers restart.

Bodies name checks and exception classes only — never messages, which can carry host names or credentials.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_prometheus.exports import ExportToDjangoView

from syllabus.core import clock, selectors

logger = logging.getLogger(__name__)

OK = "ok"
FAILED = "failed"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 returned an unexpected row")


def check_cache() -> None:
    # A key of our own per probe, so concurrent probes cannot read each other's value.
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return the value just stored")
    finally:
        cache.delete(key)


def _run(name: str, check: Callable[[], None]) -> dict[str, str]:
    try:
        check()
    except Exception as exc:
        logger.exception("readiness check %s failed", name)
        return {"status": FAILED, "error": type(exc).__name__}
    return {"status": OK}


def _worker_heartbeat() -> dict[str, Any]:
    try:
        last_seen = selectors.heartbeat_last_seen()
    except Exception:
        # Informational only: a missing table (not migrated yet) must not turn into a failed probe.
        logger.exception("could not read the worker heartbeat")
        last_seen = None
    if last_seen is None:
        return {"last_seen": None, "age_seconds": None}
    age = max(0, int((clock.now() - last_seen).total_seconds()))
    return {"last_seen": last_seen.isoformat(), "age_seconds": age}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": OK})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _run("database", check_database)}
    if settings.REDIS_URL:
        checks["cache"] = _run("cache", check_cache)
    failing = [name for name, result in checks.items() if result["status"] != OK]
    body: dict[str, Any] = {"status": "unavailable" if failing else OK, "checks": checks}
    if failing:
        body["failing"] = failing
    # With the database down the heartbeat cannot be read either; say "unknown" rather than try.
    body["worker"] = _worker_heartbeat() if "database" not in failing else {"last_seen": None, "age_seconds": None}
    return JsonResponse(body, status=503 if failing else 200)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics. With METRICS_TOKEN set, scrapers must send `Authorization: Bearer <token>`."""
    expected = settings.METRICS_TOKEN
    if expected:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {expected}".encode()):
            return HttpResponse(status=404)
    elif settings.PRODUCTION:
        # Traffic and database figures are not for the public: production needs a token to serve them at all.
        return HttpResponse(status=404)
    return ExportToDjangoView(request)
