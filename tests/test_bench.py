"""The benchmark script runs end to end at a tiny size, so it cannot rot (no time asserted)."""

import importlib.util
import json

from tests.conftest import ROOT


def test_bench_runs_both_cases_and_writes_its_figures(tmp_path):
    spec = importlib.util.spec_from_file_location("bench", ROOT / "bench" / "bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    out = tmp_path / "bench.json"
    results = bench.main(["--tiny", "--out", str(out)])

    assert json.loads(out.read_text()) == results
    for case in results["cases"].values():
        assert case["raw_samples_per_s"][0] > 0 and case["litlab_samples_per_s"][0] > 0
        assert case["ratio"] > 0
    assert results["startup"]["first_step_s"] > 0
    assert results["bench_peak_rss_mb"] > 0
