"""The worker's workflow cache holds running cases only."""
from __future__ import annotations

from services import cases
from services import users
from services.backend import Backend
from services.status import InstanceStatus
from tests.support import PASSWORD
from tests.support import read
from tests.support import run


def test_a_running_case_stays_in_the_worker_and_a_withdrawn_one_leaves(backend: Backend) -> None:
    """An officer opens a dossier (kept for the next command), then withdraws it (let go: it takes no more)."""
    run(backend, lambda s: users.add_user(s, "an.police", PASSWORD, ["police"], unit="10001"))
    officer = read(backend, lambda s: users.get_user(s, "an.police"))
    instance = run(backend, lambda s: cases.start_case(s, backend.runtime, officer, "loan_dossier"))
    assert instance.id in backend.runtime._cases

    ended = run(backend, lambda s: cases.withdraw_case(s, backend.runtime, users.get_user(s, "an.police"),
                                                       instance.id, "Người vay chuyển đi nơi khác"))
    assert (ended.status, ended.outcome) == (InstanceStatus.COMPLETED, "withdrawn")
    assert instance.id not in backend.runtime._cases
