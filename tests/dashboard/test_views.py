"""Data behind the charts and tables: build_comparison, the typical operation, palette, export."""

import numpy as np
import pytest

from dashboard import charts
from dashboard.compare import charts as compare_charts
from dashboard.compare import tables
from dashboard.compare.timeline import typical_replication, typical_timeline
from dashboard.compare.view import build_comparison, differences
from simulation import trace
from simulation.present.formats import HEADLINE, MAIN_STRATEGIES


def test_histograms_are_shares_on_common_bins(comparison):
    for _, g in comparison.histograms.groupby(["outcome", "strategy"]):
        assert g.share.sum() == pytest.approx(1.0)
    for outcome, g in comparison.histograms.groupby("outcome"):
        edges = g.groupby("strategy").bin_start.apply(tuple)
        assert edges.nunique() == 1, outcome


def test_quantiles_are_the_records_in_display_units(comparison):
    q = comparison.quantiles
    for shown in HEADLINE:
        for strategy in MAIN_STRATEGIES:
            values = q[(q.outcome == shown.column) & (q.strategy == strategy)].value.to_numpy()
            assert np.all(np.diff(values) >= 0)
            raw = comparison.records.loc[comparison.records.strategy == strategy, shown.column] * shown.scale
            assert values[0] == pytest.approx(raw.min()) and values[-1] == pytest.approx(raw.max())


def test_exceedance_covers_each_question_and_strategy(comparison):
    e = comparison.exceedance
    assert e.groupby("question").strategy.nunique().eq(len(MAIN_STRATEGIES)).all()
    r = comparison.records
    two_bv = e[(e.question == "Blood loss > 2 blood volumes") & (e.strategy == MAIN_STRATEGIES[0])].p.item()
    assert two_bv == pytest.approx((r[r.strategy == MAIN_STRATEGIES[0]].blood_loss_bv > 2).mean())
    longest = e[e.question == "Longest single anaesthetic > 12 h"].set_index("strategy").p
    total = e[e.question == "Anaesthesia > 12 h (all stages added)"].set_index("strategy").p
    assert longest[MAIN_STRATEGIES[0]] == total[MAIN_STRATEGIES[0]]  # one stage: the same thing
    assert longest[MAIN_STRATEGIES[3]] <= total[MAIN_STRATEGIES[3]]


def test_differences_are_in_display_units(comparison):
    d = differences(comparison, MAIN_STRATEGIES[0]).set_index(["strategy", "outcome"])
    r = comparison.records.set_index(["strategy", "replication"]).operative_time_min
    direct = (r[MAIN_STRATEGIES[0]] - r[MAIN_STRATEGIES[1]]).mean() / 60
    assert d.loc[(MAIN_STRATEGIES[1], "operative_time_min"), "mean_difference"] == pytest.approx(direct)
    assert d.loc[(MAIN_STRATEGIES[1], "death"), "unit"] == "percentage points"


def test_shares_of_paired_differences_carry_their_monte_carlo_error(comparison):
    d = differences(comparison, MAIN_STRATEGIES[0])
    for share in ("p_reference_better", "p_reference_worse", "p_tie"):
        assert d[share].between(0, 1).all()
        expected = np.sqrt(d[share] * (1 - d[share]) / 200)
        assert np.allclose(d[f"mcse_{share}"], expected, rtol=1e-12, atol=0)
    assert (d.mcse_p_reference_better > 0).any()
    table = tables.differences_table(d, comparison.labels, MAIN_STRATEGIES[0])
    row = d.iloc[0]
    cell = table[f"{comparison.labels[MAIN_STRATEGIES[0]]} better"].iloc[0]
    assert cell == f"{100 * row.p_reference_better:.1f}% ± {100 * row.mcse_p_reference_better:.1f}"


def test_typical_operation_is_the_median_one_and_matches_its_record(scenario, comparison):
    name = "two-stage-posterior-then-anterior"
    records = comparison.records[comparison.records.strategy == name]
    rep = typical_replication(comparison.records, name)
    gaps = (records.operative_time_min - records.operative_time_min.median()).abs()
    assert gaps[records.replication == rep].item() == gaps.min()
    tl = typical_timeline(scenario, name, 2018, comparison.records, comparison.uncertainty)
    assert list(tl.stages.stage) == [1, 2]
    assert tl.stages.day.iloc[1] >= 2  # the second stage starts days later...
    assert tl.bars.start_h.min() == 0 and tl.bars.end_h.max() < 24  # ...on its own axis, in hours
    record = records[records.replication == rep].iloc[0]
    assert tl.transfusions.units.sum() <= record.rbc_units
    traced = trace(scenario, name, 2018, rep, comparison.uncertainty).timeline
    assert len(tl.bars) == sum(e["kind"] != "transfusion" for e in traced)


