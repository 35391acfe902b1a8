#!/usr/bin/env python3
"""The minimum Rust version (rust-version) is real: every crate of the workspace inherits
the workspace's, and no dependency in Cargo.lock needs a newer compiler. Clippy's
`incompatible_msrv` lint (on in CI) checks our own code against it: any standard-library
API newer than rust-version is an error. Compiling with that exact toolchain needs it
installed (rustup toolchain install <version>; cargo +<version> check --workspace),
which CI machines cannot download, so that part is a manual check (see the README)."""
import json
import subprocess
import sys


def version(text):
    """"1.94" and "1.94.0" are the same version."""
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
members = set(metadata["workspace_members"])
ours = {p["name"]: p.get("rust_version") for p in metadata["packages"] if p["id"] in members}
declared = set(ours.values())
if None in declared or len(declared) != 1:
    sys.exit(f"every crate must inherit the workspace's rust-version: {ours}")
msrv = declared.pop()
needs = sorted(
    (version(p["rust_version"]), p["name"], p["version"])
    for p in metadata["packages"]
    if p["id"] not in members and p.get("rust_version")
)
newest = needs[-1]
too_new = [f"{name} {ver} needs {'.'.join(map(str, v))}" for v, name, ver in needs if v > version(msrv)]
if too_new:
    sys.exit(f"rust-version = {msrv} is too low:\n  " + "\n  ".join(too_new))
print(
    f"rust-version {msrv}: inherited by all {len(ours)} crates; the most demanding dependency "
    f"is {newest[1]} {newest[2]} ({'.'.join(map(str, newest[0]))})"
)
