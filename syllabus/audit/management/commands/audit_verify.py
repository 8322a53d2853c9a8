"""`manage.py audit_verify [--organization SLUG] [--platform] [--anchor SEQ:HASH ...]`: check the audit chains.

Prints one OK line per chain, or each problem (sequence number, kind: changed / inserted / deleted / truncated),
and exits with status 1 when any chain has a problem. Reads only; safe to run at any time.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from syllabus.accounts.models import Organization
from syllabus.audit.models import AuditChain
from syllabus.audit.verification import ChainReport, verify_all, verify_chain, verify_organization

ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = "Verify the hash chains of the audit trail: report changed, inserted, deleted or truncated records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", metavar="SLUG", help="Only this organisation's chain.")
        parser.add_argument("--platform", action="store_true", help="Only the platform chain.")
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="A chain head kept outside the database (an 'audit.anchor' log line); repeatable. "
            "Needs --organization or --platform.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors = [self._anchor(value) for value in options["anchor"]]
        if anchors and not (options["organization"] or options["platform"]):
            raise CommandError("--anchor needs --organization or --platform: an anchor belongs to one chain.")
        reports = self._reports(options, anchors)
        failed = 0
        for report in reports:
            if report.ok:
                self.stdout.write(
                    f"OK {report.label}: {report.records} records, head {report.head_seq} "
                    f"{report.head_hash}, {report.anchors} anchors"
                )
            else:
                failed += 1
                for problem in report.problems:
                    self.stdout.write(f"PROBLEM {report.label} {problem}")
        if not reports:
            self.stdout.write("OK: no audit records yet.")
        if failed:
            raise CommandError(f"{failed} audit chain(s) failed verification.")

    def _anchor(self, value: str) -> tuple[int, str]:
        match = ANCHOR.match(value.strip().lower())
        if match is None:
            raise CommandError(f"--anchor {value!r}: expected SEQ:HASH (a number, a colon, 64 hex digits).")
        return int(match.group(1)), match.group(2)

    def _reports(self, options: dict[str, Any], anchors: list[tuple[int, str]]) -> list[ChainReport]:
        if options["platform"]:
            chain = AuditChain.objects.filter(key=AuditChain.PLATFORM_KEY).first()
            if chain is None:
                return [verify_organization(None, platform=True)]
            return [verify_chain(chain, external_anchors=anchors)]
        if options["organization"]:
            organization = Organization.objects.filter(slug=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No organisation with the short name {options['organization']!r}.")
            chain = AuditChain.objects.filter(organization=organization).first()
            if chain is None:
                return [verify_organization(organization)]
            return [verify_chain(chain, external_anchors=anchors)]
        return verify_all()
