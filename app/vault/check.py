"""Does this key ring open the stored credentials? Checked by `serve` before it starts and by
`/readyz` (security review M3).

For every key id present in ``credentials`` the key must be in the ring, and one sample
credential per key id (the oldest row) must decrypt. A key ring that fails either test would
turn every athlete's next tool call into a server error, so the instance refuses to start (or
reports not ready) instead. Only key ids and counts appear in the findings, never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, inspect, select

from app.db.models import Credential
from app.vault.crypto import Vault, VaultError


@dataclass(frozen=True)
class KeyUsage:
    """How many stored credentials use one key id, and the oldest of them (the sample)."""

    key_id: str
    count: int
    sample_athlete_pk: int
    sample_kind: str
    sample_ciphertext: bytes


def key_ring_problems(
    vault: Vault, usages: list[KeyUsage], *, with_counts: bool = True
) -> list[str]:
    """One sentence per key id the ring cannot serve; empty when every key id is usable.
    ``with_counts=False`` leaves out how many credentials use the key (for the public
    `/readyz`, which should not tell how many athletes are stored)."""
    problems = []
    for usage in usages:
        if usage.key_id not in vault.key_ids:
            count = f" ({usage.count} stored credentials)" if with_counts else ""
            problems.append(f"key id {usage.key_id!r}{count} is not in the key ring")
            continue
        try:
            vault.decrypt(
                usage.key_id,
                usage.sample_ciphertext,
                usage.sample_athlete_pk,
                usage.sample_kind,
            )
        except VaultError:
            problems.append(
                f"key {usage.key_id!r} does not decrypt a stored credential (wrong key value?)"
            )
    return problems


def stored_key_usage(connection: Connection) -> list[KeyUsage]:
    """Key ids used in ``credentials`` with a count and their oldest row (empty before the
    schema exists, so a database awaiting `db upgrade` is not reported twice)."""
    if not inspect(connection).has_table(Credential.__tablename__):
        return []
    per_key = connection.execute(
        select(Credential.key_id, func.count(), func.min(Credential.id)).group_by(Credential.key_id)
    ).all()
    usages = []
    for key_id, count, first_id in per_key:
        sample = connection.execute(
            select(Credential.athlete_id, Credential.kind, Credential.ciphertext).where(
                Credential.id == first_id
            )
        ).one()
        usages.append(KeyUsage(key_id, count, sample[0], sample[1], bytes(sample[2])))
    return usages


def check_stored_credentials(
    connection: Connection, vault: Vault, *, with_counts: bool = True
) -> list[str]:
    """:func:`key_ring_problems` for the credentials stored in this database."""
    return key_ring_problems(vault, stored_key_usage(connection), with_counts=with_counts)


def public_key_ring_problems(connection: Connection, vault: Vault) -> list[str]:
    """:func:`check_stored_credentials` without counts (for `/readyz`)."""
    return check_stored_credentials(connection, vault, with_counts=False)
