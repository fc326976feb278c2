"""Moves a child process's clocks with the test session's (tests/clock.py, ``--clock``).

Only on ``PYTHONPATH`` while a suite runs with ``--clock``; never installed with the line.
"""

import os
import time

_offset = os.environ.get("TESTS_CLOCK_OFFSET_SECONDS")
if _offset:
    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
