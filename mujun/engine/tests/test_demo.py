import datetime as dt
import itertools

import polars as pl
import pytest
from shapely.geometry import Point

from mujun.engine.demo import (
    COUNTIES,
    COUNTY_SEATS,
    REGIONS,
    county_outlines,
    generate_enterprises,
    generate_parcels,
    generate_projects,
    investor_names,
    link_projects,
    person_names,
    short_name,
)
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.uscc import make_uscc, uscc_problem


@pytest.fixture(scope="module")
def demo() -> pl.DataFrame:
    return generate_enterprises()


def tax_per_mu_median(frame: pl.DataFrame, year: int, above_scale: bool) -> float:
    rows = frame.filter(pl.col("year") == year, pl.col("above_scale") == above_scale)
    return rows.select((pl.col("tax") / pl.col("land_mu")).median()).item()


def test_equal_seed_gives_equal_frame_and_another_seed_another():
    first = generate_enterprises(300, 200, seed=7)
    assert first.equals(generate_enterprises(300, 200, seed=7))
    assert not first.equals(generate_enterprises(300, 200, seed=8))


def test_columns_are_the_evaluation_input_plus_town_and_year(demo):
    assert demo.columns == [*INPUT_COLUMNS, "town_code", "year"]
    assert demo.schema["above_scale"] == pl.Boolean
    assert demo.schema["established_on"] == pl.Date


def test_every_enterprise_has_a_row_in_the_last_year_and_none_before_it_existed(demo):
    last = demo.filter(pl.col("year") == 2024)
    assert last.height == 7000
    assert last["above_scale"].sum() == 4000
    assert demo["uscc"].n_unique() == 7000
    assert demo.group_by("uscc", "year").len()["len"].max() == 1
    assert demo.filter(pl.col("year") < pl.col("established_on").dt.year()).is_empty()
    earlier = demo.filter(pl.col("year") == 2022).height
    assert 6500 < earlier < 7000  # the young enterprises are missing from the first year


def test_sizes_follow_the_arguments():
    frame = generate_enterprises(n_above=120, n_below=80, years=(2024,))
    assert frame.height == 200
    assert frame["above_scale"].sum() == 120
    assert frame["year"].unique().to_list() == [2024]


def test_credit_codes_are_valid_unique_and_carry_the_county_code(demo):
    codes = demo.filter(pl.col("year") == 2024).select("uscc", "town_code")
    assert all(uscc_problem(code) is None for code in codes["uscc"])
    assert all(make_uscc(code[:17]) == code for code in codes["uscc"])
    assert codes.select((pl.col("uscc").str.slice(2, 6) == pl.col("town_code").str.slice(0, 6)).all()).item()
    assert codes["uscc"].str.starts_with("91330").all()


def test_names_are_unique_also_when_two_character_trade_names_run_out():
    frame = generate_enterprises(n_above=20000, n_below=10000, years=(2024,))
    assert frame["name"].is_unique().all()
    assert frame["uscc"].is_unique().all()
    assert frame["name"].str.ends_with("有限公司").all()


def test_names_look_like_enterprises_of_their_county(demo):
    last = demo.filter(pl.col("year") == 2024)
    assert last["name"].is_unique().all()
    changxing = last.filter(pl.col("region") == "长兴县")["name"]
    assert changxing.str.contains("^(长兴|浙江)").all()
    assert last["name"].str.ends_with("股份有限公司").sum() > 0


def test_regions_form_a_tree_that_the_enterprises_sit_in(demo):
    by_code = {r["code"]: r for r in REGIONS}
    assert by_code["330500"]["level"] == "city"
    counties = {r["name"] for r in REGIONS if r["level"] == "county"}
    assert counties == {"吴兴区", "南浔区", "德清县", "长兴县", "安吉县"}
    assert by_code["330502100"]["name"] == "织里镇"
    assert all(r["parent_code"] in by_code for r in REGIONS if r["level"] != "city")
    pairs = demo.select("town_code", "region").unique().iter_rows()
    for town_code, county_name in pairs:
        assert by_code[by_code[town_code]["parent_code"]]["name"] == county_name


def test_tax_per_mu_centres_on_24_above_scale_and_11_below(demo):
    assert 22 <= tax_per_mu_median(demo, 2022, above_scale=True) <= 26
    assert 9 <= tax_per_mu_median(demo, 2022, above_scale=False) <= 13
    # gentle growth from year to year
    assert (
        tax_per_mu_median(demo, 2022, True)
        < tax_per_mu_median(demo, 2024, True)
        < 1.1 * tax_per_mu_median(demo, 2022, True)
    )


