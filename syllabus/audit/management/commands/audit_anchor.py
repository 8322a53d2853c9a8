"""`manage.py audit_anchor`: anchor every audit chain now (what the hourly task does). Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from syllabus.audit import services


class Command(BaseCommand):
    help = "Copy the head of every audit chain that grew since its last anchor into a new anchor and the log."

    def handle(self, *args: Any, **options: Any) -> None:
        anchors = services.audit_anchor_all()
        for anchor in anchors:
            self.stdout.write(f"anchored {anchor.chain.key} at {anchor.seq} {anchor.head_hash}")
        if not anchors:
            self.stdout.write("Nothing new to anchor.")
