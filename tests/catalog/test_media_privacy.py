"""Course files are never public files: /media/ serves organisation logos only."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog import services


def test_a_course_file_is_not_reachable_under_media(client, world, course):
    upload = SimpleUploadedFile("notes.txt", b"Plain notes for the course.\n", content_type="text/plain")
    asset = services.course_asset_upload(course=course, by=world.instructor.user, upload=upload, purpose="document")
    client.force_login(world.learner.user)
    assert client.get(f"/media/{asset.file.name}").status_code == 404
    client.force_login(world.instructor.user)
    assert client.get(f"/media/{asset.file.name}").status_code == 404
