"""Generate Python protobuf modules from proto/ into libs/ghost (committed, never hand-edited).

    python -m ghostkit.protogen           regenerate libs/ghost (what `make proto` runs)
    python -m ghostkit.protogen --check   exit 1 listing stale, missing or extra files

Every ``.proto`` under ``proto/`` is compiled in one protoc run (the one bundled with
grpcio-tools, so the output depends only on that package's version) with ``--python_out`` and
``--pyi_out``. Only message modules are produced: the RPC layer binds services from their
descriptors, so no grpc stubs. ``proto/ghost/wallet/v1/wallet.proto`` becomes
``libs/ghost/wallet/v1/wallet_pb2.py``, imported as ``from ghost.wallet.v1 import wallet_pb2``.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from google.protobuf import descriptor_pb2

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = REPO_ROOT / "proto"
OUT_DIR = REPO_ROOT / "libs"
# The generated tree: everything under it is owned by this generator.
PACKAGE = "ghost"
# Empty package markers: generated like the modules, so the staleness check covers them too.
INIT_TEXT = ""


class ProtocError(RuntimeError):
    """protoc rejected the inputs; the message is its stderr."""


def proto_files(proto_dir: Path = PROTO_DIR) -> list[Path]:
    """All .proto files under proto_dir/ghost, relative to proto_dir, in a stable order."""
    root = proto_dir / PACKAGE
    if not root.is_dir():
        return []
    return sorted(p.relative_to(proto_dir) for p in root.rglob("*.proto"))


def _wkt_include() -> Path:
    # google/protobuf/*.proto ship inside grpc_tools, not with the bundled protoc binary.
    return Path(str(resources.files("grpc_tools") / "_proto"))


def generate(out_dir: Path, proto_dir: Path = PROTO_DIR) -> list[Path]:
    """Compile every proto into out_dir (the directory that holds ``ghost/``).

    Also writes an ``__init__.py`` into each generated package directory so setuptools'
    find_packages sees them. Returns the written files, sorted.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    _protoc(proto_dir, [f"--python_out={out_dir}", f"--pyi_out={out_dir}"])
    root = out_dir / PACKAGE
    if root.is_dir():
        for pkg in [root, *(d for d in root.rglob("*") if d.is_dir())]:
            if pkg.name != "__pycache__":
                (pkg / "__init__.py").write_text(INIT_TEXT)
    return generated_files(out_dir)


def _protoc(proto_dir: Path, args: list[str]) -> None:
    """Run the bundled protoc over every proto under proto_dir (no-op when there are none)."""
    files = proto_files(proto_dir)
    if not files:
        return
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{proto_dir}",
        f"-I{_wkt_include()}",
        *args,
        *(f.as_posix() for f in files),
    ]
    proc = subprocess.run(cmd, cwd=proto_dir, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ProtocError(proc.stderr.strip() or f"protoc exited {proc.returncode}")


def descriptor_set(proto_dir: Path = PROTO_DIR) -> descriptor_pb2.FileDescriptorSet:
    """All protos compiled with source info (comments), for contract checks and tooling."""
    with tempfile.TemporaryDirectory(prefix="protogen-") as tmp:
        out = Path(tmp) / "descriptors.pb"
        _protoc(
            proto_dir,
            ["--include_source_info", "--include_imports", f"--descriptor_set_out={out}"],
        )
        if not out.exists():  # no protos at all
            return descriptor_pb2.FileDescriptorSet()
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def generated_files(out_dir: Path) -> list[Path]:
    """Files of the generated tree under out_dir, ignoring bytecode caches."""
    root = out_dir / PACKAGE
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def diff(fresh_dir: Path, current_dir: Path) -> dict[str, list[str]]:
    """Compare two generated trees. Keys: stale (content differs), missing, extra."""
    fresh = {p.relative_to(fresh_dir).as_posix() for p in generated_files(fresh_dir)}
    current = {p.relative_to(current_dir).as_posix() for p in generated_files(current_dir)}
    stale = [
        rel
        for rel in sorted(fresh & current)
        if not filecmp.cmp(fresh_dir / rel, current_dir / rel, shallow=False)
    ]
    return {"stale": stale, "missing": sorted(fresh - current), "extra": sorted(current - fresh)}


def check(out_dir: Path = OUT_DIR, proto_dir: Path = PROTO_DIR) -> dict[str, list[str]]:
    """Regenerate into a temp dir and compare with out_dir; empty lists mean up to date."""
    with tempfile.TemporaryDirectory(prefix="protogen-") as tmp:
        generate(Path(tmp), proto_dir)
        return diff(Path(tmp), out_dir)


def sync(out_dir: Path = OUT_DIR, proto_dir: Path = PROTO_DIR) -> dict[str, list[str]]:
    """Make out_dir/ghost equal to a fresh generation; returns what changed (as diff())."""
    with tempfile.TemporaryDirectory(prefix="protogen-") as tmp:
        fresh_dir = Path(tmp)
        generate(fresh_dir, proto_dir)
        changes = diff(fresh_dir, out_dir)
        for rel in changes["stale"] + changes["missing"]:
            dest = out_dir / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(fresh_dir / rel, dest)
        # Modules of deleted protos must go, or they stay importable and mask the removal.
        for rel in changes["extra"]:
            (out_dir / rel).unlink()
        _prune_empty_dirs(out_dir / PACKAGE)
        return changes


def _prune_empty_dirs(root: Path) -> None:
    if not root.is_dir():
        return
    for d in sorted((d for d in root.rglob("*") if d.is_dir()), key=lambda d: -len(d.parts)):
        if d.name == "__pycache__":
            shutil.rmtree(d, ignore_errors=True)
        elif not any(d.iterdir()):
            d.rmdir()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ghostkit.protogen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="report staleness, change nothing")
    parser.add_argument("--proto-dir", type=Path, default=PROTO_DIR)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    try:
        if args.check:
            changes = check(args.out_dir, args.proto_dir)
        else:
            changes = sync(args.out_dir, args.proto_dir)
    except ProtocError as exc:
        print(f"protoc failed:\n{exc}", file=sys.stderr)
        return 2
    lines = [f"{kind}: {rel}" for kind, rels in changes.items() for rel in rels]
    if args.check:
        if lines:
            print("generated protobuf code is out of date (run `make proto`):", file=sys.stderr)
            print("\n".join(lines), file=sys.stderr)
            return 1
        print("generated protobuf code is up to date")
        return 0
    print("\n".join(lines) if lines else "generated protobuf code already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
