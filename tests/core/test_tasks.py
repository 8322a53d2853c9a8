"""The heartbeat: a real periodic Celery job that proves the background pipeline works end to end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from syllabus.celery import app as celery_app
from syllabus.core import clock
from syllabus.core.models import Heartbeat
from syllabus.core.tasks import heartbeat

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch):
    # `make test` sets CELERY_TASK_ALWAYS_EAGER=true; this keeps a bare `pytest` run off the real broker too.
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def now(monkeypatch):
    current = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: current["now"])
    return current


def test_heartbeat_records_that_the_worker_is_alive_now(now):
    result = heartbeat.delay()
    assert result.successful()
    assert Heartbeat.objects.get(name="worker").last_seen == NOW


def test_heartbeat_updates_one_row_instead_of_piling_up(now):
    heartbeat.delay()
    now["now"] = NOW + dt.timedelta(minutes=1)
    heartbeat.delay()
    assert list(Heartbeat.objects.values_list("name", "last_seen")) == [("worker", NOW + dt.timedelta(minutes=1))]


def test_readyz_shows_the_heartbeat_the_task_recorded(client, now):
    heartbeat.delay()
    now["now"] = NOW + dt.timedelta(seconds=65)
    assert client.get("/readyz").json()["worker"] == {"last_seen": NOW.isoformat(), "age_seconds": 65}


def test_beat_schedules_the_heartbeat_every_minute_under_its_registered_name():
    entry = settings.CELERY_BEAT_SCHEDULE["core-heartbeat"]
    assert entry["task"] == heartbeat.name == "syllabus.core.tasks.heartbeat"
    assert entry["schedule"] == 60.0
    # Expiring before the next run means a worker back from an outage does not replay a backlog of heartbeats.
    assert entry["options"]["expires"] < entry["schedule"]
    assert heartbeat.name in celery_app.tasks
