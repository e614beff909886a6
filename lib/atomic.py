"""Write a small file whole or not at all: a temporary file beside it, synced, then renamed over it.

A reader (a feed reader polling feed.xml, a cron job mailing it, the app reading an interest) sees either the old
file or the new one, never half of one, whatever stops the writer. Used for interest files and Atom feeds.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Permissions of a new file before the umask (as open() would create it); an existing file keeps its own.
NEW_FILE_MODE = 0o666


def _umask() -> int:
    """The process's umask (read by setting it and putting it back: there is no other way to read it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename (the folder must exist); the file keeps its permissions if it existed."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.is_file() else NEW_FILE_MODE & ~_umask()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # a folder that cannot be opened for reading (some platforms): the rename is done, only not synced
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
