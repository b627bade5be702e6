"""Process versions for the admin pages: what is deployed, its files and diagram, and reading an upload."""
from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import undefer

from services.errors import DeployRejected
from services.errors import NotFound
from services.models import ProcessInstance
from services.models import ProcessVersion
from workflows.registry import SOURCE_SUFFIXES


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
