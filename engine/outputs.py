"""Writing a run safely: a lock on the output folder, a temporary folder, one move into place.

A run writes ``<out>/.innerpay-tmp-<period>/`` completely (the manifest last), then swaps it with
``<out>/<period>`` in one atomic step (Linux ``renameat2``; elsewhere two renames, and a run killed
between them is put back by the next run).  A run killed at any moment leaves the earlier outputs
as they were, and no debris that breaks the next run.  The lock is an advisory ``flock`` that
the kernel releases when the process dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Iterator

from .errors import InnerpayError, Kind, Source, error

LOCK_NAME = ".innerpay.lock"


def input_key(path: str, root: str = ".") -> str:
    """``path`` relative to ``root``, normalised (see :meth:`RunOptions.key`)."""
    return os.path.normpath(os.path.relpath(os.path.abspath(path), os.path.abspath(root)))


def _tmp(out: str, period: str) -> str:
    return os.path.join(out, f".innerpay-tmp-{period}")


def _old(out: str, period: str) -> str:
    return os.path.join(out, f".innerpay-old-{period}")


def io_error(path: str, exc: OSError) -> InnerpayError:
    """A write that failed (a full disk, no permission) as the error a user reads (exit 7)."""
    reason = {
        errno.ENOSPC: "the disk is full",
        errno.EACCES: "permission denied",
        errno.EROFS: "the file system is read-only",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EFBIG: "a file is larger than this system allows (is the disk full?)",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return InnerpayError(
        [error(Source(path), f"cannot write the output: {reason}; nothing was changed", Kind.IO)]
    )


@contextlib.contextmanager
def locked(out: str) -> Iterator[None]:
    """Hold the lock on an output folder; another holder makes this raise (exit 6)."""
    path = os.path.join(out, LOCK_NAME)
    try:
        os.makedirs(out, exist_ok=True)
        # never through a link: a planted one would make innerpay create a file elsewhere
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        handle = os.fdopen(os.open(path, flags, 0o644), "a+b")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InnerpayError([error(Source(path), "the lock file is a symbolic link; innerpay "
                                       "follows none in its output folder: remove it",
                                       Kind.IO)]) from None  # fmt: skip
        raise io_error(out, exc) from None
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InnerpayError(
                [
                    error(
                        Source(out),
                        "busy: another innerpay run holds the lock on this output folder; "
                        "wait for it to finish",
                        Kind.BUSY,
                    )
                ]
            ) from None
        yield
    finally:
        handle.close()


def unmade(out: str) -> None:
    """Remove an output folder this run made, when nothing but its lock is in it (call with
    the lock held: a run that opens the lock file meanwhile finds it busy)."""
    with contextlib.suppress(OSError):
        if os.listdir(out) == [LOCK_NAME]:
            os.remove(os.path.join(out, LOCK_NAME))
            os.rmdir(out)


def recover(out: str, period: str) -> None:
    """Undo what a killed run left behind (call with the lock held)."""
    final, old, tmp = os.path.join(out, period), _old(out, period), _tmp(out, period)
    if os.path.isdir(old):
        if os.path.isdir(final):
            shutil.rmtree(old)
        else:
            os.rename(old, final)  # killed between the two renames: put the earlier run back
    if os.path.isdir(tmp):
        shutil.rmtree(tmp)


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: str, b: str) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100  # AT_FDCWD
    done = renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(done == 0)


#: A file's content: bytes, or the pieces it is made of, in order (a large output is never
#: joined in memory: its pieces are hashed and written one after the other).
Content = bytes | tuple[bytes | memoryview, ...]

#: Content, or pieces made one after the other as they are taken (read once: a run writes
#: results.json slice by slice, each slice made when the one before has been written).
Stream = Content | Iterator[bytes | memoryview]


def pieces(content: Stream) -> Iterable[bytes | memoryview]:
    """The pieces of a file's content, in order."""
    return (content,) if isinstance(content, bytes) else content


def kept(content: Stream) -> Content:
    """Content that can be read more than once."""
    return content if isinstance(content, bytes | tuple) else tuple(content)


def joined(content: Stream) -> bytes:
    """A file's content as one bytes object (for small files and for comparisons)."""
    return content if isinstance(content, bytes) else b"".join(content)


def sha256_bytes(content: Stream) -> str:
    """The sha256 hex digest of a file's content."""
    digest = hashlib.sha256()
    for piece in pieces(content):
        digest.update(piece)
    return digest.hexdigest()


def _write(descriptor: int, content: Stream) -> str:
    """Write a file's content piece by piece; its sha256, from the same pieces."""
    digest = hashlib.sha256()
    for piece in pieces(content):
        digest.update(piece)
        with memoryview(piece) as view:
            written = 0
            while written < len(view):
                written += os.write(descriptor, view[written:])
    return digest.hexdigest()


def write_run(
    out: str,
    period: str,
    files: Iterable[tuple[str, Stream]],
    manifest: Callable[[dict[str, str]], bytes],
) -> None:
    """Write every file as it comes, then the manifest, into place, all or nothing (call with
    the lock).  ``manifest`` is given the sha256 of every file written, by path; a file is let
    go once written, so that the next can be made in its memory.  Should making a file raise,
    nothing is changed."""
    final, old, tmp = os.path.join(out, period), _old(out, period), _tmp(out, period)
    for path in (final, old, tmp):
        if os.path.islink(path):  # a run is only ever a real folder: never written through
            raise InnerpayError([error(Source(path), "a symbolic link where the run's folder "
                                       "goes; innerpay writes runs only as real folders: remove "
                                       "the link", Kind.IO)])  # fmt: skip
    recover(out, period)
    try:
        os.makedirs(tmp)
        made = {tmp}
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        written: dict[str, str] = {}
        for relative, content in files:
            path = os.path.join(tmp, relative)
            folder = os.path.dirname(path)
            if folder not in made:  # 100,000 slips share one folder: made once
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            descriptor = os.open(path, flags, 0o644)
            try:
                written[relative] = _write(descriptor, content)
            finally:
                os.close(descriptor)
            del content  # before the next file is made
        with open(os.path.join(tmp, "manifest.json"), "wb") as handle:
            handle.write(manifest(dict(sorted(written.items()))))
            handle.flush()
            os.fsync(handle.fileno())
        if not os.path.isdir(final):
            os.rename(tmp, final)
        elif _exchange(tmp, final):
            os.rename(tmp, old)  # the earlier run, now under the temporary name, is cleared below
        else:  # two renames: a run killed between them is put back by recover()
            os.rename(final, old)
            os.rename(tmp, final)
    except OSError as exc:
        with contextlib.suppress(OSError):
            recover(out, period)
        raise io_error(out, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            recover(out, period)  # making a file failed: the earlier outputs stay as they were
        raise
    shutil.rmtree(old, ignore_errors=True)
