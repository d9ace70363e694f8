"""indexes for the accounts list

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:10:00

The accounts list (kam_console/services/accounts.py) pages with row-value keysets, ``(sort key, id) >
(:v, :id)``, which SQLite answers with an index seek only when an index starts with exactly those
columns. (name, id), (level, id) and (status, id) serve the country-wide list sorted by those columns;
(serving_city_id, customer_no), (serving_city_id, name, id) and (serving_city_id, manager_id, id) serve
a province or city (one seek per city of the scope) for the default sort and the name and manager sorts.
Customer number, industry, serving city and manager already had the indexes they need.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_account_name_id": ["name", "id"],
    "ix_account_level_id": ["level", "id"],
    "ix_account_status_id": ["status", "id"],
    "ix_account_serving_city_id_customer_no": ["serving_city_id", "customer_no"],
    "ix_account_serving_city_id_name_id": ["serving_city_id", "name", "id"],
    "ix_account_serving_city_id_manager_id_id": ["serving_city_id", "manager_id", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(op.f(name), columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(op.f(name))
