"""The practice grading service's folder, made by the hub at each start (as root), owned by its account (0700):

    <practice>/course/   a course root of its own: the course's source/ and nbgrader_config.py, copied
                         afresh at each start (so an instructor's change of a notebook reaches it with a
                         restart of the hub), its own gradebook.db, submitted/, autograded/, feedback/
    <practice>/state/    its ledger, its secret, its grading log

Only the course's sources and settings are copied: never the instructor's gradebook, submissions,
secrets or anything else of their home.
"""

import os
import pathlib
import pwd
import shutil

SETTINGS_ADDED = """
# Added by the hub for its practice grading (deploy/jupyterhub/practice_root.py): one student at a time,
# no class reports; nothing of this course root is the instructor's.
c.Grader.class_reports = False
"""


def prepare_practice_root(practice, course_root, account):
    practice, course_root = pathlib.Path(practice), pathlib.Path(course_root)
    owner = pwd.getpwnam(account)
    course = practice / "course"
    (practice / "state").mkdir(parents=True, exist_ok=True)
    course.mkdir(exist_ok=True)
    if (course / "source").exists():
        shutil.rmtree(course / "source")
    shutil.copytree(course_root / "source", course / "source", ignore=shutil.ignore_patterns("__pycache__"))
    settings = (course_root / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(settings + SETTINGS_ADDED)
    for path in [practice, *practice.rglob("*")]:
        os.lchown(path, owner.pw_uid, owner.pw_gid)
    practice.chmod(0o700)
    return course
