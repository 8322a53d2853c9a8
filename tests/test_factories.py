"""The shared factories themselves."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db
def test_a_test_on_a_fast_hasher_leaves_no_unreadable_password_to_the_next() -> None:
    # A test switching to MD5 made the first factory user of its worker; the hash was cached and every later user of
    # that worker got a password the default hashers could not check (a failure that depended on test order).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        assert UserFactory().check_password(PASSWORD)
    assert UserFactory().check_password(PASSWORD)
