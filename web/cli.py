"""The ``reentry`` command line (DESIGN §6)."""
from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import click
from sqlalchemy.orm import Session

from services import audit
from services import audit_export
from services import documents
from services import users
from services.backend import Backend
from services.demo import DEMO_PASSWORD
from services.demo import DEMO_USERS
from services.demo import seed
from services.deploy import deploy_sources
from services.errors import DeployRejected
from services.errors import InvalidInput
from services.errors import ServiceError
from services.runtime import Runtime
from services.schema import upgrade
from web.server import serve as run_server
from web.worker import run_worker
from workflows.calendar import WorkingCalendar
from workflows.errors import DiagramRejected
from workflows.registry import read_folder
from workflows.settings import Settings

DEFAULT_BPMN = Path("bpmn")


@click.group()
def main() -> None:
    """reentry — quy trình vay vốn và khen thưởng tái hòa nhập cộng đồng."""


def _fail(message: str) -> None:
    click.echo(f"Lỗi: {message}", err=True)
    sys.exit(1)


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema."""
    backend = Backend.connect()
    upgrade(backend.engine)
    click.echo(f"Đã khởi tạo cơ sở dữ liệu: {backend.engine.url.render_as_string(hide_password=True)}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def deploy(paths: tuple[Path, ...]) -> None:
    """Validate and register diagrams, decision tables and forms (default: bpmn/)."""
    backend = Backend.connect()
    sources: dict[str, str] = {}
    try:
        for folder in paths or (DEFAULT_BPMN,):
            sources.update(read_folder(folder))
        with backend.transaction() as session:
            deployed = deploy_sources(session, sources, actor="cli")
    except (DeployRejected, DiagramRejected) as exc:
        problems = exc.problems
        _fail("không triển khai được:\n  " + "\n  ".join(str(p) for p in problems))
        return
    for item in deployed:
        state = "phiên bản mới" if item.created else "không thay đổi"
        click.echo(f"{item.key}: phiên bản {item.version} ({state}, {item.version_hash[:12]})")


@main.group("users")
def users_group() -> None:
    """Manage users."""


@users_group.command("add")
@click.argument("username")
@click.option("--password", required=True)
@click.option("--group", "groups", multiple=True, required=True)
@click.option("--unit", default=None)
@click.option("--full-name", default="")
@click.option("--audit-unit", "audit_units", multiple=True, metavar="CODE",
              help="An auditor reads only the cases of these units (repeatable); none: the whole province.")
def users_add(username: str, password: str, groups: tuple[str, ...], unit: str | None, full_name: str,
              audit_units: tuple[str, ...]) -> None:
    """Create a user."""
    backend = Backend.connect()
    try:
        with backend.transaction() as session:
            user = users.add_user(session, username, password, groups, unit=unit, full_name=full_name,
                                  audit_units=audit_units)
            click.echo(f"Đã tạo người dùng {user.username} ({', '.join(sorted(user.groups))})")
            if user.audit_units:
                click.echo(f"Phạm vi kiểm toán: {', '.join(sorted(user.audit_units))}")
    except InvalidInput as exc:
        _fail("; ".join(f"{e.field}: {e.message('vi')}" for e in exc.errors))


@users_group.command("token")
@click.argument("username")
def users_token(username: str) -> None:
    """Print a new API token for USERNAME."""
    backend = Backend.connect()
    try:
        with backend.transaction() as session:
            token, _expires = users.issue_token(session, users.get_user(session, username))
    except ServiceError as exc:
        _fail(exc.message("vi"))
        return
    click.echo(token)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and the API."""
    run_server(host, port, workers)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database and demo data, then exit.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """init-db + deploy + demo users and cases + serve."""
    backend = Backend.connect()
    upgrade(backend.engine)
    with backend.transaction() as session:
        for item in deploy_sources(session, read_folder(DEFAULT_BPMN), actor="demo"):
            click.echo(f"Quy trình {item.key}: phiên bản {item.version}")
    with backend.transaction() as session:
        created = seed(session, backend.runtime, dt.date.today())
    for line in created:
        click.echo(f"Đã tạo {line}")
    click.echo(f"Mật khẩu của mọi tài khoản demo: {DEMO_PASSWORD}")
    for user in DEMO_USERS:
        click.echo(f"  {user.username:16} {', '.join(user.groups):20} {user.unit or '':6} {user.full_name}")
    if not no_serve:
        click.echo(f"Mở http://{host}:{port}")
        run_server(host, port, 1)


