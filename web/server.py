"""``reentry serve``: gunicorn workers, plus the timer sweeper in the embedded deployment."""
from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from services.sweeper import SweeperThread
from web.app import create_app
from web.extensions import BACKEND


class ReentryServer(BaseApplication):  # type: ignore[misc]
    """gunicorn configured from code: N sync workers serving ``create_app()``."""

    def __init__(self, host: str, port: int, workers: int, sweep: bool) -> None:
        self.options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 4,
                        "accesslog": "-", "timeout": 60}
        self.sweep = sweep
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if self.sweep:
            self.cfg.set("post_worker_init", _start_sweeper)

    def load(self) -> Any:
        return create_app()


def _start_sweeper(worker: Any) -> None:
    # Every worker sweeps; the row lock on each case lets only one of them fire a given timer.
    interval = float(os.environ.get("REENTRY_SWEEP_SECONDS", "60"))
    SweeperThread(worker.wsgi.extensions[BACKEND], interval=interval).start()


def serve(host: str, port: int, workers: int) -> None:
    """Serve until interrupted; without a broker the web workers also sweep timers."""
    ReentryServer(host, port, workers, sweep=not os.environ.get("REENTRY_BROKER_URL")).run()
