"""Lay out a rule as a new SigmaHQ rule: SigmaHQ's key order, 4-space indentation, no project-only keys."""

from __future__ import annotations

import ipaddress
import re
from pathlib import PurePosixPath
from typing import Any

import yaml

from ..errors import ToolkitError
from ..rules import LoadedRule
from .conventions import KEY_ORDER

# SigmaHQ deprecated `fields`; the project keeps it because its Splunk and ES|QL
# outputs list those columns.
DROPPED_KEYS = ("fields",)
# SigmaHQ's folder for each log source this project writes rules for.
RULE_FOLDERS = {("aws", None, "cloudtrail"): PurePosixPath("rules/cloud/aws/cloudtrail")}
DOCUMENTATION_ACCOUNT = "123456789012"
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
IPV4 = re.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9.])")


class _SigmaDumper(yaml.SafeDumper):
    # Indent list items under their key, as SigmaHQ's rules do.
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_SigmaDumper.add_representer(str, _represent_str)


def contribution_rule(loaded: LoadedRule) -> dict[str, Any]:
    """Return the rule's mapping in SigmaHQ's key order, without the keys SigmaHQ rejects."""
    source = yaml.safe_load(loaded.text)
    unknown = [key for key in source if key not in KEY_ORDER and key not in DROPPED_KEYS]
    if unknown:
        raise ToolkitError(
            f"{loaded.path}: keys {', '.join(map(repr, unknown))} are not part of a SigmaHQ rule. "
            f"Remove them or move them into the description; SigmaHQ accepts {', '.join(KEY_ORDER)}."
        )
    return {key: source[key] for key in KEY_ORDER if key in source}


def contribution_text(loaded: LoadedRule) -> str:
    """Render the rule as SigmaHQ lays out a new rule, and check that it reads back the same."""
    rule = contribution_rule(loaded)
    text = yaml.dump(
        rule, Dumper=_SigmaDumper, indent=4, sort_keys=False, width=10**6, allow_unicode=True
    )
    if yaml.safe_load(text) != rule:
        raise ToolkitError(
            f"{loaded.path}: the SigmaHQ layout of the rule does not read back as the same rule."
        )
    return text


def contribution_path(loaded: LoadedRule) -> PurePosixPath:
    """Return where the rule goes in the SigmaHQ repository."""
    logsource = loaded.rule.logsource
    key = (logsource.product, logsource.category, logsource.service)
    folder = RULE_FOLDERS.get(key)
    if folder is None:
        raise ToolkitError(
            f"{loaded.path}: no SigmaHQ folder is known for the log source "
            f"product={key[0]} category={key[1]} service={key[2]}. This toolkit contributes "
            "product: aws, service: cloudtrail rules only."
        )
    return folder / loaded.path.name


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [str(value)]


def non_documentation_values(record: dict[str, Any]) -> list[str]:
    """Return account ids and IPv4 addresses in a record that are not documentation values."""
    found = []
    for text in _strings(record):
        found += [
            account for account in ACCOUNT_ID.findall(text) if account != DOCUMENTATION_ACCOUNT
        ]
        for address in IPV4.findall(text):
            try:
                ip = ipaddress.ip_address(address)
            except ValueError:
                continue
            if not any(ip in network for network in DOCUMENTATION_NETWORKS):
                found.append(address)
    return sorted(set(found))
