"""One-file backups of the whole platform: the database (SQLite's online backup API, or ``pg_dump``) and every
uploaded file under MEDIA_ROOT, in an uncompressed tar with a manifest.

Works on the database and the media folder as a whole, never model by model, so it knows no domain app and
keeps every row, history row and timestamp exactly as stored (``dumpdata`` cut timestamps to milliseconds).

Archive layout::

    manifest.json      format, version, engine, applied migrations, created at, checksums
    database.sqlite3   (SQLite) or database.pgdump (PostgreSQL, pg_dump --format=custom)
    media/<path>       each uploaded file
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.cache import cache
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

FORMAT = "mujun-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Django's own bookkeeping, filled by ``migrate`` itself: a database holding only these is empty.
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission", "django_session"}
CHUNK = 1 << 20


@dataclass(frozen=True)
class Outcome:
    engine: str
    files: int
    size: int
    missing_migrations: tuple[str, ...] = ()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def applied_migrations(connection) -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def engine_of(connection) -> str:
    if connection.vendor not in DATABASE_MEMBERS:
        raise CommandError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": connection.vendor})
    return connection.vendor


# --- backup -------------------------------------------------------------------------------------------------


def backup(target: Path, using: str = DEFAULT_DB_ALIAS) -> Outcome:
    connection = connections[using]
    engine = engine_of(connection)
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as work:
        database_file = Path(work) / DATABASE_MEMBERS[engine]
        if engine == "sqlite":
            dump_sqlite(connection, database_file)
        else:
            dump_postgresql(connection, database_file)
        root = media_root()
        files = media_files(root)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "engine": engine,
            "created_at": datetime.now(UTC).isoformat(),
            "migrations": applied_migrations(connection),
            "database": {"name": database_file.name, "sha256": sha256_of(database_file)},
            "file_count": len(files),
            "files": [
                {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size, "sha256": sha256_of(path)}
                for path in files
            ],
        }
        # Written beside the target and renamed: an interrupted backup never leaves a truncated FILE.
        partial = Path(work) / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
            payload = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(payload)
            info.mtime = int(datetime.now(UTC).timestamp())
            archive.addfile(info, BytesIO(payload))
            archive.add(database_file, arcname=database_file.name)
            for path, entry in zip(files, manifest["files"], strict=True):
                archive.add(path, arcname=f"media/{entry['path']}")
        os.replace(partial, target)
    return Outcome(engine=engine, files=len(files), size=target.stat().st_size)


def dump_sqlite(connection, database_file: Path) -> None:
    """A consistent copy while others keep reading and writing (the online backup API)."""
    connection.ensure_connection()
    destination = sqlite3.connect(database_file)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()


def postgresql_command(connection, program: str) -> tuple[list[str], dict]:
    executable = shutil.which(program)
    if executable is None:
        raise CommandError(
            _("%(program)s was not found: install the PostgreSQL client tools (e.g. apt install postgresql-client).")
            % {"program": program}
        )
    config = connection.settings_dict
    env = os.environ.copy()
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if config.get(key):
            env[variable] = str(config[key])
    return [executable, "--dbname", config["NAME"]], env


def run_postgresql(arguments: list[str], env: dict, program: str) -> None:
    finished = subprocess.run(arguments, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise CommandError(
            _("%(program)s failed: %(error)s") % {"program": program, "error": finished.stderr.strip()[-2000:]}
        )


def dump_postgresql(connection, database_file: Path) -> None:
    arguments, env = postgresql_command(connection, "pg_dump")
    arguments += ["--format=custom", "--no-owner", "--no-privileges", "--file", str(database_file)]
    run_postgresql(arguments, env, "pg_dump")


# --- restore ------------------------------------------------------------------------------------------------


def read_manifest(archive: tarfile.TarFile, source: Path) -> dict:
    not_a_backup = CommandError(_("%(file)s is not a Mujun backup.") % {"file": source})
    try:
        member = archive.getmember(MANIFEST)
        manifest = json.load(archive.extractfile(member))
    except (KeyError, ValueError, AttributeError, TypeError):
        raise not_a_backup from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_a_backup
    if manifest.get("version") != FORMAT_VERSION:
        raise CommandError(
            _("%(file)s is a backup of format version %(version)s; this Mujun reads version %(supported)s.")
            % {"file": source, "version": manifest.get("version"), "supported": FORMAT_VERSION}
        )
    return manifest


def target_has_data(connection) -> bool:
    if any(media_files(media_root())):
        return True
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in BOOKKEEPING_TABLES:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
            if cursor.fetchone():
                return True
    return False


def safe_member_path(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise CommandError(_("The backup names an unsafe file path: %(path)s") % {"path": relative})
    return path


def extract_checked(archive: tarfile.TarFile, name: str, destination: Path, sha256: str) -> None:
    try:
        stream = archive.extractfile(name)
    except KeyError:
        stream = None
    if stream is None:
        raise CommandError(_("The backup is incomplete: %(name)s is missing.") % {"name": name})
    destination.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with stream, open(destination, "wb") as out:
        while block := stream.read(CHUNK):
            digest.update(block)
            out.write(block)
    if digest.hexdigest() != sha256:
        raise CommandError(_("The backup is damaged: the checksum of %(name)s does not match.") % {"name": name})


def restore(source: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> Outcome:
    """All or nothing: everything is unpacked and checked in a scratch folder first; the database is then
    replaced in one transaction, and the media folder by renames only once the database is in."""
    connection = connections[using]
    engine = engine_of(connection)
    source = Path(source)
    if not source.is_file():
        raise CommandError(_("%(file)s does not exist.") % {"file": source})
    try:
        archive = tarfile.open(source, "r:")
    except (tarfile.TarError, OSError):
        raise CommandError(_("%(file)s is not a Mujun backup.") % {"file": source}) from None
    with archive:
        manifest = read_manifest(archive, source)
        if manifest.get("engine") != engine:
            raise CommandError(
                _("%(file)s is a backup of a %(backup)s database; this installation uses %(current)s.")
                % {
                    "file": source,
                    "backup": ENGINE_NAMES.get(manifest.get("engine"), manifest.get("engine")),
                    "current": ENGINE_NAMES[engine],
                }
            )
        known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
        unknown = sorted(set(manifest["migrations"]) - known)
        if unknown:
            raise CommandError(
                _("The backup was made by a newer Mujun (unknown migrations: %(migrations)s); upgrade first.")
                % {"migrations": ", ".join(unknown[:5])}
            )
        if not force and target_has_data(connection):
            raise CommandError(
                _("The database or the uploaded files are not empty; restoring replaces them. Use --force to do so.")
            )
        root = media_root()
        root.parent.mkdir(parents=True, exist_ok=True)
        # Inside the data folder: the final swap of the media folder is a rename on the same file system.
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=root.parent) as work:
            work = Path(work)
            database_file = work / manifest["database"]["name"]
            extract_checked(archive, manifest["database"]["name"], database_file, manifest["database"]["sha256"])
            new_media = work / "media"
            new_media.mkdir()
            for entry in manifest["files"]:
                relative = safe_member_path(entry["path"])
                extract_checked(archive, f"media/{relative}", new_media / relative, entry["sha256"])
            if len(manifest["files"]) != manifest.get("file_count"):
                raise CommandError(_("The backup is damaged: its file count does not match."))
            if engine == "sqlite":
                restore_sqlite(connection, database_file)
            else:
                restore_postgresql(connection, database_file)
            swap_media(root, new_media, work / "old-media")
    cache.clear()  # figures kept for the database replaced (mujun.core.kept)
    # A backup from an older Mujun restores fine; ``mujun migrate`` then brings it up to date.
    missing = tuple(sorted(known - set(manifest["migrations"])))
    return Outcome(engine=engine, files=len(manifest["files"]), size=source.stat().st_size, missing_migrations=missing)


def restore_sqlite(connection, database_file: Path) -> None:
    """Checked copy first, then the whole database copied page by page into the live one in a single step,
    which SQLite does in one write transaction: other connections see the old database or the new one."""
    backup_copy = sqlite3.connect(database_file)
    try:
        if backup_copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise CommandError(_("The backup's database is damaged."))
        connection.ensure_connection()
        if connection.in_atomic_block:
            raise CommandError(_("A restore cannot run inside a transaction."))
        backup_copy.backup(connection.connection)
    finally:
        backup_copy.close()


def restore_postgresql(connection, database_file: Path) -> None:
    # Our own session must not hold locks on the tables pg_restore drops.
    if connection.in_atomic_block:
        raise CommandError(_("A restore cannot run inside a transaction."))
    connection.close()
    arguments, env = postgresql_command(connection, "pg_restore")
    arguments += [
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        str(database_file),
    ]
    run_postgresql(arguments, env, "pg_restore")


def swap_media(root: Path, new_media: Path, old_media: Path) -> None:
    had_media = root.exists()
    if had_media:
        os.rename(root, old_media)
    try:
        os.rename(new_media, root)
    except OSError:
        if had_media:
            os.rename(old_media, root)
        raise
