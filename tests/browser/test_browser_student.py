"""A student in a real JupyterLab (Debian's Chromium, driven by Playwright): the optimiser explorer
redraws when its sliders move, and nbgrader's assignment list fetches and validates a release.

One server for the module, serving a student's home folder: the optimisers notebook with every
answer written, and an nbgrader_config.py that points at a temporary exchange.
"""

import json
import math
import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.support.browser import ROOT, LabServer, changed_pixels, open_menu_item
from tests.support.notebook import make_course_root, nbgrader, student_notebook

pytestmark = pytest.mark.browser

OPTIMIZERS = "07_optimizers"
QUICK = "01_notation"  # the fastest notebook to validate
STDERR = '[data-mime-type="application/vnd.jupyter.stderr"]'  # error and stderr outputs alike


def course_id():
    from autograder.config import course_config

    return course_config(ROOT).CourseDirectory.course_id


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("student")
    home, exchange = base / "home", base / "exchange"
    exchange.mkdir()
    (home / OPTIMIZERS).mkdir(parents=True)
    # What a student has after writing every answer: the release, answer cells filled from source/.
    (home / OPTIMIZERS / f"{OPTIMIZERS}.ipynb").write_text(json.dumps(student_notebook(OPTIMIZERS)))
    exchange_config = f"c.Exchange.root = {str(exchange)!r}\nc.Exchange.cache = {str(base / 'cache')!r}\n"
    (home / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = {course_id()!r}\n{exchange_config}")
    lab = LabServer(home, base / "lab").start()
    yield {"base": base, "home": home, "lab": lab, "exchange_config": exchange_config}
    lab.stop()


@pytest.fixture(scope="module")
def lab(setup):
    return setup["lab"]


def slider(explorer, label):
    label = explorer.page.locator(f'label.widget-label:text-is("{label}")')
    return explorer.locator(".widget-slider").filter(has=label)


def picture(image):
    """PNG screenshot of the explorer's picture once the browser has decoded its current frame."""
    image.evaluate("img => img.decode()")
    return image.screenshot(animations="disabled")


def move(page, handle, key, presses):
    """Focus a slider handle, press an arrow key; returns the slider's new value (aria-valuetext:
    full precision, where aria-valuenow is rounded to one decimal)."""
    start = handle.get_attribute("aria-valuetext")
    handle.focus()
    for _ in range(presses):
        page.keyboard.press(key)
    expect(handle).not_to_have_attribute("aria-valuetext", start)
    return float(handle.get_attribute("aria-valuetext"))


def test_optimizer_explorer_redraws_when_the_sliders_move(page, lab):
    page.goto(lab.page_url(f"lab/tree/{OPTIMIZERS}/{OPTIMIZERS}.ipynb"))
    notebook = page.locator(".jp-NotebookPanel")
    kernel = page.locator(f'.jp-StatusBar-TextItem[title="Change kernel for {OPTIMIZERS}.ipynb"]')
    expect(kernel).to_have_text(re.compile(r"\| Idle$"))  # started and connected
    open_menu_item(page, "Run", "runmenu:run-all")

    # The cell near the end builds widgets.OptimizerExplorer(...) and shows it; an error before it
    # (Run All stops at the first) shows up first instead.
    explorer = notebook.locator(".jp-OutputArea-output").filter(has=page.locator("img.widget-image"))
    errors = notebook.locator(f".jp-OutputArea-output{STDERR}")
    expect(explorer.or_(errors).first).to_be_visible()
    assert errors.count() == 0, "error output in the notebook:\n" + "\n---\n".join(errors.all_inner_texts())
    expect(explorer).to_have_count(1)
    image, status = explorer.locator("img.widget-image"), explorer.locator(".widget-html pre").first
    expect(status).to_contain_text("lr 0.1, kappa 10")  # the explorer's defaults: gradient descent

    # Every code cell ran, and none wrote an error or to stderr.
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                 .every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()))""")
    assert errors.count() == 0, "error output in the notebook:\n" + "\n---\n".join(errors.all_inner_texts())

    # Learning rate: five steps right on the log slider (0.1 -> 10 ** -0.9); the path changes.
    before = picture(image)
    exponent = move(page, slider(explorer, "learning rate").locator(".noUi-handle"), "ArrowRight", 5)
    assert exponent > -1
    expect(status).to_contain_text(f"lr {10 ** exponent:.3g}, kappa 10")
    after = picture(image)
    assert changed_pixels(before, after) > 500, "the picture did not change with the learning rate"

    # Momentum's beta slider is live only for momentum and Nesterov: switch, then move it.
    beta = slider(explorer, "momentum beta")
    explorer.locator(".widget-dropdown").filter(has=page.locator('label:text-is("optimizer")')) \
        .locator("select").select_option(label="momentum")
    expect(beta.locator(".slider")).not_to_have_attribute("disabled", "true")
    expect(status).to_contain_text(f"lr {10 ** exponent:.3g}, beta 0.9, kappa 10")
    before = picture(image)
    value = move(page, beta.locator(".noUi-handle"), "ArrowLeft", 5)
    assert math.isclose(value, 0.85, abs_tol=1e-9)
    expect(status).to_contain_text(f"beta {value:.3g}, kappa 10")
    after = picture(image)
    assert changed_pixels(before, after) > 500, "the picture did not change with momentum beta"

    # The student's functions raised nothing in the callbacks (the explorer would say so in red).
    assert "Error" not in explorer.inner_text()
    assert notebook.locator(f".jp-OutputArea-output{STDERR}").count() == 0


def test_assignment_list_fetches_and_validates_a_release(page, setup):
    lab, home = setup["lab"], setup["home"]
    # The instructor releases a notebook to the exchange (release/ is generated by nbgrader and committed).
    course = make_course_root(setup["base"] / "instructor", [QUICK])
    shutil.copytree(ROOT / "release" / QUICK, course / "release" / QUICK)
    with (course / "nbgrader_config.py").open("a") as config:
        config.write("\n" + setup["exchange_config"])
    nbgrader(course, "release_assignment", QUICK)

    page.goto(lab.page_url("lab/workspaces/assignments"))  # a workspace of its own: no notebook reopened
    expect(page.locator(".jp-Launcher")).to_be_visible()  # the layout is restored: menus can be used
    open_menu_item(page, "Nbgrader", "nbgrader:open-assignment-list")
    released = page.locator("#released_assignments_list > .list_item").filter(has_text=QUICK)
    expect(released.locator(".item_course")).to_have_text(course_id())
    released.locator('.item_status button:text-is("Fetch")').click()

    fetched = page.locator("#fetched_assignments_list > .list_item").filter(has_text=QUICK)
    expect(fetched).to_have_count(1)
    assert (home / QUICK / f"{QUICK}.ipynb").is_file(), "fetch did not put the notebook in the student's folder"
    fetched.locator("a.assignment-notebooks-link").click()  # expand: one row per notebook
    notebooks = fetched.locator(".assignment-notebooks")
    expect(notebooks).to_have_class(re.compile(r"\bin\b"))
    notebook = notebooks.locator(".nested_list_item").filter(has=page.locator(f'.item_name a:text-is("{QUICK}")'))
    validate = notebook.locator('.item_status button:text-is("Validate")')

    # Untouched, every test cell fails on the stubs' NotImplementedError.
    validate.click()
    dialog = page.locator(".nbgrader-ErrorDialog")
    expect(dialog.locator(".jp-Dialog-header")).to_have_text("Validation Results")
    expect(dialog).to_contain_text("The following cell failed")
    expect(dialog).to_contain_text("NotImplementedError")
    dialog.locator("button.jp-Dialog-button").click()
    expect(dialog).to_have_count(0)

    # With every answer written, it passes.
    (home / QUICK / f"{QUICK}.ipynb").write_text(json.dumps(student_notebook(QUICK)))
    validate.click()
    dialog = page.locator(".nbgrader-SuccessDialog")
    expect(dialog).to_contain_text("Success! Your notebook passes all the tests.")
    expect(page.locator(".nbgrader-ErrorDialog")).to_have_count(0)
