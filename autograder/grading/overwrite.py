"""OverwriteCells step of autograding: nbgrader's, with deleted test cells put back in the right place
on any gradebook database.

nbgrader restores a deleted grade cell after the cell that precedes it in the gradebook's list of
source cells. That list comes from a query without an order: SQLite happens to return insertion
order, PostgreSQL any order, and then the "previous" cell may be a markdown cell the submission
never tracked, a KeyError that fails the student. Here the order is the source notebook's, and a
restored cell goes after the nearest earlier graded or solution cell the submission still has.
"""

import json
import os

from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells
from traitlets import Unicode


class OrderedOverwriteCells(OverwriteCells):
    source_root = Unicode("", help="the course's source folder (source/<assignment>/<notebook>.ipynb)").tag(
        config=True)

    def _source_order(self):
        """grade_ids of the source notebook's nbgrader cells, in notebook order."""
        path = os.path.join(self.source_root, self.assignment_id, f"{self.notebook_id}.ipynb")
        with open(path, encoding="utf-8") as handle:
            cells = json.load(handle)["cells"]
        return [c["metadata"]["nbgrader"]["grade_id"] for c in cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")]

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = {cell.name: cell for cell in source_nb.source_cells}
        grade_cells = {cell.name: cell for cell in source_nb.grade_cells}
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        order = [grade_id for grade_id in self._source_order() if grade_id in source_cells]
        for position, grade_id in enumerate(order):
            present = {cell["metadata"]["nbgrader"]["grade_id"]: index for index, cell in enumerate(nb.cells)
                       if utils.is_grade(cell) or utils.is_solution(cell)}
            if grade_id not in grade_cells or grade_id in present:
                continue
            self.log.warning(f"Missing grade cell {grade_id} encountered, adding to notebook")
            cell = self.missing_cell_transform(source_cells[grade_id], grade_cells[grade_id].max_score,
                                               is_solution=grade_id in solution_ids)
            earlier = [present[g] for g in order[:position] if g in present]
            nb.cells.insert(earlier[-1] + 1 if earlier else 0, cell)
        return nb, resources
