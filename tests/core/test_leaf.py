"""`core` is a leaf (docs/architecture.md, ADR 0006): base models, request context, utilities.

It imports no other imsclinic package, at module level or inside a function, so nothing in the
foundation leans on the floors above it. The gateway (records, API auth) and the web host (Today,
demo, commands) sit above the areas and may import them.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "imsclinic"
CORE = PACKAGE / "core"
OTHER_PACKAGES = sorted(
    p.name
    for p in PACKAGE.iterdir()
    if p.is_dir() and (p / "__init__.py").exists() and p.name != "core"
)


def imported_modules(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` in the file names (functions included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def upward_imports(root: Path) -> list[tuple[str, str]]:
    """(file, module) for every import of another imsclinic package under `root`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in sorted(imported_modules(path)):
            parts = name.split(".")
            if parts[0] == "imsclinic" and len(parts) > 1 and parts[1] in OTHER_PACKAGES:
                found.append((path.name, name))
    return found


def test_core_imports_no_other_imsclinic_package():
    assert "accounts" in OTHER_PACKAGES and "gateway" in OTHER_PACKAGES  # the walk sees them
    assert upward_imports(CORE) == []


def test_the_check_finds_an_import_hidden_in_a_function(tmp_path):
    (tmp_path / "sample.py").write_text(
        "from imsclinic.core.models import PublicIdModel\n"
        "def f():\n    from imsclinic.patients.models import Patient\n    return Patient\n"
    )
    assert upward_imports(tmp_path) == [
        ("sample.py", "imsclinic.patients.models"),
        ("sample.py", "imsclinic.patients.models.Patient"),
    ]
