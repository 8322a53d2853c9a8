"""What notifications hold about a person in privacy exports, and what erasure removes and leaves."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from syllabus.core import privacy as registry
from syllabus.notifications import privacy, services
from syllabus.notifications.models import Delivery, Notification, PersonSettings, Preference, Template
from syllabus.notifications.services import PreferenceChange
from syllabus.notifications.types import EMAIL, NotificationType
from tests.conftest import World
from tests.notifications.conftest import NOW, SAMPLE, Clock, Send, Smtp, sample_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world: World, sample_type: NotificationType, send: Send, smtp: Smtp, moved_clock: Clock) -> None:
    """The learner got one notice in Acme, one account-level, one from Globex; the manager got one in Acme."""
    learner = world.learner.user
    services.preferences_update(user=learner, organization=None, changes=[PreferenceChange(SAMPLE, EMAIL, False)])
    services.preferences_update(user=learner, organization=None, changes=[PreferenceChange(SAMPLE, EMAIL, True)])
    services.person_settings_update(user=learner, quiet_start=dt.time(22), quiet_end=dt.time(7), digest_time=dt.time(8))
    send(
        sample_notice(learner, organization_id=world.org.pk, dedupe_key="acme"),
        sample_notice(learner, dedupe_key="account"),
        sample_notice(learner, organization_id=world.other_org.pk, dedupe_key="globex"),
        sample_notice(world.manager.user, organization_id=world.org.pk, dedupe_key="acme"),
    )
    services.notifications_mark_read(
        user=learner,
        organization=world.org,
        ids=Notification.objects.filter(dedupe_key="acme").values_list("pk", flat=True),
    )
    services.template_save(
        organization=world.org,
        type_key=SAMPLE,
        language="en",
        subject="{{ course_title }}",
        body="Hi",
        by=world.org_admin.user,
    )


def test_notifications_is_a_privacy_provider() -> None:
    assert "notifications" in {provider.app_label for provider in registry.providers()}


def test_the_export_holds_the_persons_notifications_choices_and_settings(world: World, history: None) -> None:
    exported = registry.export_person(world.learner.user, world.org)["notifications"]
    json.dumps(exported)  # JSON-ready, as the registry promises
    # An organisation's export holds its own notifications; account-level notices belong to the person's account.
    [acme] = exported["notifications"]
    assert acme["type"] == SAMPLE and acme["organization_id"] == world.org.pk
    assert acme["subject"] == "Fire safety starts soon" and acme["url"] == "/courses/12/"
    assert acme["created_at"] == NOW.isoformat() and acme["read_at"] == NOW.isoformat()
    assert acme["deliveries"] == [{"channel": EMAIL, "status": "sent", "sent_at": NOW.isoformat(), "in_digest": False}]
    assert exported["preferences"] == [{"type": SAMPLE, "channel": EMAIL, "enabled": True, "mode": "immediate"}]
    assert exported["settings"] == {"quiet_start": "22:00:00", "quiet_end": "07:00:00", "digest_time": "08:00:00"}


def test_the_export_for_every_organisation_includes_all_of_them(world: World, history: None) -> None:
    exported = privacy.export_person(world.learner.user, None)
    assert len(exported["notifications"]) == 3
    assert sorted(str(row["organization_id"]) for row in exported["notifications"]) == sorted(
        [str(world.org.pk), str(world.other_org.pk), "None"]
    )


def test_a_person_with_nothing_exports_empty_lists(world: World) -> None:
    assert privacy.export_person(world.engineer.user, world.org) == {
        "notifications": [],
        "preferences": [],
        "settings": None,
    }


def test_erasure_removes_the_persons_notifications_and_choices_only(world: World, history: None) -> None:
    registry.erase_person(world.learner.user, world.platform_admin)
    assert not Notification.objects.filter(recipient=world.learner.user).exists()
    assert not Delivery.objects.filter(notification__recipient=world.learner.user).exists()
    assert not Preference.objects.filter(user=world.learner.user).exists()
    assert not PersonSettings.objects.filter(user=world.learner.user).exists()
    # Other people's messages stay.
    assert Notification.objects.filter(recipient=world.manager.user).count() == 1
    assert Delivery.objects.count() == 1


def test_erasing_a_template_author_keeps_the_wording_without_them(world: World, history: None) -> None:
    privacy.erase_person(world.org_admin.user, world.platform_admin)
    template = Template.objects.get()
    assert template.updated_by is None and template.subject == "{{ course_title }}"
