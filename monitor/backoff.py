"""Retry timing: exponential backoff with jitter. Pure (randomness is passed in)."""

from __future__ import annotations

import random


def compute_backoff(
    attempts: int,
    *,
    base: float,
    factor: float = 2.0,
    maximum: float,
    jitter: float = 0.2,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after ``attempts`` consecutive failures (1 = the first failure).

    ``base * factor**(attempts-1)``, capped at ``maximum``, then spread by ±``jitter`` (a fraction) so that
    many feeds or deliveries that failed together do not all retry in the same second.
    """
    if attempts < 1:
        return 0.0
    delay = min(maximum, base * factor ** min(attempts - 1, 64))
    spread = delay * jitter
    return max(0.0, delay + (rng or random).uniform(-spread, spread))
