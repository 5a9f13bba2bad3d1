"""What happens to versions besides generating them: hand edits, restores, imports, diffs, exports, downloads."""

from app.versions.bundle import MAX_FILE_BYTES, MAX_TOTAL_BYTES, MAX_ZIP_BYTES, Bundle, is_zip, read_folder, read_zip
from app.versions.changes import Versioning
from app.versions.download import standalone_page
from app.versions.naming import check_title
from app.versions.transfer import export_app, import_export, is_export, remix

__all__ = ["MAX_FILE_BYTES", "MAX_TOTAL_BYTES", "MAX_ZIP_BYTES", "Bundle", "Versioning", "check_title", "export_app", "import_export", "is_export", "is_zip", "read_folder", "read_zip", "remix", "standalone_page"]
