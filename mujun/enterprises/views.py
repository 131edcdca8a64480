from datetime import date

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import floatformat, yesno
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mujun.core.exports import ExportColumn, queryset_frame, xlsx_response
from mujun.core.scoping import require_edit
from mujun.core.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectImportView,
    ObjectListView,
    combined_history,
)
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.text import in_language
from mujun.enterprises import exports, services
from mujun.enterprises.filtersets import EnterpriseListFilterSet
from mujun.enterprises.forms import EnterpriseForm, EnterpriseYearForm
from mujun.enterprises.imports import EnterpriseImporter
from mujun.enterprises.models import ENTERPRISE_FIELDS, YEAR_FIGURES, YEAR_RATIOS, Enterprise, EnterpriseYear
from mujun.enterprises.tables import EnterpriseTable


class EnterpriseListView(ObjectListView):
    model = Enterprise
    table_class = EnterpriseTable
    filterset_class = EnterpriseListFilterSet
    queryset = Enterprise.objects.select_related("region")
    count_reads = (Enterprise,)  # its filters read the enterprise's own columns (a region by its ids)
    add_url_name = "enterprises:enterprise_add"
    import_url_name = "enterprises:enterprise_import"
    export_url_name = "enterprises:enterprise_export"


def year_headers() -> list[str]:
    """The yearly figures table's columns after the year: YEAR_FIGURES under the engine's Chinese headers with
    units (INPUT_COLUMNS; the field's name in another language), then YEAR_RATIOS."""
    language = get_language()
    figures = [
        in_language(INPUT_COLUMNS[name], str(EnterpriseYear._meta.get_field(name).verbose_name), language)
        for name in YEAR_FIGURES
    ]
    return figures + [str(ratio.label) for ratio in YEAR_RATIOS.values()]


def year_cells(year: EnterpriseYear) -> list[str]:
    """``year``'s values in the columns of ``year_headers``, formatted for the table ("—" when missing)."""
    cells = []
    for name in YEAR_FIGURES:
        value = getattr(year, name)
        if isinstance(value, bool):
            cells.append(yesno(value))
        elif isinstance(value, date):
            cells.append(date_format(value, "Y-m-d"))
        elif value is None:
            cells.append("—")
        else:
            cells.append(floatformat(value, 2))
    for name, ratio in YEAR_RATIOS.items():
        value = year.ratio(name)
        cells.append("—" if value is None else floatformat(value, ratio.decimals))
    return cells


class EnterpriseDetailView(ObjectDetailView):
    model = Enterprise
    template_name = "enterprises/enterprise_detail.html"

    def get_object(self):
        return get_object_or_404(Enterprise.objects.select_related("region__parent"), pk=self.kwargs["pk"])

    def get_extra_context(self, obj):
        years = list(obj.years.order_by("-year"))
        return {
            "years": years,
            "year_headers": year_headers(),
            "year_rows": [(year, year_cells(year)) for year in years],
            "history": combined_history([obj, *years]),
            "history_objects": True,
        }


class EnterpriseEditView(ObjectEditView):
    model = Enterprise
    form_class = EnterpriseForm


class EnterpriseDeleteView(ObjectDeleteView):
    model = Enterprise
    list_url_name = "enterprises:enterprise_list"

    def delete_object(self, enterprise):
        services.delete_enterprise(enterprise)


@require_POST
def enterprise_set_active(request, pk, active: bool):
    enterprise = get_object_or_404(Enterprise, pk=pk)
    require_edit(request.user, enterprise)
    services.set_active(enterprise, active)
    if active:
        messages.success(request, _("Reactivated %(object)s.") % {"object": enterprise})
    else:
        messages.success(
            request,
            _("Deactivated %(object)s: it stays in published results and is left out of new runs.")
            % {"object": enterprise},
        )
    return HttpResponseRedirect(enterprise.get_absolute_url())


class EnterpriseYearEditView(ObjectEditView):
    model = EnterpriseYear
    form_class = EnterpriseYearForm
    parent_field = "enterprise"


class EnterpriseImportView(ObjectImportView):
    importer_class = EnterpriseImporter
    list_url_name = "enterprises:enterprise_list"


# The import workbook's headers, so that an exported list can be edited and imported again.
_HEADERS = EnterpriseImporter.headers()
EXPORT_COLUMNS = [
    ExportColumn("uscc", _HEADERS["uscc"]),
    ExportColumn("name", _HEADERS["name"]),
    ExportColumn("region__name", _HEADERS["region"]),
    ExportColumn("region__code", "区域代码"),
    *[ExportColumn(name, _HEADERS[name]) for name in ENTERPRISE_FIELDS if name not in ("name", "region")],
]


class EnterpriseExportView(ObjectExportView):
    queryset = Enterprise.objects.all()
    filterset_class = EnterpriseListFilterSet
    columns = EXPORT_COLUMNS

    def export(self, queryset, filename: str):
        """The enterprises, and their years with the figures (and the columns apps above add, such as the
        published grade) on a second sheet."""
        sheet = str(Enterprise._meta.verbose_name_plural)[:31]
        return xlsx_response(
            {sheet: queryset_frame(queryset, self.columns), exports.YEARS_SHEET: exports.years_frame(queryset)}, filename
        )
