"""gongzhi/core is the bottom layer (crypto, audit, calendar, pagination, reference data, the demo's runner):
no module under it imports another gongzhi package (grid, people, orgs, accounts, appeals, open311,
notifications, api, dashboard, the project's urls …), at the top of the module or inside a function.
What needs an app above, such as the policy, lives in that app and plugs into core (the demo's steps)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "gongzhi" / "core"


def _package(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return parts if path.name == "__init__.py" else parts[:-1]


def imported_modules(source, package):
    """(line, absolute module name) of every import in the source, wherever it stands: import and from-import
    statements (relative ones resolved against `package`, a tuple of names) and calls of
    importlib.import_module / __import__ with a literal name."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                module = ".".join(base + ((node.module,) if node.module else ()))
            else:
                module = node.module
            yield node.lineno, module
            for alias in node.names:  # `from gongzhi import grid` imports the package gongzhi.grid
                yield node.lineno, f"{module}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def above_core(module):
    return module.startswith("gongzhi.") and not (module == "gongzhi.core" or module.startswith("gongzhi.core."))


def test_core_imports_no_app_above_it():
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 20, "the walk finds core's modules"
    found = [f"{path.relative_to(ROOT)}:{line}: {module}" for path in files
             for line, module in imported_modules(path.read_text(), _package(path)) if above_core(module)]
    assert found == []


def test_the_check_sees_every_kind_of_import():
    source = '''
import gongzhi.grid.models
from gongzhi.core import crypto
from gongzhi import people

def lazily():
    from gongzhi.accounts.policy import can
    from ..orgs import models
    from . import audit
    importlib.import_module("gongzhi.appeals.notify")

class Inside:
    def method(self):
        import gongzhi.notifications
'''
    modules = [m for _, m in imported_modules(source, ("gongzhi", "core"))]
    assert sorted(m for m in modules if above_core(m)) == [
        "gongzhi.accounts.policy", "gongzhi.accounts.policy.can", "gongzhi.appeals.notify", "gongzhi.grid.models",
        "gongzhi.notifications", "gongzhi.orgs", "gongzhi.orgs.models", "gongzhi.people"]
    assert "gongzhi.core.audit" in modules and "gongzhi.core.crypto" in modules
