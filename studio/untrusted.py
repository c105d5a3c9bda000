"""Reading what came from outside: folders, files, zip members, YAML and JSON — bounded, one-line errors.

Files a user hands the studio (a portfolio folder or archive, a knowledge file, a chat
log, a folder's metadata.jsonl) may be hostile.

- Folders are listed without following links: a link, pipe, device or socket inside one
  is refused by its reason, never opened; a file is read only if it is still the regular
  file that was listed, still inside the folder, and no longer than the caller allows.
- Zip members are refused by their header (link, encryption, unknown compression) before
  reading; a read stops at the header's size, and a bad CRC or broken stream is a reason.
- The YAML and JSON loaders refuse what could amplify or run code — YAML anchors and
  aliases ("billion laughs"), tags other than the plain YAML types (e.g.
  ``!!python/object``), nesting deeper than :data:`MAX_DEPTH`, text over a size limit —
  each as one :class:`UntrustedInput` (a ``StudioError``) naming the source and the line.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml

from studio.errors import StudioError

MAX_DEPTH = 32  # levels of lists/mappings inside each other
MAX_YAML_CHARS = 1_000_000
MAX_JSON_CHARS = 1_000_000  # one JSON document (one line of a JSONL file)
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")} | {"!"}
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


class UntrustedInput(StudioError):
    """Input refused by a loader; `reason` is the message without the source and line."""

    def __init__(self, source: str, line: int | None, reason: str):
        self.source, self.line, self.reason = source, line, reason
        where = f" line {line}" if line is not None else ""
        super().__init__(f"{source}{where}: {reason}")


def one_line(text) -> str:
    """An exception or message on one line, for a reason shown to the user."""
    return " ".join(str(text).split()) or type(text).__name__


# --- files and folders --------------------------------------------------------------------------

LINK = "symbolic link: links inside a folder are not followed (copy the file itself in)"
SPECIAL = "not a regular file (a pipe, device or socket); not opened"
OUTSIDE = "resolves to a place outside the folder it was given in; not read"
Reader = Callable[[int], bytes]  # read(limit): the bytes, at most `limit`, or raises Unreadable
Found = tuple[int, Reader] | str  # (size, read) for a file to offer, or the reason it is refused


class Unreadable(Exception):
    """A read was refused or failed; `reason` is the one line to show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def inside(path: Path, real_root: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(real_root)


def folder_entry(path: Path, real_root: Path) -> Found | None:
    """A regular file below `real_root` (never through a link), or why not; None if absent or a folder."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return LINK
    if not inside(path, real_root):
        return OUTSIDE
    if stat.S_ISDIR(st.st_mode):
        return None
    if not stat.S_ISREG(st.st_mode):
        return SPECIAL
    return st.st_size, file_reader(path, st, real_root)


def walk_folder(root: Path) -> dict[str, Found]:
    """Every entry below `root` by relative path, sorted; links are refused, not followed."""
    real_root = root.resolve()
    found: dict[str, Found] = {}
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            found[folder.relative_to(root).as_posix()] = f"folder cannot be read ({exc.strerror})"
            continue
        for e in entries:
            path = Path(e.path)
            if e.is_dir(follow_symlinks=False) and inside(path, real_root):
                folders.append(path)
            elif (entry := folder_entry(path, real_root)) is not None:
                found[path.relative_to(root).as_posix()] = entry
    return dict(sorted(found.items(), key=lambda kv: kv[0].split("/")))


def file_reader(path: Path, expected: os.stat_result, real_root: Path | None = None) -> Reader:
    """Reads the file that was listed and only it: not a link or pipe swapped in since, not past `limit`.

    Without `real_root` (a file the user named) the path itself may be a link.
    """
    def read(limit: int) -> bytes:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (getattr(os, "O_NOFOLLOW", 0) if real_root else 0)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise Unreadable(f"cannot be read ({exc.strerror})") from None
        with open(fd, "rb") as f:
            now = os.fstat(fd)
            if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (expected.st_dev, expected.st_ino):
                raise Unreadable("the file was replaced while it was being added; not read")
            if real_root is not None and not inside(path, real_root):
                raise Unreadable(OUTSIDE)
            want = min(now.st_size, limit)
            data = f.read(want + 1)
        if len(data) > want:
            raise Unreadable(f"the file grew while it was being read (past {want} bytes); not kept")
        return data
    return read


# --- zip archives -------------------------------------------------------------------------------

ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def zip_files(path: Path, max_members: int) -> list[zipfile.ZipInfo] | str:
    """The archive's file members, or why it cannot be read (too many entries is checked first)."""
    try:
        end_record = getattr(zipfile, "_EndRecData", None)  # the count, before zipfile lists every entry
        if end_record is not None:
            with open(path, "rb") as f:
                record = end_record(f)
            if record and record[zipfile._ECD_ENTRIES_TOTAL] > max_members:
                return f"archive lists {record[zipfile._ECD_ENTRIES_TOTAL]} entries, over the limit of {max_members}"
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
    except Exception as exc:  # zipfile raises many types on hostile headers
        return f"not a readable zip archive ({one_line(exc)})"
    if len(members) > max_members:
        return f"archive holds {len(members)} files, over the limit of {max_members}"
    return members


def zip_member_problem(m: zipfile.ZipInfo) -> str | None:
    """Why a member is not read, known from its header alone; None if it may be."""
    kind = stat.S_IFMT(m.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return "symbolic link inside the archive; not followed"
    if kind and kind != stat.S_IFREG:
        return "not a regular file inside the archive; not read"
    if m.flag_bits & 0x1:
        return "encrypted (password-protected); not read"
    if m.compress_type not in ZIP_METHODS:
        return f"compressed with method {m.compress_type}, which is not supported (use deflate or store); not read"
    return None


class ZipReader:
    """Reads members of one zip, opened again on the first read and closed with its last reader."""

    def __init__(self, path: Path):
        self.path, self.zip = path, None

    def reader(self, info: zipfile.ZipInfo) -> Reader:
        def read(limit: int) -> bytes:
            want = min(info.file_size, limit)
            try:
                if self.zip is None:
                    self.zip = zipfile.ZipFile(self.path)
                with self.zip.open(info) as f:
                    data = f.read(want + 1)  # zipfile stops at the header's size and checks the CRC there
            except EOFError as exc:
                raise Unreadable(f"truncated archive member; not read ({one_line(exc)})") from None
            except Exception as exc:  # bad CRC, broken stream, missing codec, ...
                raise Unreadable(f"corrupt archive member; not read ({one_line(exc)})") from None
            if len(data) > want:
                raise Unreadable("archive member is longer than its header says; not kept")
            return data
        return read


# --- YAML ---------------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, mark, reason: str):
        self.mark, self.reason = mark, reason


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader's composer with no anchors, aliases or custom tags, and bounded nesting."""

    max_depth = MAX_DEPTH

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark, f"YAML aliases (*{event.anchor}) are not accepted; write the value out")
        if getattr(event, "anchor", None) is not None:
            raise _Refused(event.start_mark, f"YAML anchors (&{event.anchor}) are not accepted; write the value out")
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _PLAIN_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise _Refused(event.start_mark, f"the YAML tag {shown!r} is not accepted (plain text, numbers, lists "
                                             "and mappings only)")
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self._depth = getattr(self, "_depth", 0) + 1
            if self._depth > self.max_depth:
                raise _Refused(event.start_mark, f"nested more than {self.max_depth} levels deep")
            try:
                node = super().compose_node(parent, index)
            finally:
                self._depth -= 1
            if isinstance(node, yaml.MappingNode):
                for key, _ in node.value:
                    if not isinstance(key, yaml.ScalarNode):
                        raise _Refused(key.start_mark, "a mapping key must be plain text, not a list or mapping")
            return node
        return super().compose_node(parent, index)


def load_yaml_node(text: str, source: str, max_chars: int = MAX_YAML_CHARS,
                   max_depth: int = MAX_DEPTH) -> yaml.Node | None:
    """Compose one YAML document into nodes (with line marks); None for an empty document."""
    if len(text) > max_chars:
        raise UntrustedInput(source, None, f"the file is {len(text)} characters, over the limit of {max_chars}")
    loader = None
    try:
        loader = _PlainLoader(text)  # the reader checks every character here
        loader.max_depth = max_depth
        return loader.get_single_node()
    except _Refused as exc:
        raise UntrustedInput(source, exc.mark.line + 1, exc.reason) from None
    except yaml.YAMLError as exc:
        mark, at = getattr(exc, "problem_mark", None), getattr(exc, "position", None)  # position: a bad character
        line = mark.line + 1 if mark else text.count("\n", 0, at) + 1 if isinstance(at, int) else None
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        raise UntrustedInput(source, line, f"not valid YAML ({one_line(problem)})") from None
    except RecursionError:  # not reached with a sane max_depth; a traceback is never the answer
        raise UntrustedInput(source, None, "nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def yaml_value(node: yaml.Node | None, source: str) -> Any:
    """The plain Python value of a node from :func:`load_yaml_node` (dicts, lists, text, numbers)."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or node.start_mark
        problem = getattr(exc, "problem", None) or str(exc)
        raise UntrustedInput(source, mark.line + 1, f"not valid YAML ({one_line(problem)})") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. `!!int ten`
        raise UntrustedInput(source, node.start_mark.line + 1, f"not valid YAML ({one_line(exc)})") from None
    finally:
        loader.dispose()


# --- JSON ---------------------------------------------------------------------------------------


def json_depth(text: str) -> int:
    """How deeply lists and objects nest in JSON text (brackets inside strings do not count)."""
    brackets = _JSON_BRACKET.findall(_JSON_STRING.sub("", text))
    if not brackets:
        return 0
    return max(0, max(accumulate(1 if b in "[{" else -1 for b in brackets)))


def load_json(text: str, source: str, line: int | None = None, max_chars: int = MAX_JSON_CHARS,
              max_depth: int = MAX_DEPTH) -> Any:
    """Parse one JSON document (e.g. one JSONL line); errors name `source` and `line`."""
    if len(text) > max_chars:
        raise UntrustedInput(source, line, f"{len(text)} characters, over the limit of {max_chars} for one entry")
    depth = json_depth(text)
    if depth > max_depth:
        raise UntrustedInput(source, line, f"nested {depth} levels deep, over the limit of {max_depth}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UntrustedInput(source, line, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise UntrustedInput(source, line, f"nested over the limit of {max_depth} levels") from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise UntrustedInput(source, line, f"not valid JSON ({one_line(exc)})") from None
