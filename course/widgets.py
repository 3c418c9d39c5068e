"""Interactive explorers for notebooks 05 (initialisation), 06 (regularisation) and 07 (optimisers).

Each explorer keeps its computation apart from its drawing, so it can be driven from code::

    explorer = OptimizerExplorer({"momentum": momentum_update, "adam": adam_update})
    state = explorer.set(optimizer="momentum", kappa=100)   # recompute; returns a dict of results
    explorer.set_optimal()                                  # best lr and beta for this kappa
    explorer.show()                                         # sliders and pictures in JupyterLab

``set(**values)`` recomputes and returns ``explorer.state``; ``explorer.figure`` is the
matplotlib figure of the current state; ``show()`` displays the controls. Where no widget front
end runs (an HTML export, nbval, a terminal) ``show()`` still leaves a static picture and one
line of text saying which values it shows.

The update rules, initialisers and regularisers you write in the notebooks are *passed in*:
this module contains none of them (plain gradient descent is the one rule built in).
Nothing here uses NumPy's global random state; every random draw comes from a seeded
``numpy.random.Generator``.
"""

import base64
import contextlib
import html
import inspect
import io
import math
import numbers
import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

__all__ = [
    "OptimizerExplorer",
    "InitializationExplorer",
    "RegularizationExplorer",
    "theoretical_rate",
    "optimal_hyperparameters",
    "measured_rate",
]

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
        except Exception:  # threadpoolctl missing or unable to inspect the libraries
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
            self._image = widgets.Image(value=b"", format="jpeg")
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


# ============================================================================ optimisers

# name -> (function the student writes, label for people)
_OPTIMIZERS = {
    "gd": (None, "gradient descent"),
    "momentum": ("momentum_update", "momentum"),
    "nesterov": ("nesterov_update", "Nesterov momentum"),
    "adagrad": ("adagrad_update", "AdaGrad"),
    "rmsprop": ("rmsprop_update", "RMSProp"),
    "adam": ("adam_update", "Adam"),
}
_SURFACES = ("quadratic", "rosenbrock")
_VIEW = {"quadratic": (-2.5, 2.5, -2.5, 2.5), "rosenbrock": (-2.0, 2.0, -1.0, 3.0)}
_OPTIMUM = {"quadratic": (0.0, 0.0), "rosenbrock": (1.0, 1.0)}
_DIVERGED = 1e8  # |w| beyond this counts as diverged; the run stops there


def _surface_loss_grad(surface, kappa):
    """f(w), grad f(w) for w of shape (2, 1), as fast scalar code."""
    if surface == "quadratic":
        def loss_grad(w):
            x, y = float(w[0, 0]), float(w[1, 0])
            return 0.5 * (x * x + kappa * y * y), np.array([[x], [kappa * y]])
    else:
        def loss_grad(w):
            x, y = float(w[0, 0]), float(w[1, 0])
            a, b = 1.0 - x, y - x * x
            return a * a + 100.0 * b * b, np.array([[-2.0 * a - 400.0 * x * b], [200.0 * b]])
    return loss_grad


def _surface_grid(surface, kappa, x, y):
    X, Y = np.meshgrid(x, y)
    if surface == "quadratic":
        return 0.5 * (X * X + kappa * Y * Y)
    return (1.0 - X) ** 2 + 100.0 * (Y - X * X) ** 2


def _largest_root_modulus(b, c):
    """Largest |r| over the roots of r^2 - b r + c = 0."""
    disc = b * b - 4.0 * c
    if disc >= 0:
        s = math.sqrt(disc)
        return max(abs(b + s), abs(b - s)) / 2.0
    return math.sqrt(c)  # complex pair: |r|^2 = product of the roots = c


def theoretical_rate(optimizer, lr, beta, kappa):
    """Asymptotic contraction per step on f(w) = 0.5 (w1^2 + kappa w2^2), eigenvalues 1 and kappa.

    gd: max_i |1 - lr lambda_i|. momentum (heavy ball): max_i of the largest |r| solving
    r^2 - (1 + beta - lr lambda_i) r + beta = 0. nesterov: r^2 - (1 + beta)(1 - lr lambda_i) r
    + beta (1 - lr lambda_i) = 0. None for the adaptive methods, which are not linear iterations.
    """
    rates = []
    for lam in (1.0, float(kappa)):
        if optimizer == "gd":
            rates.append(abs(1.0 - lr * lam))
        elif optimizer == "momentum":
            rates.append(_largest_root_modulus(1.0 + beta - lr * lam, beta))
        elif optimizer == "nesterov":
            rates.append(_largest_root_modulus((1.0 + beta) * (1.0 - lr * lam), beta * (1.0 - lr * lam)))
        else:
            return None
    return max(rates)


def optimal_hyperparameters(optimizer, kappa):
    """Best constant (lr, beta) on the quadratic with mu = 1, L = kappa, or None where theory has none.

    gd: lr = 2 / (L + mu). Heavy ball: lr = 4 / (sqrt(L) + sqrt(mu))^2,
    beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2. Nesterov (Lessard, Recht and Packard 2016):
    lr = 4 / (3 L + mu), beta = (sqrt(3 kappa + 1) - 2) / (sqrt(3 kappa + 1) + 2).
    """
    kappa = float(kappa)
    root = math.sqrt(kappa)
    if optimizer == "gd":
        return 2.0 / (kappa + 1.0), None
    if optimizer == "momentum":
        return 4.0 / (root + 1.0) ** 2, ((root - 1.0) / (root + 1.0)) ** 2
    if optimizer == "nesterov":
        s = math.sqrt(3.0 * kappa + 1.0)
        return 4.0 / (3.0 * kappa + 1.0), (s - 2.0) / (s + 2.0)
    return None


def measured_rate(trajectory, optimum):
    """Per-step contraction of the distance to the optimum over the tail of a run.

    The geometric mean of d[k+1] / d[k] over the second half of the usable iterates (finite,
    not yet at underflow), fitted by least squares on log d so that the oscillation of momentum
    methods averages out. None when too few iterates are usable.
    """
    d = np.hypot(trajectory[:, 0] - optimum[0], trajectory[:, 1] - optimum[1])
    usable = np.isfinite(d) & (d > 1e-250)
    stop = int(np.argmin(usable)) if not usable.all() else d.size  # first unusable iterate
    start = stop // 2
    if stop - start < 4:
        return None
    k = np.arange(start, stop, dtype=float)
    slope = np.polyfit(k, np.log(d[start:stop]), 1)[0]
    return float(math.exp(slope))


