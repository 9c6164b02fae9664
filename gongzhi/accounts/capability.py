"""Accounts' own declaration: the audit log, accounts and the working-day calendar (gongzhi.accounts.capabilities)."""
from .capabilities import Capability, by
from .models import Role as R

AUDIT_VIEW = "audit.view"
ACCOUNT_MANAGE = "account.manage"
CALENDAR_MANAGE = "calendar.manage"

CAPABILITY = Capability(
    name="accounts",
    actions=(AUDIT_VIEW, ACCOUNT_MANAGE, CALENDAR_MANAGE),
    grants={AUDIT_VIEW: by(R.SUBDISTRICT_ADMIN), ACCOUNT_MANAGE: by(R.SUBDISTRICT_ADMIN),
            CALENDAR_MANAGE: by(R.SUBDISTRICT_ADMIN)},
)
