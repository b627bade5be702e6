"""Sign-in and sign-out (Flask-Login sessions, argon2 hashes, throttling after repeated failures)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from werkzeug.wrappers import Response

from services import users
from services.db import utcnow
from services.models import User
from web.db import command
from web.db import db
from web.extensions import login_manager
from web.i18n import LOCALES

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user, read once per request; None once they signed out or were disabled."""
    return users.user_for_session(db(), session_id)


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Đăng nhập."""
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    if request.method == "GET":
        return render_template("auth/login.html")
    username = request.form.get("username", "").strip()
    with command() as s:
        attempt = users.login(s, username, request.form.get("password", ""), utcnow(),
                              current_app.config["LOGIN_MAX_FAILURES"],
                              dt.timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"]))
        if attempt.user is not None:
            login_user(attempt.user)
            session.permanent = True
    if attempt.user is not None:
        return redirect(_safe_next(request.args.get("next")))
    if attempt.reason == "locked":
        flash(_("Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau %(n)d phút", n=attempt.minutes_left),
              "error")
        return render_template("auth/login.html", username=username), 429
    flash(_("Tên đăng nhập hoặc mật khẩu không đúng"), "error")
    return render_template("auth/login.html", username=username), 401


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Đăng xuất: this session and every copy of it end."""
    with command() as s:
        users.end_sessions(s, current_user.id)
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất"), "info")
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def set_language(code: str) -> Response:
    """Switch the interface language (vi / en)."""
    if code in LOCALES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))
