"""The request context (core.request_context): the client's address and browser, readable below the view."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from syllabus.core import request_context
from syllabus.core.request_context import RequestContext, RequestContextMiddleware, from_request


def test_outside_a_request_there_is_no_context():
    assert request_context.current() is None


def test_the_middleware_binds_the_context_for_the_request_only():
    seen = []

    def view(request):
        seen.append(request_context.current())
        from django.http import HttpResponse

        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="Firefox")
    RequestContextMiddleware(view)(request)
    assert seen == [RequestContext(ip_address="192.0.2.10", user_agent="Firefox")]
    assert request_context.current() is None


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert from_request(request).ip_address == "10.0.0.1"


def test_behind_one_trusted_proxy_the_last_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    assert from_request(request).ip_address == "198.51.100.4"


def test_garbage_addresses_and_long_user_agents_are_not_stored():
    request = RequestFactory().get("/", REMOTE_ADDR="not-an-ip", HTTP_USER_AGENT="x" * 1000)
    context = from_request(request)
    assert context.ip_address is None
    assert len(context.user_agent) == request_context.USER_AGENT_MAX_LENGTH


# Transactional, so events fire at commit inside the request, as in production (the test transaction of other
# tests would hold them until the test ends, after the request context is gone).
@pytest.mark.django_db(transaction=True)
def test_a_real_request_carries_its_address_into_the_audit_trail(builtin_roles, client, world):
    from syllabus.audit.selectors import audit_rows
    from tests.audit.conftest import chain_records, sign_in

    sign_in(client, world.org_admin.user)
    response = client.post(
        f"/people/{world.learner.pk}/deactivate/", REMOTE_ADDR="203.0.113.200", HTTP_USER_AGENT="Test browser"
    )
    assert response.status_code == 302
    row = next(row for row in audit_rows(chain_records(world.org)) if row.record.action == "membership.deactivated")
    assert (row.actor, row.target, row.ip_address, row.user_agent) == (
        "Olivia Admin",
        "Lena Learner",
        "203.0.113.200",
        "Test browser",
    )
