"""The student's kernel: runs answer cells with IPython and calls answer functions on request. Nothing else.

Started by the grader inside the sandbox (``python -m dlcourse.grading.driver``). It reads requests from file
descriptor 3 and writes replies to file descriptor 4 (wire.py frames); the student's own prints go nowhere.

- ``{"op": "run", "seq": n, "code": str}``: run a cell as Jupyter would (magics and ``!`` commands included);
  reply ``{"seq": n, "ok": bool, "error": "Name: message"}``.
- ``{"op": "call", "seq": n, "name": str, "args": tuple, "kwargs": dict}``: call the student's function of that
  name; reply ``{"seq": n, "ok": True, "value": ...}`` or ``{"seq": n, "ok": False, "kind": "missing" | "raised" |
  "wrong_type", "error": str}``.

Everything here runs beside student code, so nothing here is trusted: the grader decodes each reply strictly, and
the verdict is computed in the grader's process, never here.
"""

from __future__ import annotations

import os
import sys

REQUESTS, REPLIES = 3, 4


def one_line(error: BaseException) -> str:
    """``Name: first line of the message``, safe against exceptions whose __str__ misbehaves."""
    try:
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    except Exception:
        text = "(unprintable message)"
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__


def make_shell():
    """An IPython shell with no history file, no terminal and no colours: cells run exactly as in a notebook."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    config.InteractiveShell.autocall = 0
    return InteractiveShell.instance(config=config)


def run_cell(shell, code: str) -> dict:
    result = shell.run_cell(code, store_history=False, silent=False)
    error = result.error_before_exec or result.error_in_exec
    return {"ok": error is None, "error": one_line(error) if error is not None else ""}


def call(shell, name: str, args, kwargs) -> dict:
    from dlcourse.grading.wire import NotPlainData, describe, encode

    function = shell.user_ns.get(name)
    if not callable(function):
        return {"ok": False, "kind": "missing", "error": f"{name} is not defined (run its cell without errors)"}
    try:
        value = function(*args, **kwargs)
    except BaseException as error:  # SystemExit and KeyboardInterrupt from an answer are its result too
        return {"ok": False, "kind": "raised", "error": one_line(error)}
    try:
        encode({"value": value})
    except NotPlainData as problem:
        return {"ok": False, "kind": "wrong_type", "error": f"returned {problem}: answers return numbers, arrays "
                                                           "of numbers, tuples/lists/dicts of those, or None"}
    except Exception as error:
        return {"ok": False, "kind": "wrong_type", "error": f"returned {describe(value)} ({one_line(error)})"}
    return {"ok": True, "value": value}


def serve() -> None:
    from dlcourse.grading.wire import BadFrame, receive, send

    shell = make_shell()
    send(REPLIES, {"ready": True, "pid": os.getpid()})
    while True:
        try:
            request = receive(REQUESTS)
        except (EOFError, BadFrame):
            os._exit(0)
        seq = request.get("seq")
        if request.get("op") == "run":
            reply = run_cell(shell, request["code"])
        elif request.get("op") == "call":
            reply = call(shell, request["name"], request.get("args", ()), request.get("kwargs", {}))
        else:
            reply = {"ok": False, "kind": "raised", "error": "unknown request"}
        sys.stdout.flush()
        send(REPLIES, {"seq": seq, **reply})


if __name__ == "__main__":
    serve()
