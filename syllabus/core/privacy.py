"""The privacy registry: each app declares how to export and erase one person's data (GDPR).

An app registers in its AppConfig.ready():

    privacy.register("accounts", export=export_person, erase=erase_person)

- `export(user, organization) -> dict`: everything the app holds about the person, as JSON-ready data.
  `organization` limits the export to what that organisation holds (None: every organisation).
- `erase(user, by) -> None`: remove or pseudonymise the person's personal data. Compliance and audit records
  stay, without personal data. It may raise `ValidationError` to refuse; the erasure runs in one transaction,
  so a refusal undoes what other apps did.

`core` imports no app: apps come to the registry, never the other way round. The service that runs a request
(permission, audit record) is `syllabus.audit.services.privacy_export` / `privacy_erase`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Exporter = Callable[[Any, Any], dict[str, Any]]
Eraser = Callable[[Any, Any], None]


@dataclass(frozen=True)
class PrivacyProvider:
    app_label: str
    export: Exporter
    erase: Eraser


_providers: dict[str, PrivacyProvider] = {}


def register(app_label: str, *, export: Exporter, erase: Eraser) -> None:
    """Declare how `app_label` exports and erases a person. Registering again replaces (ready() may rerun)."""
    _providers[app_label] = PrivacyProvider(app_label=app_label, export=export, erase=erase)


def unregister(app_label: str) -> None:
    _providers.pop(app_label, None)


def providers() -> list[PrivacyProvider]:
    """Registered providers, in registration order (the order of INSTALLED_APPS)."""
    return list(_providers.values())


def export_person(user: Any, organization: Any) -> dict[str, dict[str, Any]]:
    """{app label: that app's export} for one person."""
    return {provider.app_label: provider.export(user, organization) for provider in providers()}


def erase_person(user: Any, by: Any) -> list[str]:
    """Run every app's erasure, last registered first, and return the app labels in the order they ran.

    Reverse order, like a teardown: apps that arrive later build on earlier ones (everything builds on
    accounts), so they erase while the person's account still looks as they knew it.
    """
    ran = []
    for provider in reversed(providers()):
        provider.erase(user, by)
        ran.append(provider.app_label)
    return ran
