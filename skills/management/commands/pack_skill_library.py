"""Refresh the skill library that ships with the product (``skills/library_data``) from official
O*NET and ESCO releases. For maintainers: operators import a newer release directly with
``import_skill_library --onet … --esco …`` and need no repack."""

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from skills.library import (
    BUNDLED_DATA_DIR,
    ESCO_FILES,
    ONET_FILES,
    LibraryImportError,
    locate_library,
    pack_release,
)


class Command(BaseCommand):
    help = (
        "Write the bundled skill library from official releases: only the files and columns the "
        "importer reads, gzip-compressed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--onet", type=Path, required=True, help="O*NET text release folder or zip."
        )
        parser.add_argument("--esco", type=Path, required=True, help="ESCO CSV folder.")
        parser.add_argument("--out", type=Path, default=BUNDLED_DATA_DIR)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        try:
            location = locate_library(onet=options["onet"], esco=options["esco"])
            onet_dir = out / f"onet-{location.onet_release}"
            written = [
                *pack_release(location.onet, ONET_FILES, onet_dir),
                *pack_release(location.esco, ESCO_FILES, out / "esco"),
            ]
        except LibraryImportError as error:
            raise CommandError(str(error)) from error
        # Only one O*NET release ships: the importer would take the newest anyway.
        for older in out.glob("onet-*"):
            if older.is_dir() and older != onet_dir:
                shutil.rmtree(older)
        for path in written:
            self.stdout.write(f"  {path.relative_to(out)}: {path.stat().st_size:,} bytes")
        self.stdout.write(self.style.SUCCESS(f"Packed {location} into {out}."))
