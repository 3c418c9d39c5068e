"""Files through the exchange: plain bytes only, bounded, under safe names.

Reading a folder never follows a link: a symbolic link, a hard link (a name shared with another
file), a FIFO, a device or a socket is refused with its reason, and so is a file larger than the
limit (judged from its size before reading, so a sparse 4 GiB file costs nothing). A file swapped
for a link between the look and the open is caught by the open itself (O_NOFOLLOW) and by comparing
what was opened with what was looked at. Writing creates fresh files only, never through a link.
"""

import fnmatch
import os
import re
import secrets
import shutil
import stat
from dataclasses import dataclass

# Names that travel: letters, digits and . _ - + @ space in each part, no part starting with a dot
# other than the notebook checkpoints nbgrader ignores anyway.
_SAFE_PART = re.compile(r"[A-Za-z0-9_+@-][A-Za-z0-9 ._+@-]{0,127}")
# What nbgrader or this exchange writes into an assignment folder: never taken as the student's (a
# student's own timestamp.txt or receipt.json would otherwise claim a time).
NOT_SUBMITTED = ("timestamp.txt", "submission_secret.txt", "receipt.json", "practice.json", "practice-statement.json",
                 "receipts", "feedback", ".ipynb_checkpoints", "__pycache__")


@dataclass(frozen=True)
class Limits:
    max_files: int = 100
    max_file_bytes: int = 20 * 2**20
    max_total_bytes: int = 50 * 2**20


# A release may be larger than a submission (data files); still plain files only.
RELEASE_LIMITS = Limits(max_files=1000, max_file_bytes=200 * 2**20, max_total_bytes=2**30)


class Refused(ValueError):
    """What a student sees when the exchange will not take a submission, with the reason."""


def check_name(name):
    """`name` (a relative POSIX path) when it is safe to use as a path under a folder, else Refused."""
    parts = name.split("/")
    if not name or len(name) > 512 or not all(_SAFE_PART.fullmatch(part) for part in parts):
        raise Refused(f"{name!r}: not a file name the exchange takes (letters, digits, . _ - + @ and spaces, "
                      "no leading dot, no '..')")
    return name


def _kind(mode):
    for test, kind in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return kind
    return "not a plain file"


def _read_one(path, before, limits):
    """The bytes of the regular file at `path`, which lstat gave as `before`, or Refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        raise Refused(f"could not be read as a plain file ({error.strerror})") from error
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise Refused("changed while it was being read (replaced by a link or a special file)")
        if now.st_nlink > 1:
            raise Refused("is a hard link (its content is another file's)")
        if now.st_size > limits.max_file_bytes:
            raise Refused(f"is {now.st_size} bytes, more than the {limits.max_file_bytes} a file may have")
        chunks, size = [], 0
        while size <= limits.max_file_bytes:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limits.max_file_bytes:
            raise Refused(f"grew past the {limits.max_file_bytes} bytes a file may have while it was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_folder(folder, limits=Limits(), ignore=(), skip_top=NOT_SUBMITTED):
    """((relative name, bytes), ...) of the plain files under `folder`, and [(name, reason)] refused.

    ignore: fnmatch patterns of names (any part) left out silently, besides `skip_top` at the top.
    Beyond limits.max_files or limits.max_total_bytes the rest is refused, not read."""
    files, refused, total = [], [], 0

    def walk(directory, prefix):
        nonlocal total
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as error:
            refused.append((prefix or ".", f"could not be listed ({error.strerror})"))
            return
        for entry in entries:
            name = f"{prefix}{entry.name}"
            if (not prefix and entry.name in skip_top) or any(fnmatch.fnmatch(entry.name, p) for p in ignore):
                continue
            try:
                check_name(name)
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    walk(entry.path, name + "/")
                    continue
                if not stat.S_ISREG(info.st_mode):
                    raise Refused(f"is {_kind(info.st_mode)}")
                if info.st_size > limits.max_file_bytes:
                    raise Refused(f"is {info.st_size} bytes, more than the {limits.max_file_bytes} a file may have")
                if len(files) >= limits.max_files:
                    raise Refused(f"is beyond the {limits.max_files} files a submission may have")
                if total + info.st_size > limits.max_total_bytes:
                    raise Refused(f"would take the submission past {limits.max_total_bytes} bytes")
                data = _read_one(entry.path, info, limits)
            except Refused as reason:
                refused.append((name, str(reason).removeprefix(f"{name!r}: ")))
                continue
            total += len(data)
            files.append((name, data))

    walk(os.fspath(folder), "")
    return tuple(files), refused


def write_folder(folder, files, mode=0o644):
    """Create `folder` (which must not exist) holding `files`; each name is checked, nothing followed."""
    os.makedirs(folder, mode=0o755)
    for name, data in files:
        write_new_file(folder, name, data, mode)


def replace_folder(target, files, mode=0o644):
    """`target` becomes a folder holding exactly `files`: written beside it, then swapped in by renames,
    so that a failure half-way leaves the old folder whole."""
    fresh = f"{target}.new-{secrets.token_hex(4)}"
    write_folder(fresh, files, mode)
    old = f"{target}.old-{secrets.token_hex(4)}"
    if os.path.isdir(target):
        os.rename(target, old)
    os.rename(fresh, target)
    shutil.rmtree(old, ignore_errors=True)


def write_new_file(folder, name, data, mode=0o644):
    """folder/name, which must not exist yet (O_EXCL: never through a link someone left there)."""
    path = os.path.join(folder, *check_name(name).split("/"))
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def check_files(files, limits):
    """Refused unless `files` ((name, bytes), ...) keep within `limits` under safe, distinct names."""
    names = [check_name(name) for name, _ in files]
    if len(set(names)) != len(names):
        raise Refused("the same file name twice")
    if len(files) > limits.max_files:
        raise Refused(f"{len(files)} files: a submission may have {limits.max_files}")
    for name, data in files:
        if len(data) > limits.max_file_bytes:
            raise Refused(f"{name}: {len(data)} bytes, more than the {limits.max_file_bytes} a file may have")
    total = sum(len(data) for _, data in files)
    if total > limits.max_total_bytes:
        raise Refused(f"{total} bytes in all: a submission may have {limits.max_total_bytes}")
