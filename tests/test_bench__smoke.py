"""The benchmarks still run end to end and print their figures (tiny sizes; no figure is judged here)."""
from __future__ import annotations

import re
from types import ModuleType

import pytest

from bench import award_batch
from bench import replay
from bench import step_overhead


def test_step_overhead_ends_with_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    """Both sides run the happy path to disbursement, the audit chain verifies, the last line is the ratio."""
    step_overhead.main(["--cases", "2", "--warmup", "0"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"overhead_ratio \d+\.\d\d", lines[-1])
    assert any(line.startswith("bare durable SQLite commit on this disk") for line in lines)
    assert [line.split()[0] for line in lines if line.startswith("  ") and " / " in line] == [
        "compile_dossier", "confirm_at_commune", "appraise_loan", "disburse_loan"]


def test_award_batch_prints_its_three_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Two nominations of three nominees are voted on, and their decision is rendered as a page and a PDF."""
    award_batch.main(["--cases", "2", "--nominees", "3"])
    out = capsys.readouterr().out
    for label in ("council vote (txn + commit)", "decision page (HTML)", "decision PDF"):
        assert re.search(rf"^{re.escape(label)}\s+median\s+\d+\.\d\d .*\(n=2\)$", out, re.MULTILINE), out


def test_replay_replays_and_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    """The replayed dossier has its 12 steps and the small verify database's chains are intact."""
    replay.main(["--cases", "5", "--events", "3", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "(12 steps)" in out
    assert re.search(r"^verify 15 events: .*SQLite, ok\)$", out, re.MULTILINE), out


@pytest.mark.parametrize(("bench", "argv"), [
    (step_overhead, ["--cases", "1"]), (award_batch, ["--cases", "1"]), (award_batch, ["--nominees", "101"]),
    (replay, ["--events", "0"]),
])
def test_sizes_that_give_no_figure_are_refused(bench: ModuleType, argv: list[str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A size the benchmark cannot measure with stops with a usage error naming the option."""
    with pytest.raises(SystemExit) as stopped:
        bench.main(argv)
    assert stopped.value.code == 2
    assert argv[0] in capsys.readouterr().err
