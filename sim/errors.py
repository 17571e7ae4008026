"""The exceptions that mean "stop and tell the user in one line", each with its exit status.

The CLI prints a :class:`WarnsimError` as a single line (``warnsim: error: ...``) without a
traceback and exits with its :attr:`~WarnsimError.exit_status`; anything else is a bug and keeps
its traceback. The statuses are documented in the README ("Exit statuses"):

* 2 :class:`UserError`: the input is wrong (a key, a value, a file, the results folder chosen);
* 3 :class:`SweepStopped`: the machine stopped a sweep (disk full, read-only file system, a
  worker process killed or stopped); finished runs are kept and the same command resumes;
  :class:`WriteFailed`: another command's output file cannot be written (disk full,
  read-only file system, permissions); the CLI also exits 3 when memory runs out;
* 4 :class:`FolderInUse`: another sweep is writing into the same results folder.

:class:`Interrupted` is a ``KeyboardInterrupt`` raised by a sweep's signal handler (SIGINT,
SIGTERM, SIGHUP) so that finished work is kept; the CLI exits with ``128 + signal number``.
"""

from __future__ import annotations

import signal


class WarnsimError(Exception):
    """Base of the errors the CLI reports in one line."""

    exit_status = 1


class UserError(WarnsimError):
    """Bad input: an unknown key, a value out of range, a malformed or missing file."""

    exit_status = 2


class SweepStopped(WarnsimError):
    """The machine, not the input, stopped a sweep; what finished is kept and resumable."""

    exit_status = 3


class WriteFailed(WarnsimError):
    """The machine, not the input, keeps a command from writing its output file."""

    exit_status = 3


class FolderInUse(WarnsimError):
    """Another process holds the lock of the results folder."""

    exit_status = 4


class Interrupted(KeyboardInterrupt):
    """A stop signal received during a sweep (the sweep's handler raises it)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")

    @property
    def exit_status(self) -> int:
        return 128 + self.signum
