"""The file channel: appends each alert's payload as one JSON line to a file. Does I/O.

Each line is written with one ``write`` on a file opened in append mode, then fsynced, so concurrent
writers do not interleave and a crash never leaves a half-reported alert behind a success.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from monitor.errors import DeliveryError
from monitor.models import RenderedAlert


def json_line(rendered: RenderedAlert) -> bytes:
    """The payload as one UTF-8 JSON line (JSON escapes newlines inside strings). Pure."""
    return (json.dumps(rendered.payload, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class FileChannel:
    def __init__(self, name: str, path: str | Path) -> None:
        self.name = name
        self.path = Path(path)

    def send(self, rendered: RenderedAlert) -> None:
        data = json_line(rendered)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                written = os.write(fd, data)
                while written < len(data):  # only on exotic filesystems; append mode keeps it at the end
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            reason = f"cannot append to {self.path}: {exc.strerror or exc}"
            raise DeliveryError(self.name, reason, retryable=True) from exc

    def close(self) -> None:
        """Nothing to release: the file is opened and closed on every send."""
