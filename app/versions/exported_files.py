"""The files of an exported app (app.storage.files), as JSON: base64, within the limits of a bundle import.

An export carries each set of files once, `"files": [[{"path", "content_type", "size", "data"}, …], …]`,
and a version names its set by index (`"files_from": 0`). Reading is all-or-nothing: a malformed
entry is InvalidBundle (400), a file or set past app.versions.bundle's limits BundleTooLarge (413),
both raised before anything is written.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from app.errors import BundleTooLarge, InvalidBundle
from app.storage import VersionFile
from app.versions.bundle import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, unsafe_name

_MAX_PATH = 500  # version_files.path
_MAX_TYPE = 100  # version_files.content_type


def write_file_sets(sets: list[list[VersionFile]]) -> list[list[dict[str, Any]]]:
    return [[{"path": f.path, "content_type": f.content_type, "size": len(f.data), "data": base64.b64encode(f.data).decode("ascii")} for f in files] for files in sets]


def read_file_sets(value: object) -> list[list[VersionFile]]:
    if not isinstance(value, list) or not all(isinstance(files, list) for files in value):
        raise InvalidBundle("An export's “files” must be a list of sets, each a list of files: export the app again.")
    count = sum(len(files) for files in value)
    if count > MAX_FILES:
        raise BundleTooLarge(f"This export carries {count:,} files; the limit is {MAX_FILES}. Leave some out of the app before exporting it.")
    total = 0
    sets: list[list[VersionFile]] = []
    for index, files in enumerate(value):
        paths: set[str] = set()
        read: list[VersionFile] = []
        for number, entry in enumerate(files):
            file = _read_file(entry, f"files[{index}][{number}]")
            if file.path in paths:
                raise InvalidBundle(f"files[{index}] holds “{file.path}” twice: export the app again.")
            paths.add(file.path)
            total += len(file.data)
            if total > MAX_TOTAL_BYTES:
                raise BundleTooLarge(f"The files this export carries come to more than {MAX_TOTAL_BYTES:,} bytes: leave some out of the app before exporting it.")
            read.append(file)
        sets.append(read)
    return sets


def _read_file(entry: object, where: str) -> VersionFile:
    if not isinstance(entry, dict):
        raise InvalidBundle(f"{where} is not an object with “path”, “content_type”, “size” and “data”.")
    path, content_type, size, data = entry.get("path"), entry.get("content_type"), entry.get("size"), entry.get("data")
    if not isinstance(path, str) or not path or len(path) > _MAX_PATH or unsafe_name(path) or path.endswith("/"):
        raise InvalidBundle(f"{where}.path must be a file's path inside the app's folder, such as “app.js” (no “..”, no leading “/”).")
    if not isinstance(content_type, str) or not content_type.strip() or len(content_type) > _MAX_TYPE:
        raise InvalidBundle(f"{where}.content_type must be a media type, such as “text/javascript”.")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidBundle(f"{where}.size must be the file's size in bytes.")
    if size > MAX_FILE_BYTES:
        raise BundleTooLarge(f"“{path}” is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes a file. Make it smaller, or leave it out.")
    # Four characters of base64 for three bytes: a longer text cannot be a file within the limit.
    if not isinstance(data, str) or len(data) > (MAX_FILE_BYTES + 2) // 3 * 4:
        raise InvalidBundle(f"{where}.data must be the file's bytes in base64, as big as its “size”.")
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidBundle(f"{where}.data is not base64: export the app again.") from None
    if len(content) != size:
        raise InvalidBundle(f"{where}.data holds {len(content):,} bytes, not the {size:,} its “size” says: export the app again.")
    return VersionFile(path, content_type, content)
