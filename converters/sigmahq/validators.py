"""Run pySigma's validators as `sigma check --fail-on-error --fail-on-issues` does with SigmaHQ's config.

sigma-cli 3.1.0's check command loads the rules collecting parse errors, parses each
condition, then runs the validators that the validation config selects. This
module takes the same steps through pySigma's API, so each issue can be printed
with its rule file, key and expectation.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaConditionError, SigmaError
from sigma.plugins import InstalledSigmaPlugins
from sigma.rule import SigmaRule
from sigma.validation import SigmaValidator
from sigma.validators.base import SigmaValidationIssue

from .offline import SIGMA_CLI_CONFIG
from .problems import Problem

CHECK = "sigma check"

# The rule key each issue is about and what SigmaHQ expects there, for the issues a
# rule can raise. Issue class names are those of pySigma 1.5.1 and
# pySigma-validators-sigmahq 0.21.0.
ISSUE_KEYS: dict[str, tuple[str, str]] = {
    "SigmahqFieldsExistenceIssue": ("fields", "no 'fields' key, which SigmaHQ has deprecated"),
    "SigmahqUnknownFieldIssue": ("(top level)", "only keys of the Sigma specification"),
    "CustomAttributesIssue": ("(top level)", "only keys of the Sigma specification"),
    "SigmahqTitleLengthIssue": ("title", "a title of at most 120 characters"),
    "SigmahqTitleStartIssue": ("title", "a title that does not start with 'Detects'"),
    "SigmahqTitleEndIssue": ("title", "a title without a final period"),
    "SigmahqTitleCaseIssue": (
        "title",
        "title case, with short words such as 'to' and 'of' allowed in lower case",
    ),
    "SigmahqDescriptionExistenceIssue": ("description", "a description"),
    "SigmahqDescriptionLengthIssue": ("description", "a description of at least 16 characters"),
    "SigmahqLinkInDescriptionIssue": (
        "description",
        "no links in the description; put them in references",
    ),
    "SigmahqAuthorExistenceIssue": ("author", "an author"),
    "SigmahqDateExistenceIssue": ("date", "a creation date"),
    "SigmahqModifiedDateOrderIssue": ("modified", "a modified date after the creation date"),
    "SigmahqModifiedWithoutDateIssue": (
        "modified",
        "a creation date whenever there is a modified date",
    ),
    "SigmahqRedundantModifiedIssue": ("modified", "no modified date equal to the creation date"),
    "SigmahqStatusExistenceIssue": ("status", "a status"),
    "SigmahqStatusIssue": ("status", "stable, test or experimental for a rule in rules/"),
    "SigmahqStatusToHighIssue": ("status", "experimental or test for a new rule"),
    "SigmahqLevelExistenceIssue": ("level", "a level"),
    "SigmahqFalsepositivesCapitalIssue": (
        "falsepositives",
        "each false positive starting with a capital letter",
    ),
    "SigmahqFalsepositivesBannedWordIssue": (
        "falsepositives",
        "no placeholder words such as 'none' or 'pentest'",
    ),
    "SigmahqFalsepositivesTypoWordIssue": ("falsepositives", "correctly spelled words"),
    "SigmahqGithubLinkIssue": (
        "references",
        "GitHub links as commit permalinks (/blob/<commit>/...)",
    ),
    "SigmahqMitreLinkIssue": ("references", "no attack.mitre.org links; use attack.* tags"),
    "DuplicateReferencesIssue": ("references", "each reference once"),
    "InvalidATTACKTagIssue": (
        "tags",
        "attack.* tags that name an ATT&CK tactic, technique, group, software or mitigation",
    ),
    "InvalidD3FENDagIssue": ("tags", "d3fend.* tags that name a D3FEND tactic or technique"),
    "InvalidTagFormatIssue": (
        "tags",
        "namespace.name tags of lower-case letters, digits, '-', '_' and '.'",
    ),
    "InvalidNamespaceTagIssue": (
        "tags",
        "a known tag namespace (attack, car, cve, d3fend, detection, stp, tlp)",
    ),
    "InvalidPatternTagIssue": ("tags", "a tag in its namespace's pattern"),
    "DuplicateTagIssue": ("tags", "each tag once"),
    "SigmahqTagsTechniquesWithoutTacticsIssue": (
        "tags",
        "the tactic of every technique tag also tagged",
    ),
    "SigmahqTagsDetectionIssue": (
        "tags",
        "detection.dfir, detection.emerging-threats or detection.threat-hunting in those folders",
    ),
    "SigmahqFilenameConventionIssue": (
        "(file name)",
        "[a-z0-9_], 10 to 90 characters, ending in .yml",
    ),
    "FilenameLengthIssue": ("(file name)", "a file name of 10 to 90 characters"),
    "SigmahqOfthemConditionIssue": (
        "detection.condition",
        "'of them' only with more than one selection",
    ),
    "SigmahqMissingAsteriskConditionIssue": (
        "detection.condition",
        "a '*' in '1 of selection_*' patterns",
    ),
    "DanglingDetectionIssue": ("detection", "every search identifier used by the condition"),
    "ThemConditionWithSingleDetectionIssue": (
        "detection.condition",
        "'of them' only with more than one search identifier",
    ),
    "AllOfThemConditionIssue": ("detection.condition", "no 'all of them'; name the selections"),
    "SigmahqFieldDuplicateValueIssue": ("detection", "each value once per field"),
    "SigmahqSpaceFieldNameIssue": ("detection", "field names without spaces"),
    "SigmahqInvalidFieldnameIssue": (
        "detection",
        "field names from SigmaHQ's taxonomy for this log source",
    ),
    "SigmahqRedundantFieldIssue": ("detection", "no field that the log source already implies"),
    "SigmahqInvalidAllModifierIssue": ("detection", "|all only on a list of more than one value"),
    "DoubleWildcardIssue": ("detection", "no '**' in values"),
    "NumberAsStringIssue": ("detection", "numbers written as numbers"),
    "ControlCharacterIssue": ("detection", "no control characters in values"),
    "WildcardsInsteadOfContainsModifierIssue": ("detection", "|contains instead of '*value*'"),
    "WildcardInsteadOfStartswithIssue": ("detection", "|startswith instead of 'value*'"),
    "WildcardInsteadOfEndswithIssue": ("detection", "|endswith instead of '*value'"),
    "EscapedWildcardIssue": ("detection", "no escaped wildcards unless meant literally"),
    "IdentifierExistenceIssue": ("id", "a rule id"),
    "IdentifierCollisionIssue": ("id", "an id no other rule uses"),
    "DuplicateTitleIssue": ("title", "a title no other rule uses"),
    "DuplicateFilenameIssue": ("(file name)", "a file name no other rule uses"),
}
DEFAULT_KEY = ("(rule)", "no issue from this validator (see `sigma list validators`)")
# Dataclass fields every issue has; the others describe the finding and are printed.
COMMON_FIELDS = {"rules", "description", "severity"}


def _validator() -> SigmaValidator:
    validators = InstalledSigmaPlugins.autodiscover().validators
    return SigmaValidator.from_yaml(SIGMA_CLI_CONFIG.read_text(encoding="utf-8"), validators)


def _issue_detail(issue: SigmaValidationIssue) -> str:
    details = [
        f"{field.name} {getattr(issue, field.name)}"
        for field in dataclasses.fields(issue)
        if field.name not in COMMON_FIELDS
    ]
    return f" ({', '.join(details)})" if details else ""


def _issue_problems(issue: SigmaValidationIssue) -> list[Problem]:
    name = type(issue).__name__
    key, expected = ISSUE_KEYS.get(name, DEFAULT_KEY)
    message = f"{issue.description}{_issue_detail(issue)} ({name}, {issue.severity.name.lower()})"
    return [
        Problem(
            Path(str(rule.source.path)) if rule.source else Path(str(rule.id)),
            CHECK,
            key,
            message,
            expected,
        )
        for rule in issue.rules
    ]


def _without_source(error: SigmaError) -> str:
    # SigmaError's text ends with " in <file>"; the problem line names the file already.
    return Exception.__str__(error)


def _parse_problems(collection: SigmaCollection) -> tuple[list[Problem], list[SigmaRule]]:
    problems: list[Problem] = []
    valid: list[SigmaRule] = []
    for rule in collection.rules:
        path = Path(str(rule.source.path)) if rule.source else Path("(unknown file)")
        if rule.errors:
            problems.extend(
                Problem(
                    path,
                    CHECK,
                    "(rule)",
                    f"{_without_source(error)} ({type(error).__name__})",
                    "a rule pySigma can parse",
                )
                for error in rule.errors
            )
            continue
        try:
            for condition in getattr(rule.detection, "parsed_condition", []):
                condition.parse()
        except SigmaConditionError as error:
            problems.append(
                Problem(path, CHECK, "detection.condition", str(error), "a valid Sigma condition")
            )
            continue
        valid.append(rule)
    return problems, valid


def run_validators(paths: list[Path]) -> list[Problem]:
    """Return every parse error and validation issue that sigma check reports on the files."""
    try:
        collection = SigmaCollection.load_ruleset(
            [str(path) for path in paths], collect_errors=True
        )
    except SigmaError as error:
        return [Problem(paths[0], CHECK, "(file)", str(error), "a file pySigma can load")]
    problems, valid = _parse_problems(collection)
    for issue in _validator().validate_rules(valid):
        problems.extend(_issue_problems(issue))
    # The validators run in no fixed order; sort so the output is stable between runs.
    return sorted(problems)
