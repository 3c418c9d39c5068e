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

from .initialization import InitializationExplorer
from .optimizer import OptimizerExplorer, measured_rate, optimal_hyperparameters, theoretical_rate
from .regularization import RegularizationExplorer

__all__ = [
    "OptimizerExplorer",
    "InitializationExplorer",
    "RegularizationExplorer",
    "theoretical_rate",
    "optimal_hyperparameters",
    "measured_rate",
]
