"""The class reports of a term (autograder.insight) for a class: 200 synthetic students x the course's ten
notebooks (tests/support/synthetic_class.py: correct and wrong variants in personal styles, one student in
ten a disguised copier). First the similarity of solution cells alone (autograder.insight.similarity), one
find_pairs per notebook, plus its HTML section and CSV file, with the precision and recall of the listed
pairs at the configured threshold against the planted copies. Then the whole of what `python -m autograder
report` does after reading the gradebook (autograder.insight.build.build_reports): the ten autograded
notebooks of every student read from disk, similarity, and each assignment's class page with its
pictures, CSVs and mistakes.csv, from a gradebook snapshot that gives each wrong variant a named
mistake and each blank exercise "not attempted". Target: under 60 s on 2 cores.

Peer: copydetect's own CopyDetector (all pairs, same k-gram length and guarantee) on the same texts of
one notebook, each student's code cells in one file, against find_pairs on those same texts; the ratio
is in the same run, on the same machine.

    .venv/bin/python benchmarks/similarity.py [--students 200] [--peer-notebook 01_notation]
"""

import argparse
import json
import os
import pathlib
import platform
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # autograder, and tests.support for the synthetic class
from autograder.insight.similarity import Similarity, find_pairs, is_written, section_html, write_csv  # noqa: E402 - the repository joins sys.path above
from tests.support.notebook import assignment_names  # noqa: E402 - the repository joins sys.path above
from tests.support.synthetic_class import synthetic_class  # noqa: E402 - the repository joins sys.path above


def of_notebook(parts, name):
    """{student: {part: text}} of one notebook out of the merged "<notebook>/<part>" keys."""
    return {s: {p.split("/", 1)[1]: t for p, t in texts.items() if p.startswith(name + "/")} for s, texts in parts.items()}


def copydetect_peer(parts, settings):
    """Seconds of CopyDetector.run() on each student's code cells as one .py file, and the same texts
    through find_pairs."""
    from copydetect import CopyDetector

    texts = {s: "\n\n".join(t for p, t in sorted(own.items()) if not is_written(p)) for s, own in parts.items()}
    with tempfile.TemporaryDirectory() as folder:
        for student, text in texts.items():
            pathlib.Path(folder, f"{student}.py").write_text(text)
        detector = CopyDetector(test_dirs=[folder], extensions=["py"], noise_t=settings.code_k,
                                guarantee_t=settings.code_k + settings.code_window - 1, display_t=0.5,
                                autoopen=False, silent=True, out_file=os.path.join(folder, "report.html"))
        started = time.perf_counter()
        detector.run()
        theirs = time.perf_counter() - started
    started = time.perf_counter()
    find_pairs({s: {"code": t} for s, t in texts.items()})
    ours = time.perf_counter() - started
    return theirs, ours


def diagnoses(names):
    """{(notebook, exercise, variant key): (mistake, message)}: the grader's diagnosis of each wrong variant
    of the synthetic class (tests.support.wrong_versions.diagnosis, with the notebook's definitions and the
    other exercises' solutions in front), so that the report counts the course's real named mistakes."""
    from autograder.judging.verify import definition_cells
    from tests.support.synthetic_class import _release, _source_cells, variants
    from tests.support.wrong_versions import diagnosis

    found = {}
    for name in names:
        given = [cell for cell in definition_cells(_release(name)) if "raise NotImplementedError" not in cell]
        solutions = {g: text for g, (kind, text) in _source_cells(name).items() if kind == "code"}
        for exercise, options in variants(name).items():
            prelude = "\n\n".join([*given, *(text for g, text in solutions.items() if g != exercise)])
            for key, text, wrong in options:
                if wrong:
                    try:
                        d = diagnosis(exercise, prelude + "\n\n" + text)
                        found[name, exercise, key] = (d.mistake, d.message)
                    except Exception as error:  # noqa: BLE001 - a variant the diagnosis cannot run: say what
                        found[name, exercise, key] = ("unrecognised", f"{type(error).__name__}: {error}"[:80])
    return found


def course_of(cls, names, folder, named=None):
    """A course root holding every student's autograded notebooks and the release; the snapshot, the term's
    exercises and written questions that Gradebook.snapshot and the command would give for it."""
    from tests.support.notebook import exercises

    root = pathlib.Path(folder)
    (root / "release").symlink_to(ROOT / "release")
    graded = {student: {} for student in cls.parts}
    assignments, written = {}, {}
    for name in names:
        points = exercises(name)
        assignments[name] = [(e, p) for e, p in points if not is_written(e)]
        written[name] = [(e, p) for e, p in points if is_written(e)]
        for student, notebook in cls.notebooks[name].items():
            path = root / "autograded" / student / name / f"{name}.ipynb"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(notebook))
            own = {p.split("/", 1)[1] for p in cls.parts[student] if p.startswith(name + "/")}
            grades, mistakes = {}, {}
            for exercise, most in assignments[name]:
                wrong = cls.outputs[student].get(exercise)
                if named and named.get(tuple((wrong or "").split("/"))) == ("unrecognised", ""):
                    wrong = None  # a "wrong" variant of the generator's that the grader finds right on every input
                grades[f"test_{exercise}"] = 0.0 if wrong or exercise not in own else float(most)
                if wrong:
                    mistake, message = (named or {}).get(tuple(wrong.split("/")), ("unrecognised", ""))
                    mistakes[exercise] = {"mistake": mistake, "message": message, "output": wrong}
                elif exercise not in own:
                    mistakes[exercise] = {"mistake": "not attempted", "message": "", "output": ""}
            score = sum(grades.values())
            graded[student][name] = {"grades": grades, "pending": [f"{q}" for q, _ in written[name]],
                                     "raw": score, "penalty": 0.0, "score": score, "seconds_late": 0,
                                     "flagged": False, "record": {"mistakes": mistakes}}
    return root, graded, assignments, written


