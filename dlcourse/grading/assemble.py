"""Rebuild a submission from the released notebook so that only the student's answers come from the student.

Everything but the solution cells (and the student's own extra code cells) is taken from the release: a student
who edits, deletes or re-labels a test cell changes nothing. Each student cell is first read for tampering with the
grading itself (patching modules, IPython hooks, tracing, shell escapes); a tampered cell is replaced by the
released stub, so the items that depend on it score zero and the status says why.
"""

from __future__ import annotations

import ast
import copy

import nbformat

# What an answer can only use to reach the grader, never to solve the exercise.
FORBIDDEN_NAMES = {"get_ipython", "__builtins__", "builtins", "__import__", "importlib", "ctypes", "exec", "eval",
                   "compile", "globals", "vars", "setattr", "delattr"}
FORBIDDEN_ATTRIBUTES = {"__dict__", "__code__", "__globals__", "input_transformers_post", "input_transformers_cleanup",
                        "ast_transformers", "events", "modules", "meta_path", "settrace", "setprofile"}
FORBIDDEN_IMPORTS = {"builtins", "importlib", "ctypes", "inspect", "gc", "sys", "subprocess", "os", "shutil",
                     "socket", "signal", "IPython", "pathlib", "io"}
PROTECTED_MODULE_ALIASES = {"np", "numpy", "dlcourse", "torch", "math"}


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_graded(cell) -> bool:
    return bool(nbgrader_meta(cell).get("grade"))


def tampering(source: str) -> str | None:
    """Why ``source`` looks like an attack on the grader, or None when it is ordinary code."""
    for line in source.splitlines():
        if line.lstrip().startswith(("%", "!")):
            return f"IPython magic or shell command: {line.strip()[:40]!r}"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None  # it fails when run, scoring zero on its own; nothing to flag
    imported = set(PROTECTED_MODULE_ALIASES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            imported |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if any(m.split(".")[0] in FORBIDDEN_IMPORTS for m in modules):
                return f"imports {modules[0]}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            return f"uses {node.id}"
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            return f"uses .{node.attr}"
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in targets:
                root = _attribute_root(target)
                if root in imported:
                    return f"changes the module {root} ({ast.unparse(target)})"
    return None


def _attribute_root(node) -> str | None:
    if not isinstance(node, ast.Attribute | ast.Subscript):
        return None
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def assemble(release: nbformat.NotebookNode, submitted: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, dict]:
    """The notebook to grade, and ``{grade_id: problem}`` for answers that were missing or tampered with."""
    answers = {nbgrader_meta(c).get("grade_id"): c for c in submitted.cells if is_solution(c)}
    extras = _extra_cells_after(submitted)
    problems: dict[str, str] = {}
    result = copy.deepcopy(release)
    result.cells = []
    for cell in release.cells:
        cell = copy.deepcopy(cell)
        grade_id = nbgrader_meta(cell).get("grade_id")
        if is_solution(cell):
            answer = answers.get(grade_id)
            reason = tampering(answer.source) if answer is not None else "missing"
            if reason is None:
                cell.source = answer.source
            else:
                problems[grade_id] = reason if reason == "missing" else f"tampered: {reason}"
        result.cells.append(cell)
        for extra in extras.get(grade_id, []):
            reason = tampering(extra.source)
            if reason is None:
                result.cells.append(nbformat.v4.new_code_cell(extra.source))
            else:
                problems[f"{grade_id} (extra cell)"] = f"tampered: {reason}"
    return result, problems


def _extra_cells_after(submitted) -> dict:
    """The student's own code cells (no nbgrader metadata), keyed by the grade_id of the cell they follow."""
    extras: dict = {}
    anchor = None
    for cell in submitted.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade_id"):
            anchor = meta["grade_id"]
        elif cell.cell_type == "code" and cell.source.strip():
            extras.setdefault(anchor, []).append(cell)
    return extras