class OptimizerExplorer(_Explorer):
    """Optimisers on a 2-D surface: contour plot with the path, the loss, and convergence rates.

    ``updates`` maps optimiser names to your functions (course signatures, params {"w": (2, 1)},
    grads {"dw": (2, 1)}, state dicts keyed like params)::

        "momentum": momentum_update(params, grads, velocity, lr, beta) -> (params, velocity)
        "nesterov": nesterov_update(params, grads, velocity, lr, beta) -> (params, velocity)
        "adagrad":  adagrad_update(params, grads, cache, lr, eps=1e-8) -> (params, cache)
        "rmsprop":  rmsprop_update(params, grads, cache, lr, rho=0.9, eps=1e-8) -> (params, cache)
        "adam":     adam_update(params, grads, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8) -> (params, m, v)

    "gd" (plain gradient descent) is built in. One that is missing, or still raises
    NotImplementedError, is listed in ``unavailable`` instead of breaking the explorer.

    Controls (``set(**values)``): lr, beta (momentum and Nesterov only), kappa (condition number
    of f(w) = 0.5 (w1^2 + kappa w2^2)), surface ("quadratic" or "rosenbrock"), optimizer,
    x0 and y0 (start), iterations, tol. ``state`` holds "trajectory" (T+1, 2), "losses" (T+1,),
    "iterations_to_tolerance" (first k with loss < tol, or None), "measured_rate" and
    "theoretical_rate" (gd, momentum and Nesterov on the quadratic; None otherwise),
    "diverged", "available" and "message".
    """

    _defaults = {
        "lr": 0.1,
        "beta": 0.9,
        "kappa": 10.0,
        "surface": "quadratic",
        "optimizer": "gd",
        "x0": -1.5,
        "y0": 1.5,
        "iterations": 100,
        "tol": 1e-6,
    }

    def __init__(self, updates=None, **values):
        super().__init__()
        updates = dict(updates or {})
        unknown = sorted(set(updates) - set(_OPTIMIZERS))
        if unknown:
            raise ValueError(f"unknown optimiser(s) {unknown}; choose among {list(_OPTIMIZERS)[1:]}")
        self._updates = updates
        self.unavailable = {}
        for name, (function_name, label) in _OPTIMIZERS.items():
            if name == "gd":
                continue
            reason = self._probe(name, updates.get(name))
            if reason:
                self.unavailable[name] = reason
        self.frame = None
        self._contour = None
        self._contour_key = None
        self.set(**values)

    @property
    def optimizers(self):
        """Names of the optimisers that can run now."""
        return [name for name in _OPTIMIZERS if name not in self.unavailable]

    # ---------------------------------------------------------------- student functions

    def _probe(self, name, function):
        """None if `function` runs one step on a tiny problem; otherwise why it cannot be used."""
        function_name, label = _OPTIMIZERS[name]
        todo = f"write {function_name} above to try {label}"
        if function is None:
            return todo
        params, grads = {"w": np.array([[1.0], [-2.0]])}, {"dw": np.array([[0.5], [-1.0]])}
        try:
            with np.errstate(all="ignore"):
                self._stepper(name, function, lr=0.01, beta=0.9)(params, grads, 1)
        except NotImplementedError:
            return todo
        except Exception as exc:
            return f"{function_name} fails on a small example ({_short_error(exc)}): fix it above to try {label}"
        return None

    @staticmethod
    def _stepper(name, function, lr, beta):
        """step(params, grads, t) -> params, holding the optimiser's state between calls."""
        function_name = _OPTIMIZERS[name][0]

        def zeros():  # a fresh state dict each: a function that updates its state in place harms nothing else
            return {"w": np.zeros((2, 1))}

        def checked(params):
            if not isinstance(params, dict) or "w" not in params:
                raise TypeError(f"{function_name} must return params as a dict with key 'w', got {type(params).__name__}")
            w = np.asarray(params["w"], dtype=float)
            if w.shape != (2, 1):
                raise ValueError(f"{function_name} returned params['w'] of shape {w.shape}, expected (2, 1)")
            return {"w": w}

        def unpack(result, count):
            if not isinstance(result, (tuple, list)) or len(result) != count:
                raise TypeError(f"{function_name} must return a tuple of {count} values, got {type(result).__name__}")
            return result

        if name == "gd":
            return lambda params, grads, t: {"w": params["w"] - lr * grads["dw"]}
        if name in ("momentum", "nesterov"):
            memory = {"velocity": zeros()}

            def step(params, grads, t):
                new, memory["velocity"] = unpack(function(params, grads, memory["velocity"], lr, beta), 2)
                return checked(new)
        elif name in ("adagrad", "rmsprop"):
            memory = {"cache": zeros()}

            def step(params, grads, t):
                new, memory["cache"] = unpack(function(params, grads, memory["cache"], lr), 2)
                return checked(new)
        else:  # adam
            memory = {"m": zeros(), "v": zeros()}

            def step(params, grads, t):
                new, memory["m"], memory["v"] = unpack(function(params, grads, memory["m"], memory["v"], t, lr), 3)
                return checked(new)
        return step

    # ---------------------------------------------------------------- computation

    def _validate(self, name, value):
        if name == "lr":
            return _real(value, "lr", 0.0, low_open=True)
        if name == "beta":
            return _real(value, "beta", 0.0, 0.999999)
        if name == "kappa":
            return _real(value, "kappa", 1.0)
        if name == "surface":
            return _choice(value, "surface", _SURFACES)
        if name == "optimizer":
            return _choice(value, "optimizer", list(_OPTIMIZERS))
        if name in ("x0", "y0"):
            return _real(value, name)
        if name == "iterations":
            return _integer(value, "iterations", 1, 100_000)
        if name == "tol":
            return _real(value, "tol", 0.0, low_open=True)
        raise AssertionError(name)

    def _compute(self):
        v = self.values
        T, name, surface = v["iterations"], v["optimizer"], v["surface"]
        loss_grad = _surface_loss_grad(surface, v["kappa"])
        trajectory = np.full((T + 1, 2), np.nan)
        losses = np.full(T + 1, np.nan)
        w = np.array([[v["x0"]], [v["y0"]]])
        trajectory[0] = w[:, 0]
        losses[0] = loss_grad(w)[0]
        available = name not in self.unavailable
        message = self.unavailable.get(name, "")
        diverged = False
        if available:
            step = self._stepper(name, self._updates.get(name), v["lr"], v["beta"])
            with np.errstate(all="ignore"):
                try:
                    for t in range(1, T + 1):
                        grads = {"dw": loss_grad(w)[1]}
                        w = step({"w": w}, grads, t)["w"]
                        if not np.all(np.isfinite(w)):
                            diverged = True
                            break
                        trajectory[t] = w[:, 0]
                        losses[t] = loss_grad(w)[0]
                        if np.max(np.abs(w)) > _DIVERGED:
                            diverged = True
                            break
                except NotImplementedError:
                    available, message = False, f"write {_OPTIMIZERS[name][0]} above to try {_OPTIMIZERS[name][1]}"
                    self.unavailable[name] = message
                except Exception as exc:
                    available = False
                    message = f"{_OPTIMIZERS[name][0]} failed at step {t}: {_short_error(exc)}"
        if diverged:
            message = f"diverged at step {t}"
        below = np.flatnonzero(losses < v["tol"])
        quadratic_theory = surface == "quadratic" and name in ("gd", "momentum", "nesterov") and available
        theory = theoretical_rate(name, v["lr"], v["beta"], v["kappa"]) if quadratic_theory else None
        self.state = {
            "trajectory": trajectory,
            "losses": losses,
            "iterations_to_tolerance": int(below[0]) if below.size else None,
            "measured_rate": measured_rate(trajectory, _OPTIMUM[surface]) if quadratic_theory else None,
            "theoretical_rate": theory,
            "diverged": diverged,
            "available": available,
            "message": message,
            "optimum": _OPTIMUM[surface],
        }
        self.frame = T

    def set_optimal(self):
        """Set lr (and beta) to their optimal values for the current kappa and optimiser; recompute.

        gd: lr = 2 / (L + mu); momentum: lr = 4 / (sqrt(L) + sqrt(mu))^2,
        beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2; Nesterov: see ``optimal_hyperparameters``.
        mu = 1, L = kappa (the quadratic's curvatures). The adaptive methods have no such
        formula: their values stay and ``state["message"]`` says so.
        """
        best = optimal_hyperparameters(self.values["optimizer"], self.values["kappa"])
        if best is None:
            self.state["message"] = f"no optimal-rate formula for {_OPTIMIZERS[self.values['optimizer']][1]}"
            if self._widget is not None:
                self.redraw()
            return self.state
        lr, beta = best
        return self.set(lr=lr) if beta is None else self.set(lr=lr, beta=beta)

    def show_steps(self, k):
        """Draw only the first k steps of the current trajectory (the Play control); no recompute."""
        self.frame = max(0, min(int(k), self.values["iterations"]))
        if self._image is not None:
            self._image.value = self.render_frame()

    # ---------------------------------------------------------------- drawing

    def _build_figure(self):
        figure = _new_figure(9.0, 3.7, 80)
        grid = figure.add_gridspec(1, 2, left=0.065, right=0.98, top=0.91, bottom=0.21, wspace=0.22,
                                   width_ratios=[1.1, 1.0])
        self._ax_surface = figure.add_subplot(grid[0])
        self._ax_loss = figure.add_subplot(grid[1])
        ax = self._ax_surface
        (self._path_line,) = ax.plot([], [], "-", color="C3", lw=1.3, marker="o", ms=2.5)
        (self._start_marker,) = ax.plot([], [], "o", color="k", ms=6)
        (self._optimum_marker,) = ax.plot([], [], "*", color="gold", mec="k", ms=13)
        (self._head_marker,) = ax.plot([], [], "o", color="C3", ms=7, mec="k")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax = self._ax_loss
        ax.set_yscale("log")
        (self._loss_line,) = ax.plot([], [], "-", color="C3", lw=1.5)
        self._tol_line = ax.axhline(1.0, color="0.5", ls="--", lw=1)
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss")
        ax.grid(True, which="major", alpha=0.3)
        self._text = figure.text(0.01, 0.03, "", fontsize=9, family="monospace")
        self._contour = ax.plot([], [])[0]  # stands in until _update_contours draws the level lines
        self._contour_key = None
        self._animated = [self._contour, self._path_line, self._start_marker, self._optimum_marker,
                          self._head_marker, self._loss_line, self._text]
        return figure

    def _static_spec(self):
        v = self.values
        loss0 = self.state["losses"][0]
        top = 10.0 ** (math.ceil(math.log10(loss0)) + 1) if loss0 > 0 else 10.0  # a diverging run leaves the top
        bottom = min(1e-20, v["tol"] / 100)
        return {"surface": v["surface"], "optimizer": v["optimizer"], "iterations": v["iterations"],
                "tol": v["tol"], "loss_limits": (bottom, max(top, 10 * v["tol"]))}

    def _update_static(self, spec):
        ax = self._ax_surface
        x0, x1, y0, y1 = _VIEW[spec["surface"]]
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        where = "the quadratic" if spec["surface"] == "quadratic" else "the Rosenbrock function"
        ax.set_title(f"{_OPTIMIZERS[spec['optimizer']][1]} on {where}", fontsize=10)
        ax = self._ax_loss
        ax.set_xlim(0, spec["iterations"])
        ax.set_ylim(*spec["loss_limits"])
        self._tol_line.set_ydata([spec["tol"], spec["tol"]])
        ax.set_title(f"loss (tolerance {_g(spec['tol'])} dashed)", fontsize=10)

    def _update_contours(self):
        """Level lines of the surface: recomputed (on a 61 x 61 grid) only when the surface or kappa change."""
        surface, kappa = self.values["surface"], self.values["kappa"]
        if (surface, kappa) == self._contour_key:
            return
        if self._contour is not None:
            self._contour.remove()
        x0, x1, y0, y1 = _VIEW[surface]
        xs, ys = np.linspace(x0, x1, 61), np.linspace(y0, y1, 61)
        levels = 0.5 * np.geomspace(0.05, 3.0, 12) ** 2 if surface == "quadratic" else np.geomspace(0.05, 2500.0, 14)
        self._contour = self._ax_surface.contour(xs, ys, _surface_grid(surface, kappa, xs, ys), levels=levels,
                                                 colors="0.6", linewidths=0.8)
        self._contour_key = (surface, kappa)
        self._animated[0] = self._contour

    def _update_dynamic(self):
        v, state = self.values, self.state
        self._update_contours()
        k = min(self.frame, v["iterations"])
        path = state["trajectory"][: k + 1]
        self._path_line.set_data(path[:, 0], path[:, 1])
        finite = path[np.isfinite(path[:, 0])]
        self._head_marker.set_data(finite[-1:, 0], finite[-1:, 1])
        self._start_marker.set_data([v["x0"]], [v["y0"]])
        self._optimum_marker.set_data([state["optimum"][0]], [state["optimum"][1]])
        bottom = self._ax_loss.get_ylim()[0]
        losses = np.maximum(state["losses"][: k + 1], bottom)  # a loss of exactly 0 sits on the axis
        self._loss_line.set_data(np.arange(losses.size), losses)
        self._text.set_text(self._summary())

    def _summary(self):
        state, v = self.state, self.values
        head = f"lr {_g(v['lr'])}" + (f", beta {_g(v['beta'])}" if v["optimizer"] in ("momentum", "nesterov") else "")
        if v["surface"] == "quadratic":
            head += f", kappa {_g(v['kappa'])}"
        if not state["available"]:
            return f"{head}: {state['message']}"
        reached = state["iterations_to_tolerance"]
        parts = [head, f"loss < {_g(v['tol'])} " + ("not reached" if reached is None else f"after {reached} steps")]
        if state["theoretical_rate"] is not None:
            parts.append(f"rate measured {_g(state['measured_rate'])}, theory {_g(state['theoretical_rate'])}")
        if state["message"]:
            parts.append(state["message"])
        return " | ".join(parts)

    def _caption(self):
        v = self.values
        text = (f"optimizer={v['optimizer']}, lr={_g(v['lr'])}, beta={_g(v['beta'])}, kappa={_g(v['kappa'])}, "
                f"surface={v['surface']}, start=({_g(v['x0'])}, {_g(v['y0'])}), iterations={v['iterations']}")
        if self.state is not None:
            text += f" ({self._summary()})"
        return text

    # ---------------------------------------------------------------- widgets

    def _controls(self, widgets):
        style = {"description_width": "90px"}
        wide = widgets.Layout(width="320px")
        options = [(label if name not in self.unavailable else f"{label} (not written yet)", name)
                   for name, (_, label) in _OPTIMIZERS.items()]
        controls = {
            "optimizer": widgets.Dropdown(options=options, description="optimizer", style=style),
            "surface": widgets.Dropdown(options=list(_SURFACES), description="surface", style=style),
            "lr": widgets.FloatLogSlider(base=10, min=-4, max=0.5, step=0.02, description="learning rate",
                                         readout_format=".2g", style=style, layout=wide),
            "beta": widgets.FloatSlider(min=0.0, max=0.99, step=0.01, description="momentum beta",
                                        style=style, layout=wide),
            "kappa": widgets.FloatLogSlider(base=10, min=0, max=3, step=0.02, description="kappa",
                                            readout_format=".3g", style=style, layout=wide),
            "x0": widgets.FloatSlider(min=-2.0, max=2.0, step=0.05, description="start w1", style=style, layout=wide),
            "y0": widgets.FloatSlider(min=-1.0, max=2.5, step=0.05, description="start w2", style=style, layout=wide),
            "iterations": widgets.IntSlider(min=10, max=1000, step=10, description="iterations",
                                            style=style, layout=wide),
        }
        optimal = widgets.Button(description="optimal lr, beta", tooltip="set_optimal(): best values for this kappa")
        optimal.on_click(lambda _: self._guarded(self.set_optimal))
        self._optimal_button = optimal
        self._play = widgets.Play(min=0, max=self.values["iterations"], step=1, interval=60, description="play")
        self._step_slider = widgets.IntSlider(min=0, max=self.values["iterations"], description="steps shown",
                                              style=style, layout=wide)
        widgets.jslink((self._play, "value"), (self._step_slider, "value"))
        self._step_slider.observe(
            lambda change: None if self._syncing else self._guarded(self.show_steps, change["new"]), names="value")
        rows = [
            widgets.HBox([controls["optimizer"], controls["surface"], optimal]),
            widgets.HBox([controls["lr"], controls["beta"], controls["kappa"]]),
            widgets.HBox([controls["x0"], controls["y0"], controls["iterations"]]),
            widgets.HBox([self._play, self._step_slider]),
        ]
        return rows, controls

    def _sync_extra(self):
        T = self.values["iterations"]
        self._play.playing = False
        self._play.max = T
        self._step_slider.max = T
        self._play.value = T
        self._step_slider.value = T
        name = self.values["optimizer"]
        self._controls_by_name["beta"].disabled = name not in ("momentum", "nesterov")
        self._optimal_button.disabled = optimal_hyperparameters(name, self.values["kappa"]) is None


