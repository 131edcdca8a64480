"""The home page: what a leader wants to see first."""


def dashboard_context(request) -> dict:
    from mujun.enterprises.models import Enterprise
    from mujun.evaluation.models import Run

    return {
        "enterprise_count": Enterprise.objects.count(),
        "latest_runs": Run.objects.select_related("region", "scheme")[:8],
    }
