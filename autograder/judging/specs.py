"""What the integrity check feeds each exercise, and how it judges what comes back: every exercise's
`Spec`, in the order students meet them.

Each spec lives beside its reference, in the `SPECS` of its notebook's module (01_notation in
`reference.notation`, ...); `judging` explains what a spec promises and why it must be fair.
"""

import importlib

from autograder import reference as ref


def _notebook_specs(notebook, exercises):
    """The specs of `notebook` ("03_backprop") in its exercises' order, from its reference module."""
    specs = importlib.import_module(f"{ref.__name__}.{notebook.split('_', 1)[1]}").SPECS
    if set(specs) != set(exercises):  # an exercise added to EXERCISES but not to its module's SPECS, or back
        raise RuntimeError(f"the specs of {notebook} are for {sorted(specs)}, its exercises are {sorted(exercises)}")
    return {name: specs[name] for name in exercises}


SPECS = {name: spec
         for notebook, names in ref.EXERCISES.items()
         for name, spec in _notebook_specs(notebook, names).items()}


def _notebook_mistakes(notebook, exercises):
    """The named mistakes of `notebook`'s exercises (autograder.judging.mistakes): the MISTAKES of its
    reference module, or of the module `<reference module>_mistakes` beside it."""
    module = importlib.import_module(f"{ref.__name__}.{notebook.split('_', 1)[1]}")
    mistakes = getattr(module, "MISTAKES", None)
    if mistakes is None:  # a reference module that would grow past one screen keeps them beside it
        try:
            mistakes = importlib.import_module(f"{module.__name__}_mistakes").MISTAKES
        except ModuleNotFoundError:
            mistakes = {}
    if not set(mistakes) <= set(exercises):
        raise RuntimeError(f"the mistakes of {notebook} name {sorted(set(mistakes) - set(exercises))}, "
                           "which are not its exercises")
    for exercise, listed in mistakes.items():
        names = [m.name for m in listed]
        if len(set(names)) != len(names):
            raise RuntimeError(f"{notebook}: two mistakes of {exercise} share a name")
    return {name: tuple(mistakes.get(name, ())) for name in exercises}


# {exercise: (Mistake, ...)}: an exercise with none named gets ().
MISTAKES = {name: mistakes
            for notebook, names in ref.EXERCISES.items()
            for name, mistakes in _notebook_mistakes(notebook, names).items()}
