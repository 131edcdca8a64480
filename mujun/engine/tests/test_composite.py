"""The composite pipeline reproduces COINr's ASEM example: every stage against an independent reference
written here in plain Python/NumPy from COINr's R sources (R/denominate.R, R/impute.R, R/treat.R,
R/normalise.R, R/aggregate.R), and the index against the scores COINr publishes. Then the command, the
pipeline file and the problems a user sees."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from mujun.engine import composite as engine
from mujun.engine.composite_batch import main as composite_main
from mujun.engine.io import read_table

ASEM = Path(__file__).resolve().parent / "data" / "coinr-asem"  # a copy of ../shared/data/coinr-asem (COINr, MIT licence)
DATA, META = ASEM / "ASEM_iData.csv", ASEM / "ASEM_iMeta.csv"
ASEM_PIPELINE = """
[denominate]
[impute]
method = "group_mean"
group = "EurAsia_group"
[treat]
method = "winsorise"
winmax = 5
skew_threshold = 2
kurt_threshold = 3.5
[normalise]
method = "minmax"
range = [0, 100]
[aggregate]
method = "arithmetic"
"""
# COINr documentation, "Presenting results" (the data folder's README).
PUBLISHED_TOP_SIX = {"CHE": 68.38, "NLD": 64.82, "DNK": 64.80, "NOR": 64.47, "BEL": 63.54, "SWE": 63.00}
TOLERANCE = 1e-6


# -- the reference: COINr's R functions, one by one, on NumPy vectors (NaN for NA) ----------------------------


def r_skew(x: np.ndarray) -> float:
    """COINr skew(): e1071 type 2."""
    x = x[~np.isnan(x)]
    n = len(x)
    d = x - x.mean()
    y = math.sqrt(n) * np.sum(d**3) / np.sum(d**2) ** 1.5
    return y * math.sqrt(n * (n - 1)) / (n - 2)


def r_kurt(x: np.ndarray) -> float:
    """COINr kurt(): e1071 type 2."""
    x = x[~np.isnan(x)]
    n = len(x)
    d = x - x.mean()
    r = n * np.sum(d**4) / np.sum(d**2) ** 2
    return ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))


def r_check(x: np.ndarray, skew_thresh: float = 2, kurt_thresh: float = 3.5) -> bool:
    """check_SkewKurt(): passes if |skew| < threshold OR kurtosis < threshold."""
    return abs(r_skew(x)) < skew_thresh or r_kurt(x) < kurt_thresh


def r_winsorise(x: np.ndarray, winmax: int = 5, skew_thresh: float = 2, kurt_thresh: float = 3.5) -> np.ndarray:
    """winsorise(): nwin is length(imax) + length(imin) of the latest replacement on each side."""
    x = x.copy()
    imax = imin = np.array([], dtype=int)
    nwin = 0
    passing = r_check(x, skew_thresh, kurt_thresh)
    while not passing and nwin < winmax:
        if r_skew(x) >= 0:
            imax = np.flatnonzero(x == np.nanmax(x))
            x[imax] = np.nanmax(np.delete(x, imax))
        else:
            imin = np.flatnonzero(x == np.nanmin(x))
            x[imin] = np.nanmin(np.delete(x, imin))
        nwin = len(imax) + len(imin)
        passing = r_check(x, skew_thresh, kurt_thresh)
    return x


def r_log_ct(x: np.ndarray) -> np.ndarray:
    return np.log(x - np.nanmin(x) + 0.01 * (np.nanmax(x) - np.nanmin(x)))


def r_treat(x: np.ndarray, winmax: int = 5, skew_thresh: float = 2, kurt_thresh: float = 3.5) -> np.ndarray:
    """Treat.numeric() with COINr's defaults: winsorise, and log_CT of the original when that fails."""
    if r_check(x, skew_thresh, kurt_thresh):
        return x
    winsorised = r_winsorise(x, winmax, skew_thresh, kurt_thresh)
    if r_check(winsorised, skew_thresh, kurt_thresh):
        return winsorised
    return r_log_ct(x)


