"""The class report's pictures (autograder.insight.class_report), drawn with matplotlib's Agg backend and
returned as PNG data: URIs, so that the page works offline and asks nothing of any server.

Colours: Okabe and Ito's colour-blind-safe palette for categories (full / partial / zero marks, kinds
of mistake, graded / awaiting), and cividis for the heat map (a sequential map that reads the same to
viewers with red-green colour blindness and in greyscale). Every stacked bar also carries a hatch, so
categories differ in more than colour.

Every function takes plain numbers and labels, and returns "data:image/png;base64,...". Labels may
come from students (ids): they go through `plain` so that matplotlib never reads them as mathtext.
"""

import base64
import io

import numpy as np

# Okabe, M. & Ito, K. (2008), "Color Universal Design": distinguishable with any common colour blindness.
OKABE_ITO = {"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7", "grey": "#999999"}
MARKS = (("full", OKABE_ITO["blue"], ""), ("partial", OKABE_ITO["orange"], "//"),
         ("zero", OKABE_ITO["vermillion"], "xx"))
MISTAKE_KINDS = {"named": OKABE_ITO["blue"], "unrecognised": OKABE_ITO["orange"],
                 "not attempted": OKABE_ITO["grey"]}
HEAT_MAP = "cividis"
DPI = 80  # modest: the pictures are for a screen, and small pages open fast
LABEL_CHARS = 48
HEAT_MAP_LABELLED_STUDENTS = 60  # above this many rows, names would overlap: rows stay unlabelled


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on a grading machine; and the fastest backend for files
    import matplotlib.pyplot as plt

    return plt


def plain(text, limit=LABEL_CHARS):
    """`text` as matplotlib shows it literally: '$' escaped (else "$x$" is typeset as math, and an odd
    one can make drawing fail), cut to `limit` characters."""
    text = str(text)
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return text.replace("$", r"\$")


def data_uri(fig):
    """The figure as a PNG data: URI; closes it (pyplot keeps every open figure otherwise)."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI)
    finally:
        _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram(counts, edges, max_points):
    """Bars of students per score bin. counts: [students] per bin; edges: len(counts)+1 bin edges."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
    edges = np.asarray(edges, dtype=float)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=OKABE_ITO["blue"], edgecolor="white")
    ax.set_xlim(0, max(max_points, edges[-1]))
    ax.set_xlabel(f"final score (of {max_points:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    return data_uri(fig)


def exercise_shares(rows):
    """Horizontal bars, one per exercise, of the share of students with full, partial and zero marks.
    rows: [(exercise, full, partial, zero)] counts, in course order (drawn top to bottom)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.32 * max(1, len(rows))), layout="constrained")
    labels = [plain(exercise) for exercise, *_ in rows]
    totals = np.array([max(1, sum(counts)) for _, *counts in rows], dtype=float)
    left = np.zeros(len(rows))
    for index, (name, colour, hatch) in enumerate(MARKS):
        shares = np.array([row[1 + index] for row in rows], dtype=float) / totals
        ax.barh(labels, shares, left=left, color=colour, hatch=hatch, edgecolor="white", label=f"{name} marks")
        left += shares
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_xlabel("share of students who handed it in")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False, fontsize="small")
    return data_uri(fig)


def mistake_bars(items):
    """Horizontal bars of the most frequent mistakes. items: [(label, count, kind)], most frequent first;
    kind: a key of MISTAKE_KINDS (a named mistake, unrecognised, not attempted)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.3 * max(1, len(items))), layout="constrained")
    labels = [plain(label) for label, *_ in items]
    counts = [count for _, count, _ in items]
    ax.barh(range(len(items)), counts, color=[MISTAKE_KINDS[kind] for *_, kind in items])
    ax.set_yticks(range(len(items)), labels, fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.xaxis.get_major_locator().set_params(integer=True)
    shown = [kind for kind in MISTAKE_KINDS if any(k == kind for *_, k in items)]
    handles = [plt.Rectangle((0, 0), 1, 1, color=MISTAKE_KINDS[kind]) for kind in shown]
    ax.legend(handles, [f"{kind} mistake" if kind == "named" else kind for kind in shown],
              loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(shown), frameon=False, fontsize="small")
    ax.spines[["top", "right"]].set_visible(False)
    return data_uri(fig)


def written_progress(rows):
    """Horizontal bars, one per written question, of answers graded by hand and awaiting a grader.
    rows: [(question, graded, awaiting)]."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.32 * max(1, len(rows))), layout="constrained")
    labels = [plain(question) for question, *_ in rows]
    graded = [done for _, done, _ in rows]
    ax.barh(labels, graded, color=OKABE_ITO["bluish green"], edgecolor="white", label="graded")
    ax.barh(labels, [waiting for *_, waiting in rows], left=graded, color=OKABE_ITO["grey"], hatch="..",
            edgecolor="white", label="awaiting a grader")
    ax.invert_yaxis()
    ax.set_xlabel("answers")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize="small")
    return data_uri(fig)


def heat_map(students, assignments, shares):
    """Students (rows) × assignments (columns), coloured by the share of the assignment's points scored.
    shares: array (len(students), len(assignments)) in [0, 1], NaN where nothing was handed in (white).

    Up to HEAT_MAP_LABELLED_STUDENTS rows are labelled with the student's id; above that, rows stay
    unlabelled (ids are in the CSV) and the picture's height grows slowly, so that it stays one screen
    or two tall for hundreds of students."""
    plt = _pyplot()
    shares = np.ma.masked_invalid(np.asarray(shares, dtype=float).reshape(len(students), len(assignments)))
    labelled = len(students) <= HEAT_MAP_LABELLED_STUDENTS
    height = 1.6 + (0.2 * len(students) if labelled else min(10.0, 4 + 0.015 * len(students)))
    fig, ax = plt.subplots(figsize=(max(5.0, 2.5 + 0.55 * len(assignments)), height), layout="constrained")
    colours = plt.get_cmap(HEAT_MAP).with_extremes(bad="white")
    image = ax.imshow(shares, cmap=colours, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(assignments)), [plain(a, 24) for a in assignments], rotation=45, ha="right",
                  fontsize="small")
    if labelled:
        ax.set_yticks(range(len(students)), [plain(s, 24) for s in students], fontsize="x-small")
        ax.set_ylabel("student")
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(students)} students, best term average at the top")
    colourbar = fig.colorbar(image, ax=ax, shrink=min(1.0, 4 / height) if height > 4 else 1.0)
    colourbar.ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    colourbar.set_label("share of the assignment's points (white: not handed in)")
    return data_uri(fig)
