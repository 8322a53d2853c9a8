"""Helpers for the audit tests: reading a chain, tampering with it as a database user would, signing in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from syllabus.accounts.middleware import SESSION_KEY
from syllabus.accounts.models import Organization, User
from syllabus.audit import services
from syllabus.audit.models import AuditChain, AuditRecord
from syllabus.core import request_context
from tests.api.conftest import as_member  # noqa: F401 (the API tests' token client, shared)

RECORDS = AuditRecord._meta.db_table
CHAINS = AuditChain._meta.db_table


def chain_records(organization: Organization | None) -> list[AuditRecord]:
    qs = (
        AuditRecord.objects.filter(organization=organization)
        if organization
        else AuditRecord.objects.filter(organization__isnull=True)
    )
    return list(qs.order_by("seq"))


def sql(statement: str, params: list[object] | None = None) -> int:
    """Run SQL as someone with database access would: no model, no append-only guard."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount


def write(organization: Organization | None, action: str = "test.done", actor: User | None = None, **kwargs: object):
    return services.audit_record(organization=organization, action=action, actor=actor, **kwargs)


def sign_in(client, user: User, organization: Organization | None = None) -> None:
    client.force_login(user)
    if organization is not None:
        session = client.session
        session[SESSION_KEY] = organization.pk
        session.save()


@contextmanager
def from_ip(ip_address: str, user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0") -> Iterator[None]:
    with request_context.bound(request_context.RequestContext(ip_address=ip_address, user_agent=user_agent)):
        yield


@pytest.fixture
def run_events(django_capture_on_commit_callbacks):
    """`with run_events(): ...` runs the domain events emitted inside, as a commit would."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner


@pytest.fixture
def builtin_roles(transactional_db):
    """Put back the built-in roles (a data migration) that the flush after a transactional test removes."""
    from syllabus.access.capabilities import BUILTIN_ROLES
    from syllabus.access.models import Role

    for role in BUILTIN_ROLES:
        Role.objects.update_or_create(
            organization=None, key=role.key, defaults={"name": role.name, "description": role.description}
        )
