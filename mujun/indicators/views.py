from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, LPad
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from mujun.core.exports import ExportColumn, xlsx_response
from mujun.core.views import ObjectDetailView, ObjectEditView, ObjectExportView, ObjectImportView, ObjectListView
from mujun.engine.composite import CompositeError
from mujun.indicators import horse_race as races
from mujun.indicators import ranking as rankings
from mujun.indicators import services
from mujun.indicators.filtersets import IndicatorFilterSet, IndicatorValueFilterSet
from mujun.indicators.forms import HorseRaceSchemeForm, IndicatorForm, IndicatorValueForm, RankingMethodForm
from mujun.indicators.imports import IndicatorValueImporter
from mujun.indicators.models import HorseRaceRound, HorseRaceScheme, Indicator, IndicatorValue
from mujun.indicators.periods import parse_period
from mujun.indicators.tables import IndicatorTable


class IndicatorListView(ObjectListView):
    model = Indicator
    table_class = IndicatorTable
    filterset_class = IndicatorFilterSet
    queryset = Indicator.objects.all()
    add_url_name = "indicators:indicator_add"
    import_url_name = "indicators:value_import"
    export_url_name = "indicators:value_export"
    template_name = "indicators/indicator_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if not self.request.user.is_city_admin:
            ctx["add_url_name"] = ""  # definitions are the city's; counties enter values
        return ctx


class IndicatorDetailView(ObjectDetailView):
    model = Indicator
    template_name = "indicators/indicator_detail.html"

    def get_extra_context(self, obj):
        latest = obj.values.order_by("-year", "-month").values_list("year", "month").first()
        values = (
            obj.values.filter(year=latest[0], month=latest[1]).select_related("region").order_by("region__code")
            if latest
            else []
        )
        return {"chart": rankings.trend_chart(obj), "latest_values": values}


class IndicatorEditView(ObjectEditView):
    model = Indicator
    form_class = IndicatorForm


class IndicatorValueEditView(ObjectEditView):
    model = IndicatorValue
    form_class = IndicatorValueForm


class IndicatorValueImportView(ObjectImportView):
    importer_class = IndicatorValueImporter
    list_url_name = "indicators:indicator_list"


class IndicatorValueExportView(ObjectExportView):
    # 期间 as "2025-03" (a quarter at its last month), which the import reads back.
    queryset = IndicatorValue.objects.annotate(
        period_text=Concat(Cast("year", CharField()), Value("-"), LPad(Cast("month", CharField()), 2, Value("0")))
    ).order_by("indicator__order", "year", "month", "region__code")
    filterset_class = IndicatorValueFilterSet
    # The import workbook's headers, so an export can be edited and imported again; the indicator by its
    # name (the import reads a name as well as a code), as officials know it.
    columns = [
        ExportColumn("indicator__name", "指标"),
        ExportColumn("region__code", "区域"),
        ExportColumn("period_text", "期间"),
        ExportColumn("value", "数值"),
        ExportColumn("region__name", "区域名称"),
    ]
    filename = "指标数值.xlsx"


def ranking(request):
    """The ranking of regions at a period (?period=2025-06, default the latest), as a page or workbook;
    ?normalise= and ?mean= choose how the composite is built (the city's rule by default)."""
    chosen = parse_period(request.GET.get("period", "")) or rankings.latest_period()
    methods = RankingMethodForm(request.GET)
    board, problems = None, []
    if chosen:
        try:
            board = rankings.ranking(*chosen, *methods.methods())
        except CompositeError:  # the engine names indicators and regions by their ids: say it in the page's terms
            problems = [
                _(
                    "Geometric and harmonic means need values above 0, and z-scores can be negative: choose another "
                    "normalisation or the arithmetic mean."
                )
            ]
    if board is not None and request.GET.get("format") == "xlsx":
        # A workbook built another way than the city's rule says how in its name.
        how = "" if methods.is_city_rule else "-" + "-".join(str(label) for label in methods.labels())
        return xlsx_response({board.label: rankings.ranking_sheet(board)}, f"指标晾晒排名-{board.label}{how}.xlsx")
    query = urlencode({k: v for k, v in request.GET.items() if k in ("normalise", "mean") and v})
    context = {"board": board, "period": request.GET.get("period", ""), "methods": methods, "problems": problems, "query": query}
    return render(request, "indicators/ranking.html", context)


class HorseRaceSchemeEditView(ObjectEditView):
    model = HorseRaceScheme
    form_class = HorseRaceSchemeForm


def _quarter(text: str) -> tuple[int, int] | None:
    """A quarter as users write it (2025Q2, 2025年第2季度, or a month of it)."""
    period = parse_period(text or "")
    return (period[0], (period[1] - 1) // 3 + 1) if period else None


def horse_race(request):
    """A quarter of the county horse race (?period=2025Q2, default the latest), as a page or workbook."""
    chosen = _quarter(request.GET.get("period", "")) or races.latest_quarter()
    board = races.board(*chosen) if chosen else None
    if board is not None and board.rows and request.GET.get("format") == "xlsx":
        state = "" if board.round else "-未发布"
        return xlsx_response({board.label: races.board_sheet(board)}, f"县域赛马-{board.label}{state}.xlsx")
    context = {
        "board": board,
        "period": request.GET.get("period", ""),
        "rounds": HorseRaceRound.objects.order_by("-year", "-quarter")[:12],
        "schemes": HorseRaceScheme.objects.all(),
        "chart": races.trend_chart(),
    }
    return render(request, "indicators/horse_race.html", context)


class HorseRacePublishView(View):
    """Publish a quarter: its scores are stored and no longer follow the values."""

    def post(self, request):
        if not request.user.is_city_admin:
            raise PermissionDenied(_("Only a city administrator publishes the horse race."))
        url = reverse("indicators:horse_race")
        chosen = _quarter(request.POST.get("period", ""))
        if chosen is None:
            messages.error(request, _("Name the quarter to publish, e.g. 2025Q2."))
            return HttpResponseRedirect(url)
        try:
            round_ = services.publish_round(*chosen, request.user)
            messages.success(request, _("%(period)s of the horse race is published.") % {"period": round_.label})
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return HttpResponseRedirect(f"{url}?period={races.period_label(*chosen)}")
