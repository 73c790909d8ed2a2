"""bench/bench_engine.py rewrites bench/results-engine.md: a ``BENCH_CASES`` run replaces only its own rows and
keeps the hand-written part after the table as it is (rows of its tables once leaked into the generated one,
one more copy per run)."""

from __future__ import annotations

from bench import bench_engine

RESULTS = """# Real-engine benchmarks

2026-12-01 10:00 UTC; 2 cores.

| section | case | seconds | baseline s | ratio | run (UTC) |
|---|---|---:|---:|---:|---|
| converge | from empty | 50.00 | 70.00 | 0.71x | 2026-12-01 10:00 |
| drift | party | 5.00 | 0.50 | 10.00x | 2026-12-01 10:00 |

## Where the drift check's time goes

| run (UTC) | exchange | party 30000 |
|---|---:|---:|
| 00:47 | 4.9 s | 6.3 s |
| lever | 00:47 | drift detection |
"""


def test_a_partial_run_keeps_the_other_rows_and_the_hand_written_part_untouched(tmp_path, monkeypatch):
    path = tmp_path / "results-engine.md"
    path.write_text(RESULTS)
    monkeypatch.setattr(bench_engine, "RESULTS", path)
    rows, tail = bench_engine._previous({"converge"})
    assert rows == ["| drift | party | 5.00 | 0.50 | 10.00x | 2026-12-01 10:00 |"]
    assert tail == RESULTS.splitlines()[RESULTS.splitlines().index("## Where the drift check's time goes") :]