# ======================================================================== initialisation

_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


def _activate(name, Z, A, slope):
    """Write g(Z) into A and g'(Z) into slope (the explorer's own forward and backward pass); return A."""
    if name == "tanh":
        np.tanh(Z, out=A)
        np.subtract(1.0, A * A, out=slope)
    elif name == "relu":
        np.maximum(Z, 0.0, out=A)
        np.greater(Z, 0.0, out=slope)  # relu'(0) = 0
    elif name == "sigmoid":
        np.tanh(0.5 * Z, out=A)  # the logistic function as 0.5 (1 + tanh(Z / 2)): no overflow for large |Z|
        A += 1.0
        A *= 0.5
        np.multiply(A, 1.0 - A, out=slope)
    else:
        A[...] = Z
        slope.fill(1.0)
    return A


def _layer_histograms(stack, bins, value_range, keep=None):
    """Counts (layers, bins) of each layer's values over value_range (as np.histogram), in one bincount."""
    layers = stack.shape[0]
    low, high = value_range
    values = stack.reshape(layers, -1)
    index = np.floor((values - low) * (bins / (high - low)))
    index[values == high] = bins - 1  # the last bin is closed, as in np.histogram
    inside = (index >= 0) & (index < bins)
    if keep is not None:
        inside &= keep.reshape(layers, -1)
    flat = (index + bins * np.arange(layers)[:, None])[inside].astype(np.intp)
    return np.bincount(flat, minlength=layers * bins).reshape(layers, bins).astype(float)


