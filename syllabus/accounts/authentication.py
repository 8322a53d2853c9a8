"""API token authentication: `Authorization: Token <key>`. The token fixes the organisation of the request."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from syllabus.accounts.services import api_token_authenticate

INVALID_TOKEN = "Invalid, expired or revoked API token."  # noqa: S105 (a message, not a secret)


class ApiTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            _user, token = result
            # A token acts in its own organisation only, whatever the session says.
            request._request.organization = token.membership.organization  # type: ignore[attr-defined]
        return result

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = api_token_authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return token.membership.user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "syllabus.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Personal API token, sent as `Token <key>`.",
        }
