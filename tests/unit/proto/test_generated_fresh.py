"""The committed generated code under libs/ghost matches a fresh protoc run, and the
generator's check/sync logic reports and repairs drift."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

from ghostkit import protogen


def _describe(changes: dict[str, list[str]]) -> str:
    return "\n".join(f"{kind}: {rel}" for kind, rels in changes.items() for rel in rels)


def test_committed_generated_code_is_fresh(tmp_path: Path) -> None:
    written = protogen.generate(tmp_path)
    assert written, "no .proto files found under proto/ghost"
    changes = protogen.diff(tmp_path, protogen.OUT_DIR)
    assert not any(changes.values()), (
        "libs/ghost is out of date with proto/; run `make proto` and commit:\n" + _describe(changes)
    )


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    protogen.generate(first)
    protogen.generate(second)
    assert not any(protogen.diff(first, second).values())


def test_every_proto_yields_an_importable_module() -> None:
    files = protogen.proto_files()
    assert {"ghost/node/v1/types.proto", "ghost/node/v1/node.proto"} <= {
        f.as_posix() for f in files
    }
    for proto in files:
        module = ".".join(proto.with_suffix("").parts) + "_pb2"
        mod = importlib.import_module(module)
        assert mod.DESCRIPTOR.name == proto.as_posix()


def test_check_reports_stale_missing_and_extra_then_sync_repairs(tmp_path: Path) -> None:
    current = tmp_path / "libs"
    shutil.copytree(protogen.OUT_DIR / protogen.PACKAGE, current / protogen.PACKAGE)
    wallet = current / "ghost/wallet/v1/wallet_pb2.py"
    wallet.write_text(wallet.read_text() + "# hand edit\n")
    (current / "ghost/zns/v1/zns_pb2.pyi").unlink()
    (current / "ghost/node/v1/removed_pb2.py").write_text("")

    changes = protogen.check(current)
    assert changes == {
        "stale": ["ghost/wallet/v1/wallet_pb2.py"],
        "missing": ["ghost/zns/v1/zns_pb2.pyi"],
        "extra": ["ghost/node/v1/removed_pb2.py"],
    }
    assert protogen.main(["--check", "--out-dir", str(current)]) == 1

    assert protogen.main(["--out-dir", str(current)]) == 0
    assert not any(protogen.check(current).values())
    assert not (current / "ghost/node/v1/removed_pb2.py").exists()
    assert protogen.main(["--check", "--out-dir", str(current)]) == 0


def test_protoc_errors_are_reported(tmp_path: Path) -> None:
    bad = tmp_path / "proto/ghost/bad/v1"
    bad.mkdir(parents=True)
    (bad / "bad.proto").write_text('syntax = "proto3";\npackage ghost.bad.v1;\nmessage {}\n')
    out = tmp_path / "out"
    assert (
        protogen.main(["--check", "--proto-dir", str(tmp_path / "proto"), "--out-dir", str(out)])
        == 2
    )
    assert not out.exists() or not protogen.generated_files(out)
