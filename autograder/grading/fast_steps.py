"""Two steps of nbgrader's pipeline that do the same work for less: the grader swaps them in
(autograder.grading.slot.use_grading_steps) the way it swaps in OverwriteCells (autograder.grading.overwrite).

- CheckCellMetadata validates every cell's nbgrader metadata with `jsonschema.validate`, which
  first checks the *schema* itself against its meta-schema: 90 % of the step's time, about 0.2 s
  per notebook of 80 cells, paid on each generate_assignment and twice per autograde. Here the
  schema is checked once per process; every cell is still validated against it.
- nbconvert's HTMLExporter parses the finished page with BeautifulSoup and writes it out again,
  only to give <img> tags without alt text a placeholder and to make lab-template cells focusable:
  40 % of a feedback page's time. A feedback page (nbgrader's classic-based template) with no <img>
  has nothing that pass would change, so it is skipped there, and kept wherever it would act.
"""

import functools
import traceback

import jsonschema
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.nbgraderformat import ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3
from nbgrader.preprocessors import CheckCellMetadata


class _CheckedSchemaOnce(BaseMetadataValidator):
    def validate_cell(self, cell):
        if "nbgrader" not in cell.metadata:
            return
        version = cell.metadata["nbgrader"].get("schema_version", 0)
        if version != self.schema_version:  # nbgrader's own messages for too old and too new
            return super().validate_cell(cell)
        error = jsonschema.exceptions.best_match(_schema_validator().iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class MetadataValidator(MetadataValidatorV3, _CheckedSchemaOnce):
    """nbgrader's schema-3 validator (its extra rules and duplicate-id check included)."""


@functools.lru_cache(maxsize=None)
def _schema_validator():
    schema = MetadataValidator().schema
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


class FastCheckCellMetadata(CheckCellMetadata):
    def preprocess(self, nb, resources):
        try:
            MetadataValidator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            message = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(message)
            raise ValidationError(message)
        return nb, resources


class FeedbackHTMLExporter(HTMLExporter):
    """HTMLExporter (and its configuration), without the BeautifulSoup pass where it would change nothing."""

    def from_notebook_node(self, nb, resources=None, **kw):
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        initial = resources
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                       parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        # the pass acts on <img> tags and on the lab template's .jp-Notebook cells only
        if "<img" in html.lower() or "jp-notebook" in html.lower():
            return super().from_notebook_node(nb, initial, **kw)
        return html, resources
