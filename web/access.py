"""View decorators for who may open a page."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import abort
from flask_login import current_user
from flask_login import login_required

F = TypeVar("F", bound=Callable[..., Any])


def groups_required(*groups: str) -> Callable[[F], F]:
    """Signed-in users of at least one of ``groups`` only; others get 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.groups & set(groups):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
