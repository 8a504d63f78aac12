"""Repeating a measurement over seeds (chapter 13): mean and range, not one draw."""
import dataclasses
import statistics

from .data import env_cap
from .training import set_seed

ENV_MAX_SEEDS = 'D2LMINI_MAX_SEEDS'


@dataclasses.dataclass(frozen=True)
class SeedRuns:
    """One number (e.g. a validation perplexity) measured once per seed.

    Defined in chapter 13.
    """
    seeds: tuple
    values: tuple

    @property
    def mean(self):
        return statistics.fmean(self.values)

    @property
    def low(self):
        return min(self.values)

    @property
    def high(self):
        return max(self.values)

    def __str__(self):
        if len(self.values) == 1:
            return f'{self.values[0]:.2f} (one seed)'
        return (f'{self.mean:.2f} (range {self.low:.2f}-{self.high:.2f}, '
                f'{len(self.values)} seeds)')


def max_seeds(seeds):
    """``seeds``, or only the first $D2LMINI_MAX_SEEDS of them if that is set.

    The test suite sets the cap (like ``max_epochs``'s) so that notebook
    cells run in seconds; real runs leave it unset.

    Defined in chapter 13.
    """
    cap = env_cap(ENV_MAX_SEEDS)
    return tuple(seeds)[:cap]


def over_seeds(measure, seeds=(0, 1, 2)):
    """Call ``measure()`` after ``set_seed(seed)`` for each seed.

    ``measure`` returns a number; the result is a ``SeedRuns`` of them.
    The seeds are cut by ``max_seeds``.

    Defined in chapter 13.
    """
    if not tuple(seeds):
        raise ValueError('over_seeds needs at least one seed, e.g. (0, 1, 2)')
    seeds = max_seeds(seeds)
    values = []
    for seed in seeds:
        set_seed(seed)
        values.append(float(measure()))
    return SeedRuns(seeds, tuple(values))