def _call_init(function, layer_sizes, rng, std):
    """Call an initialiser with the arguments it asks for: layer_sizes, and rng / std if required."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return function(layer_sizes, rng)
    kwargs = {}
    for name, wanted in (("rng", rng), ("std", std)):
        if name in parameters and parameters[name].default is inspect.Parameter.empty:
            kwargs[name] = wanted
    return function(layer_sizes, **kwargs)


class InitializationExplorer(_Explorer):
    """How activations and gradients spread through a deep random net, layer by layer.

    Controls (``set(**values)``): scale s (W[l] ~ N(0, (s / sqrt(n[l-1]))^2): s = 1 keeps the
    variance of a linear layer, s = sqrt(2) does so for ReLU), depth (1..20), width,
    activation ("tanh", "relu", "sigmoid", "linear"), and init. ``init_fns`` (optional) maps
    names to your initialisers, e.g. {"zeros": init_zeros, "xavier": init_xavier, "he": init_he};
    ``init`` then chooses one of them (the scale is ignored), or "scale" for the slider.
    Initialisers are called as f(layer_sizes), f(layer_sizes, rng) or f(layer_sizes, std, rng)
    (std = ``normal_std``) according to their signature.

    The net has ``depth`` layers of ``width`` units, the same activation in every layer, zero
    biases; it runs forward on a fixed batch X ~ N(0, 1) of ``batch_size`` examples and back
    from a random dC/dA[L] ~ N(0, 1). ``state`` holds, per layer l = 1..depth,
    "activation_stds" (std of A[l]), "gradient_stds" (std of delta[l] = dC/dZ[l]),
    "active_fractions" (share of A[l] > 0), and histograms
    "activation_hist" / "gradient_hist" (depth, bins) over "activation_range" / "gradient_range"
    (for ReLU the histograms leave out the exact zeros of the inactive units). Those ranges are
    fixed for tanh and sigmoid and otherwise sticky: they widen at once and narrow only when the
    values shrink a lot, so that the axes stay put while a slider moves.
    """

    _defaults = {"scale": 1.0, "depth": 10, "width": 64, "activation": "tanh", "init": "scale"}
    bins = 41

    def __init__(self, init_fns=None, batch_size=128, seed=0, normal_std=0.01, **values):
        super().__init__()
        self._init_fns = dict(init_fns or {})
        if "scale" in self._init_fns:
            raise ValueError("'scale' names the slider; give your initialiser another name")
        self.batch_size = _integer(batch_size, "batch_size", 1)
        self._rungs = {}  # current rung of each sticky axis extent
        self._draws = None  # (width, X, dC/dA[L], normals) of the last width used
        self.seed = seed
        self.normal_std = normal_std
        self.unavailable = {}
        for name, function in self._init_fns.items():
            reason = self._probe(name, function)
            if reason:
                self.unavailable[name] = reason
        if self._init_fns:  # the first initialiser that works is where the explorer starts
            self.values["init"] = next((n for n in self._init_fns if n not in self.unavailable), "scale")
        self.set(**values)

    def _probe(self, name, function):
        if function is None:
            return f"write the {name} initialiser above to try it"
        try:
            params = _call_init(function, [3, 4, 2], np.random.default_rng(0), self.normal_std)
            self._weights(params, [3, 4, 2], name)
        except NotImplementedError:
            return f"write {getattr(function, '__name__', name)} above to try it"
        except Exception as exc:
            return f"{getattr(function, '__name__', name)} fails on layer_sizes [3, 4, 2] ({_short_error(exc)})"
        return None

    @staticmethod
    def _weights(params, layer_sizes, name):
        weights = []
        for l in range(1, len(layer_sizes)):
            shape_W, shape_b = (layer_sizes[l], layer_sizes[l - 1]), (layer_sizes[l], 1)
            if not isinstance(params, dict) or f"W{l}" not in params or f"b{l}" not in params:
                raise KeyError(f"{name} must return a dict with W1, b1, ..., W{len(layer_sizes) - 1}")
            W, b = np.asarray(params[f"W{l}"], dtype=float), np.asarray(params[f"b{l}"], dtype=float)
            if W.shape != shape_W or b.shape != shape_b:
                raise ValueError(f"{name}: W{l} {W.shape}, b{l} {b.shape}; expected {shape_W} and {shape_b}")
            weights.append((W, b))
        return weights

    def _validate(self, name, value):
        if name == "scale":
            return _real(value, "scale", 0.0)
        if name == "depth":
            return _integer(value, "depth", 1, 20)
        if name == "width":
            return _integer(value, "width", 1, 512)
        if name == "activation":
            return _choice(value, "activation", _ACTIVATIONS)
        if name == "init":
            return _choice(value, "init", ["scale", *self._init_fns])
        raise AssertionError(name)

    def _compute(self):
        v = self.values
        depth, width, activation, init = v["depth"], v["width"], v["activation"], v["init"]
        sizes = [width] * (depth + 1)
        X, top_gradient, normals = self._draws_for(width)
        available, message = init not in self.unavailable, self.unavailable.get(init, "")
        weights = None
        if init == "scale":  # W[l] = the l-th draw: a deeper net keeps the layers of a shallower one
            weights = [(normals[l] * (v["scale"] / math.sqrt(width)), None) for l in range(depth)]
        elif available:
            try:
                params = _call_init(self._init_fns[init], sizes, np.random.default_rng([self.seed, 2]),
                                    self.normal_std)
                weights = self._weights(params, sizes, init)
            except NotImplementedError:
                available, message = False, f"write the {init} initialiser above to try it"
                self.unavailable[init] = message
            except Exception as exc:
                available, message = False, f"{init}: {_short_error(exc)}"
        nan = [float("nan")] * depth
        self.state = {"activation_stds": nan, "gradient_stds": list(nan),
                      "activation_hist": np.zeros((depth, self.bins)), "gradient_hist": np.zeros((depth, self.bins)),
                      "activation_range": (-1.0, 1.0), "gradient_range": (-1.0, 1.0), "active_fractions": list(nan),
                      "available": available, "message": message}
        if weights is None:
            return
        m = self.batch_size
        activations, slopes, deltas = (np.empty((depth, width, m)) for _ in range(3))
        with np.errstate(all="ignore"), _single_threaded_blas():
            A = X
            for l, (W, b) in enumerate(weights):
                Z = W @ A if b is None else W @ A + b
                A = _activate(activation, Z, activations[l], slopes[l])
            dA = top_gradient
            for l in range(depth - 1, -1, -1):
                np.multiply(dA, slopes[l], out=deltas[l])
                dA = weights[l][0].T @ deltas[l]
            act_range = self._range("activation", activation, activations)
            grad_range = self._range("gradient", "linear", deltas)
            relu = activation == "relu"
            k = min(m, max(16, 4096 // width))  # histograms from >= 4096 values a layer where there are that many
            self.state.update(
                activation_stds=[float(x) for x in activations.std(axis=(1, 2))],
                gradient_stds=[float(x) for x in deltas.std(axis=(1, 2))],
                # ReLU zeroes about half of its units: their spike at 0 would flatten every ridge, so the
                # histograms hold the values of the active units and "active_fractions" says how many.
                activation_hist=_layer_histograms(activations[:, :, :k], self.bins, act_range,
                                                  activations[:, :, :k] > 0 if relu else None),
                gradient_hist=_layer_histograms(deltas[:, :, :k], self.bins, grad_range,
                                                deltas[:, :, :k] != 0 if relu else None),
                active_fractions=[float(x) for x in (activations > 0).mean(axis=(1, 2))],
                activation_range=act_range,
                gradient_range=grad_range,
            )

    def _draws_for(self, width):
        """X (width, m), dC/dA[L] (width, m) and 20 standard-normal (width, width) draws, seeded and cached."""
        if self._draws is None or self._draws[0] != width:
            data_rng = np.random.default_rng(self.seed)
            X = data_rng.standard_normal((width, self.batch_size))
            normals = data_rng.standard_normal((20, width, width))  # W1 first, then W2, ...
            top_gradient = np.random.default_rng([self.seed, 1]).standard_normal((width, self.batch_size))
            self._draws = (width, X, top_gradient, normals)
        return self._draws[1:]

    def _range(self, which, activation, arrays):
        """Histogram range: fixed for tanh and sigmoid; otherwise from _RANGE_LADDER (sticky).

        X and dC/dA[L] are N(0, 1): +-3 holds a layer that keeps their scale; layers that grow
        widen it to 30, 300, 3e4, ...
        """
        if activation == "tanh":
            return (-1.0, 1.0)
        if activation == "sigmoid":
            return (0.0, 1.0)
        flat = arrays.reshape(arrays.shape[0], -1)
        needed = 2.0 * math.sqrt(float(np.max(np.einsum("li,li->l", flat, flat))) / flat.shape[1])  # largest rms
        needed = needed if math.isfinite(needed) else _RANGE_LADDER[-1]
        self._rungs[which] = _sticky_rung(_RANGE_LADDER, needed, self._rungs.get(which))
        r = _RANGE_LADDER[self._rungs[which]]
        return (0.0, r) if activation == "relu" else (-r, r)

    # ---------------------------------------------------------------- drawing

    def _build_figure(self):
        figure = _new_figure(10.0, 3.9, 80)
        grid = figure.add_gridspec(1, 3, left=0.045, right=0.985, top=0.91, bottom=0.2, wspace=0.22)
        self._ax_act, self._ax_grad, self._ax_std = (figure.add_subplot(grid[i]) for i in range(3))
        # All ridges of a panel are one LineCollection: a single draw call however deep the net.
        self._act_ridges = self._ax_act.add_collection(LineCollection([], colors="C0", linewidths=1.1),
                                                       autolim=False)
        self._grad_ridges = self._ax_grad.add_collection(LineCollection([], colors="C1", linewidths=1.1),
                                                         autolim=False)
        self._layer_labels = []
        for ax in (self._ax_act, self._ax_grad):
            # One ridge per layer, layer 1 at the top, in axes units so that depth moves no axis.
            ax.set_ylim(0.0, 1.0)
            ax.set_yticks([])
            ax.set_ylabel("layer l, from 1 (top) down")
            self._layer_labels += [ax.text(-0.015, 0.0, "", transform=ax.transAxes, ha="right", va="bottom",
                                           fontsize=8) for _ in range(2)]
        self._ax_act.set_title("activations, per layer", fontsize=10)
        self._ax_grad.set_title("backpropagated errors, per layer", fontsize=10)
        ax = self._ax_std
        ax.set_yscale("log")
        (self._act_std_line,) = ax.plot([], [], "o-", color="C0", ms=3, label="std A[l]")
        (self._grad_std_line,) = ax.plot([], [], "s-", color="C1", ms=3, label="std delta[l]")
        ax.set_xlim(0.5, 20.5)
        ax.set_xticks([1, 5, 10, 15, 20])
        ax.set_xlabel("layer l")
        ax.set_title("standard deviation per layer", fontsize=10)
        self._legend = ax.legend(loc="upper right", fontsize=8)
        ax.grid(True, alpha=0.3)
        self._text = figure.text(0.01, 0.03, "", fontsize=9, family="monospace")
        self._animated = [self._act_ridges, self._grad_ridges, *self._layer_labels, self._act_std_line,
                          self._grad_std_line, self._legend, self._text]
        return figure

    def _static_spec(self):
        state = self.state
        stds = np.concatenate([state["activation_stds"], state["gradient_stds"]])
        return {"activation": self.values["activation"], "activation_range": state["activation_range"],
                "gradient_range": state["gradient_range"], "std_limits": self._std_limits(stds)}

    def _std_limits(self, stds):
        self._rungs["std"] = _sticky_rung(_LOG_LADDER, math.log10(_log_reach(stds)), self._rungs.get("std"))
        exponent = _LOG_LADDER[self._rungs["std"]]
        return (10.0 ** -exponent, 10.0 ** exponent)

    def _update_static(self, spec):
        self._ax_act.set_xlim(*spec["activation_range"])
        self._ax_grad.set_xlim(*spec["gradient_range"])
        relu = spec["activation"] == "relu"
        self._ax_act.set_xlabel("A[l] > 0 (ReLU: the active units)" if relu else "A[l]")
        self._ax_grad.set_xlabel("delta[l] of the active units" if relu else "delta[l] = dC/dZ[l]")
        self._ax_std.set_ylim(*spec["std_limits"])

    def _update_dynamic(self):
        state, depth = self.state, self.values["depth"]
        slot = 1.0 / depth
        for ridges, hist, (low, high) in (
            (self._act_ridges, state["activation_hist"], state["activation_range"]),
            (self._grad_ridges, state["gradient_hist"], state["gradient_range"]),
        ):
            centres = low + (np.arange(self.bins) + 0.5) * (high - low) / self.bins
            peaks = hist.max(axis=1, keepdims=True)
            heights = np.divide(hist, peaks, out=np.zeros_like(hist), where=peaks > 0)  # ridges of equal height
            bases = 1.0 - (np.arange(depth)[:, None] + 1) * slot
            ys = bases + 0.85 * slot * heights
            ridges.set_segments([np.column_stack([centres, y]) for y in ys])
        for top, bottom in zip(self._layer_labels[::2], self._layer_labels[1::2]):
            top.set_text("1")
            top.set_y(1.0 - slot)
            bottom.set_text(str(depth) if depth > 1 else "")
            bottom.set_y(0.0)
        layers = np.arange(1, depth + 1)
        act = np.asarray(state["activation_stds"], float)
        grad = np.asarray(state["gradient_stds"], float)
        self._act_std_line.set_data(layers, np.where(act > 0, act, np.nan))  # a std of 0 has no place on a log axis
        self._grad_std_line.set_data(layers, np.where(grad > 0, grad, np.nan))
        self._text.set_text(self._summary())

    def _summary(self):
        state, v = self.state, self.values
        if not state["available"]:
            return state["message"]
        act = state["activation_stds"]
        grad = state["gradient_stds"]
        L = v["depth"]
        return (f"{self._init_text()}, {v['activation']}:  std A[1] {_g(act[0], 2)} -> A[{L}] {_g(act[-1], 2)}"
                f"   std delta[{L}] {_g(grad[-1], 2)} -> delta[1] {_g(grad[0], 2)}")

    def _init_text(self):
        v = self.values
        return f"W ~ N(0, ({_g(v['scale'])}/sqrt(n_in))^2)" if v["init"] == "scale" else f"init {v['init']}"

    def _caption(self):
        v = self.values
        text = (f"init={v['init']}" + (f", scale={_g(v['scale'])}" if v["init"] == "scale" else "")
                + f", depth={v['depth']}, width={v['width']}, activation={v['activation']}")
        if self.state is not None and self.state["available"]:
            act = self.state["activation_stds"]
            text += f" (std A[1] = {_g(act[0], 2)}, std A[{v['depth']}] = {_g(act[-1], 2)})"
        return text

    # ---------------------------------------------------------------- widgets

    def _controls(self, widgets):
        style = {"description_width": "80px"}
        wide = widgets.Layout(width="320px")
        controls = {
            "scale": widgets.FloatLogSlider(base=10, min=-2, max=0.7, step=0.01, description="weight scale",
                                            readout_format=".3g", style=style, layout=wide),
            "depth": widgets.IntSlider(min=1, max=20, description="depth", style=style, layout=wide),
            "width": widgets.IntSlider(min=8, max=128, step=8, description="width", style=style, layout=wide),
            "activation": widgets.Dropdown(options=list(_ACTIVATIONS), description="activation", style=style),
        }
        rows = [widgets.HBox([controls["scale"], controls["depth"], controls["width"]])]
        if self._init_fns:
            options = [("scale slider", "scale")] + [
                (name if name not in self.unavailable else f"{name} (not written yet)", name) for name in self._init_fns]
            controls["init"] = widgets.Dropdown(options=options, description="init", style=style)
            rows.append(widgets.HBox([controls["activation"], controls["init"]]))
        else:
            rows.append(widgets.HBox([controls["activation"]]))
        return rows, controls

    def _sync_extra(self):
        self._controls_by_name["scale"].disabled = self.values["init"] != "scale"


# ======================================================================== regularisation


class RegularizationExplorer(_Explorer):
    """L2 and dropout on a 2-D classification problem: decision boundary and train vs test accuracy.

    ``train_fn(lambd, keep_prob) -> predict`` trains a model (written in the notebook from your
    L2 and dropout functions); ``predict(X)`` maps X (2, m) to probabilities (1, m) of class 1.
    Every (lambd, keep_prob) pair is trained once, on first use, and cached, so moving back to a
    pair is instant; ``precompute()`` trains them all up front. Y arrays hold 0/1 labels (1, m).

    ``set(lambd=..., keep_prob=...)`` returns ``state`` with "train_accuracy", "test_accuracy",
    "grid_x", "grid_y", "grid_probabilities" (the decision-boundary grid), and "curve": train and
    test accuracy across ``lambdas`` at the current keep_prob (NaN where not trained yet).
    """

    def __init__(self, train_fn, X_train, Y_train, X_test, Y_test,
                 lambdas=(0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0), keep_probs=(1.0, 0.9, 0.8, 0.7, 0.5),
                 grid_size=60, **values):
        if not callable(train_fn):
            raise TypeError("train_fn must be a function train_fn(lambd, keep_prob) -> predict")
        self._train_fn = train_fn
        self.X_train, self.Y_train = self._data(X_train, Y_train, "train")
        self.X_test, self.Y_test = self._data(X_test, Y_test, "test")
        self.lambdas = tuple(_real(x, "lambda", 0.0) for x in lambdas)
        self.keep_probs = tuple(_real(p, "keep_prob", 0.0, 1.0, low_open=True) for p in keep_probs)
        if not self.lambdas or not self.keep_probs:
            raise ValueError("lambdas and keep_probs need at least one value each")
        self._defaults = {"lambd": self.lambdas[0], "keep_prob": self.keep_probs[0]}
        super().__init__()
        points = np.concatenate([self.X_train, self.X_test], axis=1)
        low, high = points.min(axis=1), points.max(axis=1)
        pad = 0.1 * np.maximum(high - low, 1e-9)
        self.grid_x = np.linspace(low[0] - pad[0], high[0] + pad[0], grid_size)
        self.grid_y = np.linspace(low[1] - pad[1], high[1] + pad[1], grid_size)
        GX, GY = np.meshgrid(self.grid_x, self.grid_y)
        self._grid_points = np.stack([GX.ravel(), GY.ravel()])
        self.cache = {}
        self._boundary = None
        self.set(**values)

    @staticmethod
    def _data(X, Y, which):
        X = np.asarray(X, dtype=float)
        Y = np.asarray(Y, dtype=float).reshape(1, -1)
        if X.ndim != 2 or X.shape[0] != 2:
            raise ValueError(f"X_{which} must be (2, m) (one example per column), got {X.shape}")
        if Y.shape[1] != X.shape[1]:
            raise ValueError(f"Y_{which} has {Y.shape[1]} labels for {X.shape[1]} examples")
        return X, Y

    def _validate(self, name, value):
        if name == "lambd":
            return _real(value, "lambd", 0.0)
        return _real(value, "keep_prob", 0.0, 1.0, low_open=True)

    def _probabilities(self, predict, X):
        P = np.asarray(predict(X), dtype=float)
        if P.size != X.shape[1]:
            raise ValueError(f"predict(X) must return (1, m) probabilities; got shape {P.shape} for m = {X.shape[1]}")
        return P.reshape(-1)

    def result(self, lambd, keep_prob):
        """Accuracies and boundary grid for one pair, trained now unless cached."""
        key = (float(lambd), float(keep_prob))
        if key not in self.cache:
            started = time.perf_counter()
            predict = self._train_fn(*key)
            with np.errstate(all="ignore"):
                train = self._probabilities(predict, self.X_train)
                test = self._probabilities(predict, self.X_test)
                grid = self._probabilities(predict, self._grid_points).reshape(self.grid_y.size, self.grid_x.size)
            self.cache[key] = {
                "train_accuracy": float(np.mean((train > 0.5) == (self.Y_train[0] > 0.5))),
                "test_accuracy": float(np.mean((test > 0.5) == (self.Y_test[0] > 0.5))),
                "grid_probabilities": grid,
                "train_seconds": time.perf_counter() - started,
            }
        return self.cache[key]

    def precompute(self):
        """Train every (lambda, keep_prob) pair of the slider grids; returns {(lambd, keep_prob): (train, test)}."""
        table = {}
        for keep_prob in self.keep_probs:
            for lambd in self.lambdas:
                r = self.result(lambd, keep_prob)
                table[(lambd, keep_prob)] = (r["train_accuracy"], r["test_accuracy"])
        self._compute()  # the accuracy curve now has every lambda
        if self._widget is not None:
            self.redraw()
        return table

    def _compute(self):
        lambd, keep_prob = self.values["lambd"], self.values["keep_prob"]
        available, message = True, ""
        try:
            current = self.result(lambd, keep_prob)
        except NotImplementedError:  # train_fn calls an exercise not written yet: say so, train nothing
            available = False
            message = "train_fn calls a function that is not written yet (NotImplementedError): write it above"
            current = {"train_accuracy": float("nan"), "test_accuracy": float("nan"),
                       "grid_probabilities": np.full((self.grid_y.size, self.grid_x.size), 0.5)}
        curve = {"lambdas": list(self.lambdas), "train": [], "test": []}
        for value in self.lambdas:
            cached = self.cache.get((value, keep_prob))
            curve["train"].append(cached["train_accuracy"] if cached else float("nan"))
            curve["test"].append(cached["test_accuracy"] if cached else float("nan"))
        self.state = {
            "lambd": lambd,
            "keep_prob": keep_prob,
            "train_accuracy": current["train_accuracy"],
            "test_accuracy": current["test_accuracy"],
            "grid_x": self.grid_x,
            "grid_y": self.grid_y,
            "grid_probabilities": current["grid_probabilities"],
            "curve": curve,
            "available": available,
            "message": message,
        }

    # ---------------------------------------------------------------- drawing

    def _build_figure(self):
        figure = _new_figure(9.0, 3.9, 80)
        grid = figure.add_gridspec(1, 2, left=0.075, right=0.98, top=0.91, bottom=0.2, wspace=0.25,
                                   width_ratios=[1.0, 1.1])
        self._ax_boundary, self._ax_curve = figure.add_subplot(grid[0]), figure.add_subplot(grid[1])
        ax = self._ax_boundary
        extent = (self.grid_x[0], self.grid_x[-1], self.grid_y[0], self.grid_y[-1])
        self._heat = ax.imshow(np.full((self.grid_y.size, self.grid_x.size), 0.5), extent=extent, origin="lower",
                               cmap="RdBu", vmin=0.0, vmax=1.0, alpha=0.45, aspect="auto", interpolation="bilinear")
        self._points = []
        for X, Y, marker in ((self.X_train, self.Y_train, "o"), (self.X_test, self.Y_test, "^")):
            positive = Y[0] > 0.5
            filled = marker == "o"
            for mask, colour in ((~positive, "#b2182b"), (positive, "#2166ac")):
                self._points.append(ax.plot(  # Line2D markers: drawn from one cached stamp, fast
                    X[0, mask], X[1, mask], ls="none", marker=marker, ms=5.5 if filled else 4,
                    mfc=colour if filled else "none", mec="k" if filled else colour,
                    mew=0.7 if filled else 0.8, alpha=1.0 if filled else 0.6)[0])
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
        ax.set_xlabel("x1  (o train, ^ test)")
        ax.set_ylabel("x2")
        ax.set_title("decision boundary, P(class 1) = 0.5", fontsize=10)
        ax = self._ax_curve
        positions = np.arange(len(self.lambdas))
        (self._train_curve,) = ax.plot(positions, np.full(positions.size, np.nan), "o-", color="C0", label="train")
        (self._test_curve,) = ax.plot(positions, np.full(positions.size, np.nan), "s-", color="C1", label="test")
        self._current_line = ax.axvline(0, color="0.4", ls="--", lw=1)
        ax.set_xticks(positions, [_g(x, 2) for x in self.lambdas])
        ax.set_xlim(-0.4, positions.size - 0.6)
        ax.set_xlabel("lambda (L2 strength)")
        ax.set_ylabel("accuracy")
        ax.set_title("accuracy across lambda, at this keep_prob", fontsize=10)
        self._legend = ax.legend(loc="lower left", fontsize=8)
        ax.grid(True, alpha=0.3)
        self._text = figure.text(0.01, 0.03, "", fontsize=9, family="monospace")
        self._set_animated_list()
        return figure

    def _set_animated_list(self):
        boundary = [self._boundary] if self._boundary is not None else []
        self._animated = [self._heat, *boundary, *self._points, self._train_curve, self._test_curve,
                          self._current_line, self._legend, self._text]

    def _static_spec(self):
        state = self.state
        curve = state["curve"]
        accuracies = curve["train"] + curve["test"] + [state["train_accuracy"], state["test_accuracy"], 0.5]
        low = min(a for a in accuracies if math.isfinite(a))
        return {"low": math.floor(10 * low) / 10}

    def _update_static(self, spec):
        self._ax_curve.set_ylim(spec["low"] - 0.03, 1.02)

    def _update_dynamic(self):
        state = self.state
        P = state["grid_probabilities"]
        self._heat.set_data(P)
        if self._boundary is not None:
            self._boundary.remove()
            self._boundary = None
        if np.nanmin(P) < 0.5 < np.nanmax(P):
            self._boundary = self._ax_boundary.contour(self.grid_x, self.grid_y, P, levels=[0.5], colors="k",
                                                       linewidths=1.5)
        self._set_animated_list()
        curve = state["curve"]
        self._train_curve.set_ydata(curve["train"])
        self._test_curve.set_ydata(curve["test"])
        if state["lambd"] in self.lambdas:
            self._current_line.set_xdata([self.lambdas.index(state["lambd"])] * 2)
            self._current_line.set_visible(True)
        else:
            self._current_line.set_visible(False)
        self._text.set_text(self._summary())

    def _summary(self):
        s = self.state
        if not s["available"]:
            return s["message"]
        gap = s["train_accuracy"] - s["test_accuracy"]
        return (f"lambda {_g(s['lambd'])}, keep_prob {_g(s['keep_prob'])}: train accuracy "
                f"{100 * s['train_accuracy']:.1f} %, test {100 * s['test_accuracy']:.1f} % (gap {100 * gap:+.1f} points)")

    def _caption(self):
        v = self.values
        if self.state is None:
            return f"lambda={_g(v['lambd'])}, keep_prob={_g(v['keep_prob'])}"
        s = self.state
        if not s["available"]:
            return f"lambda={_g(v['lambd'])}, keep_prob={_g(v['keep_prob'])} ({s['message']})"
        return (f"lambda={_g(v['lambd'])}, keep_prob={_g(v['keep_prob'])} (train accuracy "
                f"{100 * s['train_accuracy']:.1f} %, test {100 * s['test_accuracy']:.1f} %)")

    # ---------------------------------------------------------------- widgets

    def _controls(self, widgets):
        style = {"description_width": "80px"}
        wide = widgets.Layout(width="360px")
        controls = {
            "lambd": widgets.SelectionSlider(options=[(_g(x, 2), x) for x in self.lambdas], description="lambda",
                                             continuous_update=False, style=style, layout=wide),
            "keep_prob": widgets.SelectionSlider(options=[(_g(p, 2), p) for p in self.keep_probs],
                                                 description="keep_prob", continuous_update=False, style=style,
                                                 layout=wide),
        }
        train_all = widgets.Button(description="train all pairs", tooltip="precompute(): fill the accuracy curve")
        train_all.on_click(lambda _: self._train_all())
        return [widgets.HBox([controls["lambd"], controls["keep_prob"], train_all])], controls

    def _train_all(self):
        self._message.value = "training every pair..."
        self._guarded(self.precompute)
