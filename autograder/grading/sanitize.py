"""Sanitise an autograded submission before anyone's browser shows it.

The formgrader serves a submission on the instructor's own Jupyter origin, where a script could call
the Jupyter API with the instructor's credentials; the feedback page goes back to students. nbconvert's
`HTMLExporter.sanitize_html` (set in nbgrader_config.py) cleans outputs, but nbgrader's formgrade and
feedback templates render Markdown cells without it, and the formgrader serves the files of a
submission's folder as they are. So the autograded copy itself is made inert, once, after autograding:

- Markdown cells that hold HTML keep only the tags and attributes nbconvert allows (no <script>, no
  on* handlers, no javascript: links); Markdown syntax and LaTeX are left as they are.
- Outputs: HTML and Markdown cleaned the same way; JavaScript and widget views removed.
- Files a browser would run (HTML, SVG, XML, JavaScript), and extra .ipynb files that are not
  readable notebooks, are removed from the autograded folder; the student's originals stay in
  submitted/.
"""

import json
import pathlib
import stat

from nbconvert.filters import clean_html

ACTIVE_FILE_SUFFIXES = {".html", ".htm", ".xhtml", ".svg", ".xml", ".js", ".mjs"}
# SVG outputs stay: nbconvert shows them through <img src="data:...">, where scripts never run.
CLEANED_OUTPUTS = ("text/html", "text/markdown")
DROPPED_OUTPUTS = ("application/javascript", "text/javascript", "application/vnd.jupyter.widget-view+json")


def _text(source):
    return "".join(source) if isinstance(source, list) else source


def clean_markdown(source):
    """`source` with its HTML made inert: only allowed tags and attributes stay, others are escaped."""
    text = _text(source)
    return clean_html(text) if "<" in text else text


def clean_outputs(outputs):
    for output in outputs:
        data = output.get("data")
        if not isinstance(data, dict):
            continue
        for mimetype in DROPPED_OUTPUTS:
            data.pop(mimetype, None)
        for mimetype in CLEANED_OUTPUTS:
            if mimetype in data:
                data[mimetype] = clean_html(_text(data[mimetype]))
    return outputs


def sanitize_notebook(notebook):
    """The notebook (a dict, changed in place and returned) with every student-made page element inert."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            cell["source"] = clean_markdown(cell.get("source", ""))
        if cell.get("cell_type") == "code":
            cell["outputs"] = clean_outputs(cell.get("outputs", []))
    notebook.get("metadata", {}).pop("widgets", None)
    return notebook


def _is_text(source):
    return isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))


def read_notebook(path):
    """The notebook at `path` as a dict, or None when it is not one sanitize_notebook can walk.

    nbgrader copies a student's extra files into autograded/ as they are, .ipynb ones included."""
    try:
        notebook = json.loads(pathlib.Path(path).read_text())
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deeply
        return None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("metadata", {}), dict):
        return None
    cells = notebook.get("cells", [])
    if not isinstance(cells, list) or not all(isinstance(cell, dict) and _is_text(cell.get("source", ""))
                                              for cell in cells):
        return None
    for cell in cells:
        outputs = cell.get("outputs", [])
        if not isinstance(outputs, list) or not all(isinstance(output, dict) for output in outputs):
            return None
        if any(not _is_text(value) for output in outputs if isinstance(output.get("data"), dict)
               for mimetype, value in output["data"].items() if mimetype in CLEANED_OUTPUTS):
            return None
    return notebook


def sanitize_submission(folder):
    """Sanitise every notebook in an autograded submission folder and drop its active files, and
    any .ipynb that is not a readable notebook.

    Returns the names of the files removed (for the student's reasons line)."""
    removed = []
    for path in sorted(pathlib.Path(folder).rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if path.suffix.lower() == ".ipynb":
            notebook = read_notebook(path)
            if notebook is not None:
                # nbgrader leaves autograded files read-only (its `permissions`, 444): only a grader
                # running as root could overwrite them without making them writable first.
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
                path.write_text(json.dumps(sanitize_notebook(notebook), indent=1))
                continue
        elif path.suffix.lower() not in ACTIVE_FILE_SUFFIXES:
            continue
        path.unlink()
        removed.append(str(path.relative_to(folder)))
    return removed
