"""The files warnsim reads and the folders it writes into, handled as SQLite and Git handle theirs.

**Reading** (:func:`read_bytes`, :func:`read_text`). Every file a user names (experiment,
calibration, scenario, parameter, case and design files) and every file warnsim reads back from
a results folder (manifests, state, lock records) is read through here:

* only a regular file is read: a device (``/dev/zero``), a FIFO, a socket or a folder is refused
  before a byte is read. The file is opened with ``O_NONBLOCK``, so opening a FIFO does not wait
  for a writer, and checked with ``fstat`` on the open descriptor, so a symbolic link to a
  device is refused like the device;
* the cap is counted while reading, never taken from the size the file system reports: ``/proc``
  files report 0 bytes and are read like any other, up to the cap. A regular file that reports
  more than the cap is refused at once, without reading it;
* every refusal is one :class:`Unreadable` (a :class:`~sim.errors.UserError`: exit status 2)
  naming the file and what is allowed.

The caps (:class:`Cap`) are declared here, once; docs/security.md lists them.

**Parsing** (:func:`parse_toml`, :func:`parse_json`): Python's TOML and JSON parsers recurse once
per nesting level, so a file nested thousands of levels deep ends in a ``RecursionError``; here it
is one line saying so.

**Writing into a results folder** (:class:`Folder`): a folder is opened once, as a descriptor, and
every name in it is created, replaced, listed and removed relative to that descriptor without
following symbolic links (``O_NOFOLLOW``, ``O_EXCL``, ``openat``/``unlinkat``/``renameat``, and
:func:`shutil.rmtree` with ``dir_fd``, which never follows a link). A link planted in the folder
is at worst removed itself; its target is never written, truncated or deleted. :func:`intruders`
finds the links and special files in the places a sweep and the analysis write, so that such a
folder is refused in one line before anything is written (sim/sweep/store.py).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tomllib
from collections.abc import Iterator
from enum import IntEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from sim.errors import UserError, WarnsimError, WriteFailed

__all__ = ["Cap", "Folder", "Unreadable", "intruders", "parse_json", "parse_toml", "read_bytes",
           "read_text"]


class Cap(IntEnum):
    """The most bytes warnsim reads of each kind of file (counted while reading)."""

    TOML = 16 * 2**20
    """Experiment, calibration and scenario files (the largest committed one is 3 kB; a grid
    axis of 100,000 listed values, the most an axis may have, is about 2 MB)."""
    PARAMS = 1_000_000
    """Parameter files (every parameter with a comment is about 3 kB)."""
    CASES = 16 * 2**20
    """Case files (CSV): 16 MB is about 100,000 cases."""
    DESIGN = 512 * 2**20
    """Design CSV files: 1,000,000 points (the most a design may have) of a dozen parameters."""
    MANIFEST = 2**30
    """A results folder's ``manifest.json``: it holds the texts of the experiment, its scenario
    files and its design CSV (up to :attr:`DESIGN`)."""
    STATE = 2**20
    """Working files a sweep writes for itself (``.sweep/state.json``, ``.sweep.lock``)."""


TOO_DEEP = 200
"""The nesting of TOML and JSON that :func:`parse_toml` and :func:`parse_json` promise to parse
(Python's parsers recurse about three times per level; the default limit is 1,000 frames)."""

_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(
    os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_AT = os.open in os.supports_dir_fd and os.unlink in os.supports_dir_fd and bool(_NOFOLLOW)
"""Whether this platform has ``openat`` and friends (every POSIX system warnsim runs on)."""


class Unreadable(UserError):
    """A file that is not read: missing, not a regular file, over its cap, not text."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def kind_of(mode: int) -> str:
    """What a file of ``mode`` is, in words ("a FIFO", "a folder", ...)."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def read_bytes(path: str | Path, *, cap: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path`` (links followed), at most ``cap`` of them."""
    try:
        fd = os.open(path, _READ)
    except FileNotFoundError:
        raise Unreadable(path, f"no such {what}") from None
    except OSError as exc:
        raise Unreadable(path, _refusal(path, what, exc)) from None
    try:
        return _read_fd(fd, path, cap, what)
    finally:
        os.close(fd)


def read_text(path: str | Path, *, cap: int, what: str = "file", encoding: str = "utf-8") -> str:
    """The text of the regular file ``path`` (see :func:`read_bytes`), decoded."""
    raw = read_bytes(path, cap=cap, what=what)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Unreadable(path, f"cannot be read as UTF-8 text ({exc})") from None


def _a(what: str) -> str:
    return f"{'an' if what[:1] in tuple('aeiou') else 'a'} {what}"


def _refusal(path: str | Path, what: str, exc: OSError) -> str:
    """Why ``open`` failed, naming a special file (a socket cannot be opened at all)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = 0
    if mode and not stat.S_ISREG(mode):
        return f"is {kind_of(mode)}, not {_a(what)}; allowed: a regular file"
    return f"cannot be read ({exc.strerror or exc})"


def _read_fd(fd: int, path: str | Path, cap: int, what: str) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable(path, f"is {kind_of(info.st_mode)}, not {_a(what)}; allowed: a "
                         "regular file")
    too_big = f"is more than {cap:,} bytes; allowed: {_a(what)} of at most {cap:,} bytes"
    if info.st_size > cap:  # a size can lie low (/proc), never high: refuse without reading
        raise Unreadable(path, too_big)
    blocks: list[bytes] = []
    total = 0
    while True:
        try:
            block = os.read(fd, min(1 << 20, cap + 1 - total))
        except OSError as exc:
            raise Unreadable(path, f"cannot be read ({exc.strerror or exc})") from None
        if not block:
            return b"".join(blocks)
        blocks.append(block)
        total += len(block)
        if total > cap:
            raise Unreadable(path, too_big)


def parse_toml(text: str, *, origin: str, malformed: str = "malformed TOML: {}") -> dict[str, Any]:
    """``tomllib.loads`` with every failure one :class:`UserError` naming ``origin``
    (``malformed`` formats the parser's message)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{origin}: {malformed.format(exc)}") from None
    except RecursionError:
        deep = f"nested too deeply; allowed: arrays and tables nested at most {TOO_DEEP} deep"
        raise UserError(f"{origin}: {malformed.format(deep)}") from None


def parse_json(text: str | bytes, *, origin: str) -> Any:
    """``json.loads`` with every failure one :class:`UserError` naming ``origin``."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise UserError(f"{origin}: not valid JSON ({exc})") from None
    except RecursionError:
        raise UserError(f"{origin}: not valid JSON (nested too deeply; allowed: at most "
                        f"{TOO_DEEP} levels)") from None


# --- writing ---------------------------------------------------------------------------------

MACHINE = frozenset(getattr(errno, name) for name in (
    "ENOSPC", "EDQUOT", "EROFS", "EFBIG", "EIO", "EACCES", "EPERM", "ENOMEM") if hasattr(errno, name))
"""Why a write fails that is the machine's doing, not the path's (exit status 3, README)."""


def cannot_write(what: str | Path, exc: OSError, *, where: str = "") -> WarnsimError:
    """A failed write as one line: :class:`~sim.errors.WriteFailed` (exit status 3) when the
    machine refused it (disk full, read-only, permissions), else a :class:`UserError` (the
    path named a folder, a path inside a file...)."""
    kind = WriteFailed if exc.errno in MACHINE else UserError
    return kind(f"{where + ': ' if where else ''}cannot write {what} ({exc.strerror or exc})")


# --- inside a results folder --------------------------------------------------------------------


class Folder:
    """A folder held open as a descriptor; names in it are used without following links.

    :meth:`open` follows the path it is given (the folder the user chose, which may itself be
    reached through a link); everything below it is reached with ``O_NOFOLLOW``: a subfolder
    that is a link is refused (:class:`SealBroken`), a file is created only where no name
    exists (``O_EXCL``), a rename replaces a link rather than writing through it, and removing a
    name removes it, not what a link points to. Close it (or use ``with``)."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> Folder:
        path = Path(path)
        return cls(os.open(path, os.O_RDONLY | _DIRECTORY | getattr(os, "O_CLOEXEC", 0)), path)

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _at(self, name: str) -> tuple[str, dict[str, int]]:
        """``name`` relative to this folder's descriptor (or, without ``openat``, by path)."""
        return (name, {"dir_fd": self.fd}) if _AT else (str(self.path / name), {})

    def folder(self, name: str, *, create: bool = False) -> Folder:
        """The subfolder ``name`` (made if ``create``), never through a link."""
        where, at = self._at(name)
        if create:
            try:
                os.mkdir(where, 0o777, **at)
            except FileExistsError:
                pass
        if not _AT and os.path.islink(where):
            raise SealBroken(self.path / name)
        try:
            fd = os.open(where, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                         **at)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise SealBroken(self.path / name) from None
            raise
        return Folder(fd, self.path / name)

    def kind(self, name: str) -> int | None:
        """The mode of ``name`` itself (a link is a link), None if there is none."""
        where, at = self._at(name)
        try:
            return os.stat(where, follow_symlinks=False, **at).st_mode
        except FileNotFoundError:
            return None

    def stat(self, name: str) -> os.stat_result:
        """``lstat`` of ``name`` (a link is a link)."""
        where, at = self._at(name)
        return os.stat(where, follow_symlinks=False, **at)

    def _open(self, name: str, flags: int) -> int:
        where, at = self._at(name)
        if not _AT and os.path.islink(where):
            raise SealBroken(self.path / name)
        try:
            return os.open(where, flags | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644, **at)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise SealBroken(self.path / name) from None
            raise

    def open_lock(self, name: str) -> int:
        """A descriptor of ``name`` for reading and writing, made if missing (a lock file)."""
        return self._open(name, os.O_RDWR | os.O_CREAT)

    def open_existing(self, name: str) -> int:
        """A read-only descriptor of the existing ``name`` (FileNotFoundError if none)."""
        return self._open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))

    def names(self) -> list[str]:
        return os.listdir(self.fd if _AT else self.path)

    def create(self, name: str) -> IO[bytes]:
        """A new file ``name`` open for writing; fails if the name exists in any form."""
        return os.fdopen(self._open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL), "wb")

    def replace(self, name: str, target: str, into: Folder | None = None) -> None:
        """Rename ``name`` to ``target`` (in ``into``, default here), atomically; a link at
        ``target`` is replaced, not followed."""
        into = into or self
        if _AT:
            os.replace(name, target, src_dir_fd=self.fd, dst_dir_fd=into.fd)
        else:
            os.replace(self.path / name, into.path / target)

    def remove(self, name: str) -> None:
        """Delete ``name``: a file or link by unlinking it, a folder with everything in it
        (never following a link inside). Nothing there is fine."""
        mode = self.kind(name)
        if mode is None:
            return
        where, at = self._at(name)
        try:
            if stat.S_ISDIR(mode):
                if _AT:
                    shutil.rmtree(where, dir_fd=self.fd)
                else:
                    shutil.rmtree(where)
            else:
                os.unlink(where, **at)
        except FileNotFoundError:
            pass

    def read(self, name: str, *, cap: int, what: str = "file") -> bytes:
        """The bytes of the regular file ``name`` (not through a link), at most ``cap``."""
        try:
            fd = self._open(name, _READ)
        except FileNotFoundError:
            raise Unreadable(self.path / name, f"no such {what}") from None
        except OSError as exc:
            raise Unreadable(self.path / name, f"cannot be read ({exc.strerror or exc})") from None
        try:
            return _read_fd(fd, self.path / name, cap, what)
        finally:
            os.close(fd)


