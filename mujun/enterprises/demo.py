"""Demo data: the city's enterprises (mujun.engine.demo.generate_enterprises), each placed in its town with
its latest figures, and every year of their figures. Rows go in with bulk_create, a batch at a time, each
with its creation row in the change history (bulk too): a record's first change then shows what it held
before."""

import polars as pl
from django.utils.translation import gettext

from mujun.core.history import bulk_create
from mujun.enterprises.models import Enterprise, EnterpriseYear

BATCH_SIZE = 5_000

_YEAR_FIELDS = [f.name for f in EnterpriseYear._meta.concrete_fields if f.name not in ("id", "enterprise")]


def load(context) -> None:
    from mujun.engine.demo import generate_enterprises

    frame = generate_enterprises(n_above=context.n_above, n_below=context.n_below, years=context.years)
    rows = load_enterprises(frame, context.regions, user=context.admin)
    context.log(
        gettext("enterprises: %(enterprises)d, enterprise years: %(years)d")
        % {"enterprises": context.n_above + context.n_below, "years": rows}
    )


def load_enterprises(frame: pl.DataFrame, regions: dict, batch_size: int = BATCH_SIZE, user=None) -> int:
    """Enterprises (placed in their town, with their latest figures) and every enterprise-year row of
    ``frame`` (the generator's format), created in the history by ``user``. Returns the number of
    enterprise-year rows written."""
    latest = frame.sort("year").unique("uscc", keep="last").sort("uscc")
    town_ids = {code: region.pk for code, region in regions.items()}
    firms = latest.select(
        "uscc",
        "name",
        pl.col("town_code").replace_strict(town_ids, return_dtype=pl.Int64).alias("region_id"),
        "industry_code",
        "above_scale",
        "land_mu",
        "established_on",
    )
    for chunk in firms.iter_slices(batch_size):
        bulk_create(Enterprise, [Enterprise(**row) for row in chunk.iter_rows(named=True)], user=user)

    ids = pl.DataFrame(
        list(Enterprise.objects.values_list("uscc", "pk")),
        schema={"uscc": pl.Utf8, "enterprise_id": pl.Int64},
        orient="row",
    )
    years = (
        frame.join(ids, on="uscc", how="inner")
        .with_columns(pl.col("landlord_uscc").fill_null(""))  # blank, as the form stores no landlord
        .select("enterprise_id", *_YEAR_FIELDS)
    )
    for chunk in years.iter_slices(batch_size):
        bulk_create(EnterpriseYear, [EnterpriseYear(**row) for row in chunk.iter_rows(named=True)], user=user)
    return years.height
