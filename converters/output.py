"""Write output files atomically, so that a failed run leaves no partial file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ToolkitError


def write_text_atomic(path: Path, text: str) -> None:
    """Write text to a temporary file beside path, then rename it over path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise ToolkitError(
            f"{path.parent}: cannot create the output folder or a file in it ({error.strerror}). "
            "Choose a writable output folder."
        ) from error
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ToolkitError(f"{path}: cannot write the output file ({error.strerror}).") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
