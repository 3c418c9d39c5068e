"""The initialisation explorer of notebook 05: activations and gradients layer by layer for a
chosen weight scale, depth and width."""

import inspect
import math

import numpy as np
from matplotlib.collections import LineCollection

from ._shared import (
    _LOG_LADDER,
    _RANGE_LADDER,
    _choice,
    _Explorer,
    _g,
    _integer,
    _log_reach,
    _new_figure,
    _real,
    _short_error,
    _single_threaded_blas,
    _sticky_rung,
)

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
        except Exception as exc:  # noqa: BLE001 - the student's function may raise anything: shown, not raised
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
            except Exception as exc:  # noqa: BLE001 - the student's function may raise anything: shown, not raised
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
                                           fontsize=9) for _ in range(2)]
        self._ax_act.set_title("activations, per layer", fontsize=11)
        self._ax_grad.set_title("backpropagated errors, per layer", fontsize=11)
        ax = self._ax_std
        ax.set_yscale("log")
        (self._act_std_line,) = ax.plot([], [], "o-", color="C0", ms=3, label="std A[l]")
        (self._grad_std_line,) = ax.plot([], [], "s-", color="C1", ms=3, label="std delta[l]")
        ax.set_xlim(0.5, 20.5)
        ax.set_xticks([1, 5, 10, 15, 20])
        ax.set_xlabel("layer l")
        ax.set_title("standard deviation per layer", fontsize=11)
        self._legend = ax.legend(loc="upper right", fontsize=9)
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
        style = {"description_width": "110px"}  # "weight scale" in full
        wide = widgets.Layout(width="360px")
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
        scale = self._controls_by_name["scale"]
        scale.disabled = self.values["init"] != "scale"
        scale.tooltip = ("used only with init 'scale': the other initialisers choose their own scale"
                         if scale.disabled else "standard deviation of every weight")
