from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, LPad
from django.shortcuts import render

from mujun.core.exports import ExportColumn, xlsx_response
from mujun.core.views import ObjectDetailView, ObjectEditView, ObjectExportView, ObjectImportView, ObjectListView
from mujun.indicators import ranking as rankings
from mujun.indicators.filtersets import IndicatorFilterSet, IndicatorValueFilterSet
from mujun.indicators.forms import IndicatorForm, IndicatorValueForm
from mujun.indicators.imports import IndicatorValueImporter
from mujun.indicators.models import Indicator, IndicatorValue
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
    """The ranking of regions at a period (?period=2025-06, default the latest), as a page or workbook."""
    chosen = parse_period(request.GET.get("period", "")) or rankings.latest_period()
    board = rankings.ranking(*chosen) if chosen else None
    if board is not None and request.GET.get("format") == "xlsx":
        return xlsx_response({board.label: rankings.ranking_sheet(board)}, f"指标晾晒排名-{board.label}.xlsx")
    return render(request, "indicators/ranking.html", {"board": board, "period": request.GET.get("period", "")})
