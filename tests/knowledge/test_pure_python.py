"""The knowledge package must stay free of Django so engines run anywhere (CLI, workers).

One module is the exception by design: `fields.py`, the Django model field for knowledge ids.
Nothing else in the package imports it, so importing the package or any engine loads no Django.
"""

import ast
import subprocess
import sys
from pathlib import Path

import imsclinic.knowledge

PACKAGE_DIR = Path(imsclinic.knowledge.__file__).parent
REPO_ROOT = PACKAGE_DIR.parent.parent
DJANGO_ADAPTER = PACKAGE_DIR / "fields.py"


def _modules():
    return [p for p in PACKAGE_DIR.rglob("*.py") if p != DJANGO_ADAPTER]


def test_no_module_imports_django_by_source():
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "django"]
    assert offenders == []


def test_importing_every_module_loads_no_django():
    modules = sorted(
        "imsclinic.knowledge" + ("." + ".".join(p.relative_to(PACKAGE_DIR).with_suffix("").parts))
        for p in _modules()
        if p.name != "__init__.py"
    )
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import imsclinic.knowledge as k\n"
        "k.load_knowledge(); k.screen(k.clear_answers({'pain_duration_months': 6}))\n"
        "k.infer_segments([{'muscle': 'deltoid', 'side': 'R'}])\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
