"""Builds the wheel with the components inside: copies `openai-ft.wasm` (from `openai-ft component`)
and `openai-ft-host-logic.wasm` (from `openai-ft component host-logic`) into the package, then runs
pip's wheel build. Usage: python build_wheel.py <component.wasm> <host-logic.wasm> <out>"""

import shutil
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent


def main() -> None:
    wasm, host_logic, out = (Path(a).resolve() for a in sys.argv[1:4])
    target = here / "src" / "openai_ft" / "component"
    target.mkdir(parents=True, exist_ok=True)
    for source, name in ((wasm, "openai-ft.wasm"), (host_logic, "openai-ft-host-logic.wasm")):
        if source != (target / name).resolve():
            shutil.copyfile(source, target / name)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("openai_ft-*.whl"):
        old.unlink()
    # A fresh build folder each time: setuptools reuses a stale one's files otherwise.
    shutil.rmtree(here / "build", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "--wheel-dir", str(out), str(here)], check=True)
    shutil.rmtree(here / "build", ignore_errors=True)
    print(next(out.glob("openai_ft-*.whl")))


if __name__ == "__main__":
    main()