def test_scale_land_and_heavy_tails(demo):
    last = demo.filter(pl.col("year") == 2024)
    above, below = last.filter(pl.col("above_scale")), last.filter(~pl.col("above_scale"))
    assert above["revenue"].min() >= 2000
    assert below["revenue"].max() < 2000
    assert 30 <= above["land_mu"].median() <= 50
    assert 4 <= below["land_mu"].median() <= 8
    assert 0.05 < (below["land_mu"] < 3).mean() < 0.3  # some 规下 firms fall under the 3 mu line
    tax_per_mu = above["tax"] / above["land_mu"]
    assert tax_per_mu.quantile(0.99) > 5 * tax_per_mu.median()  # a heavy upper tail
    assert (demo["tax"] < 0).sum() > 0
    assert (demo["value_added"] <= demo["revenue"]).all()


def test_efficiency_ties_the_figures_together(demo):
    per_mu = (
        demo.filter(pl.col("year") == 2024, pl.col("above_scale"))
        .select(
            (pl.col("tax") / pl.col("land_mu")).log().alias("tax"),
            (pl.col("value_added") / pl.col("land_mu")).log().alias("value_added"),
            (pl.col("value_added") / pl.col("employees")).log().alias("labour"),
        )
        .drop_nans()
    )
    assert per_mu.select(pl.corr("tax", "value_added")).item() > 0.6
    assert per_mu.select(pl.corr("value_added", "labour")).item() > 0.2


def test_exemptions_gaps_and_violations_occur_in_realistic_shares(demo):
    last = demo.filter(pl.col("year") == 2024)
    young = (last["established_on"] > dt.date(2022, 12, 31)).mean()
    new_land = (last["land_acquired_on"] > dt.date(2021, 12, 31)).mean()
    assert 0.01 < young < 0.06
    assert 0.02 < new_land < 0.12
    assert 0.005 < demo["major_violation"].mean() < 0.02
    above_missing = last.filter(pl.col("above_scale"))["emission_eq"].is_null().mean()
    assert 0.03 < above_missing < 0.15
    assert last["land_acquired_on"].is_null().sum() > 0
    required = last.select("tax", "land_mu", "value_added", "revenue", "employees")
    assert required.null_count().sum_horizontal().item() == 0


def test_a_million_rows_are_generated_by_whole_array_operations():
    frame = generate_enterprises(n_above=200_000, n_below=133_334)
    assert frame.height > 950_000
    assert frame["uscc"].n_unique() == 333_334


# One consistent city: parcels, projects and names (mujun.engine.demo.generate_parcels and friends).

BAD_NAME = r"期）|\d+$|组长\d|资企业\d"
MANUFACTURING_CODE = r"^C(1[3-9]|[23]\d|4[0-3])\d{2}$"  # GB/T 4754 section C, divisions 13–43


@pytest.fixture(scope="module")
def firms(demo) -> pl.DataFrame:
    return demo.filter(pl.col("year") == 2024).select(
        "uscc", "name", "town_code", "industry_code", "above_scale", "land_mu", "established_on"
    )


@pytest.fixture(scope="module")
def parcels(firms) -> pl.DataFrame:
    return generate_parcels(firms, last_year=2024, seed=1)


@pytest.fixture(scope="module")
def projects(firms) -> pl.DataFrame:
    return generate_projects(firms, 600, 100, seed=2)


def test_county_outlines_tile_the_city_without_overlap():
    outlines = county_outlines()
    assert set(outlines) == {code for code, *_ in COUNTIES}
    for (code, outline), (other_code, other) in itertools.combinations(outlines.items(), 2):
        assert outline.is_valid and outline.area > 0.05
        assert outline.intersection(other).area < 1e-9, (code, other_code)
    for code, outline in outlines.items():
        assert outline.contains(Point(COUNTY_SEATS[code]))


def test_a_firms_parcels_lie_in_its_town_and_add_up_to_its_land(firms, parcels):
    held = parcels.drop_nulls("holder_uscc").group_by("holder_uscc").agg(
        pl.col("area_mu").sum().alias("parcels_mu"), pl.col("town_code").n_unique().alias("towns"), pl.first("town_code")
    )
    joined = firms.join(held, left_on="uscc", right_on="holder_uscc", how="left")
    assert joined["parcels_mu"].null_count() == 0  # every firm holds land
    assert (joined["towns"] == 1).all()
    assert (joined["town_code"] == joined["town_code_right"]).all()
    assert ((joined["parcels_mu"] - joined["land_mu"]).abs() <= 0.1 * joined["land_mu"]).all()
    assert (parcels["area_mu"] > 0).all() and parcels["code"].is_unique().all()
    assert parcels.filter(pl.col("holder_uscc").is_null())["stage"].unique().to_list() == ["approved"]
    assert set(parcels["stage"]) == {"approved", "supplied", "started", "completed", "commissioned"}
    assert parcels["holder_uscc"].drop_nulls().value_counts()["count"].max() > 1  # expansions exist


