"""audit_event: drop the index on instance_id alone; the unique (instance_id, seq) index serves those lookups

Every step inserts an audit event, and each index is one more B-tree (one more page in the commit) to update.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_instance_id"))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_instance_id"), ["instance_id"], unique=False)