class SealBroken(UserError):
    """A results folder holding a symbolic link (or a special file) where warnsim writes."""

    def __init__(self, path: Path, what: str = "a symbolic link") -> None:
        super().__init__(f"{path} is {what}; warnsim never follows links or uses special files "
                         "inside a results folder: remove it (or choose another folder with --out)")
        self.path = path


WATCHED = (".sweep", ".sweep/parts", "figures", "tables")
"""The subfolders of a results folder that warnsim writes into (checked one level deep)."""


def intruders(root: str | Path) -> Iterator[tuple[Path, str]]:
    """Each symbolic link or special file (device, FIFO, socket) in the results folder
    ``root`` and in its subfolders :data:`WATCHED`, with what it is; nothing for a folder that
    does not exist. Reads names and modes only."""
    root = Path(root)
    for sub in ("", *WATCHED):
        folder = root / sub if sub else root
        try:
            if sub and not stat.S_ISDIR(os.lstat(folder).st_mode):
                continue  # a link here is reported at its parent's level
            names = sorted(os.listdir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            try:
                mode = os.lstat(folder / name).st_mode
            except FileNotFoundError:
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                yield folder / name, kind_of(mode)


def check_sealed(root: str | Path) -> None:
    """Refuse a results folder holding a link or special file where warnsim works (one line)."""
    for path, what in intruders(root):
        raise SealBroken(path, what)
