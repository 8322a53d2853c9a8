"""Rows for the built-in roles (their capabilities come from syllabus.access.capabilities, not the database)."""

from django.db import migrations

BUILTIN = [
    ("learner", "Learner", "Takes training. Every active member is a learner."),
    ("instructor", "Instructor", "Creates and teaches courses."),
    ("reviewer", "Reviewer", "Reviews and publishes course versions."),
    ("manager", "Manager", "Follows and assigns training for a team: their reporting line plus any org units assigned."),
    ("compliance_officer", "Compliance officer", "Runs compliance programs and reports for the organisation."),
    ("auditor", "Auditor", "Reads all business data of the organisation; changes nothing."),
    ("org_admin", "Organisation admin", "Administers the organisation."),
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    for key, name, description in BUILTIN:
        Role.objects.update_or_create(
            organization=None, key=key, defaults={"name": name, "description": description}
        )


def delete_roles(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    Role.objects.filter(organization=None, key__in=[key for key, _, _ in BUILTIN]).delete()


class Migration(migrations.Migration):
    dependencies = [("access", "0002_initial")]

    operations = [migrations.RunPython(create_roles, delete_roles)]