def whole_reports(cls, names, keep=None):
    """Seconds of build_reports over the ten notebooks, and the files it wrote (copied to `keep` if given)."""
    import shutil

    from autograder.insight.build import build_reports

    named = diagnoses(names)
    with tempfile.TemporaryDirectory() as folder:
        root, graded, assignments, written = course_of(cls, names, folder, named)
        started = time.perf_counter()
        paths, _, _ = build_reports(root, root / "reports", graded, assignments, written, names)
        seconds = time.perf_counter() - started
        if keep:
            shutil.copytree(root / "reports", keep, dirs_exist_ok=True)
        return seconds, len(paths), sum(p.stat().st_size for p in paths)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--peer-notebook", default="01_notation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="a folder to copy the class reports into, to look at them")
    args = parser.parse_args()
    names = assignment_names()
    settings = Similarity()

    started = time.perf_counter()
    cls = synthetic_class(names, students=args.students, copies=args.students // 10, seed=args.seed)
    generate_s = time.perf_counter() - started

    rows, listed, total_s = [], set(), 0.0
    import copydetect.utils  # noqa: F401 - imported once before timing (it loads matplotlib), as a report run would

    for name in names:
        parts = of_notebook(cls.parts, name)
        outputs = {s: {e.split("/", 1)[1]: d for e, d in own.items() if e.startswith(name + "/")}
                   for s, own in cls.outputs.items()}
        started = time.perf_counter()
        pairs = find_pairs(parts, outputs)
        page = section_html(pairs, parts)
        with tempfile.TemporaryDirectory() as folder:
            write_csv(pairs, os.path.join(folder, f"similarity-{name}.csv"))
        seconds = time.perf_counter() - started
        total_s += seconds
        found = {(p.a, p.b) for p in pairs}
        listed |= {(name, *pair) for pair in found}
        true = found & cls.copies
        rows.append({"notebook": name, "parts": len({p for own in parts.values() for p in own}), "seconds": round(seconds, 2),
                     "listed": len(found), "copies_found": len(true), "html_kb": round(len(page) / 1024, 1)})

    planted = len(cls.copies) * len(names)
    true = sum(r["copies_found"] for r in rows)
    precision, recall = true / max(len(listed), 1), true / planted
    theirs_s, ours_s = copydetect_peer(of_notebook(cls.parts, args.peer_notebook), settings)
    report_s, files, size = whole_reports(cls, names, args.keep)

    print(f"similarity, {args.students} students x {len(names)} notebooks, threshold {settings.threshold} "
          f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}):")
    print(f"  {'notebook':20s} {'parts':>5s} {'seconds':>8s} {'listed':>6s} {'copies':>6s} {'html KiB':>8s}")
    for r in rows:
        print(f"  {r['notebook']:20s} {r['parts']:5d} {r['seconds']:8.2f} {r['listed']:6d} "
              f"{r['copies_found']:3d}/{len(cls.copies):<2d} {r['html_kb']:8.1f}")
    print(f"  similarity alone: {total_s:.1f} s; synthetic class generated in {generate_s:.1f} s, not counted")
    print(f"  the whole report (build_reports: notebooks read from disk, similarity, {len(names)} class pages with "
          f"pictures, CSVs): {report_s:.1f} s (target < 60 s), {files} files, {size / 2**20:.1f} MiB")
    print(f"  precision {precision:.3f}, recall {recall:.3f} ({true} of {planted} planted copies, {len(listed)} listed)")
    print(f"  peer on {args.peer_notebook}'s code cells, one file per student: copydetect CopyDetector.run() "
          f"{theirs_s:.2f} s, find_pairs {ours_s:.2f} s, ratio {theirs_s / ours_s:.1f}x")
    print(json.dumps({"benchmark": "similarity", "students": args.students, "notebooks": len(names),
                      "cores": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2),
                      "threshold": settings.threshold, "similarity_s": round(total_s, 2),
                      "report_s": round(report_s, 2), "per_notebook": rows,
                      "precision": round(precision, 4), "recall": round(recall, 4),
                      "peer": {"notebook": args.peer_notebook, "copydetect_s": round(theirs_s, 3),
                               "find_pairs_s": round(ours_s, 3), "ratio": round(theirs_s / ours_s, 2)}}))


if __name__ == "__main__":
    main()
