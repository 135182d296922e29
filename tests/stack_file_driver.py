"""Reads stack files as ``check`` and ``fleet`` do, many per process, under a memory limit.

``python tests/stack_file_driver.py MEGABYTES``: limits its own address space to MEGABYTES
(``resource.setrlimit``), then reads one stack file path per line on stdin and answers each with one
JSON line on stdout: ``{"outcome": "valid" | "refused" | "crash", "problems": [...], "seconds": t}``.
"refused" is the one-line error a user sees (``StackFileError`` or ``ConfigError``); "crash" is any
other exception, with its traceback. A file that takes the process down (memory, stack) ends it: the
caller sees the process gone and names the file. Used by tests/preflight/engine/test_untrusted_stack_files.py.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from preflight.engine import stacks  # noqa: E402
from program.config import ConfigError  # noqa: E402


def _judge(path: str) -> dict[str, object]:
    started = time.process_time()  # CPU time: the bound is the work a file costs, not the machine's load
    try:
        stacks.load(path)
    except ConfigError as exc:
        answer: dict[str, object] = {"outcome": "refused", "problems": exc.problems}
    except stacks.StackFileError as exc:
        answer = {"outcome": "refused", "problems": [str(exc)]}
    except BaseException:  # anything else is what the test exists to find
        answer = {"outcome": "crash", "problems": [traceback.format_exc()]}
    else:
        answer = {"outcome": "valid", "problems": []}
    answer["seconds"] = time.process_time() - started
    return answer


def main() -> None:
    limit = int(sys.argv[1]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for line in sys.stdin:
        sys.stdout.write(json.dumps(_judge(line.rstrip("\n"))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