@main.command()
def worker() -> None:
    """Background worker: Celery worker and beat when REENTRY_BROKER_URL is set, else a timer sweeper loop."""
    run_worker()


@main.group("audit")
def audit_group() -> None:
    """Audit chain tools."""


@audit_group.command("verify")
@click.option("--instance", "instance_id", type=int, default=None, help="Check one case only.")
@click.option("--file", "export_file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check an export (reentry audit export) instead of the database; no database is needed.")
def audit_verify(instance_id: int | None, export_file: Path | None) -> None:
    """Exit 0 when the chain holds; otherwise name the first bad event and exit 1."""
    if export_file is not None:
        if instance_id is not None:
            _fail("--file và --instance không dùng cùng nhau")
        _verify_export(export_file)
        return
    backend = Backend.connect()
    with backend.sessions() as session:
        result = audit.verify(session, instance_id)
    if result.ok:
        click.echo(f"Chuỗi kiểm toán toàn vẹn: {result.events_checked} sự kiện")
        return
    _fail(_broken(result.first_bad or {}))


def _verify_export(path: Path) -> None:
    # Only the file is read: an inspector checks what they were handed on a machine without the database.
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        _fail(f"{path}: không phải tệp JSON hợp lệ ({exc})")
        return
    result = audit.verify_document(document)
    if not result.ok:
        _fail(f"{path}: {_broken(result.first_bad or {})}")
        return
    click.echo(f"Bản xuất toàn vẹn: hồ sơ {document['case']['business_key']}, {result.events_checked} sự kiện, "
               f"khớp đầu chuỗi ghi trong tệp")


def _broken(bad: dict[str, object]) -> str:
    return (f"chuỗi kiểm toán bị phá vỡ tại hồ sơ {bad.get('business_key')} sự kiện số {bad.get('seq')} "
            f"(id {bad.get('event_id')}): {bad.get('reason')}")


@audit_group.command("export")
@click.argument("business_key")
@click.option("--format", "file_format", type=click.Choice(audit_export.FORMATS), default="json", show_default=True,
              help="json: every hash, for `reentry audit verify --file`; csv: for reading in a spreadsheet.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
def audit_export_history(business_key: str, file_format: str, out: Path) -> None:
    """Write the history of case BUSINESS_KEY (HS-2026-000001) with its hashes; reads every case, as an auditor."""
    _write_case_file(business_key, out, lambda s, _r: audit_export.export_by_business_key(s, business_key, file_format))


@main.group("documents")
def documents_group() -> None:
    """Printable documents of cases."""


@documents_group.command("pdf")
@click.argument("business_key")
@click.option("--name", default="decision", show_default=True, help="The document (decision: the award decision).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
def documents_pdf(business_key: str, name: str, out: Path) -> None:
    """Write document NAME of case BUSINESS_KEY (HS-2026-000001) as a PDF; reads every case, as an auditor."""
    _write_case_file(business_key, out, lambda s, r: documents.pdf_by_business_key(s, r, business_key, name))


class _CaseFile(Protocol):
    @property
    def content(self) -> bytes: ...


def _write_case_file(business_key: str, out: Path, produce: Callable[[Session, Runtime], _CaseFile]) -> None:
    """Write the file ``produce`` makes of a case to ``out`` (its ``content`` bytes), or fail naming the case."""
    backend = Backend.connect()
    try:
        with backend.sessions() as session:
            file = produce(session, backend.runtime)
    except ServiceError as exc:
        _fail(f"{business_key}: {exc.message('vi')}")
        return
    out.write_bytes(file.content)
    size = f"{len(file.content):,}".replace(",", ".")
    click.echo(f"Đã ghi {out} ({size} byte)")


@main.group("calendar")
def calendar_group() -> None:
    """Working-day calendar."""


@calendar_group.command("add")
@click.argument("date", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]))
@click.argument("days", type=int)
def calendar_add(date: dt.datetime, days: int) -> None:
    """Print DATE plus DAYS Vietnamese working days."""
    settings = Settings.from_environment()
    calendar = WorkingCalendar(settings["extra_holidays"], settings["extra_working_days"])
    click.echo(calendar.add_working_days(date.date(), days).isoformat())
