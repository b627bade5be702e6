"""What the administrator manages: user accounts, and the process versions they deploy and inspect.

Commands here never commit; the caller's transaction does (one command, one transaction).
"""
from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import undefer

from services import users
from services.errors import DeployRejected
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import NotFound
from services.models import ProcessInstance
from services.models import ProcessVersion
from services.models import User
from services.text import fold
from workflows.messages import FieldError
from workflows.registry import SOURCE_SUFFIXES

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
                full_name: str = "") -> User:
    """A new active account; raises InvalidInput listing every field at fault, and writes nothing then."""
    errors = _profile_errors(full_name, unit) + _group_errors(groups)
    # With a name or unit too long for its column, add_user still checks the other fields, but gets
    # blanks to write; the InvalidInput raised below makes the caller's transaction drop that row.
    try:
        user = users.add_user(session, username.strip(), password, groups,
                              unit=None if errors else unit.strip() or None,
                              full_name="" if errors else full_name.strip())
    except InvalidInput as exc:
        checked_here = {e.field for e in errors}
        raise InvalidInput([*(e for e in exc.errors if e.field not in checked_here), *errors]) from exc
    if errors:
        raise InvalidInput(errors)
    return user


def update_user(session: Session, user_id: int, full_name: str, groups: Sequence[str], unit: str, *,
                actor: User | None = None) -> User:
    """Change a user's full name, groups and unit; raises NotFound or InvalidInput.

    When ``actor`` edits their own account they keep the ``admin`` group, so no one locks themselves out.
    """
    user = get_account(session, user_id)
    errors = _profile_errors(full_name, unit) + _group_errors(groups)
    if actor is not None and actor.id == user.id and "admin" in user.groups and "admin" not in groups:
        errors.append(FieldError("groups", "own_admin", text=(
            "Bạn không thể tự bỏ nhóm quản trị của mình", "You cannot remove yourself from the admin group")))
    if errors:
        raise InvalidInput(errors)
    user.full_name = full_name.strip() or user.username
    user.groups = set(groups)
    user.unit = unit.strip() or None
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


@dataclass(frozen=True)
class VersionSummary:
    """A deployed version as the process list shows it, with the number of cases pinned to it."""

    version: ProcessVersion
    cases: int


def process_versions(session: Session) -> list[VersionSummary]:
    """Every deployed version, by process key and newest version first."""
    counts = (select(ProcessInstance.process_version_id.label("version_id"), func.count().label("n"))
              .group_by(ProcessInstance.process_version_id).subquery())
    query = (select(ProcessVersion, func.coalesce(counts.c.n, 0))
             .outerjoin(counts, counts.c.version_id == ProcessVersion.id)
             .order_by(ProcessVersion.process_key, ProcessVersion.version.desc()))
    return [VersionSummary(version, cases) for version, cases in session.execute(query)]


def get_version(session: Session, version_id: int) -> VersionSummary:
    """Version ``version_id`` with its files loaded and its number of cases; raises NotFound."""
    version = session.scalar(select(ProcessVersion).where(ProcessVersion.id == version_id)
                             .options(undefer(ProcessVersion.sources)))
    if version is None:
        raise NotFound("process_version")
    cases = session.scalar(select(func.count()).where(ProcessInstance.process_version_id == version_id)) or 0
    return VersionSummary(version, cases)


def diagram_xml(session: Session, version_id: int) -> str:
    """The BPMN file of version ``version_id``, for the diagram viewer; raises NotFound."""
    sources = session.scalar(select(ProcessVersion.sources).where(ProcessVersion.id == version_id))
    if sources is None:
        raise NotFound("process_version")
    return str(next(text for name, text in sorted(sources.items()) if name.endswith(".bpmn")))


# --- uploads -----------------------------------------------------------------------------------------------


def sources_from_upload(files: Iterable[tuple[str, bytes]], max_bytes: int) -> dict[str, str]:
    """The deployable sources in an upload, keyed as ``workflows.registry.read_folder`` keys a folder.

    The upload is either several files (``.bpmn``, ``.dmn``, ``.json`` forms) or one ``.zip`` laid out like
    ``bpmn/`` (forms in ``forms/``). Uploaded forms are keyed ``forms/<name>`` so the same files give the
    same version hash as ``reentry deploy``. Raises DeployRejected naming every problem found.
    """
    uploaded = [(_base_name(name), data) for name, data in files if name]
    if not uploaded:
        raise DeployRejected(["(tải lên): chưa chọn tệp nào"])
    if any(name.lower().endswith(".zip") for name, _ in uploaded):
        if len(uploaded) > 1:
            raise DeployRejected(["(tải lên): chỉ tải lên một tệp .zip, hoặc nhiều tệp .bpmn/.dmn/.json"])
        return _zip_sources(*uploaded[0], max_bytes)
    problems: list[str] = []
    sources: dict[str, str] = {}
    for name, data in uploaded:
        key = f"forms/{name}" if name.endswith(".json") else name
        if not name.endswith(SOURCE_SUFFIXES):
            problems.append(f"{name}: chỉ nhận tệp .bpmn, .dmn, .json hoặc một tệp .zip")
        elif key in sources:
            problems.append(f"{name}: tệp bị trùng tên")
        else:
            sources[key] = _decode(name, data, problems)
    if problems:
        raise DeployRejected(problems)
    return sources


def _zip_sources(zip_name: str, data: bytes, max_bytes: int) -> dict[str, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DeployRejected([f"{zip_name}: không phải tệp .zip hợp lệ"]) from exc
    with archive:
        entries = [e for e in archive.infolist() if not (e.is_dir() or _macos_extra(e.filename))]
        problems = [f"{zip_name}: đường dẫn không được phép '{e.filename}'" for e in entries if _unsafe(e.filename)]
        if sum(e.file_size for e in entries) > max_bytes:
            problems.append(f"{zip_name}: nội dung giải nén vượt quá {max_bytes // (1024 * 1024)} MB")
        if problems:
            raise DeployRejected(problems)
        names = {e.filename: e.filename.replace("\\", "/") for e in entries}
        prefix = _common_folder(list(names.values()))
        sources = {names[e.filename][len(prefix):]: _decode(e.filename, archive.read(e), problems)
                   for e in entries if e.filename.endswith(SOURCE_SUFFIXES)}
    if problems:
        raise DeployRejected(problems)
    if not sources:
        raise DeployRejected([f"{zip_name}: không có tệp .bpmn, .dmn hoặc .json nào"])
    return sources


def _macos_extra(path: str) -> bool:
    """Finder's resource-fork copies (``__MACOSX/``, ``._name``), which are not the user's files."""
    return path.startswith("__MACOSX/") or _base_name(path).startswith("._")


def _unsafe(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return path.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts


def _common_folder(paths: list[str]) -> str:
    """``bpmn/`` when every entry sits in one top folder (a zipped ``bpmn`` folder), else ``""``."""
    tops = {p.split("/", 1)[0] for p in paths}
    if len(tops) == 1 and all("/" in p for p in paths):
        return f"{tops.pop()}/"
    return ""


def _base_name(name: str) -> str:
    return posixpath.basename(name.replace("\\", "/"))


def _decode(name: str, data: bytes, problems: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{name}: không đọc được dạng UTF-8")
        return ""
