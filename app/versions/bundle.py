"""A page and the files it names, read from a folder or a zip, within limits and refusing what is unsafe.

An import takes the page (`index.html`, the only `.html` file at the top, or the one named) and,
following names from the page to its scripts and stylesheets and on, every file they name by
relative path inside the page's folder (app.versions.references). Nothing else is read: a folder
may hold anything beside the app.

Refused, with nothing written (InvalidBundle, 400): a zip that is not one, or whose entries are
named to lead out of it (`../`, `/…`, `C:`, backslashes: zip slip), named twice, or named in
anything but UTF-8; no page, or several without a choice. Past a limit (BundleTooLarge, 413):
a file over MAX_FILE_BYTES, all files over MAX_TOTAL_BYTES, more than MAX_FILES files, a zip of
more than MAX_ENTRIES entries or MAX_ZIP_BYTES. Sizes are checked as bytes are decompressed, so
a zip that lies about them (a zip bomb) stops at the limit. Skipped, each with a note that says
why: names that lead out of the page's folder, symbolic links, other pages, encrypted entries.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from app.errors import BundleTooLarge, InvalidBundle
from app.storage import VersionFile
from app.versions.references import SCANNED, content_type, relative_names

MAX_FILE_BYTES = 5_000_000
MAX_TOTAL_BYTES = 20_000_000
MAX_FILES = 500
MAX_ENTRIES = 10_000
MAX_ZIP_BYTES = 64_000_000
_PAGES = (".html", ".htm")


@dataclass
class Bundle:
    """What an import brings: the page, the files it names (paths relative to the page), and notes."""

    page_name: str
    html: str
    files: list[VersionFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# What a source answers for a path: its bytes, or why it is skipped.
Reader = Callable[[str], "bytes | str | None"]


def _read_limited(stream: IO[bytes], name: str) -> bytes:
    data = stream.read(MAX_FILE_BYTES + 1) or b""
    if len(data) > MAX_FILE_BYTES:
        raise BundleTooLarge(f"“{name}” is larger than the limit of {MAX_FILE_BYTES:,} bytes a file: make it smaller, or leave it out.")
    return data


def _choose_page(top_level: list[str], page: str | None, where: str) -> str:
    if page:
        name = posixpath.normpath(page.replace("\\", "/")).lstrip("/")
        if name.startswith("../") or not name.lower().endswith(_PAGES):
            raise InvalidBundle(f"“{page}” is not an .html page inside {where}: name one of its pages by its path inside it.")
        return name
    for index in ("index.html", "index.htm"):
        if index in top_level:
            return index
    pages = sorted(n for n in top_level if n.lower().endswith(_PAGES))
    if len(pages) == 1:
        return pages[0]
    if not pages:
        raise InvalidBundle(f"{where} has no index.html and no other .html page at its top: put the page there, or name it.")
    raise InvalidBundle(f"{where} has several pages and no index.html ({', '.join(pages[:5])}): name the one to import.")


def _gather(page_name: str, read: Reader, where: str) -> Bundle:
    """The page and the files it names, following names through scripts and stylesheets."""
    page = read(page_name)
    if not isinstance(page, bytes):
        raise InvalidBundle(f"{where} has no page “{page_name}”" + (f" ({page})." if page else ".") + " Name a page it holds.")
    root = posixpath.dirname(page_name)
    bundle = Bundle(page_name, page.decode("utf-8", errors="replace"))
    seen = {page_name}
    pending = [(page_name, bundle.html)]
    total = 0
    while pending:
        name, text = pending.pop()
        inside, outside = relative_names(text, posixpath.dirname(name), page=name.lower().endswith(_PAGES))
        bundle.skipped.extend(f"“{ref}” (named by {name}) is outside the page's folder: not imported." for ref in sorted(outside))
        for path in sorted(inside - seen):
            seen.add(path)
            if root and not path.startswith(root + "/"):
                bundle.skipped.append(f"“{path}” (named by {name}) is outside the page's folder: not imported.")
                continue
            if path.lower().endswith(_PAGES):
                bundle.skipped.append(f"“{path}” is another page: an app is one page, so it was not imported.")
                continue
            data = read(path)
            if isinstance(data, str):
                bundle.skipped.append(f"“{path}” {data}: not imported.")
            if not isinstance(data, bytes):
                continue
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                raise BundleTooLarge(f"The files the page names come to more than {MAX_TOTAL_BYTES:,} bytes: leave some out.")
            if len(bundle.files) >= MAX_FILES:
                raise BundleTooLarge(f"The page names more than {MAX_FILES} files: bring fewer.")
            served = path[len(root) + 1 :] if root else path
            bundle.files.append(VersionFile(served, content_type(path, data), data))
            if path.lower().endswith(SCANNED):
                pending.append((path, data.decode("utf-8", errors="replace")))
    bundle.files.sort(key=lambda f: f.path)
    return bundle


def read_folder(folder: Path, page: str | None = None) -> Bundle:
    """The page of `folder` and the files it names; symbolic links are skipped, never followed."""
    root = folder.resolve()
    top_level = [entry.name for entry in root.iterdir() if entry.is_file() and not entry.is_symlink()]

    def read(path: str) -> bytes | str | None:
        target = root
        for part in path.split("/"):
            target = target / part
            try:
                mode = target.lstat().st_mode
            except OSError:
                return None
            if stat.S_ISLNK(mode):
                return "is a symbolic link"
        if not stat.S_ISREG(mode):
            return None
        with target.open("rb") as stream:
            return _read_limited(stream, path)

    try:
        return _gather(_choose_page(top_level, page, str(folder)), read, str(folder))
    except UnicodeEncodeError:
        raise InvalidBundle(f"{folder} holds a name this system cannot read.") from None


def unsafe_name(name: str) -> bool:
    parts = name.split("/")
    return name.startswith("/") or "\\" in name or "\x00" in name or (len(name) > 1 and name[1] == ":") or ".." in parts


def read_zip(data: bytes, page: str | None = None) -> Bundle:
    """The page of a zip and the files it names. A zip of one folder is read as that folder."""
    if len(data) > MAX_ZIP_BYTES:
        raise BundleTooLarge(f"The zip is {len(data):,} bytes; the limit is {MAX_ZIP_BYTES:,}. Zip only the page and its files.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, UnicodeDecodeError, ValueError, EOFError) as exc:
        raise InvalidBundle(f"This is not a zip Toolsmith can read ({exc}): zip the folder again.") from None
    if len(infos) > MAX_ENTRIES:
        raise BundleTooLarge(f"The zip has {len(infos):,} entries; the limit is {MAX_ENTRIES:,}. Zip only the page and its files.")
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if not info.flag_bits & 0x800 and not name.isascii():
            raise InvalidBundle(f"The zip names “{name}” in an encoding other than UTF-8: make it again with a tool that writes UTF-8 names.")
        if unsafe_name(name):
            raise InvalidBundle(f"The zip holds “{name}”, a name that leads outside it: it was refused whole. Zip the folder again.")
        if info.is_dir():
            continue
        if name in entries:
            raise InvalidBundle(f"The zip holds “{name}” twice: it was refused whole, since either could be the one meant.")
        entries[name] = info
    prefix = _one_folder(list(entries))

    def read(path: str) -> bytes | str | None:
        info = entries.get(prefix + path)
        if info is None:
            return None
        if stat.S_ISLNK(info.external_attr >> 16):
            return "is a symbolic link"
        if info.flag_bits & 0x1:
            return "is encrypted"
        if info.file_size > MAX_FILE_BYTES:
            raise BundleTooLarge(f"“{path}” is {info.file_size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes a file. Make it smaller, or leave it out.")
        try:
            with archive.open(info) as stream:
                return _read_limited(stream, path)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
            raise InvalidBundle(f"“{path}” cannot be read from the zip ({exc}): zip the folder again.") from None

    top_level = [name[len(prefix) :] for name in entries if "/" not in name[len(prefix) :]]
    return _gather(_choose_page(top_level, page, "The zip"), read, "The zip")


def _one_folder(names: list[str]) -> str:
    """"app/" when every entry is inside the one folder app/ (a zipped folder); "" otherwise."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        return tops.pop() + "/"
    return ""


def is_zip(path: Path) -> bool:
    return path.is_file() and zipfile.is_zipfile(os.fspath(path))
