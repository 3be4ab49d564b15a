#!/usr/bin/env python3
"""Structure checks that rustc does not make, run by .ci/run:

1. No file-level import cycle inside any crate: a source file may not reach (through `crate::`,
   `super::` or `self::` paths in `use` items and in code) a file that reaches it back. Inline
   `#[cfg(test)] mod tests` blocks are left out: a test module may import anything.
2. No source file of the server crate (crates/rt2-mock) is longer than 800 lines.

usage: scripts/check-structure.py            (from anywhere; exits 1 on a finding)
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_LINES = {"rt2-mock": 800}

COMMENTS_AND_STRINGS = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\])*"', re.S)
TEST_MODULE = re.compile(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{")
USE_ITEM = re.compile(r"\buse\s+([^;]+);")
INLINE_PATH = re.compile(r"\b((?:crate|super|self)(?:::\w+)+)")


def modules(src):
    """Maps each module path (tuple of names) to its file."""
    found = {}
    for folder, _, names in os.walk(src):
        for name in names:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, src)[:-3].split(os.sep)
            if parts[-1] in ("lib", "main", "mod"):
                parts = parts[:-1]
            found[tuple(parts)] = path
    return found


def strip_test_modules(text):
    """The text without inline test modules (brace-matched)."""
    out, pos = [], 0
    for match in TEST_MODULE.finditer(text):
        if match.start() < pos:
            continue
        out.append(text[pos:match.start()])
        depth, i = 1, match.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        pos = i
    out.append(text[pos:])
    return "".join(out)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [`a::b`, `a::c::d`, `a::c::e`]."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [tree]
    prefix, inner = tree[:brace], tree[brace + 1:-1]
    parts, depth, current = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        current += ch
    parts.append(current)
    return [p for part in parts if part for p in expand(prefix + part)]


def edges_of(mod, path, files):
    text = strip_test_modules(COMMENTS_AND_STRINGS.sub("", open(path, encoding="utf-8").read()))
    is_dir_module = os.path.basename(path) in ("lib.rs", "main.rs", "mod.rs")
    here = list(mod) if is_dir_module else list(mod[:-1])
    paths = [p for item in USE_ITEM.findall(text) for p in expand(item)]
    paths += INLINE_PATH.findall(text)
    targets = set()
    for p in paths:
        segments = [s for s in p.split(" as ")[0].split("::") if s]
        if not segments:
            continue
        if segments[0] == "crate":
            target = segments[1:]
        elif segments[0] == "super":
            target = list(here)
            while segments and segments[0] == "super":
                target, segments = target[:-1], segments[1:]
            target += segments
        elif segments[0] == "self":
            target = here + segments[1:]
        else:
            continue
        target = [s for s in target if s not in ("*", "self")]
        # The longest prefix that is a file is the file the path reaches.
        for k in range(len(target), 0, -1):
            if tuple(target[:k]) in files:
                if tuple(target[:k]) != mod:
                    targets.add(tuple(target[:k]))
                break
    return targets


def cycles(graph):
    """Strongly connected sets of more than one file (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted("/".join(m) or "lib" for m in component))
    return found


def main():
    failed = False
    crates_dir = os.path.join(ROOT, "crates")
    for crate in sorted(os.listdir(crates_dir)):
        src = os.path.join(crates_dir, crate, "src")
        if not os.path.isdir(src):
            continue
        files = modules(src)
        graph = {mod: edges_of(mod, path, files) for mod, path in files.items()}
        for cycle in cycles(graph):
            print(f"structure: crates/{crate} has an import cycle: {', '.join(cycle)}",
                  file=sys.stderr)
            failed = True
        limit = MAX_LINES.get(crate)
        for mod, path in files.items() if limit else ():
            lines = sum(1 for _ in open(path, encoding="utf-8"))
            if lines > limit:
                rel = os.path.relpath(path, ROOT)
                print(f"structure: {rel} has {lines} lines (at most {limit} in crates/{crate})",
                      file=sys.stderr)
                failed = True
    if failed:
        sys.exit(1)
    print("structure ok: no import cycle in any crate, no oversized server file")


if __name__ == "__main__":
    main()
