"""Attacks on the catalog API found in the security review of issue #4, written from the attacker's side."""

from __future__ import annotations

import pytest

from tests.api.catalog.conftest import course_url
from tests.factories import publish

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "ref",
    ["²", "١", "9" * 30, "9" * 30 + ".0", "1." + "9" * 30, "9" * 5000],
    ids=["superscript-two", "arabic-indic-one", "huge-id", "huge-major", "huge-minor", "too-many-digits"],
)
def test_a_strange_version_reference_is_not_found_not_a_server_error(world, as_member, course, ref):  # type: ignore[no-untyped-def]
    """str.isdigit() is true for "²", which int() refuses; huge numbers overflow the database's integers."""
    publish(course, by=world.org_admin.user)
    client = as_member(world.instructor)
    assert client.get(course_url(course, f"versions/{ref}/")).status_code == 404
    assert client.post(course_url(course, f"versions/{ref}/restore/")).status_code == 404
