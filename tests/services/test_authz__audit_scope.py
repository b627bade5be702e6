"""An auditor's scope: the whole province, or the cases of a list of units; how an administrator sets it."""
from __future__ import annotations

import pytest

from services import accounts
from services import authz
from services import cases
from services import users
from services.backend import Backend
from services.errors import InvalidInput
from services.errors import NotAllowed
from services.errors import NotFound
from services.models import User
from tests.support import PASSWORD
from tests.support import read
from tests.support import run

LOAN = "loan_dossier"
COMMUNES = ("10001", "10002", "10003")


def add(backend: Backend, username: str, groups: list[str], unit: str | None = None,
        audit_units: tuple[str, ...] = ()) -> None:
    """Create ``username`` with the test password."""
    run(backend, lambda s: users.add_user(s, username, PASSWORD, groups, unit=unit, audit_units=audit_units))


def start(backend: Backend, username: str) -> int:
    """A new loan case opened by ``username`` (the case takes the officer's unit)."""
    return run(backend, lambda s: cases.start_case(s, backend.runtime, users.get_user(s, username), LOAN).id)


def visible(backend: Backend, username: str) -> set[int]:
    """The ids of the cases ``username`` sees in the case list."""
    return {c.id for c in read(backend, lambda s: cases.list_cases(s, users.get_user(s, username)))}


@pytest.fixture
def by_commune(backend: Backend) -> dict[str, int]:
    """One loan case opened in each commune: commune code → case id."""
    found = {}
    for code in COMMUNES:
        add(backend, f"police.{code}", ["police"], unit=code)
        found[code] = start(backend, f"police.{code}")
    return found


def test_a_province_wide_auditor_and_an_administrator_see_every_case(backend: Backend,
                                                                      by_commune: dict[str, int]) -> None:
    add(backend, "thanhtra.tinh", ["auditor"])
    add(backend, "quantri", ["admin"])
    assert visible(backend, "thanhtra.tinh") == visible(backend, "quantri") == set(by_commune.values())


def test_a_scoped_auditor_sees_the_cases_of_their_units_only(backend: Backend, by_commune: dict[str, int]) -> None:
    add(backend, "thanhtra.xa", ["auditor"], audit_units=("10002", "10003"))
    assert visible(backend, "thanhtra.xa") == {by_commune["10002"], by_commune["10003"]}
    hidden = by_commune["10001"]
    with pytest.raises(NotFound):
        read(backend, lambda s: cases.get_case(s, users.get_user(s, "thanhtra.xa"), hidden))


def test_an_auditor_unit_of_their_own_does_not_widen_or_narrow_the_scope(backend: Backend,
                                                                         by_commune: dict[str, int]) -> None:
    """``unit`` says where someone works; only ``audit_units`` says what an auditor reads."""
    add(backend, "thanhtra.o.xa", ["auditor"], unit="10001")
    add(backend, "thanhtra.hep", ["auditor"], unit="10001", audit_units=("10003",))
    assert visible(backend, "thanhtra.o.xa") == set(by_commune.values())
    assert visible(backend, "thanhtra.hep") == {by_commune["10003"]}


def test_an_administrator_who_also_audits_a_unit_still_sees_everything(backend: Backend,
                                                                        by_commune: dict[str, int]) -> None:
    add(backend, "quantri.thanhtra", ["admin", "auditor"], audit_units=("10001",))
    assert visible(backend, "quantri.thanhtra") == set(by_commune.values())


def test_the_scope_is_stored_sorted_and_without_repeats(backend: Backend) -> None:
    add(backend, "thanhtra.b", ["auditor"], audit_units=("10003", "10001", "10003"))
    stored = read(backend, lambda s: users.get_user(s, "thanhtra.b"))
    assert (stored.audit_units, stored.audit_unit_list) == (frozenset({"10001", "10003"}), ",10001,10003,")


def test_an_auditor_may_not_write_whatever_their_scope() -> None:
    for auditor in (User(group_list=",auditor,"), User(group_list=",auditor,", audit_unit_list=",10001,")):
        with pytest.raises(NotAllowed):
            authz.require_writer(auditor)
    authz.require_writer(User(group_list=",admin,"))


@pytest.mark.parametrize(("groups", "codes", "message"), [
    (["police"], ("10001",), "Chỉ người dùng nhóm Thanh tra / kiểm toán mới có phạm vi kiểm toán"),
    (["auditor"], ("10001", "xã 2"), "Mã đơn vị không hợp lệ: xã 2"),
    (["auditor"], ("1" * 33,), "Mã đơn vị không hợp lệ"),
    (["auditor"], tuple(f"{n:05d}" for n in range(users.MAX_AUDIT_UNITS + 1)),
     f"Phạm vi kiểm toán có tối đa {users.MAX_AUDIT_UNITS} đơn vị"),
], ids=["not-an-auditor", "space-in-code", "too-long", "too-many"])
def test_a_bad_scope_is_refused_in_vietnamese_and_nothing_is_written(backend: Backend, groups: list[str],
                                                                     codes: tuple[str, ...], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        add(backend, "thanhtra.sai", groups, audit_units=codes)
    [error] = refused.value.errors
    assert error.field == "audit_units" and error.message("vi").startswith(message)
    assert error.message("en")
    with pytest.raises(NotFound):
        read(backend, lambda s: users.get_user(s, "thanhtra.sai"))


def test_an_administrator_sets_and_clears_the_scope(backend: Backend, by_commune: dict[str, int]) -> None:
    account = run(backend, lambda s: accounts.create_user(s, "thanhtra.c", PASSWORD, ["auditor"],
                                                          full_name="Phan Văn Cảnh", audit_units=["10001"]))
    assert visible(backend, "thanhtra.c") == {by_commune["10001"]}
    run(backend, lambda s: accounts.update_user(s, account.id, "Phan Văn Cảnh", ["auditor"], "",
                                                audit_units=["10002", "10003"]))
    assert visible(backend, "thanhtra.c") == {by_commune["10002"], by_commune["10003"]}
    run(backend, lambda s: accounts.update_user(s, account.id, "Phan Văn Cảnh", ["auditor"], "", audit_units=[]))
    assert read(backend, lambda s: users.get_user(s, "thanhtra.c")).audit_unit_list is None
    assert visible(backend, "thanhtra.c") == set(by_commune.values())


def test_leaving_the_auditor_group_with_a_scope_left_in_is_refused(backend: Backend) -> None:
    account = run(backend, lambda s: accounts.create_user(s, "thanhtra.d", PASSWORD, ["auditor"],
                                                          audit_units=["10001"]))
    with pytest.raises(InvalidInput) as refused:
        run(backend, lambda s: accounts.update_user(s, account.id, "D", ["police"], "10001", audit_units=["10001"]))
    assert [e.field for e in refused.value.errors] == ["audit_units"]
    assert read(backend, lambda s: users.get_user(s, "thanhtra.d")).groups == {"auditor"}
