"""API test helpers: clients that authenticate with a personal API token or with a session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from syllabus.accounts import services
from syllabus.accounts.models import Membership

TokenClient = Callable[[Membership], APIClient]

V1 = "/api/v1"


def token_for(membership: Membership, **kwargs: object) -> str:
    _, key = services.api_token_create(membership=membership, by=membership.user, name="test", **kwargs)
    return key


@pytest.fixture
def as_member(db: None) -> TokenClient:
    """`as_member(membership)`: a client sending that membership's API token (which fixes the organisation)."""

    def make(membership: Membership) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(membership)}")
        return client

    return make


def error_fields(response: object) -> dict[str, str]:
    """{field: message} of an error response in the one API error format."""
    return {item["field"]: item["message"] for item in response.json()["error"]["errors"]}  # type: ignore[attr-defined]
