"""Background work of the evaluation app (django-tasks; the worker is ``mujun db_worker``)."""

from django_tasks import task


@task()
def evaluate_run(run_id: int) -> str:
    """Evaluate one run and store its results; the run records progress, outcome and any failure."""
    from mujun.evaluation.models import Run
    from mujun.evaluation.services import execute_run

    run = Run.objects.select_related("scheme", "region", "started_by").filter(pk=run_id).first()
    if run is None:  # deleted before the worker came to it: nothing to do
        return "deleted"
    return execute_run(run).status


@task()
def analyse_robustness(analysis_id: int) -> str:
    """Re-grade a run under drawn weights and benchmarks and store each enterprise's grade probabilities."""
    from mujun.evaluation.models import RobustnessAnalysis
    from mujun.evaluation.services import execute_robustness

    analysis = RobustnessAnalysis.objects.select_related("run").filter(pk=analysis_id).first()
    if analysis is None:  # deleted with its run before the worker came to it
        return "deleted"
    return execute_robustness(analysis).status
