"""The regularisation explorer of notebook 06: L2 and dropout on a 2-D classification problem."""

import math
import time

import numpy as np

from ._shared import _Explorer, _g, _new_figure, _real


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
        # a curve of one or two points looks like a broken plot unless it says why
        self._curve_hint = ax.text(0.6, 0.55, "", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                                   color="0.3")
        ax.grid(True, alpha=0.3)
        self._text = figure.text(0.01, 0.03, "", fontsize=9, family="monospace")
        self._set_animated_list()
        return figure

    def _set_animated_list(self):
        boundary = [self._boundary] if self._boundary is not None else []
        self._animated = [self._heat, *boundary, *self._points, self._train_curve, self._test_curve,
                          self._current_line, self._legend, self._curve_hint, self._text]

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
        trained = sum(math.isfinite(a) for a in curve["test"])
        self._curve_hint.set_text("" if trained == len(self.lambdas) else
                                  f"{trained} of {len(self.lambdas)} values of lambda\ntrained at this keep_prob:\n"
                                  "'train all pairs' fills in the curve")
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
