"""The stance engine (pure: no I/O but reading rule and seed files at load).

``load_rules`` reads and validates rule files into compiled ``Stance`` values; ``Engine.judge`` takes an item
and returns one ``Verdict`` per stance the item is about (shift, hold or none), with evidence and a reason.
The daemon, ``check``, ``explain``, ``eval`` and ``rules test`` all call the same two functions.
"""

from monitor.engine.judge import Engine, Judge
from monitor.engine.rules import Example, Quote, Seed, Stance, load_rules

__all__ = ["Engine", "Example", "Judge", "Quote", "Seed", "Stance", "load_rules"]
