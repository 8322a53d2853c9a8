"""Question bank fixtures: the quiz world's course bank (owned by `world.instructor`), a shared bank, the people
around them (a non-editing instructor of the course, an editor of the course without `question.use`), signed-in
clients, and a fake format for the import and export services (registered for one test, then removed)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from syllabus.accounts.models import Membership
from syllabus.assessment.formats import base as formats
from syllabus.assessment.models import QuestionBank, QuestionCategory
from syllabus.assessment.services import questions as services
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token-client fixture)
from tests.assessment.conftest import QuizWorld
from tests.conftest import World
from tests.factories import MembershipFactory, grant, staff


@dataclass
class People:
    """Who is who around the course bank."""

    editor: Membership  # world.instructor: owner of the course (course.edit), holds question.use
    teacher: Membership  # non-editing instructor of the course (course.teach only), holds question.use
    plain_editor: Membership  # editor of the course, no organisation role: no question.use
    admin: Membership  # world.org_admin: question.manage
    learner: Membership
    outsider: Membership  # org admin of the other organisation


@pytest.fixture
def people(world: World, quiz_world: QuizWorld) -> People:
    teacher = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Tara Teacher")
    grant(teacher, "instructor")
    staff(quiz_world.course, teacher, "instructor")
    plain_editor = MembershipFactory(organization=world.org, org_unit=world.hq, user__display_name="Pia Plain")
    staff(quiz_world.course, plain_editor, "editor")
    return People(
        editor=world.instructor,
        teacher=teacher,
        plain_editor=plain_editor,
        admin=world.org_admin,
        learner=world.learner,
        outsider=world.outsider,
    )


@pytest.fixture
def shared_bank(world: World) -> QuestionBank:
    return services.bank_create(organization=world.org, name="Company policies", by=world.org_admin.user)


def top_category(bank: QuestionBank) -> QuestionCategory:
    return bank.categories.get(parent__isnull=True, name=services.DEFAULT_CATEGORY)


SignIn = Callable[[Membership], Client]


@pytest.fixture
def sign_in(client: Client) -> SignIn:
    def make(membership: Membership) -> Client:
        client.force_login(membership.user)
        return client

    return make


# --- a fake format: JSON in, JSON out -------------------------------------------------------------------------------


class FakeFormat(formats.Format):
    """Reads a JSON list: each object is a question (ParsedQuestion's fields, line = its position) or, with a
    "problem" key, a question that could not be read. Cannot carry essays."""

    key = "fake"
    label = "Fake JSON"
    extensions = (".json",)
    can_import = True
    can_export = True
    export_extension = ".json"
    export_content_type = "application/json"

    def parse(self, content: bytes, *, filename: str = "") -> formats.ParseResult:
        result = formats.ParseResult(summary="Fake file.")
        try:
            items = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            result.problems.append(formats.Problem("Not JSON."))
            return result
        for line, item in enumerate(items, start=1):
            if "problem" in item:
                result.problems.append(formats.Problem(item["problem"], line=line, question=item.get("name", "")))
                continue
            item = dict(item)
            if "default_mark" in item:
                item["default_mark"] = Decimal(str(item["default_mark"]))
            result.questions.append(formats.ParsedQuestion(**item, line=line, where=f"line {line}"))
        return result

    def export(self, questions: Iterable[formats.ExportedQuestion]) -> bytes:
        out = [
            {
                "qtype": q.qtype,
                "name": q.name,
                "text": q.text,
                "category": q.category,
                "tags": list(q.tags),
                "idnumber": q.idnumber,
                "default_mark": str(q.default_mark),
                "data": dict(q.data),
            }
            for q in questions
        ]
        return json.dumps(out, sort_keys=True).encode()

    def unsupported(self, qtype: str) -> bool:
        return qtype == "essay"


@pytest.fixture
def fake_format(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFormat]:
    fmt = FakeFormat()
    monkeypatch.setitem(formats._FORMATS, fmt.key, fmt)
    yield fmt


def tf(name: str, *, correct: bool = True, **extra: Any) -> dict[str, Any]:
    """A true/false question as the fake format reads it."""
    return {
        "qtype": "truefalse",
        "name": name,
        "text": f"<p>{name}?</p>",
        "data": {"correct": correct, "feedback_true": "", "feedback_false": ""},
        **extra,
    }


def fake_file(*items: dict[str, Any]) -> bytes:
    return json.dumps(list(items)).encode()
