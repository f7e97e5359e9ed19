#!/usr/bin/env python3
"""Check that the unit tests' trees (bulloak style) and their tests name each other.

Every folder under test/unit/ that holds files holds `<folder>.tree` and `<folder>.t.sol` (a folder holding only
folders groups them, e.g. disputeModule/). In a tree, every leaf (a line whose text starts with "it ") ends with the
test function(s) that check it: ` [test_Name]` or ` [test_A, test_B]`. Fails (exit 1, one line per problem) when:
- a folder lacks its .tree or its .t.sol;
- a leaf names no test, or names a function that no .t.sol file of its folder declares;
- a `test*` function of the folder's .t.sol files is named by no leaf.

Usage: python3 tools/tree_check.py [ROOT]   (ROOT: the repository, default: this script's parent's parent)
Standard library only.
"""

import re
import sys
from pathlib import Path

TREE_GLYPHS = "│├└─ \t"
ANNOTATION = re.compile(r"\s\[([^\]]*)\]\s*$")
TEST_NAME = re.compile(r"^test\w*$")
TEST_FUNCTION = re.compile(r"\bfunction\s+(test\w*)\s*\(")


def leaves(tree):
    """(line number, text, annotation or None) for each leaf of a tree file."""
    for number, line in enumerate(tree.read_text(encoding="utf-8").split("\n"), 1):
        text = line.lstrip(TREE_GLYPHS)
        if text.startswith("it "):
            found = ANNOTATION.search(text)
            yield number, text, found.group(1) if found else None


def check_folder(folder, root):
    problems = []
    where = folder.relative_to(root)
    tree = folder / f"{folder.name}.tree"
    tests = sorted(folder.glob("*.t.sol"))
    if not tree.is_file():
        problems.append(f"{where}: no {folder.name}.tree")
    if not (folder / f"{folder.name}.t.sol").is_file():
        problems.append(f"{where}: no {folder.name}.t.sol")
    if problems:
        return problems, 0, 0

    declared = set()
    for test in tests:
        declared.update(TEST_FUNCTION.findall(test.read_text(encoding="utf-8")))
    named = set()
    count = 0
    for number, text, annotation in leaves(tree):
        count += 1
        at = f"{tree.relative_to(root)}:{number}"
        if annotation is None:
            problems.append(f"{at}: leaf names no test: {text}")
            continue
        names = [name.strip() for name in annotation.split(",")]
        for name in names:
            if not TEST_NAME.match(name):
                problems.append(f"{at}: '{name}' is not a test function name")
            elif name not in declared:
                problems.append(f"{at}: {name} is not a function of {folder.name}'s .t.sol files")
            named.add(name)
    for name in sorted(declared - named):
        problems.append(f"{where}: {name} is named by no leaf of {tree.name}")
    return problems, count, len(declared)


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    unit = root / "test" / "unit"
    problems, folders, leaf_count, test_count = [], 0, 0, 0
    for folder in sorted(p for p in unit.rglob("*") if p.is_dir()):
        if not any(p.is_file() for p in folder.iterdir()):
            if not any(p.is_dir() for p in folder.iterdir()):
                problems.append(f"{folder.relative_to(root)}: empty folder")
            continue
        folders += 1
        found, leaves_here, tests_here = check_folder(folder, root)
        problems += found
        leaf_count += leaves_here
        test_count += tests_here
    for problem in problems:
        print(problem)
    print(
        f"tree_check: {folders} folders, {leaf_count} leaves, {test_count} tests: {len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
