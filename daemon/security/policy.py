"""The one role policy table: which roles grant which permission, from the seeds."""

from __future__ import annotations

from daemon.domain.errors import Forbidden
from daemon.security.jwt_tokens import Principal

KITCHEN_ROLES = frozenset(
    {
        "chef",
        "kitchen_staff",
        "kitchen",
        "cook",
        "line_cook",
        "expo",
        "manager",
        "owner",
        "tenant_admin",
        "super_admin",
        "restaurant_manager",
    }
)
SERVICE_ROLES = frozenset({"server", "pos_staff", "restaurant_staff", "cashier", "host", "bartender"})
MANAGERS = frozenset({"manager", "owner", "tenant_admin", "super_admin", "restaurant_manager"})

POLICY: dict[str, frozenset[str]] = {
    # kitchen-orders seed: permissions granted by role; waiters mark items served.
    "orders:read": KITCHEN_ROLES | SERVICE_ROLES,
    "orders:update_item_status": KITCHEN_ROLES | SERVICE_ROLES,
    # station-tickets seed: kitchen/chef roles; void only manager, owner, tenant_admin.
    "tickets:read": KITCHEN_ROLES | SERVICE_ROLES,
    "tickets:write": KITCHEN_ROLES,
    "tickets:void": frozenset({"manager", "owner", "tenant_admin"}),
    "stations:manage": MANAGERS,
    # upstream issue (24): the headquarters sync status.
    "upstream:read": frozenset({"manager", "owner", "tenant_admin"}),
    # coursing seed, verbatim.
    "coursing": frozenset(
        {"server", "pos_staff", "restaurant_staff", "chef", "kitchen_staff", "manager", "owner", "super_admin"}
    ),
    # Managing the floor (tables, sections, fixtures, floor plan) and webhook subscriptions: not in the
    # seeds; the manager roles of the tables seed's list.
    "tables:manage": MANAGERS | frozenset({"platform_admin", "system_admin"}),
    "webhooks:manage": MANAGERS | frozenset({"platform_admin", "system_admin"}),
    # coursing: template and timing-config changes are for managers and owners (issue 16).
    "coursing:manage": frozenset({"manager", "owner", "super_admin"}),
    # tables seed, verbatim.
    "tables": frozenset(
        {
            "pos_staff",
            "restaurant_staff",
            "server",
            "bartender",
            "cashier",
            "chef",
            "kitchen",
            "host",
            "manager",
            "restaurant_manager",
            "tenant_admin",
            "platform_admin",
            "system_admin",
            "super_admin",
        }
    ),
}


def roles_for(permission: str) -> frozenset[str]:
    return POLICY.get(permission, frozenset())


def authorize(principal: Principal, permission: str) -> None:
    if permission in principal.permissions or principal.roles & roles_for(permission):
        return
    granted = ", ".join(sorted(roles_for(permission))) or "no role"
    raise Forbidden(f"{permission} needs one of these roles: {granted}", code="INSUFFICIENT_ROLE")
