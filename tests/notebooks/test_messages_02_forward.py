"""02_forward's sigmoid at the edge of float64: a correct stable sigmoid passes the hidden test for every z
it can draw (whatever the seed), and the silenced textbook form fails the visible test, the hidden test and
the verification."""

import numpy as np
import pytest

from tests.support.wrong_versions import _cells, hidden_test, verification, visible_test

NAME = "02_forward"
DRAW = "_z = -_rng.uniform(709.9, 740.0, size=(3, 5))"
# Every z the hidden test can draw, as finely as a sweep allows, both ends included.
SWEEP = "_z = -np.concatenate([np.linspace(709.9, 740.0, 300_001), [np.nextafter(740.0, 0.0)]])"

STABLE = """
import numpy as np
def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
"""

STABLE_BY_MASKS = """
import numpy as np
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out
"""

STABLE_BY_LOGADDEXP = """
import numpy as np
def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))
"""

SILENCED_TEXTBOOK = """
import numpy as np
def sigmoid(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))
"""


def _swept_test_cell():
    [cell] = [c for c in _cells(NAME) if c.metadata["nbgrader"].get("grade_id") == "test_sigmoid"]
    assert cell.source.count(DRAW) == 1, "the hidden test's draw of tiny z changed: update DRAW"
    return cell.source.replace(DRAW, SWEEP)


def test_the_old_log_check_missed_even_the_exact_value_deep_in_the_range():
    # Why the hidden test changed: log(sigmoid(z)) within rtol 1e-6 of z fails for the exact value
    # (e^z rounded to the subnormal grid) below z = -737.96.
    z = -np.linspace(709.9, 740.0, 300_001)
    with np.errstate(divide="ignore"):
        misses = ~np.isclose(np.log(np.exp(z)), z, rtol=1e-6, atol=0)
    assert misses.any() and z[misses].max() < -737.9


@pytest.mark.parametrize("source", [STABLE, STABLE_BY_MASKS, STABLE_BY_LOGADDEXP])
def test_a_correct_stable_sigmoid_passes_for_every_z_the_hidden_test_can_draw(source):
    outcome = hidden_test(NAME, "sigmoid", source, others={"test_sigmoid": _swept_test_cell()})
    assert outcome.passed, outcome
    assert not outcome.warned
    assert hidden_test(NAME, "sigmoid", source).passed
    assert verification("sigmoid", source) == []


def test_the_silenced_textbook_sigmoid_fails_everywhere():
    outcome = visible_test(NAME, "sigmoid", SILENCED_TEXTBOOK)
    assert not outcome.passed and "returned 0 for z = -720 and -710" in outcome.message
    assert not hidden_test(NAME, "sigmoid", SILENCED_TEXTBOOK).passed
    swept = hidden_test(NAME, "sigmoid", SILENCED_TEXTBOOK, others={"test_sigmoid": _swept_test_cell()})
    assert not swept.passed
    reasons = verification("sigmoid", SILENCED_TEXTBOOK)
    assert reasons and all("below -700" in r and "tiny but positive" in r for r in reasons)