def r_minmax(x: np.ndarray, low: float = 0, high: float = 100) -> np.ndarray:
    return (x - np.nanmin(x)) / (np.nanmax(x) - np.nanmin(x)) * (high - low) + low


def r_amean(values: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """a_amean() row by row: NA values and their weights left out, weights rescaled to sum 1."""
    matrix, w = np.vstack(values), np.array(weights, dtype=float)
    out = np.full(matrix.shape[1], np.nan)
    for j in range(matrix.shape[1]):
        present = ~np.isnan(matrix[:, j])
        if present.any():
            out[j] = np.sum(w[present] / w[present].sum() * matrix[present, j])
    return out


def reference_asem() -> tuple[list[str], dict[str, dict[str, np.ndarray]]]:
    """build_example_coin()'s stages: Denominate, Impute (i_mean_grp by EurAsia_group), Treat
    (winmax 5), Normalise (n_minmax 0–100), Aggregate (a_amean)."""
    with open(DATA, encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    with open(META, encoding="utf-8") as file:
        meta = list(csv.DictReader(file))
    number = lambda text: float(text) if text else np.nan  # noqa: E731
    indicators = [m for m in meta if m["Type"] == "Indicator"]
    stages: dict[str, dict[str, np.ndarray]] = {}
    raw = {m["iCode"]: np.array([number(r[m["iCode"]]) for r in rows]) for m in indicators}
    stages["raw"] = raw
    stages["denominate"] = {
        m["iCode"]: raw[m["iCode"]] / np.array([number(r[m["Denominator"]]) for r in rows]) if m["Denominator"] else raw[m["iCode"]]
        for m in indicators
    }
    groups = np.array([r["EurAsia_group"] for r in rows])
    imputed = {}
    for code, x in stages["denominate"].items():
        x = x.copy()
        for group in set(groups):
            members = groups == group
            x[members & np.isnan(x)] = np.nanmean(x[members])
        imputed[code] = x
    stages["impute"] = imputed
    stages["treat"] = {code: r_treat(x) for code, x in imputed.items()}
    stages["normalise"] = {m["iCode"]: r_minmax(stages["treat"][m["iCode"]] * float(m["Direction"])) for m in indicators}
    aggregated = dict(stages["normalise"])
    for level in range(2, 5):
        for parent in [m for m in meta if m["Level"] and float(m["Level"]) == level]:
            children = [m for m in meta if m["Parent"] == parent["iCode"]]
            aggregated[parent["iCode"]] = r_amean([aggregated[c["iCode"]] for c in children], [float(c["Weight"]) for c in children])
    stages["aggregate"] = aggregated
    return [r["uCode"] for r in rows], stages


# -- the engine against it -----------------------------------------------------------------------------------


def asem_run() -> engine.Run:
    data = read_table(DATA, headers={"uCode": "uCode"})
    meta = read_table(META, headers={name: name for name in engine.META_COLUMNS})
    return engine.composite(engine.parse_pipeline(ASEM_PIPELINE), data, meta)


@pytest.fixture(scope="module")
def asem():
    return asem_run(), reference_asem()


def assert_close(frame: pl.DataFrame, expected: dict[str, np.ndarray], units: list[str], stage: str) -> None:
    assert frame["uCode"].to_list() == units
    assert set(expected) <= set(frame.columns)
    for column, values in expected.items():
        got = frame[column].to_numpy().astype(float)
        assert np.array_equal(np.isnan(got), np.isnan(values)), f"{stage} {column}: missing values differ"
        worst = np.nanmax(np.abs(got - values)) if not np.isnan(values).all() else 0.0
        assert worst <= TOLERANCE, f"{stage} {column}: off by {worst}"


@pytest.mark.parametrize("stage", ["raw", *engine.STEPS])
def test_every_stage_matches_the_reference(asem, stage):
    run, (units, reference) = asem
    assert_close(run.frame(stage), reference[stage], units, stage)


def test_every_unit_and_aggregate_is_in_the_result(asem):
    run, (units, reference) = asem
    result = run.result
    assert result.height == 51 and result.columns[0] == "uCode"
    aggregates = ["Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ", "Social", "SusEcFin", "Conn", "Sust", "Index"]
    assert result.columns[-len(aggregates) :] == aggregates
    assert result.width == 1 + 49 + len(aggregates)
    assert result.select(pl.exclude("uCode").null_count()).sum_horizontal().item() == 0


def test_the_published_top_six(asem):
    run, _ = asem
    top = run.result.sort("Index", descending=True).head(6)
    assert {code: round(score, 2) for code, score in zip(top["uCode"], top["Index"])} == PUBLISHED_TOP_SIX
    assert top["uCode"].to_list() == list(PUBLISHED_TOP_SIX)


def test_treatment_log_names_the_winsorised_points(asem):
    run, _ = asem
    log = run.stage("treat").log
    treated = log.filter(pl.col("action") != "none")
    # Every treated ASEM indicator passes after winsorising: COINr's example needs no log transform.
    assert set(treated["action"]) == {"winsorise"} and treated["passes"].all()
    assert treated.height == 15
    flights = treated.filter(pl.col("iCode") == "Flights").row(0, named=True)
    assert (flights["winsorised"], flights["high"], flights["low"]) == (1, "MLT", "")
    assert (treated["winsorised"] <= 5).all()


def test_the_log_transform_when_winsorising_fails():
    # A long right tail: five winsorised points do not bring skew and kurtosis under the thresholds.
    values = [1.0] * 40 + [2.0**k for k in range(1, 16)]
    frame = pl.DataFrame({"uCode": [f"U{i}" for i in range(len(values))], "x": values})
    inputs = engine.Inputs(
        engine.read_metadata(engine.metadata_from([
            {"Level": 1, "iCode": "x", "Direction": 1, "Weight": 1, "Parent": "I", "Type": "Indicator"},
            {"Level": 2, "iCode": "I", "Direction": 1, "Weight": 1, "Type": "Aggregate"},
        ])),
        frame, frame.select("uCode"),
    )  # fmt: skip
    stage = engine.treat(engine.Treat(), frame, inputs)
    expected = r_treat(np.array(values))
    assert not r_check(r_winsorise(np.array(values)))  # the case this test is about
    assert np.allclose(stage.frame["x"].to_numpy(), expected, atol=TOLERANCE)
    assert stage.log["action"].to_list() == ["log"]


def test_regenerating_from_a_changed_step_keeps_the_earlier_stages(asem):
    run, _ = asem
    pipeline = engine.parse_pipeline(ASEM_PIPELINE.replace('method = "arithmetic"', 'method = "geometric"').replace("range = [0, 100]", "range = [1, 100]"))
    again = run.regenerate(pipeline)
    for name in ("raw", "denominate", "impute", "treat"):
        assert again.frame(name) is run.frame(name)
    fresh = engine.run(pipeline, run.inputs)
    # Equal up to the last bits of a double: Polars sums in parallel, in an order that can differ from run to
    # run (2 of 40 runs differed by 7e-14 on a 0–100 scale).
    assert_frame_equal(again.result, fresh.result, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
    log = again.write_log().splitlines()
    assert log[2].startswith("treat: reused; Treat(method='winsorise', winmax=5")
    assert log[3] == "normalise: computed; Normalise(method='minmax', range=(1.0, 100.0), mean_sd=(0.0, 1.0), cap=False, ties='min', truncate=True)"
    assert log[4] == "aggregate: computed; Aggregate(method='geometric', data_threshold=None)"
    assert "reused" not in fresh.write_log()
    assert not again.result.equals(run.result)
    comparison = engine.compare(run, again)
    assert comparison.height == 51 and comparison.columns == ["uCode", "value_first", "rank_first", "value_second", "rank_second", "difference", "rank_change"]
    che = comparison.filter(pl.col("uCode") == "CHE").row(0, named=True)
    assert che["rank_first"] == 1 and che["difference"] == pytest.approx(che["value_second"] - che["value_first"])


def test_the_command_writes_the_reproduced_index(tmp_path, asem, capsys):
    _, (units, reference) = asem
    pipeline = tmp_path / "PIPELINE.toml"
    pipeline.write_text(ASEM_PIPELINE, encoding="utf-8")
    output = tmp_path / "OUT.csv"
    assert composite_main([str(DATA), "--meta", str(META), "--pipeline", str(pipeline), "--output", str(output)]) == 0
    written = pl.read_csv(output)
    assert_close(written, reference["aggregate"], units, "OUT.csv")
    assert "51 units" in capsys.readouterr().out


def run_command(tmp_path, monkeypatch, *, meta=META, data=DATA, pipeline=ASEM_PIPELINE, language="zh") -> tuple[int, Path]:
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8" if language == "en" else "zh_CN.UTF-8")
    path = tmp_path / "PIPELINE.toml"
    path.write_text(pipeline, encoding="utf-8")
    output = tmp_path / "OUT.csv"
    status = composite_main([str(data), "--meta", str(meta), "--pipeline", str(path), "--output", str(output)])
    return status, output


def test_bad_pipeline_lists_every_problem_and_writes_nothing(tmp_path, monkeypatch, capsys):
    bad = '[impute]\nmethod = "group_mean"\n[normalise]\nmethod = "softmax"\nrange = [100, 0]\n[aggregate]\nweights = 1\n[rescale]\n'
    status, output = run_command(tmp_path, monkeypatch, pipeline=bad)
    errors = capsys.readouterr().err
    assert status == 2 and not output.exists()
    assert "流程 [impute] group：按组插补须指明分组列" in errors
    assert "流程 [normalise] method：未知方法 softmax" in errors
    assert "流程 [normalise] range：下限应小于上限" in errors
    assert "流程 [aggregate] weights：未知设置" in errors
    assert "流程 [rescale]：未知步骤" in errors
    status, _ = run_command(tmp_path, monkeypatch, pipeline=bad, language="en")
    errors = capsys.readouterr().err
    assert "pipeline, [normalise] method: unknown method softmax" in errors and "未知" not in errors


def test_bad_metadata_and_data_name_row_column_and_problem(tmp_path, monkeypatch, capsys):
    meta_lines = META.read_text(encoding="utf-8").splitlines()
    meta_lines[1] = meta_lines[1].replace("Physical,Indicator", "Nowhere,Indicator").replace(",1.0,1.0,Score 1-5", ",2,heavy,Score 1-5")
    meta_lines[3] = meta_lines[3].replace(",Ship,", ",LPI,")
    meta = tmp_path / "meta.csv"
    meta.write_text("\n".join(meta_lines), encoding="utf-8")
    status, output = run_command(tmp_path, monkeypatch, meta=meta, language="en")
    errors = capsys.readouterr().err.splitlines()
    assert status == 2 and not output.exists()
    assert "metadata row 2, Direction: direction must be 1 or -1" in errors
    assert "metadata row 2, Weight: “heavy” is not a number" in errors
    assert "metadata row 2, Parent: parent Nowhere is not an aggregate" in errors
    assert "metadata row 2, iCode: code LPI appears more than once" in errors
    assert "metadata row 4, iCode: code LPI appears more than once" in errors
    assert not any("Weight: weight must be" in line for line in errors)  # the unreadable cell is reported once

    data_lines = DATA.read_text(encoding="utf-8").splitlines()
    data_lines[2] = data_lines[2].replace(",BEL,", ",AUT,").replace(",4.108538,", ",n/a?,")
    data = tmp_path / "data.csv"
    data.write_text("\n".join(data_lines), encoding="utf-8")
    status, output = run_command(tmp_path, monkeypatch, data=data)
    errors = capsys.readouterr().err.splitlines()
    assert status == 2 and not output.exists()
    assert "数据第2行 uCode：单元代码 AUT 重复" in errors and "数据第3行 uCode：单元代码 AUT 重复" in errors
    assert "数据第3行 LPI：“n/a?”不是数字" in errors
    assert errors[-1] == "共3个问题，未写出结果"


def test_missing_group_column_and_geometric_mean_on_zeros_are_explained(tmp_path, monkeypatch, capsys):
    status, _ = run_command(tmp_path, monkeypatch, pipeline=ASEM_PIPELINE.replace("EurAsia_group", "Continent"), language="en")
    assert status == 2 and "data, Continent: the group column to impute by is missing" in capsys.readouterr().err
    status, _ = run_command(tmp_path, monkeypatch, pipeline=ASEM_PIPELINE.replace('"arithmetic"', '"geometric"'), language="en")
    errors = capsys.readouterr().err
    assert status == 2 and "is not above 0 and cannot enter a geometric mean" in errors
    status, output = run_command(
        tmp_path, monkeypatch, pipeline=ASEM_PIPELINE.replace('"arithmetic"', '"geometric"').replace("[0, 100]", "[1, 100]")
    )
    assert status == 0 and pl.read_csv(output)["Index"].is_between(1, 100).all()


def small_inputs(**extra_meta) -> engine.Inputs:
    """Two indicators, one turned round (Direction −1), with targets and goalposts."""
    rows = [
        {"Level": 1, "iCode": "up", "Direction": 1, "Weight": 1, "Parent": "I", "Type": "Indicator", "Target": 8,
         "goalpost_lower": 2, "goalpost_upper": 6},
        {"Level": 1, "iCode": "down", "Direction": -1, "Weight": 3, "Parent": "I", "Type": "Indicator", "Target": 2,
         "goalpost_lower": 1, "goalpost_upper": 5},
        {"Level": 2, "iCode": "I", "Type": "Aggregate"},
    ]  # fmt: skip
    for row in rows:
        row.update(extra_meta.get(row["iCode"], {}))
    frame = pl.DataFrame({"uCode": ["a", "b", "c", "d"], "up": [1.0, 4.0, 4.0, 10.0], "down": [1.0, 2.0, 6.0, 3.0]})
    return engine.Inputs(engine.read_metadata(engine.metadata_from(rows)), frame, frame.select("uCode"))


@pytest.mark.parametrize(
    ("config", "up", "down"),
    [
        # n_minmax after turning "down" round: (x − min) / (max − min) × (u − l) + l
        (engine.Normalise(range=(0, 10)), [0, 10 / 3, 10 / 3, 10], [10, 8, 0, 6]),
        # n_zscore: sample standard deviation (n − 1)
        (engine.Normalise(method="zscore", mean_sd=(50, 10)),
         list(50 + 10 * (np.array([1, 4, 4, 10]) - 4.75) / np.std([1, 4, 4, 10], ddof=1)),
         list(50 + 10 * (-np.array([1, 2, 6, 3]) + 3) / np.std([1, 2, 6, 3], ddof=1))),
        # n_rank: ascending ranks, ties sharing the lowest
        (engine.Normalise(method="rank"), [1, 2, 2, 4], [4, 3, 1, 2]),
        # n_prank scaled to the range; ties="max" shares the highest rank
        (engine.Normalise(method="percentile_rank", ties="max"), [0, 200 / 3, 200 / 3, 100], [100, 200 / 3, 0, 100 / 3]),
        # n_dist2targ: (x − min) / (target − min); for "down" (max − x) / (max − target); capped at 1
        (engine.Normalise(method="distance_to_target", cap=True), [0, 3 / 7, 3 / 7, 1], [1, 1, 0, 0.75]),
        # n_goalposts: (x − lower) / (upper − lower), for "down" (upper − x) / (upper − lower), truncated, scaled
        (engine.Normalise(method="goalposts"), [0, 50, 50, 100], [100, 75, 0, 50]),
    ],
)  # fmt: skip
def test_each_normalisation_as_coinr_defines_it(config, up, down):
    inputs = small_inputs()
    frame = engine.normalise(config, inputs.indicators, inputs).frame
    assert frame["up"].to_list() == pytest.approx(up)
    assert frame["down"].to_list() == pytest.approx(down)


def test_methods_needing_metadata_say_which_indicator_lacks_it():
    inputs = small_inputs(down={"Target": None})
    with pytest.raises(engine.CompositeError) as error:
        engine.normalise(engine.Normalise(method="distance_to_target"), inputs.indicators, inputs)
    assert error.value.messages("en") == ["metadata, Target: distance_to_target needs it for indicator down"]


def test_imputation_by_mean_and_median_and_missing_children_in_a_mean():
    rows = [
        {"Level": 1, "iCode": "x", "Direction": 1, "Weight": 1, "Parent": "I", "Type": "Indicator"},
        {"Level": 1, "iCode": "y", "Direction": 1, "Weight": 3, "Parent": "I", "Type": "Indicator"},
        {"Level": 2, "iCode": "I", "Type": "Aggregate"},
    ]
    frame = pl.DataFrame({"uCode": ["a", "b", "c", "d"], "x": [1.0, None, 2.0, 9.0], "y": [None, None, 4.0, 8.0]})
    inputs = engine.Inputs(engine.read_metadata(engine.metadata_from(rows)), frame, frame.select("uCode"))
    assert engine.impute(engine.Impute(method="mean"), frame, inputs).frame["x"].to_list() == [1.0, 4.0, 2.0, 9.0]
    assert engine.impute(engine.Impute(method="median"), frame, inputs).frame["y"].to_list() == [6.0, 6.0, 4.0, 8.0]
    # a_amean: a missing child and its weight are left out; b has no child at all.
    assert engine.aggregate(engine.Aggregate(), frame, inputs).frame["I"].to_list() == [1.0, None, 3.5, 8.25]
    assert engine.aggregate(engine.Aggregate(data_threshold=1.0), frame, inputs).frame["I"].to_list() == [None, None, 3.5, 8.25]


def test_a_left_skew_is_winsorised_low_and_log_plus_mirrors_the_log():
    values = np.array([-(2.0**k) for k in range(1, 16)] + [-1.0] * 40)  # the long tail to the left
    frame = pl.DataFrame({"uCode": [f"U{i}" for i in range(len(values))], "x": values})
    inputs = small_inputs()
    winsorised = engine.treat(engine.Treat(transform="none"), frame, inputs)
    assert winsorised.log.row(0, named=True)["action"] == "winsorise"
    assert winsorised.log.row(0, named=True)["low"] == "U10,U11,U12,U13,U14" and winsorised.log.row(0, named=True)["high"] == ""
    assert np.allclose(winsorised.frame["x"].to_numpy(), r_winsorise(values))
    mirrored = engine.treat(engine.Treat(transform="log_plus"), frame, inputs)
    shift = 0.01 * (values.max() - values.min())
    assert mirrored.log["action"].to_list() == ["log_plus"]
    assert np.allclose(mirrored.frame["x"].to_numpy(), -np.log(values.max() + shift - values))


def test_the_readme_shows_the_asem_pipeline():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Composite indices") :]
    block = section[section.index("```toml") + len("```toml") : section.index("```", section.index("```toml") + 7)]
    assert engine.parse_pipeline(block) == engine.parse_pipeline(ASEM_PIPELINE)
