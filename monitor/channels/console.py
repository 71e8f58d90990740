"""The console channel: writes each alert's text body, framed, to a stream (stdout by default). Does I/O."""

from __future__ import annotations

import sys
from typing import TextIO

from monitor.errors import DeliveryError
from monitor.models import RenderedAlert

WIDTH = 72


def frame(rendered: RenderedAlert) -> str:
    """The text written for one alert: the subject between rules, then the body. Pure."""
    rule = "#" * WIDTH
    body = rendered.text if rendered.text.endswith("\n") else rendered.text + "\n"
    return f"\n{rule}\n# {rendered.subject}\n{rule}\n{body}"


class ConsoleChannel:
    """Writes to ``stream``; when none is given, to whatever ``sys.stdout`` is at send time."""

    def __init__(self, name: str, stream: TextIO | None = None) -> None:
        self.name = name
        self._stream = stream

    def send(self, rendered: RenderedAlert) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            stream.write(frame(rendered))
            stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: the stream is closed
            raise DeliveryError(self.name, f"cannot write to the console: {exc}", retryable=False) from exc

    def close(self) -> None:
        """Nothing to release: the stream belongs to the caller."""
