"""The ``mujun`` command.

``mujun evaluate …`` runs the evaluation engine on a file without touching Django or a database, so an
analyst's batch run starts fast. ``mujun demo`` and ``mujun serve`` start the platform; every other
sub-command is a Django management command (``mujun migrate``, ``mujun createsuperuser`` …).
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "evaluate":
        from mujun.engine.batch import main as evaluate_main

        return evaluate_main(argv[1:])
    if argv[:2] == ["land", "classify"]:
        from mujun.engine.land_batch import main as land_classify_main

        return land_classify_main(argv[2:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mujun", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
