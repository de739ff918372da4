"""The ``dlcourse`` command: doctor, run, build, check, grade, bench, lab, workspace, reset."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def _doctor(args) -> int:
    from dlcourse.doctor import run_doctor

    return run_doctor()


def _run(args) -> int:
    from dlcourse.notebooks import execute

    for path in args.notebooks:
        _, seconds = execute(path, timeout=args.timeout)
        print(f"{path}: ran in {seconds:.1f} s")
    return 0


def _build(args) -> int:
    from dlcourse.grading.course import build, course_root

    root = course_root()
    for path in build(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


def _limits(args):
    from dlcourse.grading.limits import Limits

    return Limits(call_seconds=args.timeout, notebook_seconds=args.notebook_timeout, memory_mb=args.memory_mb,
                  processes=args.processes)


def _check(args) -> int:
    from dlcourse.grading.check import check_notebook, report

    results = check_notebook(args.notebook, limits=_limits(args))
    print(report(results, args.notebook))
    return 0 if results and all(r.passed for r in results) else 1


def _grade(args) -> int:
    from dlcourse.grading.course import course_root
    from dlcourse.grading.grade import SandboxUnavailable, grade_folder, guess_assignment, summary

    def progress(submission, results):
        score, top = sum(r.score for r in results), sum(r.max_score for r in results)
        problems = sorted({r.describe() for r in results if not r.passed})
        note = f"  [{submission.note}]" if submission.note else ""
        print(f"  {submission.student}: {score:g}/{top:g}" + (f"  ({'; '.join(problems)[:120]})" if problems
                                                               else "") + note, flush=True)

    submissions = Path(args.submissions)
    if not submissions.is_dir():
        print(f"dlcourse grade: expected a folder of submissions, got {submissions}", file=sys.stderr)
        return 2
    assignment = args.assignment or guess_assignment(submissions, course_root())
    print(f"grading {assignment} in {submissions} ...", flush=True)
    try:
        results = grade_folder(submissions, assignment=assignment, out=args.out and Path(args.out),
                               workers=args.workers, limits=_limits(args), unsafe_no_sandbox=args.unsafe_no_sandbox,
                               on_result=progress)
    except SandboxUnavailable as refusal:
        print(f"dlcourse grade: refusing to grade: {refusal}", file=sys.stderr)
        return 3
    out = Path(args.out) if args.out else course_root() / "grades" / assignment
    print((out / "summary.txt").read_text(encoding="utf-8") if results else summary(results, assignment), end="")
    print(f"wrote {out / 'grades.csv'} and the nbgrader gradebook in {out / 'nbgrader'}")
    return 0


def _add_limits(command, *, seconds: float) -> None:
    command.add_argument("--timeout", type=float, default=seconds, help="seconds per cell or call of an answer")
    command.add_argument("--notebook-timeout", type=float, default=300, help="seconds per notebook")
    command.add_argument("--memory-mb", type=int, default=2048, help="memory of the whole sandbox")
    command.add_argument("--processes", type=int, default=64, help="processes and threads in the sandbox")


def _bench(args) -> int:
    scripts = sorted(Path("benchmarks").glob("bench_*.py"))
    if not scripts:
        print("no benchmarks found in ./benchmarks")
        return 1
    return max(subprocess.call([sys.executable, str(script)]) for script in scripts)


def _lab(args) -> int:
    from dlcourse.workspace import default_workspace, lab_command, sync_workspace

    if not args.instructor:
        added = sync_workspace(workspace=default_workspace())
        if added:
            print(f"dlcourse lab: added {len(added)} new file{'s' * (len(added) != 1)} from the course to your "
                  "workspace (files you already have are kept as they are)")
    command, env = lab_command(instructor=args.instructor, extra=args.jupyter_args)
    where = "the course checkout (instructor mode: sources, solutions/, nbgrader's tools)" if args.instructor else \
        f"your workspace {env['DLCOURSE_WORKSPACE']} (learner mode)"
    print(f"dlcourse lab: opening JupyterLab on {where}", flush=True)
    return subprocess.call(command, env=env)


def _workspace(args) -> int:
    from dlcourse.workspace import default_workspace, sync_workspace

    workspace = default_workspace()
    added = sync_workspace(workspace=workspace)
    for path in added:
        print(f"added {path.relative_to(workspace)}")
    print(f"workspace: {workspace} ({len(added)} new file{'s' * (len(added) != 1)}; your edited files are kept)")
    return 0


def _reset(args) -> int:
    from dlcourse.workspace import default_workspace, reset

    workspace = default_workspace()
    try:
        restored, backup = reset(args.file, workspace=workspace)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    kept = f"; your version is in {backup.relative_to(workspace)}" if backup else ""
    print(f"reset {restored.relative_to(workspace)} to the course's version{kept}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="dlcourse", description="The deep-learning course's command line.")
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check the installation, the device and the widget extension").set_defaults(
        func=_doctor)
    run = sub.add_parser("run", help="execute notebooks headless and print their times")
    run.add_argument("notebooks", nargs="+")
    run.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    run.set_defaults(func=_run)
    sub.add_parser("build", help="sync notebook pairs and regenerate exercises/ with nbgrader").set_defaults(
        func=_build)
    check = sub.add_parser("check", help="check your exercise against its visible tests")
    check.add_argument("notebook")
    _add_limits(check, seconds=30)
    check.set_defaults(func=_check)
    grade = sub.add_parser("grade", help="autograde a folder of submissions (instructors)")
    grade.add_argument("submissions", help="one STUDENT.ipynb or STUDENT/ folder per student")
    grade.add_argument("--assignment", help="e.g. 01_neurons (guessed from the notebooks when omitted)")
    grade.add_argument("--out", help="folder for grades.csv, summary.txt, autograded/ (default grades/ASSIGNMENT)")
    grade.add_argument("--workers", type=int, help="students graded at once (default: one per core)")
    _add_limits(grade, seconds=10)
    grade.add_argument("--unsafe-no-sandbox", action="store_true",
                       help="grade even where Linux namespaces are unavailable (student code unconfined)")
    grade.set_defaults(func=_grade)
    sub.add_parser("bench", help="run benchmarks/ (NumPy vs torch ratios)").set_defaults(func=_bench)
    lab = sub.add_parser("lab", help="open JupyterLab on your workspace (--instructor: on the course, with nbgrader)",
                         epilog="Other options go to jupyter lab, e.g. --no-browser --port=8889.")
    lab.add_argument("--instructor", action="store_true", help="open the course checkout with nbgrader's tools")
    lab.set_defaults(func=_lab)
    sub.add_parser("workspace", help="create your workspace, or add the course's new files to it").set_defaults(
        func=_workspace)
    reset = sub.add_parser("reset", help="restore one workspace file from the course, keeping a backup of yours")
    reset.add_argument("file", help="e.g. chapters/02_activations.ipynb")
    reset.set_defaults(func=_reset)
    return top


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args, rest = top.parse_known_args(argv)
    if rest and args.command != "lab":
        top.error(f"unrecognized arguments: {' '.join(rest)}")
    args.jupyter_args = rest
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
