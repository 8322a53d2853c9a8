"""The audiences' part of `manage.py seed_demo`: two audiences of Northwind Health, made by its organisation admin
through `audience_create` (so their members are computed like any other audience's, after commit).

- "Clinical staff": everyone in Clinical Services and its departments, plus anyone whose job role is clinical.
  The catalog's demo shows its clinical fire safety course only to them.
- "People managers": the Chief Executive, directors and heads of department.

Idempotent: an audience is looked up by its name. `register_demo()` (called from the app's ready()) adds the step
to `syllabus.core.demo`.
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import JobRole, Membership, OrgUnit
from syllabus.audiences.models import Audience
from syllabus.audiences.services import audience_create
from syllabus.core import demo
from syllabus.core.demo import Organizations, Output

ORGANIZATION = "northwind"
ADMIN_EMAIL = "amara.osei@northwind.example"  # Northwind's organisation admin in the demo
CLINICAL_STAFF = "Clinical staff"
PEOPLE_MANAGERS = "People managers"


def seed_audiences(organizations: Organizations, admin: Any, stdout: Output) -> int:
    organization = organizations.get(ORGANIZATION)
    if organization is None:
        return 0
    existing = set(Audience.objects.filter(organization=organization).values_list("name", flat=True))
    if {CLINICAL_STAFF, PEOPLE_MANAGERS} <= existing:
        return 0
    by = Membership.objects.select_related("user").get(organization=organization, user__email=ADMIN_EMAIL).user
    roles = dict(JobRole.objects.filter(organization=organization).values_list("name", "pk"))
    clinical_services = OrgUnit.objects.get(organization=organization, code="CLIN")
    wanted = {
        CLINICAL_STAFF: (
            "Everyone in Clinical Services, and every physician, nurse and care assistant wherever they work.",
            {
                "any": [
                    {"org_unit": clinical_services.pk, "include_sub_units": True},
                    {"job_role": [roles["Physician"], roles["Nurse"], roles["Care Assistant"]]},
                ]
            },
        ),
        PEOPLE_MANAGERS: (
            "The Chief Executive, directors and heads of department.",
            {"job_role": [roles["Chief Executive"], roles["Director"], roles["Head of Department"]]},
        ),
    }
    created = 0
    for name, (description, rules_tree) in wanted.items():
        if name not in existing:
            audience_create(organization=organization, by=by, name=name, description=description, rules_tree=rules_tree)
            created += 1
    stdout.write(f"{organization.name}: audiences {', '.join(wanted)}")
    return created


def register_demo() -> None:
    demo.register("audiences", seed_audiences)
