"""Domain errors: each names one failure and carries what the user needs to see. None knows HTTP."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from workflows.calendar import VIETNAM_TZ as _VN
from workflows.messages import FieldError


class ServiceError(Exception):
    """Base of every service error; ``message(locale)`` gives the user-facing text."""

    vi = "Có lỗi xảy ra"
    en = "Something went wrong"

    def message(self, locale: str = "vi") -> str:
        """The message in ``locale``."""
        return self.en if locale.startswith("en") else self.vi

    def __str__(self) -> str:
        return self.message("vi")

class NotFound(ServiceError):
    """The record does not exist, or the user may not know it exists."""

    def __init__(self, what: str = "record") -> None:
        self.what = what
        self.vi = "Không tìm thấy dữ liệu yêu cầu"
        self.en = "Not found"
        super().__init__(what)

class NotAllowed(ServiceError):
    """The user may not do this."""

    def __init__(self, vi: str = "Bạn không có quyền thực hiện thao tác này",
                 en: str = "You are not allowed to do this") -> None:
        self.vi, self.en = vi, en
        super().__init__(vi)

class InvalidInput(ServiceError):
    """Submitted data failed validation; nothing was written."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        self.vi = "Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu"
        self.en = "Some fields are not valid; please check the marked fields"
        super().__init__(self.vi)

class Conflict(ServiceError):
    """Someone else changed the record first."""

    def __init__(self, vi: str, en: str) -> None:
        self.vi, self.en = vi, en
        super().__init__(vi)

class TaskAlreadyCompleted(Conflict):
    """A second completion of the same task; says who completed it and when."""

    def __init__(self, completed_by: str, completed_at: dt.datetime, username: str = "") -> None:
        self.completed_by = completed_by
        self.completed_at = completed_at
        self.username = username
        when = completed_at.astimezone(_VN).strftime("%H:%M %d/%m/%Y")
        super().__init__(f"Công việc đã được {completed_by} hoàn thành lúc {when}",
                         f"Already completed by {completed_by} at {when}")

class TaskHeldByOther(Conflict):
    """The task is claimed by another user."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(f"Công việc đang do {holder} xử lý", f"The task is held by {holder}")

class ProcessFailure(ServiceError):
    """The engine could not advance the case (a script or decision failed); nothing was written."""

    def __init__(self, detail: str, element: str | None) -> None:
        self.detail, self.element = detail, element
        where = f" tại bước '{element}'" if element else ""
        where_en = f" at '{element}'" if element else ""
        self.vi = f"Quy trình gặp lỗi{where}: {detail}"
        self.en = f"The process failed{where_en}: {detail}"
        super().__init__(self.vi)

class DeployRejected(ServiceError):
    """A deployment was refused; the running versions are untouched."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        self.vi = "Không triển khai được: " + "; ".join(self.problems)
        self.en = "Deployment refused: " + "; ".join(self.problems)
        super().__init__(self.vi)

