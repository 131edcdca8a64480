"""The county horse race's scoring: schemes refused with every problem named, scores as the composite
pipeline gives them, and properties any quarter keeps (hypothesis)."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine.horse_race import TOTAL, HorseRaceError, missing, parse_scheme, score

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCHEME = """
winners = 2
reward_land_mu = 100
reward_yuan = 5000000

[[blocks]]
code = "volume"
name = "投资总量"
weight = 2

[[blocks]]
code = "projects"
name = "项目建设"
weight = 1

[[indicators]]
code = "growth"
block = "volume"
weight = 1

[[indicators]]
code = "fdi"
block = "volume"
weight = 3

[[indicators]]
code = "idle"
block = "projects"
direction = -1
"""


def frame(rows: dict[str, list[float]]) -> pl.DataFrame:
    """indicator -> values of regions 1, 2, …"""
    return pl.DataFrame(
        [(code, region, value) for code, values in rows.items() for region, value in enumerate(values, 1)],
        schema={"indicator": pl.String, "region": pl.Int64, "value": pl.Float64},
        orient="row",
    )


def test_a_quarter_is_scored_by_blocks_and_the_winners_rewarded():
    result = score(frame({"growth": [10, 20, 0], "fdi": [1, 0, 2], "idle": [5, 0, 10]}), parse_scheme(SCHEME))
    by_region = {row["region"]: row for row in result.iter_rows(named=True)}
    # Region 1: growth 50 points, fdi 50, idle 50 (lower is better) → volume 50, projects 50, total 50.
    assert by_region[1]["volume"] == 50 and by_region[1]["projects"] == 50 and by_region[1][TOTAL] == 50
    # Region 2: growth 100, fdi 0 → volume (100 + 0×3)/4 = 25; idle 100; total (25×2 + 100)/3 = 50.
    assert by_region[2]["volume"] == 25 and by_region[2][TOTAL] == 50
    # Region 3: growth 0, fdi 100 → volume 75; idle 0; total 50 as well: all three share the first rank.
    assert by_region[3]["volume"] == 75 and by_region[3][TOTAL] == 50
    assert result["rank"].to_list() == [1, 1, 1] and result["winner"].all()
    assert result["reward_yuan"].sum() == 15_000_000  # a tie at the last winning place: every tied county wins


def test_the_best_wins_and_the_rest_get_nothing():
    result = score(frame({"growth": [10, 20, 0], "fdi": [1, 2, 0], "idle": [5, 0, 10]}), parse_scheme(SCHEME))
    assert result["region"].to_list() == [2, 1, 3]
    assert result["winner"].to_list() == [True, True, False]
    assert result["reward_land_mu"].to_list() == [100, 100, 0]


def test_missing_values_are_named_and_refused():
    values = frame({"growth": [10, 20], "fdi": [1, None], "idle": [5, 0]})
    assert missing(values, parse_scheme(SCHEME), [1, 2, 3]).rows() == [
        ("fdi", 2), ("fdi", 3), ("growth", 3), ("idle", 3)
    ]  # fmt: skip
    with pytest.raises(HorseRaceError):
        score(values, parse_scheme(SCHEME))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("weight = 2", "weight = 0"), "第1个板块 volume：权重应为正数"),
        (("weight = 3", "weight = -1"), "第2个指标 fdi：权重应为正数"),
        (('block = "projects"', 'block = "nowhere"'), "第3个指标 idle：板块“nowhere”不存在"),
        (("direction = -1", "direction = 2"), "第3个指标 idle：方向应为1（越高越好）或-1（越低越好）"),
        (("winners = 2", "winners = 0"), "获胜名额：应为不小于1的整数"),
        (("winners = 2", 'normalisation = "zscore"'), "标准化方法：“zscore”不是可选的方法（minmax、percentile_rank）"),
        (('code = "fdi"', 'code = "growth"'), "第2个指标 growth：代码“growth”重复或与板块相同"),
        (("[[indicators]]\ncode = \"idle\"", "[[other]]\ncode = \"idle\""), "板块 projects：没有指标"),
        (("winners = 2", "winners = ["), "方案：TOML 格式错误"),
    ],
)
def test_bad_schemes_are_refused_with_the_entry_named(change, message):
    with pytest.raises(HorseRaceError) as error:
        parse_scheme(SCHEME.replace(*change, 1))
    assert any(m.startswith(message) for m in error.value.messages()), error.value.messages()
    assert error.value.messages("en")[0] != error.value.messages()[0]


# -- properties ---------------------------------------------------------------------------------------------------

counties = st.integers(min_value=2, max_value=8)
number = st.floats(min_value=-50, max_value=200, allow_nan=False, allow_infinity=False)


@st.composite
def quarters(draw):
    n = draw(counties)
    return {code: draw(st.lists(number, min_size=n, max_size=n)) for code in ("growth", "fdi", "idle")}


@FAST
@given(rows=quarters())
def test_scores_stay_on_the_scale_and_winners_are_the_best(rows):
    result = score(frame(rows), parse_scheme(SCHEME))
    for column in ("volume", "projects", TOTAL):
        assert result[column].is_between(0, 100).all()
    best = result[TOTAL].max()
    assert result.filter(pl.col(TOTAL) == best)["winner"].all()
    losers, winners = result.filter(~pl.col("winner")), result.filter(pl.col("winner"))
    assert winners.height >= min(2, result.height)
    if losers.height:
        assert losers[TOTAL].max() < winners[TOTAL].min()


@FAST
@given(rows=quarters(), data=st.data())
def test_a_better_value_never_lowers_a_countys_total(rows, data):
    region = data.draw(st.integers(min_value=1, max_value=len(rows["growth"])))
    step = data.draw(st.floats(min_value=0.1, max_value=100))
    better = {**rows, "growth": [v + step if i == region else v for i, v in enumerate(rows["growth"], 1)]}
    before, after = (score(frame(r), parse_scheme(SCHEME)).filter(pl.col("region") == region)[TOTAL].item() for r in (rows, better))
    assert after >= before - 1e-3


@FAST
@given(rows=quarters(), factor=st.floats(min_value=0.1, max_value=10))
def test_only_the_weights_proportions_count(rows, factor):
    scaled = SCHEME.replace("weight = 2", f"weight = {2 * factor}").replace("weight = 1\n\n[[indicators]]", f"weight = {factor}\n\n[[indicators]]", 1)
    first, second = (score(frame(rows), parse_scheme(s)).sort("region")[TOTAL] for s in (SCHEME, scaled))
    assert (first - second).abs().max() < 1e-3
