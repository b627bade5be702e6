"""What the administrator manages: user accounts, and the process versions they deploy and inspect.

Commands here never commit; the caller's transaction does (one command, one transaction).
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import users
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import NotFound
from services.models import User
from services.text import fold
from workflows.messages import FieldError

FULL_NAME_MAX = 200
UNIT_MAX = 32


# --- users -------------------------------------------------------------------------------------------------


def list_users(session: Session, query: str = "", page: int = 1, per_page: int = 20) -> tuple[list[User], int]:
    """One page of users ordered by username, and how many match in all.

    ``query`` matches the username or the full name, ignoring case and diacritics ("nguyen" finds
    "Nguyễn"). Matching is done on folded text in Python, which suits the few thousand accounts a
    province has and works the same on SQLite and PostgreSQL.
    """
    page, needle = max(page, 1), fold(query)
    if not needle:
        total = session.scalar(select(func.count()).select_from(User)) or 0
        rows = session.scalars(select(User).order_by(User.username).limit(per_page).offset((page - 1) * per_page))
        return list(rows), total
    names = session.execute(select(User.id, User.username, User.full_name).order_by(User.username))
    matches = [user_id for user_id, username, full_name in names if needle in fold(f"{username} {full_name}")]
    wanted = matches[(page - 1) * per_page:page * per_page]
    if not wanted:
        return [], len(matches)
    return list(session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.username))), len(matches)


def get_account(session: Session, user_id: int) -> User:
    """The user with id ``user_id``; raises NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


def create_user(session: Session, username: str, password: str, groups: Sequence[str], unit: str = "",
                full_name: str = "", audit_units: Sequence[str] = ()) -> User:
    """A new active account; raises InvalidInput listing every field at fault, and writes nothing then.

    ``audit_units`` limits an auditor to the cases of those units; none means the whole province.
    """
    errors = _profile_errors(full_name, unit) + _group_errors(groups)
    # With a name or unit too long for its column, add_user still checks the other fields, but gets
    # blanks to write; the InvalidInput raised below makes the caller's transaction drop that row.
    try:
        user = users.add_user(session, username.strip(), password, groups,
                              unit=None if errors else unit.strip() or None,
                              full_name="" if errors else full_name.strip(), audit_units=audit_units)
    except InvalidInput as exc:
        checked_here = {e.field for e in errors}
        raise InvalidInput([*(e for e in exc.errors if e.field not in checked_here), *errors]) from exc
    if errors:
        raise InvalidInput(errors)
    return user


def update_user(session: Session, user_id: int, full_name: str, groups: Sequence[str], unit: str, *,
                actor: User | None = None, audit_units: Sequence[str] = ()) -> User:
    """Change a user's full name, groups, unit and audit units; raises NotFound or InvalidInput.

    When ``actor`` edits their own account they keep the ``admin`` group, so no one locks themselves out.
    """
    user = get_account(session, user_id)
    errors = _profile_errors(full_name, unit) + _group_errors(groups) + users.audit_unit_errors(groups, audit_units)
    if actor is not None and actor.id == user.id and "admin" in user.groups and "admin" not in groups:
        errors.append(FieldError("groups", "own_admin", text=(
            "Bạn không thể tự bỏ nhóm quản trị của mình", "You cannot remove yourself from the admin group")))
    if errors:
        raise InvalidInput(errors)
    user.full_name = full_name.strip() or user.username
    user.groups = set(groups)
    user.unit = unit.strip() or None
    user.audit_units = set(audit_units)
    session.flush()
    return user


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Enable or disable an account; a disabled user can no longer sign in or use their API tokens.

    Enabling also lifts a lock left by failed sign-ins. Raises NotFound, or NotAllowed when ``actor``
    would disable their own account.
    """
    refuse_self_disable(actor, user_id, active)
    user = get_account(session, user_id)
    user.is_active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    session.flush()
    return user


def refuse_self_disable(actor: User, user_id: int, active: bool) -> None:
    """Raise NotAllowed when ``actor`` is about to disable their own account."""
    if actor.id == user_id and not active:
        raise NotAllowed("Bạn không thể tự vô hiệu hóa tài khoản của mình",
                         "You cannot disable your own account")


def reset_password(session: Session, user_id: int, password: str) -> User:
    """Give a user a new password chosen by the administrator, and lift any sign-in lock.

    Raises NotFound, or InvalidInput when the password is too short.
    """
    user = get_account(session, user_id)
    users.set_password(session, user, password)
    user.failed_logins, user.locked_until = 0, None
    session.flush()
    return user


def _profile_errors(full_name: str, unit: str) -> list[FieldError]:
    errors = []
    if len(full_name.strip()) > FULL_NAME_MAX:
        errors.append(FieldError("full_name", "max_length", {"limit": FULL_NAME_MAX}))
    if len(unit.strip()) > UNIT_MAX:
        errors.append(FieldError("unit", "max_length", {"limit": UNIT_MAX}))
    return errors


def _group_errors(groups: Sequence[str]) -> list[FieldError]:
    if not groups:
        return [FieldError("groups", "required", text=("Chọn ít nhất một nhóm", "Choose at least one group"))]
    if set(groups) - set(users.GROUPS):
        return [FieldError("groups", "choice")]
    return []


# --- process versions --------------------------------------------------------------------------------------