def test_projects_are_their_firms_in_its_town_and_manufacturing_field(firms, projects):
    joined = projects.join(firms, left_on="enterprise_uscc", right_on="uscc", how="left")
    built = joined.filter(pl.col("stage_index") >= 2, pl.col("field") == "manufacturing")
    assert built["name_right"].null_count() == 0  # from the landed stage on a project has its enterprise
    assert (built["town_code"] == built["town_code_right"]).all()
    assert (built["industry_code"] == "C" + built["industry_code_right"]).all()
    assert joined.filter(pl.col("stage_index") == 7)["above_scale"].all()  # 上规 only for above-scale firms
    assert joined.filter(pl.col("stage_index") == 7).height > 20
    industrial = projects.filter(pl.col("field") == "manufacturing")
    assert industrial["industry_code"].str.contains(MANUFACTURING_CODE).all()
    others = projects.filter(pl.col("field") != "manufacturing")
    assert others.height > 0 and others["enterprise_uscc"].null_count() == others.height
    assert not others["industry_code"].str.contains(MANUFACTURING_CODE).any()


def test_every_project_with_an_enterprise_stands_on_a_parcel_of_that_enterprise(parcels, projects):
    numbered_projects = projects.with_row_index("project_id")
    numbered_parcels = parcels.with_row_index("parcel_id")
    links = link_projects(numbered_projects, numbered_parcels)
    joined = links.join(numbered_projects, on="project_id").join(numbered_parcels, on="parcel_id")
    assert (joined["enterprise_uscc"] == joined["holder_uscc"]).all()
    assert links["project_id"].is_unique().all()
    assert links.height == projects["enterprise_uscc"].is_not_null().sum()


def test_names_read_like_real_firms_projects_and_people(demo, projects):
    names = pl.concat(
        [
            demo["name"].unique(),
            projects["name"],
            pl.Series(person_names(200, seed=3)),
            pl.Series(investor_names(["3841", "1830"] * 100, seed=4)),
        ]
    )
    assert not names.str.contains(BAD_NAME).any(), names.filter(names.str.contains(BAD_NAME)).head(5).to_list()
    assert projects["name"].str.contains("^.+年产[0-9]+.+项目$").any()
    assert projects["name"].n_unique() > 0.9 * projects.height
    assert short_name("湖州南浔佳诚木业有限公司") == "佳诚木业"
    assert short_name("浙江天能电池股份有限公司") == "天能电池"
    assert not projects["name"].str.contains("童装童装").any()
    assert all(2 <= len(name) <= 3 for name in person_names(50, seed=5))


def test_the_city_is_generated_alike_from_equal_arguments(firms):
    assert generate_parcels(firms, last_year=2024, seed=9).equals(generate_parcels(firms, last_year=2024, seed=9))
    assert generate_projects(firms, 50, 5, seed=9).equals(generate_projects(firms, 50, 5, seed=9))


def test_tenancy_and_adjustment_figures_are_plausible(demo):
    last = demo.filter(pl.col("year") == 2024)
    high_tech = last.group_by("above_scale").agg(pl.col("high_tech").mean()).sort("above_scale")["high_tech"]
    assert 0.003 < high_tech[0] < 0.03 and 0.04 < high_tech[1] < 0.12  # a few per cent, more of them 规上
    assert 3 <= last["safety_accident"].sum() <= 40  # a handful a year
    tenants = last.filter("tenant")
    assert 50 < tenants.height < 600
    assert not tenants["above_scale"].any() and (tenants["land_mu"] < 3).all()
    assert (tenants["land_use_tax"] == 0).all()
    landlords = last.select("uscc", "town_code", "land_mu").rename(
        {"uscc": "landlord_uscc", "town_code": "landlord_town", "land_mu": "landlord_land"}
    )
    joined = tenants.join(landlords, on="landlord_uscc", how="left")
    assert (joined["landlord_town"] == joined["town_code"]).all() and (joined["landlord_land"] >= 20).all()
    # Every tenant's landlord has figures in every year the tenant has.
    assert demo.filter("tenant").join(demo, left_on=["landlord_uscc", "year"], right_on=["uscc", "year"], how="anti").is_empty()
    assert last.filter(~pl.col("tenant"))["landlord_uscc"].is_null().all()
    # Water and land-use tax grow with size.
    assert last.select(pl.corr(pl.col("water_t").log1p(), pl.col("value_added").log1p())).item() > 0.7
    owners = last.filter(~pl.col("tenant"))
    assert owners.select(pl.corr("land_use_tax", "land_mu")).item() > 0.8
    assert demo["prior_d_years"].is_null().all()
