#!/usr/bin/env python3
"""Fail when Slither reports a high or medium finding in contracts/ that the triage file does not accept.

Usage: slither_gate.py SLITHER_JSON TRIAGE_FILE

The triage file has one accepted finding per line: `<detector> <Contract.function> <reason>`, where the location is
the first element Slither names (a function as Contract.function, a contract or a variable as its name). Lines
starting with `#` and blank lines are ignored. An accepted finding that Slither no longer reports fails the gate too,
so the file lists exactly what is accepted today.
"""

import json
import sys

GATED = {"High", "Medium"}


def location(finding):
    """The first element's name, qualified by its contract when it is a function or a state variable."""
    for element in finding.get("elements", []):
        name = element.get("name", "")
        parent = element.get("type_specific_fields", {}).get("parent", {})
        if element.get("type") in ("function", "variable") and parent.get("type") == "contract":
            return f"{parent['name']}.{name.split('(')[0]}"
        if name:
            return name.split("(")[0]
    return "?"


def read_triage(path):
    accepted = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                sys.exit(f"{path}:{number}: expected `<detector> <Contract.function> <reason>`, got: {line}")
            accepted[(parts[0], parts[1])] = parts[2]
    return accepted


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        report = json.load(f)
    if not report.get("success", False):
        sys.exit(f"slither failed: {report.get('error')}")
    accepted = read_triage(sys.argv[2])
    findings = report.get("results", {}).get("detectors", [])
    seen, untriaged = set(), []
    for finding in findings:
        if finding.get("impact") not in GATED:
            continue
        key = (finding["check"], location(finding))
        seen.add(key)
        if key not in accepted:
            untriaged.append((key, finding["impact"], finding["description"].strip()))
    stale = sorted(set(accepted) - seen)
    gated = sum(1 for f in findings if f.get("impact") in GATED)
    print(f"slither: {gated} high/medium findings, {gated - len(untriaged)} triaged in {sys.argv[2]}")
    for (check, where), impact, description in untriaged:
        print(f"UNTRIAGED {impact}: {check} {where}\n  {description}\n")
    for check, where in stale:
        print(f"STALE triage entry (no longer reported, remove it): {check} {where}")
    if untriaged or stale:
        print("Fix the finding, or accept it with a one-line reason in the triage file.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
