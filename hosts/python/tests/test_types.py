"""The type check: mypy (pinned in tests/python/requirements.txt) over the package and
tests/types/usage.py, which uses the typed API as documented; its types are generated from the WIT
(generated/openai_ft_wit), so a WIT change that breaks the documented use fails here."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def test_the_package_and_its_documented_use_type_check():
    r = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(HERE / "pyproject.toml")],
                       capture_output=True, text=True, cwd=HERE, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
