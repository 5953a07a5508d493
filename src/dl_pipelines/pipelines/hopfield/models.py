"""The Hopfield networks, as tensor operations on NumPy arrays (a state is a row of +-1 values).

Classical networks store patterns in a symmetric weight matrix with a zero diagonal, learned by
the Hebbian rule or the Storkey rule, and recall by sign updates of the units, asynchronous (one
unit at a time, in a seeded random order) or synchronous (all at once). Every update is made for
a whole batch of states at once: the units are the loop, never the patterns. The modern
continuous network (Ramsauer et al., 2020) keeps the patterns themselves and recalls with a
softmax over their similarities.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import numpy as np

Update = Literal["asynchronous", "synchronous"]


def hebbian_weights(patterns: np.ndarray) -> np.ndarray:
    """The Hebbian rule: ``W = X^T X / N`` of the (P, N) +-1 patterns, the diagonal zero (a unit
    does not feed itself, so asynchronous updates never raise the energy)."""
    x = patterns.astype(np.float64)
    weights = x.T @ x / x.shape[1]
    np.fill_diagonal(weights, 0.0)
    return weights


def storkey_steps(patterns: np.ndarray) -> Iterator[np.ndarray]:
    """The Storkey rule (Storkey, 1997), pattern by pattern: the weights after each pattern.

    For pattern xi, with the local fields ``h = W xi`` of the weights so far,
    ``w_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N`` where ``h_ij = h_i - w_ij xi_j`` leaves out
    units i and j; as matrices ``W += (xi xi^T - xi h^T - h xi^T + 2 W) / N``: two outer products
    per pattern, O(P N^2) in all. The matrix stays symmetric; the diagonal is kept at zero.
    The array yielded is updated in place by the next step (copy it to keep it).
    """
    x = patterns.astype(np.float64)
    n = x.shape[1]
    weights = np.zeros((n, n))
    for xi in x:
        fields = weights @ xi
        weights *= 1 + 2 / n
        weights += (np.outer(xi, xi - fields) - np.outer(fields, xi)) / n
        np.fill_diagonal(weights, 0.0)
        yield weights


def storkey_weights(patterns: np.ndarray) -> np.ndarray:
    """The weights of the Storkey rule after every pattern (see :func:`storkey_steps`)."""
    weights = np.zeros((patterns.shape[1],) * 2)
    for weights in storkey_steps(patterns):  # noqa: B007 - the last step is the result
        pass
    return weights.copy()


# Fields within this of zero count as zero: the fields of the asynchronous updates are kept up to
# date by additions, whose rounding must not decide a tie.
TIE = 1e-9


def _sign(fields: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The sign of each field; a unit whose field is zero keeps its state."""
    return np.where(fields > TIE, 1.0, np.where(fields < -TIE, -1.0, states))


def recall(weights: np.ndarray, states: np.ndarray, update: Update, max_steps: int,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Run a classical network from ``states`` (rows of +-1) until no unit changes, or for
    ``max_steps`` steps; a step updates every unit once (asynchronous: in a random order drawn
    from ``rng`` for each step, the same order for every state).

    The local fields ``F = S W`` of every state are kept: an asynchronous flip of unit i changes
    them by ``2 s_i W[i]`` in the states it flips in, so a step costs O(P N) plus O(N) per flip
    instead of O(P N^2). A state that went through a step unchanged is a fixed point and leaves
    the batch.

    Returns:
        The final states, and the energy ``-1/2 s^T W s`` of every state before the first step and
        after each step, (steps + 1, states); a settled state keeps its last energy.
    """
    states = states.astype(np.float64).copy()
    fields = states @ weights
    energies = [-0.5 * np.einsum("pi,pi->p", states, fields)]
    active = np.arange(len(states))
    for _ in range(max_steps):
        if not active.size:
            break
        s, f = states[active], fields[active]
        if update == "synchronous":
            new = _sign(f, s)
            changed = (new != s).any(axis=1)
            s, f = new, new @ weights
        else:
            changed = np.zeros(len(active), dtype=bool)
            for unit in rng.permutation(weights.shape[0]):
                new = _sign(f[:, unit], s[:, unit])
                flipped = np.flatnonzero(new != s[:, unit])
                if flipped.size:
                    s[flipped, unit] = new[flipped]
                    # Symmetric weights: row `unit` holds the weights out of the unit.
                    f[flipped] += 2 * new[flipped, None] * weights[unit]
                    changed[flipped] = True
        states[active], fields[active] = s, f
        step = energies[-1].copy()
        step[active] = -0.5 * np.einsum("pi,pi->p", s, f)
        energies.append(step)
        active = active[changed]
    return states, np.stack(energies)


def softmax_recall(stored: np.ndarray, states: np.ndarray, beta: float, steps: int = 1,
                   batch: int = 512) -> np.ndarray:
    """The modern continuous Hopfield network (Ramsauer et al., 2020): ``steps`` updates
    ``xi <- X softmax(beta X^T xi)`` of each state with the stored patterns X, then the sign of
    each unit (the states are compared with +-1 patterns). Computed ``batch`` states at a time,
    so P x P similarities of a large load never sit in memory at once.
    """
    x = stored.astype(np.float32)
    result = np.empty(states.shape, dtype=np.float64)
    for start in range(0, len(states), batch):
        xi = states[start:start + batch].astype(np.float32)
        for _ in range(steps):
            scores = beta * (xi @ x.T)
            scores -= scores.max(axis=1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(axis=1, keepdims=True)
            xi = weights @ x
        result[start:start + batch] = np.where(xi >= 0, 1.0, -1.0)
    return result


def corrupt(patterns: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Copies of the patterns with ``round(fraction * N)`` units of each flipped, chosen at random."""
    p, n = patterns.shape
    flips = int(round(fraction * n))
    chosen = np.argsort(rng.random((p, n)), axis=1)[:, :flips]
    copies = patterns.astype(np.float64).copy()
    np.put_along_axis(copies, chosen, -np.take_along_axis(copies, chosen, axis=1), axis=1)
    return copies


def overlaps(patterns: np.ndarray, states: np.ndarray) -> np.ndarray:
    """``m = xi . s / N`` of each pattern and its state: 1 recalled, 0 unrelated, -1 inverted."""
    return np.einsum("pi,pi->p", patterns.astype(np.float64), states) / patterns.shape[1]
