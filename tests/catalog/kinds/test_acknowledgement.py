"""The Acknowledgement kind: a policy confirmed by the learner, recorded as who confirmed which version when."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from syllabus.audit.models import AuditRecord
from syllabus.audit.services import subject_for_user
from syllabus.catalog import learner_records, services
from syllabus.catalog.activity_kinds import base
from syllabus.catalog.activity_kinds.acknowledgement import kind as ack_kind
from syllabus.catalog.activity_kinds.acknowledgement.services import acknowledgement_record, document_digest
from syllabus.catalog.models import Course
from syllabus.catalog.versions import find_activity
from syllabus.core import privacy, request_context
from tests.catalog.kinds.builders import course_of_every_kind, upload
from tests.conftest import World

pytestmark = pytest.mark.django_db
kind = base.get("acknowledgement")


@pytest.fixture
def course(world: World) -> Course:
    return services.course_create(organization=world.org, by=world.instructor.user, title="Fire safety")


def clean(course: Course, world: World, data: dict[str, object], files: dict[str, object] | None = None,
          current: dict[str, object] | None = None) -> dict[str, object]:  # fmt: skip
    context = base.AuthorContext(course=course, by=world.instructor.user, current=current or {})
    return kind.clean(data=data, files=files or {}, context=context)


def test_a_policy_text_and_pdf_with_the_default_statement(course: Course, world: World) -> None:
    config = clean(
        course, world, {"body": "<p>Never <script>x</script>block doors.</p>"}, {"document": upload("policy.pdf")}
    )
    assert config["body"] == "<p>Never block doors.</p>"
    assert config["statement"] == ack_kind.DEFAULT_STATEMENT
    assert config["name"] == "policy.pdf" and len(str(config["asset_sha256"])) == 64
    assert kind.asset_ids(config) == [config["asset_id"]]


def test_a_policy_needs_text_or_a_pdf(course: Course, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, {"body": "<p> </p>"})
    assert caught.value.message_dict == {"body": [ack_kind.DOCUMENT_REQUIRED]}


def test_the_policy_document_must_be_a_pdf(course: Course, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, {}, {"document": upload("roster.csv")})
    assert caught.value.message_dict == {"document": ["roster.csv is not a PDF document: its content is a text file."]}


def test_removing_the_pdf_of_a_text_policy_keeps_the_text(course: Course, world: World) -> None:
    first = clean(course, world, {"body": "<p>Rules</p>"}, {"document": upload("policy.pdf")})
    second = clean(course, world, {"body": "<p>Rules</p>", "remove_document": "on", "statement": "I agree."},
                   current=first)  # fmt: skip
    assert "asset_id" not in second and second["statement"] == "I agree."


def test_a_long_statement_is_refused(course: Course, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        clean(course, world, {"body": "<p>x</p>", "statement": "x" * 501})
    assert caught.value.message_dict == {"statement": [ack_kind.STATEMENT_TOO_LONG.format(limit=500)]}


def test_the_digest_changes_with_the_text_the_pdf_and_the_statement() -> None:
    base_config = {"body": "<p>a</p>", "asset_sha256": "0" * 64, "statement": "I agree."}
    digests = {
        document_digest(base_config),
        document_digest({**base_config, "body": "<p>b</p>"}),
        document_digest({**base_config, "asset_sha256": "1" * 64}),
        document_digest({**base_config, "statement": "I do not."}),
    }
    assert len(digests) == 4


@pytest.fixture
def published(world: World):  # type: ignore[no-untyped-def]
    return course_of_every_kind(world)


def confirm(published, world: World):  # type: ignore[no-untyped-def]
    activity = find_activity(published.version.snapshot, str(published.acknowledgement.uid))
    with request_context.bound(request_context.RequestContext(ip_address="203.0.113.9", user_agent="test")):
        return acknowledgement_record(
            user=world.learner.user, course=published.course, version=published.version, activity=activity
        )


def test_confirming_records_who_confirmed_which_version_when_and_audits_it(published, world: World) -> None:  # type: ignore[no-untyped-def]
    record, created = confirm(published, world)
    assert created
    activity = find_activity(published.version.snapshot, str(published.acknowledgement.uid))
    assert (record.user, record.version, record.course, str(record.activity_uid)) == (
        world.learner.user, published.version, published.course, str(published.acknowledgement.uid),
    )  # fmt: skip
    assert record.statement == ack_kind.DEFAULT_STATEMENT
    assert record.document_digest == document_digest(activity["config"])
    assert record.ip_address == "203.0.113.9"
    assert record.subject == subject_for_user(world.learner.user)
    audit = AuditRecord.objects.get(action="activity.acknowledged")
    assert audit.after["document_digest"] == record.document_digest
    again, created_again = confirm(published, world)
    assert again == record and not created_again


def test_acknowledgements_block_deleting_the_course(published, world: World) -> None:  # type: ignore[no-untyped-def]
    assert not learner_records.exist(published.course.pk)
    confirm(published, world)
    assert learner_records.exist(published.course.pk)
    with pytest.raises(ValidationError):
        services.course_delete(course=published.course, by=world.org_admin.user)


def test_an_erased_person_leaves_a_pseudonymous_record(published, world: World) -> None:  # type: ignore[no-untyped-def]
    record, _ = confirm(published, world)
    exported = privacy.export_person(world.learner.user, None)["activity_acknowledgement"]["acknowledgements"]
    assert exported[0]["document_digest"] == record.document_digest and exported[0]["ip_address"] == "203.0.113.9"
    privacy.erase_person(world.learner.user, world.org_admin.user)
    record.refresh_from_db()
    assert record.user is None and record.ip_address is None
    assert record.subject and record.document_digest and record.confirmed_at


def test_the_learner_view_offers_the_confirmation_and_then_shows_it(published, world: World) -> None:  # type: ignore[no-untyped-def]
    activity = find_activity(published.version.snapshot, str(published.acknowledgement.uid))
    request = RequestFactory().get("/")
    request.user = world.learner.user
    context = base.LearnerContext(
        request=request, course=published.course, version_id=published.version.pk, activity=activity,
        signal_url="/signal/", asset_url=lambda i: f"/asset/{i}",
    )  # fmt: skip
    html = str(kind.render_learner(context))
    assert 'action="/signal/"' in html and 'name="confirm"' in html and ack_kind.DEFAULT_STATEMENT in html
    confirm(published, world)
    html = str(kind.render_learner(context))
    assert 'name="confirm"' not in html and "You confirmed this on" in html
    context.preview, context.signal_url = True, ""
    assert "Nothing is recorded in a preview" in str(kind.render_learner(context))
