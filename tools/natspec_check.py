#!/usr/bin/env python3
"""Check the NatSpec of the contracts' interfaces (contracts/**/*.sol, `interface` declarations).

Fails (exit 1, one line per problem) when:
- a custom error declared anywhere in contracts/ is named in no interface's NatSpec (`///` or `/** */`). The
  convention: each function's `@dev Requirements:` names, in backticks, the error every failed condition reverts with,
  e.g. "rental active (`GpuEscrow_RentalNotActive`)"; errors only a constructor raises are named in the NatSpec of
  the contract's interface;
- a function declared in an interface lacks an `@param <name>` line for one of its named parameters, or a `@return`
  line for one of its return values (a named return value's line starts with its name).

Usage: python3 tools/natspec_check.py [ROOT]   (ROOT: the repository, default: this script's parent's parent)
Standard library only; the Solidity is read with regular expressions, which is enough for this code base's style
(one declaration per statement, NatSpec in `///` lines right above what it documents).
"""

import re
import sys
from pathlib import Path

LOCATIONS = {"memory", "calldata", "storage"}
ERROR_DECL = re.compile(r"\berror\s+([A-Za-z_]\w*)\s*\(")
INTERFACE_DECL = re.compile(r"^\s*interface\s+(\w+)", re.M)
FUNCTION_START = re.compile(r"^\s*function\s+(\w+)\s*\(")


def strip_comments(source):
    """The source with every comment blanked out (strings in this code base hold no comment markers)."""
    source = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), source, flags=re.S)
    return re.sub(r"//[^\n]*", "", source)


def natspec_text(source):
    """Every NatSpec comment of a file, concatenated: `///` lines and `/** */` blocks."""
    parts = re.findall(r"^\s*///(.*)$", source, flags=re.M)
    parts += re.findall(r"/\*\*(.*?)\*/", source, flags=re.S)
    return "\n".join(parts)


def split_top_level(text):
    """Splits a parameter list at the commas outside parentheses."""
    items, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        items.append(current)
    return [item.strip() for item in items]


def parameter_name(declaration):
    """The name in `type [location] name`, or None for an unnamed parameter."""
    tokens = declaration.split()
    if len(tokens) < 2 or tokens[-1] in LOCATIONS or tokens[-1] == "payable":
        return None
    return tokens[-1]


def balanced(text, start):
    """The text between the parenthesis at `start` and its match, and the index after the match."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    raise ValueError("unbalanced parentheses")


def interface_functions(path, source):
    """(line, name, params, returns, natspec lines) for each function declared in an interface of `source`."""
    lines = source.split("\n")
    code_lines = strip_comments(source).split("\n")
    functions, in_interface, depth = [], False, 0
    for number, code in enumerate(code_lines):
        if not in_interface and INTERFACE_DECL.match(code):
            in_interface, depth = True, 0
        if in_interface and FUNCTION_START.match(code) and depth == 1:
            header = "\n".join(code_lines[number:])
            header = header[: min(i for i in (header.find(";"), header.find("{")) if i >= 0)]
            params_text, after = balanced(header, header.index("("))
            returns = []
            found = re.search(r"\breturns\s*\(", header[after:])
            if found:
                returns_text, _ = balanced(header, after + found.end() - 1)
                returns = split_top_level(returns_text)
            doc, k = [], number - 1
            while k >= 0 and re.match(r"^\s*///", lines[k]):
                doc.insert(0, lines[k].strip()[3:].strip())
                k -= 1
            if k >= 0 and lines[k].strip().endswith("*/"):
                while k >= 0 and "/**" not in lines[k]:
                    doc.insert(0, lines[k].strip().lstrip("*").strip())
                    k -= 1
            name = FUNCTION_START.match(code).group(1)
            functions.append((number + 1, name, split_top_level(params_text), returns, doc))
        if in_interface:
            depth += code.count("{") - code.count("}")
            if depth == 0 and "}" in code:
                in_interface = False
    return functions


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    sources = {path: path.read_text(encoding="utf-8") for path in sorted((root / "contracts").rglob("*.sol"))}
    problems = []

    errors = {}
    for path, source in sources.items():
        for name in ERROR_DECL.findall(strip_comments(source)):
            errors.setdefault(name, path)
    interfaces = {path: source for path, source in sources.items() if INTERFACE_DECL.search(strip_comments(source))}
    documented = "\n".join(natspec_text(source) for source in interfaces.values())
    for name, path in sorted(errors.items()):
        if not re.search(r"\b" + re.escape(name) + r"\b", documented):
            problems.append(f"{path.relative_to(root)}: error {name} is named in no interface's NatSpec")

    count = 0
    for path, source in interfaces.items():
        for line, name, params, returns, doc in interface_functions(path, source):
            count += 1
            where = f"{path.relative_to(root)}:{line}: {name}"
            tags = [d.split() for d in doc if d.startswith("@")]
            documented_params = {t[1] for t in tags if t[0] == "@param" and len(t) > 1}
            return_lines = [t[1:] for t in tags if t[0] == "@return"]
            for param in params:
                param_name = parameter_name(param)
                if param_name and param_name not in documented_params:
                    problems.append(f"{where}: no @param {param_name}")
            if len(return_lines) < len(returns):
                problems.append(f"{where}: {len(returns)} return value(s), {len(return_lines)} @return line(s)")
            for i, ret in enumerate(returns):
                ret_name = parameter_name(ret)
                if ret_name and not any(words and words[0] == ret_name for words in return_lines):
                    problems.append(f"{where}: no @return {ret_name}")

    for problem in problems:
        print(problem)
    print(
        f"natspec_check: {len(errors)} errors, {count} interface functions in {len(interfaces)} files: "
        f"{len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
