"""The ``dlcourse`` command: doctor, run, build, check, grade, bench."""

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


def _check(args) -> int:
    from dlcourse.grading.check import check_notebook, report

    results = check_notebook(args.notebook, cell_timeout=args.timeout, memory_mb=args.memory_mb)
    print(report(results, args.notebook))
    return 0 if all(r.status == "passed" for r in results) else 1


def _grade(args) -> int:
    from dlcourse.grading.autograde import Limits
    from dlcourse.grading.course import course_root
    from dlcourse.grading.grade import grade_folder, guess_assignment, summary

    def progress(results):
        score, top = sum(r.score for r in results), sum(r.max_score for r in results)
        problems = sorted({r.status for r in results if r.status != "passed"})
        print(f"  {results[0].student}: {score:g}/{top:g}" + (f"  ({'; '.join(problems)[:100]})" if problems else ""),
              flush=True)

    submissions = Path(args.submissions)
    if not submissions.is_dir():
        print(f"dlcourse grade: expected a folder of submissions, got {submissions}", file=sys.stderr)
        return 2
    assignment = args.assignment or guess_assignment(submissions, course_root())
    print(f"grading {assignment} in {submissions} ...", flush=True)
    limits = Limits(cell_timeout=args.timeout, memory_mb=args.memory_mb, notebook_timeout=args.notebook_timeout)
    results = grade_folder(submissions, assignment=assignment, out=args.out and Path(args.out),
                           workers=args.workers, limits=limits, on_result=progress)
    print(summary(results, assignment), end="")
    return 0


def _bench(args) -> int:
    scripts = sorted(Path("benchmarks").glob("bench_*.py"))
    if not scripts:
        print("no benchmarks found in ./benchmarks")
        return 1
    return max(subprocess.call([sys.executable, str(script)]) for script in scripts)


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
    check.add_argument("--timeout", type=int, default=30, help="seconds per cell")
    check.add_argument("--memory-mb", type=int, default=2048)
    check.set_defaults(func=_check)
    grade = sub.add_parser("grade", help="autograde a folder of submissions (instructors)")
    grade.add_argument("submissions", help="one STUDENT.ipynb or STUDENT/ folder per student")
    grade.add_argument("--assignment", help="e.g. 01_neurons (guessed from the notebooks when omitted)")
    grade.add_argument("--out", help="folder for grades.csv, summary.txt, autograded/ (default grades/ASSIGNMENT)")
    grade.add_argument("--workers", type=int, help="students graded at once (default: one per core)")
    grade.add_argument("--timeout", type=int, default=30, help="seconds per cell")
    grade.add_argument("--notebook-timeout", type=int, default=600, help="seconds per notebook")
    grade.add_argument("--memory-mb", type=int, default=2048, help="memory cap of each student's kernel")
    grade.set_defaults(func=_grade)
    sub.add_parser("bench", help="run benchmarks/ (NumPy vs torch ratios)").set_defaults(func=_bench)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
