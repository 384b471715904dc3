"""The per-engine bench rows (bench/engines.py) measure what they say: a cold render asks the fake
service once per sentence, the cached rebuild asks nothing."""

from __future__ import annotations

from bench import engines as engines_bench


def test_the_cached_rebuild_asks_the_service_nothing(capsys: object) -> None:
    (row,) = engines_bench.run(["edge"], 2, 0.0)
    assert row["cold_requests"] == 2 and row["cold_calls"] == 2
    assert row["cached_requests"] == 0 and row["cached_calls"] == 0
    assert engines_bench.print_rows([row], 0.0)
    assert not engines_bench.print_rows([dict(row, cached_requests=1)], 0.0)
