"""nbgrader configuration of the course: solutions/ is the source, exercises/ the release.

`dlcourse build` regenerates exercises/ from solutions/. `dlcourse grade` runs each student's code in a sandbox and
the tests in its own process (see dlcourse/grading/grade.py), then records the verdicts with `nbgrader autograde`
in an nbgrader course of its own that starts from this file's settings (Execute replaced by FillVerdicts).
"""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# The jupytext .py beside each source notebook holds the solutions: never copy it into a release or a grading folder.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*", "*.py", "*.toml", "*.md"]
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.GenerateAssignment.create_assignment = True
c.Execute.timeout = 30
