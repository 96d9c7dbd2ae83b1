"""`import theory_lib` stays light: the maths never imports plotting, widgets or scipy."""

import subprocess
import sys


def test_import_is_light():
    code = (
        "import sys, theory_lib; heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'matplotlib', 'ipywidgets', 'IPython', 'scipy'}); print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
