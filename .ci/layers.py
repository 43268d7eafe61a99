#!/usr/bin/env python3
"""Checks the module layers of crates/goro/src (ARCHITECTURE.md, "Layers").

Reads every `crate::..` and `super::..` path in the crate's files (outside
their `#[cfg(test)]` modules) and fails if a module uses one of a higher
layer, or if the files' imports form a cycle. Prints the graph with -v.
"""
import os
import re
import sys

# Lowest first. A module may use modules of its own layer and those below.
LAYERS = [
    ["loom"],
    ["util"],
    ["goroutine"],
    ["runtime"],
    ["trace"],
    ["builder", "spawn", "sched", "dump", "quit", "deadlock"],
    ["chan", "sync", "time", "net", "context", "signal"],
    ["__private", "lib"],
]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "goro", "src")


def modules():
    found = {}
    for dirpath, _, names in os.walk(ROOT):
        for name in names:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), ROOT)[:-3]
            parts = rel.split(os.sep)
            if parts[-1] == "mod":
                parts = parts[:-1]
            if parts == ["private"]:
                parts = ["__private"]
            with open(os.path.join(dirpath, name)) as f:
                found["::".join(parts)] = (f.read(), parts[-1] == "mod" or name == "mod.rs")
    return found


def code(text):
    """The text without its unit tests (they may use anything) and its
    comments (doc links are no dependency)."""
    m = re.search(r"#\[cfg\((all\()?test[,)]", text)
    text = text[: m.start()] if m else text
    return re.sub(r"//[^\n]*", "", text)


def paths(text):
    """Every path that starts with crate:: or super::, expanded over braces."""
    out = []
    for m in re.finditer(r"\b(crate|super)((?:::\w+)*)(::\{)?", text):
        base = m.group(1) + m.group(2)
        if not m.group(3):
            out.append(base)
            continue
        depth, i = 1, m.end()
        start = i
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        for item in re.split(r",", re.sub(r"\{[^{}]*\}", "", text[start : i - 1])):
            item = item.strip().split(" as ")[0].strip()
            if item:
                out.append(base + "::" + item)
    return out


def resolve(current, is_dir, path, mods):
    parts = path.split("::")
    if parts[0] == "crate":
        parts = parts[1:]
    else:
        here = current.split("::") if current != "lib" else []
        # `super` of a file module is its parent; of a mod.rs, its parent's.
        here = here[:-1] if not is_dir else here[:-1]
        while parts and parts[0] == "super":
            parts = parts[1:]
        parts = here + parts
    for n in range(len(parts), 0, -1):
        name = "::".join(parts[:n])
        if name in mods:
            return name
    return None


def layer_of(module):
    top = module.split("::")[0]
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    sys.exit(f"layers.py: {module} is in no layer; add it to LAYERS")


def main():
    verbose = "-v" in sys.argv
    mods = modules()
    graph = {}
    for name, (text, is_dir) in mods.items():
        deps = set()
        for path in paths(code(text)):
            target = resolve(name, is_dir, path, mods)
            # A module's own items, and its parent's (mod.rs) re-exports
            # used by a child, are not edges between files of two layers.
            if target and target != name:
                deps.add(target)
        graph[name] = deps
    errors = []
    for name, deps in sorted(graph.items()):
        if verbose:
            print(f"{name} -> {' '.join(sorted(deps))}")
        for dep in deps:
            if name.startswith(dep + "::"):
                continue  # a child using its parent module's items
            if layer_of(dep) > layer_of(name):
                errors.append(f"{name} (layer {layer_of(name)}) uses {dep} (layer {layer_of(dep)})")
    # Cycles between files (Tarjan). A child using its parent's items is no
    # edge here: the parent only declares and re-exports it.
    edges = {n: {d for d in ds if not n.startswith(d + "::")} for n, ds in graph.items()}
    index, low, stack, on, counter = {}, {}, [], set(), [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                errors.append("cycle between files: " + " -> ".join(sorted(comp)))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    for error in errors:
        print("layers.py:", error, file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"layers.py: {len(graph)} modules, {len(LAYERS)} layers, no upward use, no cycle")


main()
