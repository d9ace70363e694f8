"""initial schema: org hierarchy, staff, accounts, services, revenue, rollups

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:53:07.584372
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_setting',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_setting'))
    )
    op.create_table('industry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_industry')),
    sa.UniqueConstraint('code', name=op.f('uq_industry_code'))
    )
    op.create_table('local_company',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("level IN ('group', 'province', 'city', 'county')", name=op.f('ck_local_company_level')),
    sa.ForeignKeyConstraint(['parent_id'], ['local_company.id'], name=op.f('fk_local_company_parent_id_local_company'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_company')),
    sa.UniqueConstraint('code', name=op.f('uq_local_company_code'))
    )
    with op.batch_alter_table('local_company', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_local_company_parent_id'), ['parent_id'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('voice', 'mobile', 'internet', 'circuit', 'video', 'cloud', 'other')", name=op.f('ck_product_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('code', name=op.f('uq_product_code'))
    )
    op.create_table('org_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('short_name', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('local_company_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.CheckConstraint("level IN ('group', 'province', 'city', 'county')", name=op.f('ck_org_unit_level')),
    sa.CheckConstraint('length(code) = 6', name=op.f('ck_org_unit_code_length')),
    sa.ForeignKeyConstraint(['local_company_id'], ['local_company.id'], name=op.f('fk_org_unit_local_company_id_local_company'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['parent_id'], ['org_unit.id'], name=op.f('fk_org_unit_parent_id_org_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_unit')),
    sa.UniqueConstraint('code', name=op.f('uq_org_unit_code')),
    sa.UniqueConstraint('id', 'level', name=op.f('uq_org_unit_id_level'))
    )
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_unit_local_company_id'), ['local_company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_unit_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_unit_path'), ['path'], unique=False)

    op.create_table('revenue_rollup',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=False),
    sa.Column('account_level', sa.String(length=10), nullable=False),
    sa.Column('revenue_fen', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.BigInteger(), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.CheckConstraint("account_level IN ('national', 'provincial', 'city')", name=op.f('ck_revenue_rollup_account_level')),
    sa.ForeignKeyConstraint(['city_id'], ['org_unit.id'], name=op.f('fk_revenue_rollup_city_id_org_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['industry_id'], ['industry.id'], name=op.f('fk_revenue_rollup_industry_id_industry'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('product_id', 'month', 'city_id', 'industry_id', 'account_level', name=op.f('pk_revenue_rollup')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('revenue_rollup', schema=None) as batch_op:
        batch_op.create_index('ix_revenue_rollup_trend', ['product_id', 'city_id', 'month', 'industry_id', 'account_level', 'revenue_fen', 'lines', 'accounts'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_no', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=20), nullable=False),
    sa.Column('line_manager_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=100), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("position IN ('market_manager', 'customer_manager', 'project_manager', 'business_manager', 'head', 'analyst', 'admin')", name=op.f('ck_staff_position')),
    sa.ForeignKeyConstraint(['line_manager_id'], ['staff.id'], name=op.f('fk_staff_line_manager_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_staff_unit_id_org_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('employee_no', name=op.f('uq_staff_employee_no'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_line_manager_id'), ['line_manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_unit_id'), ['unit_id'], unique=False)

    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_no', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_initials', sa.String(length=200), server_default='', nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('owner_level', sa.String(length=10), nullable=False),
    sa.Column('serving_city_id', sa.Integer(), nullable=False),
    sa.Column('serving_level', sa.String(length=10), server_default='city', nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='active', nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("(level = 'national' AND owner_level = 'group') OR (level = 'provincial' AND owner_level = 'province') OR (level = 'city' AND owner_level = 'city')", name=op.f('ck_account_owner_level_matches')),
    sa.CheckConstraint("level IN ('national', 'provincial', 'city')", name=op.f('ck_account_level')),
    sa.CheckConstraint("serving_level = 'city'", name=op.f('ck_account_serving_level_city')),
    sa.CheckConstraint("status IN ('prospect', 'active', 'dormant', 'churned')", name=op.f('ck_account_status')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_account_not_own_parent')),
    sa.ForeignKeyConstraint(['industry_id'], ['industry.id'], name=op.f('fk_account_industry_id_industry'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['manager_id'], ['staff.id'], name=op.f('fk_account_manager_id_staff'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_unit_id', 'owner_level'], ['org_unit.id', 'org_unit.level'], name=op.f('fk_account_owner_unit_id_owner_level_org_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['parent_id'], ['account.id'], name=op.f('fk_account_parent_id_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['serving_city_id', 'serving_level'], ['org_unit.id', 'org_unit.level'], name=op.f('fk_account_serving_city_id_serving_level_org_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('customer_no', name=op.f('uq_account_customer_no'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_industry_id'), ['industry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_name_initials'), ['name_initials'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_owner_unit_id'), ['owner_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_serving_city_id'), ['serving_city_id'], unique=False)

    op.create_table('staff_industry',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('industry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['industry_id'], ['industry.id'], name=op.f('fk_staff_industry_industry_id_industry'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_industry_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'industry_id', name=op.f('pk_staff_industry'))
    )
    with op.batch_alter_table('staff_industry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_industry_industry_id'), ['industry_id'], unique=False)

    op.create_table('account_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=50), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=100), nullable=True),
    sa.Column('is_primary', sa.Boolean(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_account_contact_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_contact'))
    )
    with op.batch_alter_table('account_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_contact_account_id'), ['account_id'], unique=False)

    op.create_table('account_first_contact',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_account_first_contact_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_account_first_contact_staff_id_staff'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('account_id', 'staff_id', name=op.f('pk_account_first_contact'))
    )
    with op.batch_alter_table('account_first_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_first_contact_staff_id'), ['staff_id'], unique=False)

    op.create_table('account_manager_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_account_manager_history_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_account_manager_history_staff_id_staff'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_manager_history'))
    )
    with op.batch_alter_table('account_manager_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_manager_history_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_manager_history_staff_id'), ['staff_id'], unique=False)

    op.create_table('monthly_revenue',
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('serving_city_id', sa.Integer(), nullable=False),
    sa.Column('revenue_fen', sa.BigInteger(), nullable=False),
    sa.Column('billed_lines', sa.Integer(), nullable=False),
    sa.CheckConstraint('billed_lines >= 0', name=op.f('ck_monthly_revenue_lines_non_negative')),
    sa.CheckConstraint('month >= 190001 AND month <= 999912 AND month % 100 BETWEEN 1 AND 12', name=op.f('ck_monthly_revenue_month_valid')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_monthly_revenue_account_id_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_monthly_revenue_product_id_product'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['serving_city_id'], ['org_unit.id'], name=op.f('fk_monthly_revenue_serving_city_id_org_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('month', 'account_id', 'product_id', name=op.f('pk_monthly_revenue'))
    )
    with op.batch_alter_table('monthly_revenue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_revenue_account_id_month'), ['account_id', 'month'], unique=False)
        batch_op.create_index(batch_op.f('ix_monthly_revenue_serving_city_id_month'), ['serving_city_id', 'month'], unique=False)

    op.create_table('service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_no', sa.String(length=24), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('bandwidth', sa.String(length=20), nullable=True),
    sa.Column('a_city_id', sa.Integer(), nullable=True),
    sa.Column('z_city_id', sa.Integer(), nullable=True),
    sa.Column('lines', sa.Integer(), server_default='1', nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='active', nullable=False),
    sa.CheckConstraint("status IN ('pending', 'active', 'suspended', 'terminated')", name=op.f('ck_service_status')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_service_dates_ordered')),
    sa.CheckConstraint('lines >= 0', name=op.f('ck_service_lines_non_negative')),
    sa.ForeignKeyConstraint(['a_city_id'], ['org_unit.id'], name=op.f('fk_service_a_city_id_org_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_service_account_id_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_service_product_id_product'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['z_city_id'], ['org_unit.id'], name=op.f('fk_service_z_city_id_org_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service')),
    sa.UniqueConstraint('service_no', name=op.f('uq_service_service_no'))
    )
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_a_city_id'), ['a_city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_z_city_id'), ['z_city_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_z_city_id'))
        batch_op.drop_index(batch_op.f('ix_service_product_id'))
        batch_op.drop_index(batch_op.f('ix_service_account_id'))
        batch_op.drop_index(batch_op.f('ix_service_a_city_id'))

    op.drop_table('service')
    with op.batch_alter_table('monthly_revenue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_revenue_serving_city_id_month'))
        batch_op.drop_index(batch_op.f('ix_monthly_revenue_account_id_month'))

    op.drop_table('monthly_revenue')
    with op.batch_alter_table('account_manager_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_manager_history_staff_id'))
        batch_op.drop_index(batch_op.f('ix_account_manager_history_account_id'))

    op.drop_table('account_manager_history')
    with op.batch_alter_table('account_first_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_first_contact_staff_id'))

    op.drop_table('account_first_contact')
    with op.batch_alter_table('account_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_contact_account_id'))

    op.drop_table('account_contact')
    with op.batch_alter_table('staff_industry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_industry_industry_id'))

    op.drop_table('staff_industry')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_serving_city_id'))
        batch_op.drop_index(batch_op.f('ix_account_parent_id'))
        batch_op.drop_index(batch_op.f('ix_account_owner_unit_id'))
        batch_op.drop_index(batch_op.f('ix_account_name_initials'))
        batch_op.drop_index(batch_op.f('ix_account_manager_id'))
        batch_op.drop_index(batch_op.f('ix_account_industry_id'))

    op.drop_table('account')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_unit_id'))
        batch_op.drop_index(batch_op.f('ix_staff_line_manager_id'))

    op.drop_table('staff')
    with op.batch_alter_table('revenue_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_revenue_rollup_trend')

    op.drop_table('revenue_rollup')
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_unit_path'))
        batch_op.drop_index(batch_op.f('ix_org_unit_parent_id'))
        batch_op.drop_index(batch_op.f('ix_org_unit_local_company_id'))

    op.drop_table('org_unit')
    op.drop_table('product')
    with op.batch_alter_table('local_company', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_local_company_parent_id'))

    op.drop_table('local_company')
    op.drop_table('industry')
    op.drop_table('app_setting')
