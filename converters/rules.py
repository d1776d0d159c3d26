"""Load Sigma rule files with errors that name the file and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from .errors import RuleError

RULE_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class LoadedRule:
    """A Sigma rule with the file and text it came from."""

    path: Path
    text: str
    rule: SigmaRule

    def fresh(self) -> SigmaRule:
        """Parse the rule again: pySigma pipelines change a rule in place while converting it."""
        return _parse_single_rule(self.path, self.text)


def rule_files(paths: list[Path]) -> list[Path]:
    """Expand folders into the Sigma rule files they contain, sorted by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES)
            if not found:
                raise RuleError(f"{path}: no Sigma rule files (*.yml, *.yaml) in this folder.")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise RuleError(f"{path}: rule file not found. Pass an existing Sigma rule file.")
    return files


def load_rule(path: Path) -> LoadedRule:
    """Parse one file that contains exactly one Sigma detection rule."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RuleError(f"{path}: not UTF-8 text ({error.reason}). Save the rule as UTF-8.") from error
    except OSError as error:
        raise RuleError(f"{path}: cannot read the rule file ({error.strerror}).") from error
    try:
        documents = [document for document in yaml.safe_load_all(text) if document is not None]
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        position = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or str(error)
        raise RuleError(f"{path}: invalid YAML{position}: {problem}. Fix the YAML syntax.") from error
    if not documents:
        raise RuleError(f"{path}: the file holds no YAML document. Write a Sigma rule into it.")
    if not all(isinstance(document, dict) for document in documents):
        raise RuleError(f"{path}: a Sigma rule must be a YAML mapping (title, logsource, detection, ...).")
    return LoadedRule(path, text, _parse_single_rule(path, text))


def _parse_single_rule(path: Path, text: str) -> SigmaRule:
    try:
        collection = SigmaCollection.from_yaml(text, collect_errors=False)
    except SigmaError as error:
        raise RuleError(f"{path}: not a valid Sigma rule: {error}") from error
    rules = [rule for rule in collection.rules if isinstance(rule, SigmaRule)]
    if len(rules) != 1 or len(collection.rules) != 1:
        raise RuleError(
            f"{path}: expected exactly one Sigma detection rule, found {len(collection.rules)} "
            "rules. Keep one detection rule per file."
        )
    return rules[0]


def load_rules(paths: list[Path]) -> list[LoadedRule]:
    """Load every rule file under the given files and folders."""
    return [load_rule(path) for path in rule_files(paths)]
