"""Builds the wheel with the component inside: copies `openai-ft.wasm` (from `openai-ft component`)
into the package, then runs pip's wheel build. Usage: python build_wheel.py <component.wasm> <out>"""

import shutil
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent


def main() -> None:
    wasm, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    target = here / "src" / "openai_ft" / "component"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wasm, target / "openai-ft.wasm")
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
