"""What the three explorers share: argument checks, figures, the widget front end (`_Explorer`)
and the sticky axis ladders."""

import base64
import contextlib
import html
import io
import math
import numbers

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"
_NO_WIDGETS = "Interactive controls need JupyterLab with ipywidgets; this is a static picture for"


# ------------------------------------------------------------------------------- helpers


def _g(x, digits=3):
    """A number in a short human form: 0.01, 1e-06, 0.819; None as a dash."""
    if x is None:
        return "-"
    return f"{x:.{digits}g}"


def _short_error(exc):
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _real(value, name, low=None, high=None, low_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def _integer(value, name, low, high=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def _new_figure(width, height, dpi):
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)  # Agg canvas of its own: never a pyplot figure, never shown twice
    return figure


_BLAS = None


def _single_threaded_blas():
    """A context in which BLAS uses one thread: small matrix products are faster, and never stall
    behind busy cores. Falls back to doing nothing without threadpoolctl."""
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        except Exception:  # noqa: BLE001 - threadpoolctl missing or unable to inspect the libraries
            _BLAS = False
    return _BLAS.limit(limits=1, user_api="blas") if _BLAS else contextlib.nullcontext()


class _Explorer:
    """set/state/figure/show machinery shared by the three explorers.

    Subclasses define ``_defaults``, ``_validate(name, value)``, ``_compute()`` (fills
    ``self.state``), ``_build_figure()`` (creates every artist once and lists the moving ones in
    ``self._animated``, in drawing order), ``_static_spec()`` (a dict of what the still part of
    the picture depends on: limits, ticks, titles), ``_update_static(spec)`` and
    ``_update_dynamic()`` (``set_data`` on the moving artists), ``_controls(widgets)`` and
    ``_caption()``.

    Drawing is blitted: the still part is rendered once per distinct ``_static_spec()`` and kept
    as a pixel buffer; a slider move restores that buffer and draws only the moving artists.
    """

    def __init__(self):
        self.values = dict(self._defaults)
        self.state = None
        self._figure = None
        self._animated = []
        self._background = None
        self._background_key = None
        self._widget = None
        self._image = None
        self._status = None
        self._message = None
        self._controls_by_name = {}
        self._syncing = False

    # ---------------------------------------------------------------- computation

    def set(self, **values):
        """Change any of the controls (see ``values`` for their names), recompute, return ``state``."""
        unknown = sorted(set(values) - set(self.values))
        if unknown:
            raise TypeError(f"unknown control(s) {unknown}; the controls are {sorted(self.values)}")
        checked = {name: self._validate(name, value) for name, value in values.items()}
        previous = dict(self.values)
        self.values.update(checked)
        try:
            self._compute()
        except BaseException:
            self.values = previous  # values and state stay consistent when a computation fails
            raise
        self._sync_controls()
        if self._widget is not None:
            self.redraw()
        return self.state

    # ---------------------------------------------------------------- drawing

    def _ensure_figure(self):
        if self.state is None:
            self._compute()
        if self._figure is None:
            self._figure = self._build_figure()
            self._background = None
        return self._figure

    @property
    def figure(self):
        """The matplotlib Figure of the current state (built on first use, then updated in place)."""
        figure = self._ensure_figure()
        self._update_static(self._static_spec())
        self._update_dynamic()
        return figure

    def _render(self, with_text=True):
        """Draw the current state into the Agg canvas; returns its RGBA buffer (height, width, 4).

        ``with_text=False`` leaves out the summary line under the plots (the widget view shows it
        as HTML instead: rendering ~100 glyphs would cost more than the rest of a move).
        """
        figure = self._ensure_figure()
        canvas = figure.canvas
        spec = self._static_spec()
        key = repr(sorted(spec.items()))
        if self._background is None or key != self._background_key:
            self._update_static(spec)
            for artist in self._animated:
                artist.set_animated(True)  # left out of the full draw: they go on top, below
            try:
                canvas.draw()
            finally:
                for artist in self._animated:
                    artist.set_animated(False)  # so figure.savefig(...) still shows everything
            self._background = canvas.copy_from_bbox(figure.bbox)
            self._background_key = key
        else:
            canvas.restore_region(self._background)
        self._update_dynamic()
        for artist in self._animated:
            if with_text or artist is not self._text:
                figure.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())

    def render_png(self, compress_level=6, with_text=True):
        """PNG bytes of the current picture, the summary line under the plots included unless with_text=False."""
        from PIL import Image

        rgba = self._render(with_text)
        height, width = rgba.shape[:2]
        image = Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=compress_level)
        return buffer.getvalue()

    @property
    def summary(self):
        """One line saying what the picture shows (the line under the plots)."""
        return self._summary()

    def render_frame(self):
        """JPEG bytes of the plots without the summary line: the live picture of the widget view.

        JPEG at quality 92 without chroma subsampling looks like the PNG on these plots and encodes
        about six times faster, which is most of the budget of a slider move.
        """
        from PIL import Image

        rgba = self._render(with_text=False)
        height, width = rgba.shape[:2]
        image = Image.frombuffer("RGBX", (width, height), rgba, "raw", "RGBX", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="jpeg", quality=92, subsampling=0)
        return buffer.getvalue()

    def redraw(self):
        """Update the picture for the current state and push it to the widget view; returns its bytes.

        This is the whole drawing cost of one slider move after ``set``: the plots as a JPEG frame
        (``render_frame``), and the summary line as text under it.
        """
        frame = self.render_frame()
        if self._image is not None:
            self._image.value = frame
            self._status.value = f"<pre style='margin:0'>{html.escape(self._summary())}</pre>"
        return frame

    # ---------------------------------------------------------------- widgets

    @property
    def widget(self):
        """The ipywidgets view (controls above the picture), built on first use."""
        if self._widget is None:
            import ipywidgets as widgets

            self._message = widgets.HTML(value="")
            self._status = widgets.HTML(value="")
            rows, self._controls_by_name = self._controls(widgets)
            for name, control in self._controls_by_name.items():
                control.observe(self._control_observer(name), names="value")
            # shown at the size it is drawn (never stretched and blurred), narrower only on a narrow page
            width = round(self.figure.get_figwidth() * self.figure.dpi)
            self._image = widgets.Image(value=b"", format="jpeg",
                                        layout=widgets.Layout(width=f"{width}px", max_width="100%"))
            self._widget = widgets.VBox([*rows, self._image, self._status, self._message])
            self._sync_controls()
            self.redraw()
        return self._widget

    def _guarded(self, action, *args):
        """Run a widget callback; a bad value or a broken student function shows up as a message."""
        try:
            action(*args)
            if self._message is not None:
                self._message.value = ""
        except Exception as exc:
            if self._message is None:
                raise
            self._message.value = f"<span style='color:#b00'>{html.escape(_short_error(exc))}</span>"

    def _control_observer(self, name):
        def observe(change):
            if not self._syncing:
                self._guarded(lambda: self.set(**{name: change["new"]}))

        return observe

    def _sync_controls(self):
        """Move the widgets to ``self.values`` (after ``set`` from code) without re-triggering them."""
        if not self._controls_by_name:
            return
        self._syncing = True
        try:
            for name, control in self._controls_by_name.items():
                value = self.values[name]
                options = getattr(control, "options", None)
                if options is not None:
                    allowed = [o[1] if isinstance(o, tuple) else o for o in options]
                    if value not in allowed:
                        continue
                if control.value != value:
                    control.value = value
            self._sync_extra()
        finally:
            self._syncing = False

    def _sync_extra(self):
        pass

    # ---------------------------------------------------------------- display

    def _mimebundle(self):
        bundle = {
            "text/plain": f"{_NO_WIDGETS} {self._caption()}.",
            "image/png": base64.b64encode(self.render_png()).decode("ascii"),
        }
        try:
            widget = self.widget
        except ImportError:  # no ipywidgets installed: the picture and the sentence still show
            return bundle
        bundle[WIDGET_VIEW_MIMETYPE] = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
        return bundle

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self._mimebundle()

    def show(self):
        """Display the controls; front ends without widgets show a static picture and one line of text.

        The output is one mime bundle: the widget view (JupyterLab with ipywidgets), a PNG of the
        current picture (HTML exports, nbval, front ends without widgets) and a sentence (text
        consoles). Outside IPython it prints the sentence.
        """
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is None:
            print(f"{_NO_WIDGETS} {self._caption()}.")
            return
        display(self._mimebundle(), raw=True)

    def __repr__(self):
        return f"{type(self).__name__}({self._caption()})"


# Axis extents from coarse ladders, kept "sticky" (widened at once, narrowed only when the data fit
# two rungs lower): over a whole slider drag the still part of a picture is then seldom redrawn.
_RANGE_LADDER = [3.0] + [3.0 * 10.0 ** (2**j) for j in range(9)]  # 3, 30, 300, 3e4, 3e8, ..., 3e256
_LOG_LADDER = [3, 6, 12, 24, 48, 96, 192, 300]  # log-axis limits 10**-e .. 10**e


def _sticky_rung(ladder, needed, previous):
    """Index of the rung to use: the smallest holding `needed`, unless the previous one still fits."""
    rung = next((i for i, value in enumerate(ladder) if value >= needed), len(ladder) - 1)
    if previous is None or rung > previous or rung <= previous - 2:
        return rung
    return previous


def _log_reach(values):
    """How far (as a factor, with room) the positive finite values reach from 1 in either direction."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return 1.0
    return max(3.0 * values.max(), 3.0 / values.min())
