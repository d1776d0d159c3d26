"""Point pySigma and the SigmaHQ validators at shipped data files and block the network.

pySigma 1.5.1 downloads MITRE ATT&CK and D3FEND data the first time a tag is
validated, and pySigma-validators-sigmahq 0.21.0 downloads SigmaHQ's taxonomy,
file name and Windows tables the first time a validator needs them. Both take a
local file path through `set_url()` and keep a disk cache (by default under
~/.cache/pysigma) that `set_cache_dir()` moves.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sigma.data import mitre_attack, mitre_d3fend
from sigma.validators.sigmahq.data import (
    data_filename,
    data_taxonomy,
    data_windows_eventid,
    data_windows_provider,
)

from ..errors import ToolkitError

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "sigmahq"
ATTACK_FILE = DATA_DIR / "enterprise-attack-compact.json"
D3FEND_FILE = DATA_DIR / "d3fend-compact.json"
VALIDATOR_JSON = DATA_DIR / "validator_json"
YAMLLINT_CONFIG = DATA_DIR / "yamllint.yml"
SIGMA_CLI_CONFIG = DATA_DIR / "sigma_cli_conf.yml"
SCHEMA_FILE = DATA_DIR / "sigma-detection-rule-schema-v2.1.0.json"
LOGSOURCE_FILE = DATA_DIR / "logsource.json"

# Each loader module of pySigma-validators-sigmahq and the shipped file it reads.
# The shipped Windows table contains both the provider names and the categories
# without event ids, which 0.21.0 reads from two files with one key each.
VALIDATOR_TABLES: tuple[tuple[Any, str], ...] = (
    (data_taxonomy, "sigmahq_taxonomy.json"),
    (data_filename, "sigmahq_filename.json"),
    (data_windows_provider, "sigmahq_windows_validator.json"),
    (data_windows_eventid, "sigmahq_windows_validator.json"),
)


class NetworkBlockedError(ToolkitError):
    """Code tried to open a network connection while the network was blocked."""


@lru_cache(maxsize=1)
def process_cache_dir() -> Path:
    """Create the cache folder for the shipped data once per process; it is removed at exit."""
    # pySigma keeps pointing at the cache after a check, so the folder must outlive it.
    folder = Path(tempfile.mkdtemp(prefix="cloudtrail-sigma-data-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def use_shipped_data(cache_dir: Path) -> None:
    """Make pySigma and the SigmaHQ validators read the shipped files, cached in cache_dir."""
    # Move each cache first: set_url() clears the cache it points at, and the user's
    # own cache under ~/.cache/pysigma must stay untouched.
    mitre_attack.set_cache_dir(str(cache_dir / "mitre_attack"))
    mitre_attack.set_url(str(ATTACK_FILE))
    mitre_d3fend.set_cache_dir(str(cache_dir / "mitre_d3fend"))
    mitre_d3fend.set_url(str(D3FEND_FILE))
    for loader, name in VALIDATOR_TABLES:
        loader.set_cache_dir(str(cache_dir / "sigmahq"))
        loader.set_url(str(VALIDATOR_JSON / name))


def _blocked(*args: object, **kwargs: object) -> Any:
    target = next((arg for arg in args if not isinstance(arg, socket.socket)), "unknown address")
    raise NetworkBlockedError(
        f"network access to {target!r} attempted during an offline check. A library is "
        "downloading data that the project does not ship yet; add the file to "
        f"{DATA_DIR} and point the library at it."
    )


@contextmanager
def network_blocked() -> Iterator[None]:
    """Make every socket connection and DNS lookup in this process raise NetworkBlockedError."""
    saved = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.create_connection,
        socket.getaddrinfo,
    )
    socket.socket.connect = _blocked  # type: ignore[method-assign]
    socket.socket.connect_ex = _blocked  # type: ignore[method-assign]
    socket.create_connection = _blocked  # type: ignore[assignment]
    socket.getaddrinfo = _blocked  # type: ignore[assignment]
    try:
        yield
    finally:
        (
            socket.socket.connect,
            socket.socket.connect_ex,
            socket.create_connection,
            socket.getaddrinfo,
        ) = saved  # type: ignore[method-assign,assignment]
