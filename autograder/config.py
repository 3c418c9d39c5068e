"""Every setting of the grader, declared once: traitlets configurables read from nbgrader_config.py,
as nbgrader's own are, each with its default and help text. A command-line flag overrides one for
a run; `python -m autograder config` prints what a run will use and where each value came from.

    c.Grader.jobs = 4                  # submissions graded at once on this machine (0: one per core)
    c.Execute.timeout = 60             # nbgrader's own: seconds a cell may run (the grader respects it)
    c.SandboxLimits.memory_bytes = 2 * 1024**3

The course's configuration is read by one loader, `course_config`.
"""

import os

from traitlets import Bool, Integer, Unicode
from traitlets.config import Config, Configurable, PyFileConfigLoader

from autograder.insight.similarity import Similarity
from autograder.practice.policy import PracticeGrading


class ConfigError(ValueError):
    """nbgrader_config.py cannot be read, or names a setting the grader does not have."""


class Grader(Configurable):
    """How `python -m autograder grade` runs a class (c.Grader.<name>)."""

    jobs = Integer(0, help="submissions graded at once on this machine (--jobs); 0: one per core").tag(config=True)
    notebook_timeout = Integer(900, help="seconds one notebook may take, all cells together (--notebook-timeout)"
                               ).tag(config=True)
    interrupt_grace = Integer(5, help="seconds a cell past the time limit has to yield to the interrupt before its "
                                      "kernel is killed (--interrupt-grace)").tag(config=True)
    local_window = Integer(16, help="jobs sent ahead per slot of this machine: enough to choose from, while a class "
                                    "of thousands is never held in memory whole").tag(config=True)
    cluster_window = Integer(256, help="jobs sent ahead to a Dask cluster (its scheduler holds their files)"
                             ).tag(config=True)
    extensions = Unicode("extensions.csv", help="the extensions file, relative to the course root (--extensions)"
                         ).tag(config=True)
    report_dir = Unicode("reports", help="where grades.csv and summary.html go, relative to the course root "
                                         "(--report-dir)").tag(config=True)
    practice_scores = Bool(False, help="on a hub with practice grading: the autograded score of each collected "
                                       "submission is the one its practice grading gave that very submission "
                                       "(signed by the exchange), where it has one; the run still grades it "
                                       "(autograder.record.practice_scores)").tag(config=True)
    practice_key = Unicode("", help="the exchange's public key (base64) that signs receipts and practice results; "
                                    "empty: asked of the course's exchange service").tag(config=True)
    class_reports = Bool(True, help="build the class reports (what the class got wrong, similarity) after each run; "
                                    "the hub's practice grading, one student at a time, turns them off "
                                    "(`python -m autograder report` builds them at any time)").tag(config=True)


class SandboxLimits(Configurable):
    """What one student's kernel may use in the sandbox (c.SandboxLimits.<name>); also each slot's
    cgroup budget where cgroups apply."""

    memory_bytes = Integer(3 * 1024**3, help="memory per process (rlimit), and per slot where a cgroup applies"
                           ).tag(config=True)
    cpu_seconds = Integer(600, help="CPU seconds per process").tag(config=True)
    processes = Integer(64, help="processes and threads per student").tag(config=True)
    file_bytes = Integer(256 * 1024**2, help="the largest file a student may write").tag(config=True)
    tmp_bytes = Integer(512 * 1024**2, help="the sandbox's /tmp (when the grader runs as root)").tag(config=True)


SECTIONS = (Grader, SandboxLimits, Similarity, PracticeGrading)
# nbgrader's own settings that the grader uses as they are (never a second default of ours).
NBGRADER_SETTINGS = (("Execute", "timeout", "seconds a cell may run (--cell-timeout)"),)


def course_config(course_root, overrides=None):
    """The course's nbgrader_config.py as a traitlets Config (empty without one), `overrides` on top."""
    path = os.path.join(str(course_root), "nbgrader_config.py")
    config = Config()
    if os.path.isfile(path):
        try:
            config = PyFileConfigLoader(os.path.basename(path), path=os.path.dirname(path)).load_config()
        except Exception as error:  # any error of the instructor's file becomes one line
            raise ConfigError(f"cannot read {path}: {error}") from error
    if overrides:
        config.merge(overrides)
    return config


def run_config(course_root, flags=None):
    """The course's configuration with the settings given on the command line on top, checked:
    flags {"Grader.jobs": 4}, a value of None meaning the flag was not given."""
    overrides = Config()
    for name, value in (flags or {}).items():
        if value is not None:
            section, key = name.split(".")
            overrides[section][key] = value
    config = course_config(course_root, overrides)
    check(config)
    return config


def unknown_settings(config):
    """'Grader.jbos' for each name a section of ours is given that it does not have."""
    return [f"{section.__name__}.{name}" for section in SECTIONS
            for name in config.get(section.__name__, {}) if not section.class_traits(config=True).get(name)]


def check(config):
    """ConfigError naming each unknown setting of ours, with the ones there are."""
    unknown = unknown_settings(config)
    if unknown:
        known = {s.__name__: ", ".join(sorted(s.class_traits(config=True))) for s in SECTIONS}
        raise ConfigError("nbgrader_config.py: no such setting " + "; ".join(
            f"c.{name} (c.{name.split('.')[0]} has {known[name.split('.')[0]]})" for name in unknown))


def cell_timeout(config):
    """nbgrader's c.Execute.timeout, as the course sets it (nbgrader's default, 30 s, otherwise)."""
    from nbgrader.preprocessors import Execute

    return Execute(config=config).timeout


def settings(course_root, flags=None):
    """[(c.Section.name, value, source, help)] a run will use: source is 'command line',
    'nbgrader_config.py' or 'default'. flags: {"Grader.jobs": 4} given on the command line."""
    flags = {name: value for name, value in (flags or {}).items() if value is not None}
    from_file = course_config(course_root)
    config = run_config(course_root, flags)
    rows = []
    for section in SECTIONS:
        instance = section(config=config)
        for name, trait in sorted(section.class_traits(config=True).items()):
            rows.append((f"{section.__name__}.{name}", getattr(instance, name),
                         _source(f"{section.__name__}.{name}", flags, from_file), trait.help))
    for section, name, help_text in NBGRADER_SETTINGS:
        qualified = f"{section}.{name}"
        value = flags.get(qualified, cell_timeout(config) if qualified == "Execute.timeout" else None)
        rows.append((qualified, value, _source(qualified, flags, from_file), f"nbgrader's: {help_text}"))
    return rows


def _source(qualified, flags, from_file):
    section, name = qualified.split(".")
    if qualified in flags:
        return "command line"
    return "nbgrader_config.py" if name in from_file.get(section, {}) else "default"


def settings_text(rows):
    width = max(len(name) for name, *_ in rows)
    return "\n".join(f"c.{name:<{width}}  {value!r:>12}  ({source})  {help_text}" for name, value, source, help_text in rows)
