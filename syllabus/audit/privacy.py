"""What the audit trail holds about one person, for the privacy registry (core.privacy).

- export: the records by or about the person, with names resolved and their own personal data only;
- erase: delete their subject rows and their personal parts of records. The records and the chain stay whole:
  hashes cover only digests of the parts, and the records now show "erased person".
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Organization, User
from syllabus.audit import selectors, services


def export_person(user: User, organization: Organization | None) -> dict[str, Any]:
    return selectors.person_audit_export(user, organization)


def erase_person(user: User, by: User | None) -> None:
    services.subjects_erase(user, by)
