"""The benchmark runners end to end on tiny days: they run, check every plan and write their results."""

from __future__ import annotations

from benchmarks import compare, scale


def test_compare_checks_every_plan_and_writes_results(tmp_path, capsys):
    code = compare.main(["--orders", "16", "--technicians", "3", "--seeds", "1", "--time-limit", "2",
                         "--exploration", "1", "--target", "0", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "greedy" in printed
    assert "vroom" in printed.lower()
    assert (tmp_path / "results.csv").read_text().count("\n") >= 4  # header + ours, greedy, VROOM


def test_scale_reports_a_valid_plan_and_its_memory(capsys):
    code = scale.main(["--orders", "30", "--technicians", "4", "--time-limit", "2", "--no-first"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "MiB" in printed
