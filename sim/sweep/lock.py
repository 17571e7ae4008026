"""One sweep at a time per results folder: an exclusive lock file.

Two sweeps writing parts into one folder interleave their run-id ranges, and each one's final
clean-up deletes the other's working storage. So a sweep holds ``<out>/.sweep.lock`` from
before it reads the folder's state until after its last write:

* taken atomically with a POSIX record lock (``fcntl(F_SETLK)``, via :func:`fcntl.lockf`) on
  the lock file: the kernel arbitrates, so two sweeps started at the same instant cannot both
  win, and it works on NFS;
* the file names its holder (pid, host, start time, experiment file) so the refused sweep says
  who has the folder;
* released on exit: unlinked, then unlocked. The kernel drops the lock when its holder dies,
  so a lock file left by a SIGKILLed sweep is stale and the next sweep takes it over (after
  checking the file it locked is still the one at the path: a holder unlinking it in between
  would otherwise let two sweeps lock two different files).

A record lock belongs to the process, not to the open file: forked pool workers do not inherit
it, so it goes the moment a killed sweep's parent dies. It is also not exclusive within one
process, so the locks this process holds are kept in a registry as well (two sweeps started
from two threads of one notebook). And the process drops it when it closes *any* descriptor of
the lock file: only other processes ever read the file (to name the holder).

The lock file is opened relative to the folder's descriptor with ``O_NOFOLLOW``
(:class:`sim.files.Folder`): a ``.sweep.lock`` that is a symbolic link is refused, never
written through. :meth:`FolderLock.probe` tells, without taking the lock, whether another
sweep holds it: a sweep checks that before anything else about the folder, so it is told the
folder is in use rather than given advice (``--force``) that the lock would then refuse.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from sim.errors import FolderInUse, SweepStopped, UserError
from sim.files import Cap, Folder

LOCK = ".sweep.lock"

_HELD: set[str] = set()
"""Lock files this process holds (a record lock does not exclude its own process)."""
_HELD_GUARD = threading.Lock()


class FolderLock:
    """The lock of one results folder (a context manager). Creates the folder if needed, and
    removes it again on release if it is still empty, so a sweep refused later (a bad Dask
    address, say) leaves no trace."""

    def __init__(self, out: Path, origin: str) -> None:
        self.out = out
        self.path = out / LOCK
        self.origin = origin
        self.fd: int | None = None
        self.folder: Folder | None = None
        self.key = ""
        self.created: list[Path] = []

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        missing = [p for p in (self.out, *self.out.parents) if not p.exists()]
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SweepStopped(f"{self.out}: cannot create the results folder "
                               f"({exc.strerror or exc})") from None
        self.created = missing
        key = self._key()
        try:
            with _HELD_GUARD:
                if key in _HELD:
                    raise self._in_use("another sweep in this process")
                self.folder = Folder.open(self.out)
                while self.fd is None:
                    self.fd = self._try_lock(self.folder)
                _HELD.add(key)
                self.key = key
        except BaseException:
            self._close_folder()
            self._remove_created()
            raise

    def _key(self) -> str:
        return os.path.join(os.path.realpath(self.out), LOCK)

    def _in_use(self, by: str) -> FolderInUse:
        return FolderInUse(f"{self.origin}: the output folder {str(self.out)!r} is in use by "
                           f"{by}; wait for it to finish or stop it, or choose another folder "
                           "with --out")

    def probe(self) -> None:
        """Raise :class:`FolderInUse` if another sweep holds the lock now (takes nothing,
        writes nothing; a folder that does not exist is not in use)."""
        if sys.platform == "win32":
            return
        import fcntl

        with _HELD_GUARD:  # held throughout: closing our descriptor drops this process's locks
            if self._key() in _HELD:
                raise self._in_use("another sweep in this process")
            try:
                folder = Folder.open(self.out)
            except (FileNotFoundError, NotADirectoryError):
                return
            with folder:
                try:
                    fd = folder.open_existing(LOCK)
                except FileNotFoundError:
                    return
                try:
                    fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except OSError as exc:
                    if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise self._in_use(f"another sweep ({self.holder(folder)})") from None
                finally:
                    os.close(fd)

    def _try_lock(self, folder: Folder) -> int | None:
        try:
            fd = folder.open_lock(LOCK)  # a link there: SealBroken (one line), never followed
        except OSError as exc:
            raise SweepStopped(f"{self.path}: cannot create the lock file "
                               f"({exc.strerror or exc})") from None
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise self._in_use(f"another sweep ({self.holder(folder)})") from None
            raise SweepStopped(f"{self.path}: cannot lock ({exc.strerror or exc})") from None
        opened = os.fstat(fd)
        try:
            same = folder.stat(LOCK).st_ino == opened.st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder unlinked it between our open and lock: try again
            os.close(fd)
            return None
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
                "experiment": self.origin}
        try:
            os.ftruncate(fd, 0)
            os.write(fd, (json.dumps(info) + "\n").encode())
        except OSError as exc:
            self._drop(fd)
            raise SweepStopped(f"{self.path}: cannot write the lock file "
                               f"({exc.strerror or exc})") from None
        return fd

    def holder(self, folder: Folder) -> str:
        """Who holds the lock, from the lock file (best effort: it may be being rewritten)."""
        try:
            info = json.loads(folder.read(LOCK, cap=Cap.STATE))
            return (f"pid {info['pid']} on {info['host']}, started {info['started']}, "
                    f"experiment {info['experiment']}")
        except (OSError, ValueError, KeyError, TypeError, UserError, RecursionError):
            return f"see {self.path}"

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        self._drop(fd)
        with _HELD_GUARD:
            _HELD.discard(self.key)
        self._close_folder()
        self._remove_created()

    def _drop(self, fd: int) -> None:
        try:
            if self.folder is not None:
                self.folder.remove(LOCK)  # before unlocking: see the module docstring
        except OSError:
            pass  # a read-only folder: the lock file stays, unlocked, which is harmless
        os.close(fd)

    def _close_folder(self) -> None:
        if self.folder is not None:
            self.folder.close()
            self.folder = None

    def _remove_created(self) -> None:
        for folder in self.created:  # innermost first
            try:
                folder.rmdir()
            except OSError:
                return


def _lock(fd: int) -> None:
    """Take the lock without waiting (OSError if another process has it)."""
    if sys.platform == "win32":  # a byte-range lock (untested: no Windows machine here)
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
