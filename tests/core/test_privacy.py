"""The privacy registry (core.privacy): apps declare how to export and erase one person's data."""

from __future__ import annotations

import pytest

from syllabus.core import privacy


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test, the real one put back afterwards."""
    monkeypatch.setattr(privacy, "_providers", {})
    return privacy


def test_accounts_and_audit_register_themselves_in_app_order():
    labels = [provider.app_label for provider in privacy.providers()]
    assert labels[0] == "accounts" and "audit" in labels


def test_export_gathers_every_apps_data_under_its_label(registry):
    registry.register("first", export=lambda user, org: {"name": user}, erase=lambda user, by: None)
    registry.register("second", export=lambda user, org: {"org": org}, erase=lambda user, by: None)
    assert registry.export_person("ada", "acme") == {"first": {"name": "ada"}, "second": {"org": "acme"}}


def test_erasure_runs_every_app_last_registered_first(registry):
    ran = []
    registry.register("accounts", export=lambda u, o: {}, erase=lambda user, by: ran.append(("accounts", user, by)))
    registry.register("courses", export=lambda u, o: {}, erase=lambda user, by: ran.append(("courses", user, by)))
    assert registry.erase_person("ada", "admin") == ["courses", "accounts"]
    assert ran == [("courses", "ada", "admin"), ("accounts", "ada", "admin")]


def test_registering_again_replaces_instead_of_doubling(registry):
    registry.register("a", export=lambda u, o: {"v": 1}, erase=lambda u, b: None)
    registry.register("a", export=lambda u, o: {"v": 2}, erase=lambda u, b: None)
    assert registry.export_person(None, None) == {"a": {"v": 2}}
    registry.unregister("a")
    assert registry.providers() == []


def test_a_refusing_app_stops_the_erasure(registry):
    def refuse(user, by):
        raise ValueError("not now")

    ran = []
    registry.register("accounts", export=lambda u, o: {}, erase=lambda user, by: ran.append("accounts"))
    registry.register("payroll", export=lambda u, o: {}, erase=refuse)
    with pytest.raises(ValueError, match="not now"):
        registry.erase_person("ada", "admin")
    assert ran == []
