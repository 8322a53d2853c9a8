"""How records are hashed: canonical JSON, the chain link, personal-part digests and bulk id digests.

Pure functions, shared by the append (services) and the check (verification), so both hash exactly alike.
Anyone holding an export can recompute the chain: sha256 is deliberately unkeyed. What stops a database user
from rewriting the chain is the anchors kept outside the database (the log), not a secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

# prev_hash of the first record of every chain.
GENESIS_HASH = "0" * 64
# Bumped if the hashed fields ever change; verification then hashes each record by its own version.
HASH_VERSION = 1


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data (dates, decimals and UUIDs become strings, tuples lists), as the database
    will hand it back: what is hashed at append time must equal what verification reads later."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def record_payload(
    *,
    chain_key: str,
    seq: int,
    created_at: dt.datetime,
    action: str,
    actor_subject: Any,
    target_type: str,
    target_id: str,
    target_subject: Any,
    before: Any,
    after: Any,
    summary: Any,
    personal_digests: dict[str, str],
) -> dict[str, Any]:
    """The hashed content of a record. The chain key and seq are in it, so a record cannot be moved."""
    return {
        "v": HASH_VERSION,
        "chain": chain_key,
        "seq": seq,
        "created_at": timestamp(created_at),
        "action": action,
        "actor_subject": str(actor_subject) if actor_subject else None,
        "target_type": target_type,
        "target_id": target_id,
        "target_subject": str(target_subject) if target_subject else None,
        "before": before,
        "after": after,
        "summary": summary,
        "personal": personal_digests,
    }


def link_hash(payload: dict[str, Any], prev_hash: str) -> str:
    """sha256 of the previous record's hash and this record's canonical JSON."""
    return hashlib.sha256(f"{prev_hash}\n{canonical_json(payload)}".encode()).hexdigest()


def part_digest(salt: str, data: Any) -> str:
    """Digest of one person's personal part of a record. The random salt keeps it from being guessed."""
    return hashlib.sha256(f"{salt}\n{canonical_json(data)}".encode()).hexdigest()


def ids_digest(ids: Iterable[Any]) -> str:
    """Digest of the ids a bulk operation touched (sorted as text, one per line): whoever holds the list of
    ids can prove it is the one recorded, without the record holding every id."""
    return hashlib.sha256("\n".join(sorted(str(i) for i in ids)).encode()).hexdigest()
