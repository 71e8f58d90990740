"""Stance Monitor: watch news feeds and alert when a public actor's position shifts off its baseline.

The pipeline, one direction only::

    fetch (fetch.py) -> parse (parse.py) -> store (store.py) -> compare (engine/)
        -> decide (pipeline.py) -> render (render.py) -> deliver (channels/)

``pipeline.py`` composes one polling cycle; ``daemon.py`` runs cycles on a schedule.
"""

__version__ = "0.1.0"