def test_palette_is_fixed_and_colour_blind_safe():
    assert charts.colour("single-stage-three-exposure") == "#0072B2"
    assert len({charts.colour(s) for s in charts.STRATEGY_COLOURS}) == len(charts.STRATEGY_COLOURS)
    assert set(charts.STRATEGY_COLOURS.values()) <= set(charts.OKABE_ITO.values())
    assert charts.ALERT not in charts.STRATEGY_COLOURS.values()
    assert charts.colour("my-plan") == charts.colour("my-plan") in charts.SPARE_COLOURS


def test_icon_array_fills_the_first_n_figures():
    svg = charts.icon_array_svg(23, "posterior-only")
    assert svg.count("<g ") == 100
    assert svg.count(f'fill="{charts.colour("posterior-only")}"') == 23


def test_chart_export_png_and_svg(comparison):
    chart = charts.ranges_chart(comparison.quantiles, HEADLINE[0], comparison.labels)
    assert charts.export(chart, "png").startswith(b"\x89PNG")
    svg = charts.export(chart, "svg").decode()
    assert svg.lstrip().startswith("<svg") and "Operative time" in svg
    with pytest.raises(ValueError, match="png' or 'svg"):
        charts.export(chart, "gif")


def test_a_run_on_warm_workers_is_the_run_in_the_server(scenario):
    """The server's warm pool (``state.warm_workers``) splits a run into one block per worker at least:
    the comparison is the same as in the server, to the last bit; a small run stays in the server."""
    from concurrent.futures import ProcessPoolExecutor

    from pandas.testing import assert_frame_equal

    from dashboard.compare.view import WARM_PARALLEL_FROM, build_comparison
    from simulation.runs.pools import started_pool

    replications = WARM_PARALLEL_FROM // len(MAIN_STRATEGIES)  # 4 x 200: just enough to use the workers
    here = build_comparison(scenario, MAIN_STRATEGIES, replications, 5)
    pool, started = started_pool(2)
    with pool:
        for answer in started:
            answer.result()
        blocks = []
        there = build_comparison(scenario, MAIN_STRATEGIES, replications, 5, workers=(pool, 2),
                                 progress=lambda done, total: blocks.append(done))
    assert blocks == [replications // 2 * len(MAIN_STRATEGIES), replications * len(MAIN_STRATEGIES)]  # two blocks
    for name in ("records", "stages", "summary", "honest", "histograms", "quantiles", "exceedance"):
        assert_frame_equal(getattr(here, name), getattr(there, name), check_exact=True, obj=name)
    closed = ProcessPoolExecutor(max_workers=1)
    closed.shutdown()  # submitting to it raises: a small run must not
    small = build_comparison(scenario, MAIN_STRATEGIES[:1], 50, 5, workers=(closed, 2))
    assert small.replications == 50


def test_the_kept_overview_layout_with_a_new_runs_rows_is_the_chart_altair_builds(scenario, comparison):
    """The board's at-a-glance spec (layout kept between runs, rows added) is Altair's own spec of
    the same chart for each run: the same layout, this run's rows and nothing of an earlier run's."""
    other = build_comparison(scenario, MAIN_STRATEGIES, 100, 7)
    for c in (comparison, other, comparison):
        spec = compare_charts.overview_spec(c, size=14)
        built = charts.styled(compare_charts.overview(c), 14).to_dict()
        (rows,) = built.pop("datasets").values()
        assert spec.pop("datasets") == {charts.OVERVIEW_DATA: rows}
        assert spec.pop("data") == {"name": charts.OVERVIEW_DATA}
        built.pop("data")
        assert spec == built
    assert compare_charts.overview_spec(other)["datasets"] != compare_charts.overview_spec(comparison)["datasets"]


def test_the_worst_cases_carry_the_runs_range(scenario, comparison):
    """How often the worst cases happen: with parameters and centres drawn, the range in brackets is the
    honest one, much wider than the Monte Carlo interval; with fixed parameters it is that interval."""
    from dashboard.compare.view import exceedance_table
    from simulation.runs.analysis import Z

    e = comparison.exceedance
    assert ((0 <= e.honest_low) & (e.honest_low <= e.p) & (e.p <= e.honest_high) & (e.honest_high <= 1)).all()
    informative = e[(e.p > 0.05) & (e.p < 0.95)]
    widened = (informative.honest_high - informative.honest_low) > 1.5 * 2 * Z * informative.mcse
    assert len(informative) >= 10 and widened.mean() > 0.8, widened.mean()
    fixed = exceedance_table(scenario, comparison.records)  # no draws: the Monte Carlo interval, within 0-1
    assert np.allclose(fixed.honest_low, np.clip(fixed.p - Z * fixed.mcse, 0, 1), atol=2e-3)
    assert np.allclose(fixed.honest_high, np.clip(fixed.p + Z * fixed.mcse, 0, 1), atol=2e-3)
