"""Users, groups, passwords (argon2) and API tokens."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session

from services import driver
from services.db import utcnow
from services.errors import InvalidInput
from services.errors import NotFound
from services.models import ApiToken
from services.models import User
from workflows.messages import FieldError

GROUPS = (
    "police", "commune", "bank_appraiser", "bank_teller", "unit_head", "home_affairs", "police_emulation",
    "provincial_council", "police_council", "chairman", "police_director", "auditor", "admin",
)
USERNAME = re.compile(r"^[a-z0-9_.-]{3,64}$")
# A unit code as the inbox rows and cases carry it (a commune code, a bank office code).
UNIT_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MAX_AUDIT_UNITS = 50
MIN_PASSWORD = 10
TOKEN_LIFETIME = dt.timedelta(hours=12)
_hasher = PasswordHasher()


def add_user(session: Session, username: str, password: str, groups: Iterable[str],
             unit: str | None = None, full_name: str = "", audit_units: Iterable[str] = ()) -> User:
    """Create a user with hashed password, groups, optional unit and, for an auditor, optional audit units."""
    groups, audit_units = list(groups), list(audit_units)
    errors = _user_errors(session, username, password, groups) + audit_unit_errors(groups, audit_units)
    if errors:
        raise InvalidInput(errors)
    user = User(username=username, full_name=full_name or username, password_hash=_hasher.hash(password),
                unit=unit or None)
    user.groups = set(groups)
    user.audit_units = set(audit_units)
    session.add(user)
    session.flush()
    return user


def _user_errors(session: Session, username: str, password: str, groups: list[str]) -> list[FieldError]:
    errors = []
    if not USERNAME.match(username):
        errors.append(FieldError("username", "pattern", text=(
            "Tên đăng nhập gồm 3–64 ký tự a-z, 0-9, dấu chấm, gạch dưới hoặc gạch ngang",
            "A username has 3–64 characters: a-z, 0-9, dot, underscore or hyphen")))
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        errors.append(FieldError("username", "duplicate", {"value": username}))
    errors.extend(password_errors(password))
    unknown = sorted(set(groups) - set(GROUPS))
    if not groups or unknown:
        errors.append(FieldError("groups", "choice", text=(
            f"Nhóm không hợp lệ: {', '.join(unknown) or '(trống)'}; các nhóm: {', '.join(GROUPS)}",
            f"Unknown group: {', '.join(unknown) or '(none)'}; groups are: {', '.join(GROUPS)}")))
    return errors


def audit_unit_errors(groups: Iterable[str], audit_units: Iterable[str]) -> list[FieldError]:
    """Why ``audit_units`` cannot be an auditor's scope: wrong codes, too many, or a user who is no auditor.

    No units at all is always fine: an auditor without units reads the whole province.
    """
    codes = list(dict.fromkeys(audit_units))
    if not codes:
        return []
    if "auditor" not in groups:
        return [FieldError("audit_units", "auditor_only", text=(
            "Chỉ người dùng nhóm Thanh tra / kiểm toán mới có phạm vi kiểm toán; hãy để trống hoặc chọn nhóm đó",
            "Only a member of the auditor group has an audit scope; leave it empty or choose that group"))]
    bad = [code for code in codes if not UNIT_CODE.match(code)]
    if bad:
        return [FieldError("audit_units", "pattern", text=(
            f"Mã đơn vị không hợp lệ: {', '.join(bad)}; mỗi mã gồm 1–32 chữ cái, chữ số, dấu chấm, gạch dưới "
            "hoặc gạch ngang",
            f"Invalid unit code: {', '.join(bad)}; a code has 1–32 letters, digits, dots, underscores or hyphens"))]
    if len(codes) > MAX_AUDIT_UNITS:
        return [FieldError("audit_units", "max_items", text=(
            f"Phạm vi kiểm toán có tối đa {MAX_AUDIT_UNITS} đơn vị; để trống nếu kiểm toán toàn tỉnh",
            f"An audit scope has at most {MAX_AUDIT_UNITS} units; leave it empty for the whole province"))]
    return []


def password_errors(password: str) -> list[FieldError]:
    """Why ``password`` is too weak, if it is."""
    if len(password) < MIN_PASSWORD:
        return [FieldError("password", "min_length", {"limit": MIN_PASSWORD})]
    return []


def set_password(session: Session, user: User, password: str) -> None:
    """Replace the user's password."""
    errors = password_errors(password)
    if errors:
        raise InvalidInput(errors)
    user.password_hash = _hasher.hash(password)
    session.flush()


def verify_password(user: User, password: str) -> bool:
    """True when ``password`` is the user's password."""
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not verify_password(user, password):
        return None
    return user


# Every command starts by loading its actor: read on the driver (see services.driver).
_USERS: Table = User.__table__  # type: ignore[assignment]
_USER_NAMED = driver.Prepared(select(*_USERS.c).where(_USERS.c.username == bindparam("username")))


def get_user(session: Session, username: str) -> User:
    """The user named ``username``."""
    row = _USER_NAMED.first(session, {"username": username})
    if row is None:
        raise NotFound("user")
    return driver.attach(session, User, row)


def issue_token(session: Session, user: User, lifetime: dt.timedelta = TOKEN_LIFETIME) -> tuple[str, dt.datetime]:
    """A new bearer token for ``user`` and its expiry; only the token's hash is stored."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + lifetime
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), expires_at=expires_at))
    session.flush()
    return token, expires_at


def user_for_token(session: Session, token: str) -> User | None:
    """The active user holding an unexpired ``token``, or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return row.user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of a sign-in: the user, or why not (``refused`` or ``locked`` with minutes left)."""

    user: User | None
    reason: str = ""
    minutes_left: int = 0


_DUMMY_HASH = _hasher.hash("reentry-timing-equaliser")


def login(session: Session, username: str, password: str, now: dt.datetime, max_failures: int = 5,
          lock_for: dt.timedelta = dt.timedelta(minutes=15)) -> LoginAttempt:
    """Check a sign-in and record failures; after ``max_failures`` in a row the account locks for ``lock_for``.

    Failures are returned, not raised, so the caller's transaction commits the failure count.
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_active:
        _spend_hash_time()
        return LoginAttempt(None, "refused")
    if user.locked_until and user.locked_until > now:
        return LoginAttempt(None, "locked", _minutes_until(user.locked_until, now))
    if not verify_password(user, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.failed_logins, user.locked_until = 0, now + lock_for
            return LoginAttempt(None, "locked", _minutes_until(user.locked_until, now))
        return LoginAttempt(None, "refused")
    user.failed_logins, user.locked_until = 0, None
    if not user.session_nonce:
        user.session_nonce = uuid.uuid4().hex
    return LoginAttempt(user)


def end_sessions(session: Session, user_id: int) -> None:
    """Sign the user out everywhere: every session cookie issued so far stops working."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_nonce = uuid.uuid4().hex
        session.flush()


def user_for_session(session: Session, session_id: str) -> User | None:
    """The active user a sign-in session id (``"<id>:<nonce>"``) still belongs to, or None."""
    user_id, _, nonce = session_id.partition(":")
    user = session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active or not nonce or nonce != user.session_nonce:
        return None
    return user


def _spend_hash_time() -> None:
    # An unknown username costs the same argon2 work as a wrong password, so timing does not reveal names.
    verify_password(User(password_hash=_DUMMY_HASH), "not-the-password")


def _minutes_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 59) // 60)
