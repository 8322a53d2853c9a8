"""The people-import API: upload (dry run), status, errors, apply — and the attacker's side."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from syllabus.accounts.models import ImportJob, Membership
from tests.accounts.hr_import.conftest import Importer, csv_file
from tests.api.conftest import V1, token_for

pytestmark = pytest.mark.django_db

IMPORTS = f"{V1}/people-imports/"


@pytest.fixture
def as_member(db):
    """`as_member(membership)`: a client sending that membership's API token."""

    def make(membership):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
        return client

    return make


def post_file(client, content: bytes, **fields):
    data = {"file": SimpleUploadedFile("hr.csv", content, content_type="text/csv"), **fields}
    return client.post(IMPORTS, data, format="multipart")


def test_upload_runs_the_dry_run_and_apply_creates_the_people(as_member, world, django_capture_on_commit_callbacks):
    client = as_member(world.org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, csv_file("ada@acme.test,Ada,E1", header="email,name,employee_id"))
    assert response.status_code == 202, response.json()
    # Tests run inside a transaction, so the dry run ran once the upload's request was over: fetch the job again.
    body = client.get(f"{IMPORTS}{response.json()['id']}/").json()
    assert body["status"] == "validated" and body["can_apply"]
    assert (body["row_count"], body["to_create"], body["error_count"], body["errors"]) == (1, 1, 0, [])
    assert body["created_by"]["email"] == world.org_admin.user.email
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{IMPORTS}{body['id']}/apply/")
    assert response.status_code == 202
    status = client.get(f"{IMPORTS}{body['id']}/").json()
    assert (status["status"], status["to_create"], status["progress"]) == ("applied", 1, 100)
    assert Membership.objects.filter(organization=world.org, employee_id="E1").exists()
    listing = client.get(IMPORTS).json()
    assert [job["id"] for job in listing["results"]] == [body["id"]]


def test_errors_are_listed_with_row_column_and_message(as_member, world, django_capture_on_commit_callbacks):
    client = as_member(world.org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_file(client, csv_file("bad,Bad", "ok@acme.test,", header="email,name")).json()["id"]
    body = client.get(f"{IMPORTS}{job_id}/").json()
    assert not body["can_apply"] and body["error_count"] == 2
    errors = client.get(f"{IMPORTS}{body['id']}/errors/").json()
    assert errors["count"] == 2
    assert errors["results"] == [
        {"row": 2, "column": "email", "message": "“bad” is not a valid email address."},
        {"row": 3, "column": "name", "message": "A name is required."},
    ]
    response = client.post(f"{IMPORTS}{body['id']}/apply/")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Only a validated import without errors can be applied."


def test_a_full_sync_with_its_own_threshold_can_be_requested(as_member, world, django_capture_on_commit_callbacks):
    client = as_member(world.org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_file(
            client,
            csv_file(f"{world.org_admin.user.email},Olivia Admin", header="email,name"),
            mode="full_sync",
            threshold_percent=5,
        ).json()["id"]
    body = client.get(f"{IMPORTS}{job_id}/").json()
    assert (body["mode"], body["threshold_percent"], body["to_deactivate"]) == ("full_sync", 5, 6)
    assert body["failure"].startswith("This full sync would deactivate 6 of 7 active people")


def test_invalid_options_are_refused_with_the_field_named(as_member, world):
    response = post_file(as_member(world.org_admin), b"email,name\n", mode="everything", threshold_percent=101)
    assert response.status_code == 400
    fields = {item["field"] for item in response.json()["error"]["errors"]}
    assert fields == {"mode", "threshold_percent"}


def test_a_learner_may_not_list_upload_or_apply(as_member, world):
    job = Importer(world.org, world.org_admin.user).dry_run(csv_file("a@acme.test,A", header="email,name"))
    client = as_member(world.learner)
    assert client.get(IMPORTS).status_code == 403
    assert post_file(client, csv_file("a@acme.test,A", header="email,name")).status_code == 403
    assert client.get(f"{IMPORTS}{job.pk}/").status_code == 403
    assert client.post(f"{IMPORTS}{job.pk}/apply/").status_code == 403
    assert ImportJob.objects.count() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED


def test_another_organisations_import_is_not_found(as_member, world):
    theirs = Importer(world.other_org, world.outsider.user).dry_run(csv_file("a@globex.test,A", header="email,name"))
    client = as_member(world.org_admin)
    assert client.get(f"{IMPORTS}{theirs.pk}/").status_code == 404
    assert client.get(f"{IMPORTS}{theirs.pk}/errors/").status_code == 404
    assert client.post(f"{IMPORTS}{theirs.pk}/apply/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ImportJob.Status.VALIDATED
    assert client.get(IMPORTS).json()["count"] == 0
