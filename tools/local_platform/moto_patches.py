"""Makes moto's DynamoDB transactions atomic against concurrent writes, as DynamoDB's are.

moto's ``transact_write_items`` deep-copies every table it touches and, when any condition fails,
puts those copies back: a write another thread made in between (the moto server is threaded, and
Step Functions executions run on threads) is silently lost. Two billing runs of one session racing
on a wallet showed it: the winner's debit vanished when the loser's transaction rolled back. One
lock around moto's item writes and transactions keeps a rollback from undoing anybody else's write.
DynamoDB itself isolates transactions from single-item writes (serializable), so this only removes a
moto artifact; reads are not locked (they may see a transaction half applied, briefly).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()
_applied = False


def serialize_dynamodb_writes() -> None:
    """Idempotent; applies to in-process ``mock_aws`` and the embedded moto server alike."""
    global _applied
    with _lock:
        if _applied:
            return
        for name in _WRITES:
            original = getattr(DynamoDBBackend, name)

            @functools.wraps(original)
            def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
                with _lock:
                    return __original(self, *args, **kwargs)

            setattr(DynamoDBBackend, name, locked)
        _applied = True


def trim_stream(table_name: str, through_sequence_number: int) -> None:
    """Drops the stream records of ``table_name`` up to ``through_sequence_number`` from moto's shard
    (every account and region of this process's moto). moto numbers a record by its position in the
    shard's list plus the shard's starting number, so moving that number by what is dropped keeps every
    later record's number. Under the write lock: a write appending meanwhile would number from a list
    being cut."""
    from moto.dynamodb.models import dynamodb_backends

    with _lock:
        for account in dynamodb_backends.values():
            for backend in account.values():
                table = backend.tables.get(table_name)
                shard = getattr(table, "stream_shard", None) if table is not None else None
                if shard is None:
                    continue
                dropped = min(through_sequence_number - shard.starting_sequence_number + 1, len(shard.items))
                if dropped > 0:
                    del shard.items[:dropped]
                    shard.starting_sequence_number += dropped
