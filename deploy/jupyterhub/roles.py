"""The Jupyter settings of each role, as a folder a server adds to its config path (JUPYTER_CONFIG_PATH).

- student: nbgrader knows the course and its exchange; the formgrader, Create Assignment and Course
  List are switched off (server and JupyterLab sides), the Assignment List stays.
- instructor: the course's own nbgrader settings (plugins, preprocessors), then where the course root
  and the exchange are on this deployment.
- both: budget_notice.py, which kernels run as they start: it tells the user why their last kernel
  was stopped when their memory budget stopped it (user_budgets, course_spawner).

Used by jupyterhub_config.py (one server) and by the Kubernetes image (deploy/kubernetes/Dockerfile):

    python deploy/jupyterhub/roles.py FOLDER --course-id ID --course-root PATH --exchange-url URL
"""

import argparse
import json
import pathlib
import shutil

BUDGET_NOTICE = pathlib.Path(__file__).resolve().parent / "budget_notice.py"  # run by kernels (PYTHONSTARTUP)

SWITCHED_OFF = {
    "student": {"server": ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"],
                "lab": ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                        "@jupyter/nbgrader:course-list"]},
    "instructor": {"server": [], "lab": []},
}


def exchange_settings(service_url):
    """nbgrader's exchange on a multi-user deployment: the course's exchange service (course.exchange),
    which takes who submits from the hub and when from its own clock; never a folder users share."""
    return f"from course.exchange import use_exchange_service\nuse_exchange_service(c, {service_url!r})\n"


def write(folder, *, course_id, course_root, exchange):
    """FOLDER/student and FOLDER/instructor, readable by every account."""
    header = "c = get_config()  # noqa: F821\n"
    nbgrader = {
        "student": f"{header}c.CourseDirectory.course_id = {course_id!r}\n{exchange}",
        "instructor": (f"{header}load_subconfig({str(pathlib.Path(course_root) / 'nbgrader_config.py')!r})  # noqa: F821\n"
                       f"c.CourseDirectory.root = {str(course_root)!r}\n{exchange}"),
    }
    for role, off in SWITCHED_OFF.items():
        target = pathlib.Path(folder) / role
        (target / "labconfig").mkdir(parents=True, exist_ok=True)
        (target / "nbgrader_config.py").write_text(nbgrader[role])
        (target / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {name: False for name in off["server"]}}}, indent=1))
        (target / "labconfig" / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {name: True for name in off["lab"]}}, indent=1))
        if BUDGET_NOTICE.exists():  # (an image that copies roles.py alone has no per-user cgroups either)
            shutil.copyfile(BUDGET_NOTICE, target / BUDGET_NOTICE.name)  # why a kernel stopped, told in its cell
        for path in [target, *target.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--course-id", required=True)
    parser.add_argument("--course-root", required=True)
    parser.add_argument("--exchange-url", required=True, help="the exchange service, e.g. http://hub:8002/services/exchange")
    args = parser.parse_args(argv)
    write(args.folder, course_id=args.course_id, course_root=args.course_root, exchange=exchange_settings(args.exchange_url))


if __name__ == "__main__":
    main()
