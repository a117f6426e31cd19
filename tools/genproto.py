"""Generate the Python code and type stubs for protos/ into a package root.

    python tools/genproto.py            # regenerate gridops/v1 in place
    python tools/genproto.py --out DIR  # write to DIR (the freshness test uses this)

The generated files are committed: a user installing gridops needs no protoc. The
generator versions are pinned in pyproject.toml so the output is reproducible.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"


def generate(out: Path) -> list[Path]:
    """Run protoc over every .proto file; return the files written under `out`."""
    protos = sorted(PROTO_ROOT.rglob("*.proto"))
    if not protos:
        raise SystemExit(f"no .proto files under {PROTO_ROOT}")
    well_known = str(resources.files("grpc_tools") / "_proto")
    bindir = Path(sys.executable).parent
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin=protoc-gen-mypy={bindir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *(str(p.relative_to(PROTO_ROOT)) for p in protos),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    package_dirs = {out / p.relative_to(PROTO_ROOT).parent for p in protos}
    written: list[Path] = []
    for directory in sorted(package_dirs):
        init = directory / "__init__.py"
        if not init.exists():
            init.write_text('"""Generated from protos/ by tools/genproto.py; do not edit."""\n')
        written.extend(sorted(directory.glob("*_pb2*.py*")))
        written.append(init)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT, help="package root to write into")
    ns = parser.parse_args()
    out: Path = ns.out
    if out == ROOT:
        # Start clean so a removed .proto leaves no stale module behind.
        for stale in (ROOT / "gridops" / "v1").glob("*_pb2*.py*"):
            stale.unlink()
    out.mkdir(parents=True, exist_ok=True)
    for path in generate(out):
        print(path.relative_to(out))
    shutil.rmtree(out / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
