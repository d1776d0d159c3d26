"""Check the conventions that SigmaHQ's test scripts and rule conventions enforce.

The facts come from SigmaHQ/sigma at commit 8eaafff1f2845a696050e05e72ba1140ee190698:
tests/test_rules.py and tests/test_logsource.py (run by CI as scripts) and the
SigmaHQ rule conventions of the sigma-specification repository (key order,
filter names, status of new rules). Each check returns every violation it finds.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .offline import ATTACK_FILE, LOGSOURCE_FILE
from .problems import Problem

CHECK = "SigmaHQ conventions"
Rule = dict[str, Any]

# SigmaHQ's key order; a rule may leave out optional keys but keeps the others in this order.
KEY_ORDER = (
    "title",
    "id",
    "related",
    "status",
    "description",
    "references",
    "author",
    "date",
    "modified",
    "tags",
    "logsource",
    "detection",
    "falsepositives",
    "level",
)
TRADEMARKS = ("ATT&CK",)
# The title length limit of pySigma-validators-sigmahq 0.21.0 (sigmahq_title_length).
TITLE_MAX = 120
# Words that title case leaves in lower case (SigmaHQ's title case check).
TITLE_LOWERCASE = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "by",
    "for",
    "from",
    "in",
    "new",
    "of",
    "on",
    "or",
    "over",
    "the",
    "through",
    "to",
    "via",
    "with",
    "without",
}
FILENAME = re.compile(r"[a-z0-9_]{10,90}\.yml")
FILENAME_MIN, FILENAME_MAX = 14, 90
# File name prefixes by log source product, from test_rules.py's file name test.
# NOTE: its category and Windows service prefixes are not reproduced; rules of this
# project are cloud audit log rules.
PRODUCT_PREFIXES = {
    "aws": "aws_",
    "azure": "azure_",
    "gcp": "gcp_",
    "m365": "microsoft365_",
    "okta": "okta_",
    "onelogin": "onelogin_",
    "github": "github_",
    "fortinet": "fortinet_",
}
DATE = re.compile(r"^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$")
NEW_RULE_STATUS = "experimental"
TECHNIQUE_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$")
GITHUB_PERMALINK = re.compile(r"^https://github\.com/[^/]+/[^/]+/(blob|tree)/[0-9a-f]{40}/")
FILTER_NAME = re.compile(r"^filter_(main|optional)_[a-z0-9_]*\*?$")
NEGATED = re.compile(r"\bnot\s+(?:1\s+of\s+|all\s+of\s+)?([A-Za-z0-9_*]+)")
LOGSOURCE_KEYS = ("category", "product", "service", "definition")
# Characters a |re value may escape, from test_rules.py: punctuation that re.escape()
# escapes, the regex classes and anchors, back references and quotes.
RE_ESCAPABLE = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") | set("AbBdDfnrsStvwWZ0123456789")


def _problem(path: Path, key: str, message: str, expected: str) -> Problem:
    return Problem(path, CHECK, key, message, expected)


def check_trademarks(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Reject trademarks that SigmaHQ keeps out of rule files."""
    for mark in TRADEMARKS:
        if mark in text:
            yield _problem(
                path,
                "(file)",
                f"contains the trademark {mark!r}",
                "no 'ATT&CK' anywhere; write MITRE tags as attack.*",
            )


