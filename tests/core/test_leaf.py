"""The dependency graph tells the truth (docs/architecture.md, ADR 0007).

`core` is a leaf: base models, request context, utilities. It imports no other imsclinic package,
at module level or inside a function. The gateway (records, API auth) sits just above `patients`,
`audit` and `accounts`; the web host (Today, demo, commands) sits on top and no area imports it.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "imsclinic"
PACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())


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


def imports_of_other_packages(root: Path) -> list[tuple[str, str]]:
    """(file, module) for every import under `root` of an imsclinic package other than root's."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in sorted(imported_modules(path)):
            parts = name.split(".")
            if parts[0] == "imsclinic" and len(parts) > 1 and parts[1] in PACKAGES:
                if parts[1] != root.name:
                    found.append((path.name, name))
    return found


def packages_imported_by(package: str) -> set[str]:
    return {name.split(".")[1] for _, name in imports_of_other_packages(PACKAGE / package)}


def test_core_imports_no_other_imsclinic_package():
    assert {"accounts", "gateway", "web"} <= set(PACKAGES)  # the walk sees the packages
    assert imports_of_other_packages(PACKAGE / "core") == []


def test_the_check_finds_an_import_hidden_in_a_function(tmp_path):
    root = tmp_path / "core"
    root.mkdir()
    (root / "sample.py").write_text(
        "from imsclinic.core.models import PublicIdModel\n"
        "def f():\n    from imsclinic.patients.models import Patient\n    return Patient\n"
    )
    assert imports_of_other_packages(root) == [
        ("sample.py", "imsclinic.patients.models"),
        ("sample.py", "imsclinic.patients.models.Patient"),
    ]


def test_the_gateway_sits_just_above_patients_audit_and_accounts():
    """It loads any area's model, but receives it as an argument: it imports no clinical area."""
    assert packages_imported_by("gateway") <= {"core", "accounts", "audit", "patients"}


def test_no_area_imports_the_web_host():
    for package in PACKAGES:
        if package in ("web", "bench"):  # the host, and the benchmark tool built on its demo
            continue
        assert "web" not in packages_imported_by(package), package
