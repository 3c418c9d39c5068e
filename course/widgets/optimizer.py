"""The optimiser explorer of notebook 07: gradient descent, momentum and Adam on a valley or
Rosenbrock's function, with the rates theory predicts beside the ones measured."""

import math

import numpy as np

from ._shared import _choice, _Explorer, _g, _integer, _new_figure, _real, _short_error

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
        except Exception as exc:  # noqa: BLE001 - the student's function may raise anything: shown, not raised
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
                except Exception as exc:  # noqa: BLE001 - the student's function may raise anything: shown, not raised
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
        style = {"description_width": "120px"}  # "momentum beta" and "learning rate" in full
        wide = widgets.Layout(width="360px")
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
        beta = self._controls_by_name["beta"]
        beta.disabled = name not in ("momentum", "nesterov")
        beta.tooltip = (f"used only by momentum and Nesterov, not by {_OPTIMIZERS[name][1]}" if beta.disabled
                        else "the fraction of the velocity kept from one step to the next")
        self._optimal_button.disabled = optimal_hyperparameters(name, self.values["kappa"]) is None
        self._optimal_button.tooltip = ("set_optimal(): best values for this kappa" if not self._optimal_button.disabled
                                        else f"theory gives no optimal setting for {_OPTIMIZERS[name][1]}")