def check_key_order(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check that the first key is title and the known keys follow SigmaHQ's order."""
    keys = list(rule)
    if keys and keys[0] != "title":
        yield _problem(path, keys[0], f"the first key is {keys[0]!r}", "title as the first key")
    known = [key for key in keys if key in KEY_ORDER]
    wanted = sorted(known, key=KEY_ORDER.index)
    if known != wanted:
        yield _problem(
            path,
            "(key order)",
            f"keys in the order {', '.join(known)}",
            f"the order {', '.join(wanted)}",
        )


def check_title(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check the title's length, start, end and title case."""
    title = rule.get("title")
    if not isinstance(title, str) or not title:
        yield _problem(path, "title", "the title is missing or not a string", "a one-line title")
        return
    if len(title) > TITLE_MAX:
        yield _problem(path, "title", f"{len(title)} characters", f"at most {TITLE_MAX} characters")
    if title.startswith("Detects"):
        yield _problem(
            path, "title", f"{title!r} starts with 'Detects'", "a title that names the activity"
        )
    if title.endswith("."):
        yield _problem(path, "title", f"{title!r} ends with a period", "no final period")
    for word in title.split(" "):
        if word.islower() and word not in TITLE_LOWERCASE and not re.search(r"[./_]|^\d", word):
            yield _problem(
                path,
                "title",
                f"the word {word!r} is in lower case",
                "title case; only short words such as 'to', 'of', 'via' stay lower case",
            )


def check_file_name(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check the file name's characters, length and log source prefix."""
    name = path.name
    if not FILENAME_MIN <= len(name) <= FILENAME_MAX:
        yield _problem(
            path,
            "(file name)",
            f"{name!r} has {len(name)} characters",
            f"{FILENAME_MIN} to {FILENAME_MAX} characters",
        )
    if not FILENAME.fullmatch(name) or "_" not in name:
        yield _problem(
            path,
            "(file name)",
            f"{name!r} has characters other than [a-z0-9_] or no .yml",
            "lower-case letters, digits and '_', ending in .yml",
        )
    logsource = rule.get("logsource")
    product = logsource.get("product") if isinstance(logsource, dict) else None
    prefix = PRODUCT_PREFIXES.get(str(product))
    if prefix and not name.startswith(prefix):
        yield _problem(
            path,
            "(file name)",
            f"{name!r} does not start with {prefix!r}",
            f"the prefix {prefix} for product {product}",
        )


def _date_text(value: Any) -> str | None:
    # PyYAML reads an unquoted YYYY-MM-DD as a date; anything else stays a string.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    return value if isinstance(value, str) and DATE.match(value) else None


def check_dates(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check that date exists and that date and modified are YYYY-MM-DD."""
    if "date" not in rule:
        yield _problem(path, "date", "the creation date is missing", "date: YYYY-MM-DD")
    for key in ("date", "modified"):
        if key in rule and _date_text(rule[key]) is None:
            yield _problem(
                path, key, f"{rule[key]!r} is not a YYYY-MM-DD date", "an ISO 8601 date, YYYY-MM-DD"
            )
    if "modified" in rule and _date_text(rule.get("modified")) == _date_text(rule.get("date")):
        yield _problem(path, "modified", "modified equals date", "no modified date on a new rule")


def check_status(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check that a new rule is experimental."""
    status = rule.get("status")
    if status != NEW_RULE_STATUS:
        yield _problem(path, "status", f"status is {status!r}", f"{NEW_RULE_STATUS} for a new rule")


@lru_cache(maxsize=1)
def technique_tactics() -> dict[str, set[str]]:
    """Map each ATT&CK technique id (lower case) to its tactic short names, from the shipped data."""
    bundle = json.loads(ATTACK_FILE.read_text(encoding="utf-8"))
    mapping: dict[str, set[str]] = {}
    for obj in bundle["objects"]:
        ids = [ref["external_id"] for ref in obj.get("external_references", [])]
        if obj.get("type") == "attack-pattern" and ids:
            phases = obj.get("kill_chain_phases", [])
            mapping[ids[0].lower()] = {phase["phase_name"] for phase in phases}
    return mapping


def check_tags(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check that tags are unique and that each technique's tactic is tagged too."""
    tags = rule.get("tags") or []
    if len(tags) != len(set(tags)):
        yield _problem(path, "tags", "a tag appears more than once", "each tag once")
    tactics = {
        tag.split(".", 1)[1].replace("_", "-")
        for tag in tags
        if isinstance(tag, str) and "." in tag
    }
    for tag in tags:
        match = TECHNIQUE_TAG.match(str(tag))
        if not match:
            continue
        known = technique_tactics().get(match.group(1))
        if known is None:
            yield _problem(
                path, "tags", f"{tag!r} is not an ATT&CK technique", "a current technique id"
            )
        elif not known & tactics:
            wanted = " or ".join(f"attack.{name.replace('-', '_')}" for name in sorted(known))
            yield _problem(
                path, "tags", f"{tag!r} has none of its tactics tagged", f"also {wanted}"
            )


def _is_github_file_link(url: str) -> bool:
    return url.startswith("https://github.com/") and ("/blob/" in url or "/tree/" in url)


def check_references(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check the references: plural key, URLs, no ATT&CK site links, GitHub permalinks."""
    if "reference" in rule:
        yield _problem(path, "reference", "singular key 'reference'", "references (plural)")
    for url in rule.get("references") or []:
        url = str(url)
        if not url.startswith(("https://", "http://")):
            yield _problem(path, "references", f"{url!r} is not a URL", "http or https URLs")
        elif "attack.mitre.org" in url:
            yield _problem(
                path, "references", f"{url!r} links to attack.mitre.org", "attack.* tags instead"
            )
        elif _is_github_file_link(url) and not GITHUB_PERMALINK.match(url):
            yield _problem(
                path,
                "references",
                f"{url!r} is not a commit permalink",
                "https://github.com/OWNER/REPO/blob/<40-hex commit>/PATH",
            )


def check_falsepositives(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check that false positives are a list of sentences that start with a capital letter."""
    if "falsepositives" not in rule:
        yield _problem(
            path,
            "falsepositives",
            "the key is missing",
            "a list of false positives, 'Unknown' when none is known",
        )
        return
    entries = rule["falsepositives"]
    if not isinstance(entries, list) or not entries:
        yield _problem(
            path, "falsepositives", f"{entries!r} is not a list of entries", "a list of strings"
        )
        return
    for entry in entries:
        if not isinstance(entry, str) or not entry[:1].isupper():
            yield _problem(
                path,
                "falsepositives",
                f"{entry!r} does not start with a capital letter",
                "each entry starting with a capital letter",
            )
        elif entry.strip().lower() in ("none", "pentest", "penetration"):
            yield _problem(
                path,
                "falsepositives",
                f"{entry!r} is a placeholder",
                "a real false positive or 'Unknown'",
            )


def _search_identifiers(rule: Rule) -> dict[str, Any]:
    detection = rule.get("detection")
    if not isinstance(detection, dict):
        return {}
    return {
        name: value for name, value in detection.items() if name not in ("condition", "timeframe")
    }


def check_filter_names(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check that exclusions are named filter_main_* or filter_optional_*."""
    condition = (
        (rule.get("detection") or {}).get("condition", "")
        if isinstance(rule.get("detection"), dict)
        else ""
    )
    conditions = condition if isinstance(condition, list) else [condition]
    negated = {name for text_ in conditions for name in NEGATED.findall(str(text_))}
    named = {name for name in _search_identifiers(rule) if name.startswith("filter")}
    for name in sorted(negated | named):
        if not FILTER_NAME.match(name):
            yield _problem(
                path,
                f"detection.{name}",
                f"the exclusion is named {name!r}",
                "filter_main_<name> for always-on exclusions, filter_optional_<name> for optional ones",
            )


def _one_element_lists(name: str, value: Any) -> Iterator[str]:
    if isinstance(value, list):
        if len(value) == 1 and not isinstance(value[0], str):
            yield name
        for item in value:
            if isinstance(item, dict):
                yield from _one_element_lists(name, item)
    elif isinstance(value, dict):
        yield from (
            f"{name}.{key}"
            for key, item in value.items()
            if isinstance(item, list) and len(item) == 1
        )


def check_one_element_lists(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check that no detection value is a list with a single element."""
    for name, value in _search_identifiers(rule).items():
        for where in _one_element_lists(name, value):
            yield _problem(
                path,
                f"detection.{where}",
                "a list with one element",
                "the single value without a list",
            )


def _bad_escapes(value: str) -> list[str]:
    bad = []
    for index, char in enumerate(value[:-1]):
        escaped = value[index + 1]
        if char == "\\" and value[index - 1 : index] != "\\" and escaped not in RE_ESCAPABLE:
            bad.append(escaped)
    return bad


def check_regex_escapes(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check that |re values escape only characters that need it."""
    for name, selection in _search_identifiers(rule).items():
        items = selection if isinstance(selection, list) else [selection]
        for item in (entry for entry in items if isinstance(entry, dict)):
            for field, values in item.items():
                if "|re" not in str(field):
                    continue
                for value in values if isinstance(values, list) else [values]:
                    for char in _bad_escapes(str(value)):
                        yield _problem(
                            path,
                            f"detection.{name}.{field}",
                            f"the regex escapes {char!r}",
                            "escapes only of regex metacharacters, classes and quotes",
                        )


@lru_cache(maxsize=1)
def _logsources() -> dict[str, Any]:
    return json.loads(LOGSOURCE_FILE.read_text(encoding="utf-8"))


def _logsource_fields(logsource: dict[str, Any]) -> list[str] | None:
    """Return the field names SigmaHQ lists for a log source, [] for no list, None if unknown.

    As test_logsource.py does, a rule without product uses the "empty" product, the
    "addon" fields and the product's common fields extend each list, and a list
    that holds only the common fields is not checked.
    """
    data = _logsources()
    product_name = logsource.get("product") or "empty"
    product = data["legit"].get(product_name)
    if product is None:
        return None
    common = product.get("common", [])
    for kind in ("category", "service"):
        name = logsource.get(kind)
        if not name:
            continue
        if name not in product.get(kind, {}):
            return None
        addon = data["addon"].get(product_name, {}).get(kind, {}).get(name, [])
        fields = [*product[kind][name], *addon, *common]
        break
    else:
        fields = product.get("empty", [])
    return [] if fields == common else fields


def _detection_fields(rule: Rule) -> Iterator[str]:
    for selection in _search_identifiers(rule).values():
        items = selection if isinstance(selection, list) else [selection]
        for item in (entry for entry in items if isinstance(entry, dict)):
            yield from (str(field).split("|")[0] for field in item if field != "|all")


def check_logsource(path: Path, text: str, rule: Rule) -> Iterator[Problem]:
    """Check the log source keys, that SigmaHQ lists the log source, and its field names."""
    logsource = rule.get("logsource")
    if not isinstance(logsource, dict):
        yield _problem(path, "logsource", "the log source is missing", "a logsource mapping")
        return
    for key, value in logsource.items():
        if key not in LOGSOURCE_KEYS or not isinstance(value, str):
            yield _problem(
                path,
                f"logsource.{key}",
                f"{key}: {value!r} is not allowed",
                "string values for category, product, service or definition",
            )
    fields = _logsource_fields(logsource)
    if fields is None:
        described = "/".join(str(logsource.get(k)) for k in ("product", "category", "service"))
        yield _problem(
            path,
            "logsource",
            f"SigmaHQ does not list the log source {described}",
            "a product/category/service listed in SigmaHQ's tests/logsource.json",
        )
        return
    for field in sorted(set(_detection_fields(rule))):
        if fields and field not in fields:
            yield _problem(
                path,
                "detection",
                f"the field {field!r} is not in the log source's field list",
                "a field name SigmaHQ lists for this log source",
            )


CHECKS: tuple[Callable[[Path, str, Rule], Iterator[Problem]], ...] = (
    check_trademarks,
    check_key_order,
    check_title,
    check_file_name,
    check_dates,
    check_status,
    check_tags,
    check_references,
    check_falsepositives,
    check_filter_names,
    check_one_element_lists,
    check_regex_escapes,
    check_logsource,
)


def check_conventions(path: Path, text: str) -> list[Problem]:
    """Return every convention violation in one rule file's text."""
    try:
        rule = yaml.safe_load(text)
    except yaml.YAMLError as error:
        return [_problem(path, "(file)", f"invalid YAML: {error}", "a YAML mapping")]
    if not isinstance(rule, dict):
        return [
            _problem(path, "(file)", "the file is not a YAML mapping", "one Sigma rule per file")
        ]
    return [problem for check in CHECKS for problem in check(path, text, rule)]
