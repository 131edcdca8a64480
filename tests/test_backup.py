"""``mujun backup`` and ``mujun restore`` round-trip every row, history row, timestamp and uploaded file."""

import io
import json
import tarfile
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from mujun.core.management.commands._demo_data import load_demo
from mujun.enterprises.models import Enterprise, EnterpriseYear
from mujun.land.models import DisposalCase, DisposalProgress

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump and pg_restore see only committed data

EVIDENCE = b"%PDF-1.4\n" + bytes(range(256)) * 40


def every_row() -> dict[str, list[tuple]]:
    """Each table's rows as the database returns them (datetimes with their microseconds)."""
    rows = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows[table] = sorted(cursor.fetchall(), key=repr)
    return rows


def every_file() -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def small_city_with_evidence() -> DisposalProgress:
    load_demo(n_above=12, n_below=8)
    progress = DisposalProgress(case=DisposalCase.objects.first(), note="现场核查照片")
    progress.evidence.save("核查.pdf", ContentFile(EVIDENCE))
    return progress


def restore(path, *args) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out)
    return out.getvalue()


def test_backup_then_restore_round_trips_every_row_history_row_and_file(tmp_path):
    progress = small_city_with_evidence()
    rows, files = every_row(), every_file()
    assert progress.evidence.name in files and files[progress.evidence.name] == EVIDENCE
    assert any(table.endswith("historicalenterprise") and rows[table] for table in rows)
    timestamps = [value for table in rows.values() for row in table for value in row if isinstance(value, datetime)]
    assert any(value.microsecond % 1000 for value in timestamps)  # what dumpdata would have cut
    archive = tmp_path / "mujun.tar"

    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "备份" in out.getvalue()

    # Change, delete and add rows and files after the backup.
    EnterpriseYear.objects.filter(pk__in=EnterpriseYear.objects.values("pk")[:5]).delete()
    Enterprise.objects.update(name="改名")
    Enterprise.history.filter(pk__in=Enterprise.history.values("pk")[:3]).delete()
    progress.evidence.storage.delete(progress.evidence.name)
    (Path(settings.MEDIA_ROOT) / "stray.txt").write_bytes(b"after the backup")
    assert every_row() != rows and every_file() != files

    with pytest.raises(CommandError, match="不是空的"):
        restore(archive)
    assert every_file() != files  # refused: nothing touched

    assert "恢复" in restore(archive, "--force")
    assert every_row() == rows
    assert every_file() == files


def test_restore_refuses_a_file_that_is_not_a_backup_or_of_the_other_engine(tmp_path):
    plain = tmp_path / "notes.tar"
    with tarfile.open(plain, "w") as archive:
        info = tarfile.TarInfo("readme.txt")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(CommandError, match="不是.*备份"):
        restore(plain)
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(CommandError, match="备份"):
        restore(garbage)

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    foreign = tmp_path / "foreign.tar"
    manifest = json.dumps({"format": "mujun-backup", "version": 1, "engine": other, "migrations": []}).encode()
    with tarfile.open(foreign, "w") as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
    with pytest.raises(CommandError, match="SQLite|PostgreSQL"):
        restore(foreign, "--force")


def test_a_damaged_backup_changes_nothing(tmp_path):
    progress = small_city_with_evidence()
    archive = tmp_path / "mujun.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w", format=tarfile.PAX_FORMAT) as target:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name == f"media/{progress.evidence.name}":
                content = content[:-1] + b"!"
            target.addfile(member, io.BytesIO(content))
    Enterprise.objects.update(name="改名")
    rows, files = every_row(), every_file()

    with pytest.raises(CommandError, match="校验"):
        restore(damaged, "--force")
    assert every_row() == rows and every_file() == files


def test_a_missing_pg_dump_is_named(monkeypatch):
    from mujun.core import backup

    monkeypatch.setattr(backup.shutil, "which", lambda program: None)
    with pytest.raises(CommandError, match="未找到 pg_dump"):
        backup.postgresql_command(connection, "pg_dump")
