"""Import (dry run, then apply the checked file), the organisation's letter scales, and a learner's own grades."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syllabus.grades import services
from syllabus.grades.models import Grade, LetterScale
from tests.factories import OrganizationFactory
from tests.grades.pages.conftest import html_of

pytestmark = pytest.mark.django_db


def csv_file(text: str, name: str = "grades.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_import_shows_errors_with_lines_and_applies_nothing(as_person, gradebook, world):
    address = reverse("grades:import", args=[gradebook.course.pk])
    client = as_person(world.instructor)
    assert client.get(address).status_code == 200
    body = f"Email,Essay 1\n{world.learner.user.email},85\nnobody@example.com,abc\n"
    response = client.post(address, {"step": "preview", "file": csv_file(body)})
    assert response.status_code == 200
    html = html_of(response)
    preview = response.context["preview"]
    assert preview.errors and {problem.line for problem in preview.errors} == {3}
    assert "nothing can be imported" in html and 'name="token"' not in html
    assert not Grade.objects.exists()


def test_import_applies_the_checked_file_once(as_person, gradebook, world):
    address = reverse("grades:import", args=[gradebook.course.pk])
    client = as_person(world.instructor)
    body = f"Email,Essay 1\n{world.learner.user.email},85\n{world.engineer.user.email},17/20\n"
    response = client.post(address, {"step": "preview", "file": csv_file(body)})
    assert response.status_code == 200 and len(response.context["preview"].rows) == 2
    token = response.context["token"]
    assert token and not Grade.objects.exists()  # a dry run writes nothing
    assert client.post(address, {"step": "apply", "token": "forged"}).status_code == 400
    response = client.post(address, {"step": "apply", "token": token, "reason": "Paper exam"})
    assert response.status_code == 302
    essay = gradebook.item(gradebook.essay1)
    assert Grade.objects.get(item=essay, user=gradebook.learner).final == Decimal(85)
    assert Grade.objects.get(item=essay, user=gradebook.engineer).final == Decimal(85)
    # Applied once: the same token does nothing again.
    assert client.post(address, {"step": "apply", "token": token}).status_code == 400


def test_import_refuses_other_file_types_and_learners(as_person, gradebook, world):
    address = reverse("grades:import", args=[gradebook.course.pk])
    response = as_person(world.instructor).post(address, {"step": "preview", "file": csv_file("x", "grades.exe")})
    assert response.status_code == 400 and "id_file_error" in html_of(response)
    assert as_person(world.learner).get(address).status_code == 404


# --- letter scales -----------------------------------------------------------------------------------------------


def test_an_org_admin_adds_and_edits_a_letter_scale(as_person, world):
    client = as_person(world.org_admin)
    response = client.post(
        reverse("grades:scales"), {"name": "School", "bands": "A 90\nB 75%\n\nF 0", "is_default": "on"}
    )
    assert response.status_code == 302
    scale = LetterScale.objects.get(organization=world.org, name="School")
    assert scale.is_default and [band["letter"] for band in scale.bands] == ["A", "B", "F"]
    assert "School" in html_of(client.get(reverse("grades:scales")))
    edit = reverse("grades:scale-edit", args=[scale.pk])
    assert client.post(edit, {"name": "School", "bands": "A 80\nF 0"}).status_code == 302
    scale.refresh_from_db()
    assert scale.bands[0]["letter"] == "A" and Decimal(scale.bands[0]["min"]) == 80
    assert "A 80\n" in client.get(edit).context["form"].initial["bands"] + "\n"


def test_scale_errors_name_the_line(as_person, world):
    response = as_person(world.org_admin).post(reverse("grades:scales"), {"name": "Bad", "bands": "A 90\nB lots\nC"})
    assert response.status_code == 400
    html = html_of(response)
    assert "Line 2" in html and "Line 3" in html and "id_bands_error" in html
    assert not LetterScale.objects.exists()


def test_only_org_admins_manage_scales_and_only_their_own(as_person, world):
    assert as_person(world.instructor).get(reverse("grades:scales")).status_code == 403
    theirs = LetterScale.objects.create(
        organization=world.other_org, name="Globex", bands=[{"letter": "P", "min": "0"}]
    )
    client = as_person(world.org_admin)
    assert client.get(reverse("grades:scale-edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("grades:scale-delete", args=[theirs.pk])).status_code == 404
    assert LetterScale.objects.filter(pk=theirs.pk).exists()


# --- the learner's own grades ------------------------------------------------------------------------------------


def test_a_learner_sees_released_grades_of_visible_items_with_feedback(
    as_person, gradebook, world, django_capture_on_commit_callbacks
):
    owner, learner = gradebook.owner, gradebook.learner
    with django_capture_on_commit_callbacks(execute=True):
        lab = services.item_create(by=owner, course=gradebook.course, name="Lab", max_points="20")
        secret = services.item_create(by=owner, course=gradebook.course, name="Secret item")
        services.item_update(by=owner, item=secret, hidden=True)
        services.grade_enter(by=owner, item=lab, user=learner, percent=Decimal(90), feedback="Careful and tidy")
        services.grade_enter(by=owner, item=secret, user=learner, percent=Decimal(10))
        services.grade_override(
            by=owner, item=gradebook.item(gradebook.essay1), user=learner, percent=Decimal(33), reason="x"
        )
        services.grades_hide(by=owner, item=gradebook.item(gradebook.essay1), user_ids=[learner.pk], hidden=True)
    response = as_person(world.learner).get(reverse("grades:mine", args=[gradebook.course.pk]))
    assert response.status_code == 200
    html = html_of(response)
    assert "Lab" in html and "90%" in html and "Careful and tidy" in html
    assert "Secret item" not in html and "10%" not in html
    assert "Essay 1" in html and "33%" not in html  # hidden until released
    assert "Course total" in html


def test_nobody_else_opens_a_learners_grades_page(as_person, gradebook, world):
    address = reverse("grades:mine", args=[gradebook.course.pk])
    assert as_person(world.manager).get(address).status_code == 404  # not enrolled
    assert as_person(world.outsider).get(address).status_code == 404
    OrganizationFactory()
    assert as_person(world.learner).get(reverse("grades:mine", args=[999999])).status_code == 404


def test_the_total_is_left_out_when_the_course_hides_it(as_person, gradebook, world):
    services.settings_update(by=gradebook.owner, course=gradebook.course, show_total_to_learners=False)
    html = html_of(as_person(world.learner).get(reverse("grades:mine", args=[gradebook.course.pk])))
    assert "Course total" not in html


def test_the_dashboard_panel_links_a_learner_to_their_grades(rf, gradebook, world):
    from syllabus.access.policy import principal_for
    from syllabus.grades import panels

    request = rf.get("/")
    request.user = world.learner.user
    html = panels.dashboard_panel(request, principal_for(world.learner.user, world.org), world.org)
    assert reverse("grades:mine", args=[gradebook.course.pk]) in html and "Fire safety" in html
    assert panels.dashboard_panel(request, principal_for(world.manager.user, world.org), world.org) == ""
    flags = panels.header_flags(principal_for(world.instructor.user, world.org), gradebook.course)
    assert flags == {"can_view_gradebook": True}
    assert panels.header_flags(principal_for(world.learner.user, world.org), gradebook.course) == {
        "can_view_gradebook": False
    }
