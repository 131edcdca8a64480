from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from mujun.core.exports import ExportColumn
from mujun.core.views import ObjectDetailView, ObjectEditView, ObjectExportView, ObjectListView
from mujun.services import services
from mujun.services.filtersets import DepartmentFilterSet, ProblemFilterSet, ServicePlanFilterSet
from mujun.services.forms import AssignForm, DepartmentForm, ProblemForm, ServicePlanForm
from mujun.services.models import Department, Problem, ServicePlan
from mujun.services.tables import DepartmentTable, ProblemTable, ServicePlanTable

PROBLEMS = Problem.objects.select_related("enterprise", "department")


class ProblemListView(ObjectListView):
    model = Problem
    table_class = ProblemTable
    filterset_class = ProblemFilterSet
    add_url_name = "services:problem_add"
    export_url_name = "services:problem_export"

    def get_queryset(self):
        return services.visible_problems(self.request.user, PROBLEMS)


class ProblemDetailView(ObjectDetailView):
    model = Problem
    template_name = "services/problem_detail.html"

    def get_object(self):
        return get_object_or_404(
            services.visible_problems(self.request.user, PROBLEMS.select_related("plan", "enterprise__region")),
            pk=self.kwargs["pk"],
        )

    def get_extra_context(self, obj):
        return {
            "actions": services.allowed_actions(self.request.user, obj),
            "assign_form": AssignForm(initial={"department": obj.department, "deadline": obj.deadline}),
        }


class ProblemEditView(ObjectEditView):
    model = Problem
    form_class = ProblemForm

    def get_object(self):
        if "pk" in self.kwargs:
            return get_object_or_404(services.visible_problems(self.request.user, PROBLEMS), pk=self.kwargs["pk"])
        return Problem(recorded_by=self.request.user)

    def get_form(self, obj):
        initial = {"enterprise": self.request.GET.get("enterprise")} if not obj.pk else None
        return self.form_class(self.request.POST or None, instance=obj, user=self.request.user, initial=initial)


class ProblemTransitionView(View):
    def post(self, request, pk):
        problem = get_object_or_404(services.visible_problems(request.user, PROBLEMS), pk=pk)
        if not services.works_on(request.user, problem):
            raise PermissionDenied(_("you may not take this step on this problem"))
        action = request.POST.get("action", "")
        options = {"text": request.POST.get("text", "")}
        if action == "assign":
            form = AssignForm(request.POST)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, error)
                return HttpResponseRedirect(problem.get_absolute_url())
            options.update(form.cleaned_data)
        try:
            services.transition(problem, request.user, action, **options)
            messages.success(request, _("The problem is now: %(status)s.") % {"status": problem.get_status_display()})
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        except PermissionDenied as error:
            messages.error(request, str(error))
        return HttpResponseRedirect(problem.get_absolute_url())


class ProblemExportView(ObjectExportView):
    queryset = Problem.objects.all()
    filterset_class = ProblemFilterSet
    columns = [
        ExportColumn("enterprise__uscc", "统一社会信用代码"),
        ExportColumn("enterprise__name", "企业名称"),
        ExportColumn("enterprise__region__name", "所属区域"),
        ExportColumn("category", "类别"),
        ExportColumn("title", "问题"),
        ExportColumn("status", "状态"),
        ExportColumn("department__name", "承办部门"),
        ExportColumn("deadline", "办理期限"),
        ExportColumn("submitted_at", "提交时间"),
        ExportColumn("answered_at", "答复时间"),
        ExportColumn("closed_at", "办结时间"),
        ExportColumn("answer", "答复"),
    ]
    filename = "企业问题.xlsx"

    def get(self, request, **kwargs):
        self.queryset = services.visible_problems(request.user, Problem.objects.all())
        return super().get(request, **kwargs)


def overview(request):
    """The loop at a glance: problems by state, the overdue ones, each department's response."""
    problems = services.visible_problems(request.user, Problem.objects.all())
    by_status = dict(problems.values_list("status").annotate(n=Count("pk")))
    statuses = [(value, label, by_status.get(value, 0)) for value, label in Problem.Status.choices]
    overdue = services.overdue(problems).select_related("enterprise", "department").order_by("deadline")
    return render(
        request,
        "services/overview.html",
        {
            "statuses": statuses,
            "total": sum(by_status.values()),
            "overdue": overdue[:20],
            "overdue_count": overdue.count(),
            "departments": services.department_stats(problems),
        },
    )


class ServicePlanListView(ObjectListView):
    model = ServicePlan
    table_class = ServicePlanTable
    filterset_class = ServicePlanFilterSet
    add_url_name = "services:plan_add"

    def get_queryset(self):
        # Counted over the problems the user may see: a handler's plans count their department's only.
        visible = Q(problems__in=services.visible_problems(self.request.user))
        return ServicePlan.objects.select_related("enterprise").annotate(
            problem_count=Count("problems", filter=visible),
            open_count=Count("problems", filter=visible & Q(problems__status__in=Problem.OPEN_STATUSES)),
        ).order_by("-created_at", "pk")  # grouped: the model's ordering does not apply


class ServicePlanDetailView(ObjectDetailView):
    model = ServicePlan
    template_name = "services/plan_detail.html"

    def get_extra_context(self, obj):
        problems = services.visible_problems(self.request.user, obj.problems.select_related("department"))
        return {"problems": problems.order_by("status", "deadline")}


class ServicePlanEditView(ObjectEditView):
    model = ServicePlan
    form_class = ServicePlanForm


class DepartmentListView(ObjectListView):
    model = Department
    table_class = DepartmentTable
    queryset = Department.objects.select_related("region")
    filterset_class = DepartmentFilterSet
    add_url_name = "services:department_add"


class DepartmentDetailView(ObjectDetailView):
    model = Department
    template_name = "services/department_detail.html"

    def get_extra_context(self, obj):
        problems = services.visible_problems(self.request.user, obj.problems.all())
        stats = services.department_stats(problems)
        return {
            "stats": stats[0] if stats else None,
            "open_problems": problems.filter(status__in=Problem.OPEN_STATUSES).select_related("enterprise").order_by("deadline")[:50],
        }


class DepartmentEditView(ObjectEditView):
    model = Department
    form_class = DepartmentForm
