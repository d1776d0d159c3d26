"""A problem that a SigmaHQ check found in a rule file, printed as one line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One finding: the file, the check, the key or position, what is wrong and what is expected."""

    file: Path
    check: str
    key: str
    message: str
    expected: str

    def line(self) -> str:
        """Render the problem as `file: key: message; expected: ... [check]`."""
        return f"{self.file}: {self.key}: {self.message}; expected: {self.expected} [{self.check}]"
