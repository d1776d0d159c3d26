"""Write output files atomically, so that a failed run leaves no partial file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ToolkitError


def write_text_atomic(path: Path, text: str) -> None:
    """Write text to a temporary file beside path, then rename it over path."""
    write_files_atomic({path: text})


def write_files_atomic(files: dict[Path, str]) -> None:
    """Write several files so that either all of them are replaced or none is.

    Every file is first written to a temporary file beside its target; the renames
    happen only once all of them are written. When a rename fails (a folder in the way,
    a full disk), the files already renamed are removed and the previous files put back.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            staged.append((Path(_stage(path, text)), path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    renamed: list[Path] = []
    backups: list[tuple[Path, Path]] = []
    current: Path | None = None
    try:
        for temporary, path in staged:
            current = path
            if path.is_dir():
                raise ToolkitError(f"{path}: a folder is in the way of the output file. Remove it.")
            if path.exists():
                # Keep the previous file until every new one is in place.
                backup = path.with_name(f".{path.name}.previous")
                os.replace(path, backup)
                backups.append((backup, path))
            os.replace(temporary, path)
            renamed.append(path)
    except (OSError, ToolkitError) as error:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        for path in renamed:
            path.unlink(missing_ok=True)
        for backup, path in backups:
            os.replace(backup, path)
        if isinstance(error, ToolkitError):
            raise
        raise ToolkitError(f"{current}: cannot write the output file ({error.strerror}).") from error
    for backup, _ in backups:
        backup.unlink(missing_ok=True)


def _stage(path: Path, text: str) -> str:
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
        os.chmod(temporary, 0o666 & ~_current_umask())
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ToolkitError(f"{path}: cannot write the output file ({error.strerror}).") from error
    return temporary


def _current_umask() -> int:
    # os.umask can only be read by setting it, so set it back at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
