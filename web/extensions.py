"""Flask extensions, created unbound; ``create_app`` binds them."""
from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

BACKEND = "reentry.backend"

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập để tiếp tục"
login_manager.session_protection = "strong"
csrf = CSRFProtect()
babel = Babel()
