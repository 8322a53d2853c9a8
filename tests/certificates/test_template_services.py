"""Template services: every refusal names its field (and line), nothing is half-saved, each change is audited without
the template's text, `revision` follows what is drawn, and only `certificate.manage` writes — from the attacker's
side: a learner, a manager, an instructor, another organisation's admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit.models import AuditRecord
from syllabus.certificates import default_templates, rendering
from syllabus.certificates.models import Award, Template
from syllabus.certificates.placeholders import UNKNOWN_PLACEHOLDER
from syllabus.certificates.services import templates as services
from tests.conftest import World

pytestmark = pytest.mark.django_db


def data(**overrides: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": "Gold",
        "description": "For the annual safety training",
        "html": "<h1>{{ title }}</h1>\n<p>{{ learner_name }}</p>\n{{ signatories }}",
        "css": "h1 { color: #8a6d1d; }",
        "page_size": "a4_landscape",
        "signatories": [{"name": "Ada Byron", "title": "Head of Safety"}],
    }
    out.update(overrides)
    return out


def refusal(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_an_officer_creates_a_template_and_it_is_audited_without_its_text(world: World, officer) -> None:  # type: ignore[no-untyped-def]
    template = services.template_create(organization=world.org, by=officer.user, data=data())

    assert (template.name, template.revision, template.created_by) == ("Gold", 1, officer.user)
    assert template.signatories == [{"name": "Ada Byron", "title": "Head of Safety"}]
    record = AuditRecord.objects.get(action="certificate.template_created")
    text = str(record.after)
    assert "Ada Byron" not in text and "learner_name" not in text
    assert record.after["signatories"] == 1 and len(record.after["html_sha256"]) == 16


def test_every_problem_is_named_on_its_field_at_once_and_nothing_is_saved(world: World, officer) -> None:  # type: ignore[no-untyped-def]
    services.template_create(organization=world.org, by=officer.user, data=data())
    bad = data(
        name="gold",  # another template's name, whatever the case
        html="<h1>{{ title }}</h1>\n<p>{{ learner.name }}</p>",
        css="h1 { color: red; }\n\n@import 'https://evil.test/x.css';",
        page_size="a3",
        signatories=[{"name": "", "title": "CEO"}, {"name": "x" * 101, "title": "y" * 101}],
    )
    with pytest.raises(ValidationError) as exc:
        services.template_create(organization=world.org, by=officer.user, data=bad)

    assert refusal(exc) == {
        "name": [services.NAME_TAKEN],
        "html": [UNKNOWN_PLACEHOLDER.format(line=2, found="{{ learner.name }}")],
        "css": [rendering.CSS_IMPORT.format(line=3)],
        "page_size": [services.PAGE_SIZE_UNKNOWN],
        "signatories": [
            services.SIGNATORY_NAME_REQUIRED.format(number=1),
            services.SIGNATORY_NAME_TOO_LONG.format(number=2),
            services.SIGNATORY_TITLE_TOO_LONG.format(number=2),
        ],
    }
    assert Template.objects.count() == 1
    assert AuditRecord.objects.filter(action="certificate.template_created").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": "  "}, "name", services.NAME_REQUIRED),
        ({"name": "n" * 201}, "name", services.NAME_TOO_LONG),
        ({"description": "d" * 2001}, "description", services.DESCRIPTION_TOO_LONG),
        ({"html": " \n "}, "html", services.HTML_REQUIRED),
        ({"html": "<p>" + "é" * 50_000 + "</p>"}, "html", services.HTML_TOO_BIG),  # 100 kB in UTF-8 bytes
        ({"css": "/*" + "x" * 50_000 + "*/"}, "css", services.CSS_TOO_BIG),
        ({"html": ["<p>x</p>"]}, "html", services.NOT_TEXT),
        ({"signatories": "Ada"}, "signatories", services.SIGNATORIES_NOT_LIST),
        ({"signatories": ["Ada"]}, "signatories", services.SIGNATORY_NOT_OBJECT.format(number=1)),
        ({"signatories": [{"name": f"P{n}"} for n in range(5)]}, "signatories", services.TOO_MANY_SIGNATORIES),
    ],
)
def test_hostile_or_oversized_fields_are_refused(world: World, officer, overrides, field, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.template_create(organization=world.org, by=officer.user, data=data(**overrides))
    assert message in refusal(exc)[field]
    assert not Template.objects.exists()


def test_empty_signatory_rows_are_dropped_and_nul_characters_removed(world: World, officer) -> None:  # type: ignore[no-untyped-def]
    template = services.template_create(
        organization=world.org,
        by=officer.user,
        data=data(
            html="<p>{{ title }}\x00</p>", signatories=[{"name": "", "title": ""}, {"name": " Ada ", "title": ""}]
        ),
    )
    assert template.html == "<p>{{ title }}</p>"
    assert template.signatories == [{"name": "Ada", "title": ""}]


def test_a_change_to_what_is_drawn_bumps_the_revision_a_rename_does_not_and_nothing_changed_writes_nothing(
    world: World, officer
) -> None:  # type: ignore[no-untyped-def]
    template = services.template_create(organization=world.org, by=officer.user, data=data())

    services.template_update(template=template, by=officer.user, data={"name": "Gold 2026"})
    assert (template.name, template.revision) == ("Gold 2026", 1)
    services.template_update(template=template, by=officer.user, data={"css": "h1 { color: black; }"})
    assert template.revision == 2
    services.template_update(template=template, by=officer.user, data={"css": "h1 { color: black; }"})
    template.refresh_from_db()
    assert template.revision == 2
    changes = AuditRecord.objects.filter(action="certificate.template_changed").order_by("pk")
    assert [record.after["changed"] for record in changes] == [["name"], ["css"]]


def test_a_refused_change_leaves_the_template_as_it_was(world: World, officer) -> None:  # type: ignore[no-untyped-def]
    template = services.template_create(organization=world.org, by=officer.user, data=data())
    with pytest.raises(ValidationError):
        services.template_update(template=template, by=officer.user, data={"name": "Silver", "html": "{{ nope }}"})
    template.refresh_from_db()
    assert (template.name, template.revision) == ("Gold", 1)


def test_one_default_at_a_time_and_an_archived_template_is_not_the_default(world: World, officer) -> None:  # type: ignore[no-untyped-def]
    gold = services.template_create(organization=world.org, by=officer.user, data=data())
    silver = services.template_create(organization=world.org, by=officer.user, data=data(name="Silver"))
    services.template_set_default(template=gold, by=officer.user)
    services.template_set_default(template=silver, by=officer.user)
    assert list(Template.objects.filter(is_default=True)) == [silver]

    services.template_archive(template=silver, by=officer.user)
    silver.refresh_from_db()
    assert silver.archived and not silver.is_default
    with pytest.raises(ValidationError, match=services.ARCHIVED_NOT_DEFAULT):
        services.template_set_default(template=silver, by=officer.user)
    with pytest.raises(ValidationError, match=services.ARCHIVED_NOT_CHANGED):
        services.template_update(template=silver, by=officer.user, data={"name": "Bronze"})
    services.template_restore(template=silver, by=officer.user)
    silver.refresh_from_db()
    assert not silver.archived
    assert AuditRecord.objects.filter(action="certificate.template_archived").count() == 1


def test_a_template_used_by_an_award_cannot_be_deleted(world: World, officer, award) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.template_delete(template=award.template, by=officer.user)
    assert exc.value.messages == [services.TEMPLATE_IN_USE.format(count=1)]
    assert Template.objects.filter(pk=award.template.pk).exists()

    spare = services.template_create(organization=world.org, by=officer.user, data=data(name="Spare"))
    services.template_delete(template=spare, by=officer.user)
    assert not Template.objects.filter(name="Spare").exists()
    record = AuditRecord.objects.get(action="certificate.template_deleted")
    assert record.before["name"] == "Spare"


@pytest.mark.parametrize("persona", ["learner", "manager", "instructor", "report", "outsider"])
def test_only_certificate_managers_write_templates(world: World, template: Template, persona: str) -> None:
    attacker = getattr(world, persona).user
    calls = [
        lambda: services.template_create(organization=world.org, by=attacker, data=data(name="Mine")),
        lambda: services.template_update(template=template, by=attacker, data={"html": "<p>pwned</p>"}),
        lambda: services.template_archive(template=template, by=attacker),
        lambda: services.template_restore(template=template, by=attacker),
        lambda: services.template_set_default(template=template, by=attacker),
        lambda: services.template_delete(template=template, by=attacker),
        lambda: default_templates.template_create_defaults(world.org, attacker),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    template.refresh_from_db()
    assert template.html != "<p>pwned</p>" and not template.archived
    assert Template.objects.count() == 1
    assert not AuditRecord.objects.filter(action__startswith="certificate.template").exists()


def test_an_org_admin_may_write_templates(world: World) -> None:
    template = services.template_create(organization=world.org, by=world.org_admin.user, data=data())
    assert template.pk


def test_the_ready_made_designs_are_added_once_and_the_first_becomes_the_default(world: World, officer) -> None:  # type: ignore[no-untyped-def]
    added = default_templates.template_create_defaults(world.org, None)
    assert [t.name for t in added] == ["Classic", "Modern"]
    assert Template.objects.get(is_default=True).name == "Classic"
    assert default_templates.template_create_defaults(world.org, officer.user) == []
    assert Template.objects.filter(organization=world.org).count() == 2
    assert AuditRecord.objects.filter(action="certificate.template_created").count() == 2


def test_the_ready_made_designs_do_not_take_the_default_from_an_existing_one(world: World, template: Template) -> None:
    default_templates.template_create_defaults(world.org, world.org_admin.user)
    assert list(Template.objects.filter(is_default=True)) == [template]


def test_the_list_counts_the_awards_of_each_template(world: World, template: Template, award: Award) -> None:
    spare = services.template_create(organization=world.org, by=None, data=data(name="Spare"))
    rows = {t.name: t.award_count for t in services.template_list(organization=world.org)}  # type: ignore[attr-defined]
    assert rows == {"Classic": 1, "Spare": 0}
    assert services.template_get(organization=world.other_org, pk=spare.pk) is None
