"""Who receives a notification: the recipient of an outbox row (a role code, or `worker`) resolved against
the case's scope to users, and each user to the channels that can reach them.

- A role reaches the users who hold it and whose scope covers the case — the same scope rule the engine
  applies to the people who may act on the case (`Engine._in_scope`): district roles by district (a user
  without a district reaches every district), street roles by street, community roles by community.
- A row without a case (a term reminder, workflows.terms) names its scope in `payload.scope` (the district):
  its roles reach the users of that district (`Scope`).
- `worker` is the person concerned: the users linked to the case's worker, or, for an exam-hiring
  candidate (who has no personnel record yet), the candidate who registered (the case's owner).
- E-mail reaches users with an e-mail address; the webhook users with a webhook URL (or everyone, when a
  default URL is configured); the file and console channels reach everyone, and when nobody holds the
  role they still record the notification under `ROLE@scope` (`worker@<id>`), so nothing disappears.

Targets are resolved at a row's first dispatch attempt and then kept: a retry goes to the same people.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.admin import Admin
from engine.errors import InvalidInput
from engine.idcard import mask
from engine.service import COMMUNITY_ROLES, DISTRICT_ROLES, STREET_ROLES
from engine.spec import Roles
from engine.text import t
from notifications.config import NotifyConfig
from storage.records import CaseRecord, UserRecord
from storage.repository import Store

WORKER = "worker"
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


@dataclass(frozen=True)
class Target:
    key: str  # login, or ROLE@scope when nobody holds the role
    name: str
    channel: str
    address: str | None


@dataclass(frozen=True)
class Scope:
    """The org scope of a row that has no case (e.g. a term reminder: its district)."""

    district_id: int | None
    street_id: int | None = None
    community_id: int | None = None
    worker_id: int | None = None
    owner_user_id: int | None = None


def scope_of(row: Mapping[str, Any]) -> Scope | None:
    """The `payload.scope` of a case-less row, if it names one."""
    scope = (row.get("payload") or {}).get("scope") or {}
    return Scope(int(scope["district_id"])) if scope.get("district_id") is not None else None


def _covers(user: UserRecord, role: str, case: CaseRecord | Scope) -> bool:
    if role in DISTRICT_ROLES:
        return user.district_id is None or user.district_id == case.district_id
    if role in STREET_ROLES:
        return user.street_id is not None and user.street_id == case.street_id
    if role in COMMUNITY_ROLES:
        return user.community_id is not None and user.community_id == case.community_id
    return False


def users_for(store: Store, recipient: str, case: CaseRecord | Scope | None) -> list[UserRecord]:
    """The users a recipient name reaches for `case` or a case-less row's scope (none without either)."""
    if case is None:
        return []
    users = store.users()
    if recipient == WORKER:
        if case.worker_id is not None:
            return [u for u in users if u.worker_id == case.worker_id]
        return [u for u in users if u.id == case.owner_user_id and Roles.CANDIDATE.value in u.roles]
    return [u for u in users if recipient in u.roles and _covers(u, recipient, case)]


def _scope_code(recipient: str, case: CaseRecord | Scope | None, org: Mapping[str, Any]) -> str:
    if case is None:
        return "-"
    if recipient == WORKER:
        return str(case.worker_id or case.owner_user_id or "-")
    for level in ("community", "street", "district"):
        unit = org.get(level)
        if recipient in _LEVEL_ROLES[level] and unit:
            return str(unit["code"])
    return str(case.district_id or "-")


_LEVEL_ROLES = {"community": COMMUNITY_ROLES, "street": STREET_ROLES, "district": DISTRICT_ROLES}


def resolve(store: Store, row: Mapping[str, Any], config: NotifyConfig) -> list[Target]:
    """Every (person, channel) an outbox row is delivered to under `config`."""
    case: CaseRecord | Scope | None = store.get_case(int(row["case_id"])) if row.get("case_id") is not None \
        else scope_of(row)
    recipient = str(row["recipient"])
    users = users_for(store, recipient, case)
    contacts = store.user_contacts([u.id for u in users])
    targets: list[Target] = []
    for user in users:
        contact = contacts.get(user.id) or {}
        if config.smtp is not None and contact.get("email"):
            targets.append(Target(user.login, user.name, "smtp", str(contact["email"])))
        if config.webhook is not None:
            url = contact.get("webhook_url") or config.webhook.default_url
            if url:
                targets.append(Target(user.login, user.name, "webhook", str(url)))
        if config.file is not None:
            targets.append(Target(user.login, user.name, "file", None))
        if config.console:
            targets.append(Target(user.login, user.name, "console", None))
    if not users and (config.file is not None or config.console):
        org = store.org_names(community_id=case.community_id, street_id=case.street_id,
                              district_id=case.district_id) if case else {}
        key = f"{recipient}@{_scope_code(recipient, case, org)}"
        name = t("notifications.unassigned", role=t("notifications.recipient_worker") if recipient == WORKER
                 else t(f"roles.{recipient}"))
        if config.file is not None:
            targets.append(Target(key, name, "file", None))
        if config.console:
            targets.append(Target(key, name, "console", None))
    return targets


# ---------------------------------------------------------------- contact data (shequ user add / contact)


def validate_contact(email: str | None, phone: str | None, webhook: str | None) -> dict[str, str | None]:
    """Check the formats; empty strings clear a value. Raises InvalidInput naming the bad value."""
    values: dict[str, str | None] = {}
    if email is not None:
        email = email.strip()
        if email and not _EMAIL.match(email):
            raise InvalidInput("CONTACT_INVALID", t("notifications.contact.bad_email", value=email))
        values["email"] = email or None
    if phone is not None:
        phone = phone.strip()
        if phone and not re.fullmatch(r"[0-9+\- ]{5,30}", phone):
            raise InvalidInput("CONTACT_INVALID", t("notifications.contact.bad_phone", value=mask(phone)))
        values["phone"] = phone or None
    if webhook is not None:
        webhook = webhook.strip()
        if webhook and not webhook.startswith(("http://", "https://")):
            raise InvalidInput("CONTACT_INVALID", t("notifications.contact.bad_webhook", value=webhook))
        values["webhook_url"] = webhook or None
    return values


def set_contact(admin: Admin, login: str, *, email: str | None = None, phone: str | None = None,
                webhook: str | None = None, by: str | None = None) -> dict[str, Any]:
    """Set a user's contact data (audited as `user.set_contact`, the phone masked in the audit entry)."""
    values = validate_contact(email, phone, webhook)
    with admin.db.transaction() as store:
        user = store.user_by_login(login)
        if values:
            store.set_user_contact(user.id, values, admin.clock.now())
            shown = {k: (mask(v) if k == "phone" and v else v) for k, v in values.items()}
            admin._audit(store, by, "user.set_contact", {"login": login, **shown})
        return contact_view(store.user_contacts([user.id]).get(user.id) or {})


def contact_view(contact: Mapping[str, Any]) -> dict[str, Any]:
    """A contact as shown to people: the phone masked."""
    phone = contact.get("phone")
    return {"email": contact.get("email"), "phone": mask(str(phone)) if phone else None,
            "webhook_url": contact.get("webhook_url")}


def contacts_of(store: Store, logins: Sequence[str]) -> dict[str, dict[str, Any]]:
    users = {u.login: u for u in store.users() if u.login in set(logins)}
    contacts = store.user_contacts([u.id for u in users.values()])
    return {login: contact_view(contacts.get(u.id) or {}) for login, u in users.items()}
