"""Import (or refresh) the global skill library from the O*NET and ESCO reference files."""

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from skills.library import LibraryImportError, import_library, locate_library


class Command(BaseCommand):
    help = (
        "Create or update the skill library from O*NET and ESCO files. Safe to run any number "
        "of times: unchanged rows are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=None,
            help="Folder holding an O*NET text release (db_<release>_text/, its zip, or "
            "onet-<release>/) and an ESCO CSV folder (default: SKILL_LIBRARY_DIR, else the copy "
            "that ships in skills/library_data).",
        )
        parser.add_argument(
            "--onet", type=Path, default=None, help="An O*NET text release folder or zip."
        )
        parser.add_argument("--esco", type=Path, default=None, help="An ESCO CSV folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            location = locate_library(
                options["data_dir"], onet=options["onet"], esco=options["esco"]
            )
        except LibraryImportError as error:
            raise CommandError(
                f"{error} Pass --data-dir (or --onet and --esco), or set SKILL_LIBRARY_DIR to the "
                "folder holding an O*NET release and an ESCO folder."
            ) from error
        started = time.monotonic()
        # The bar goes to the real stderr (tqdm redraws with \r, which OutputWrapper would break)
        # and only on a terminal, so logs and CI output stay clean.
        with tqdm(
            total=1,
            desc="Reading files",
            unit="step",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        ) as bar:

            def progress(step: str, done: int, total: int) -> None:
                bar.total = total
                bar.set_description(step)
                bar.update(done - bar.n)

            try:
                summary = import_library(location, progress=progress)
            except LibraryImportError as error:
                raise CommandError(str(error)) from error

        for source, tables in summary.sources.items():
            self.stdout.write(self.style.MIGRATE_HEADING(source))
            for table, counts in tables.items():
                self.stdout.write(f"  {table}: {counts}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Skill library imported ({location}) in {time.monotonic() - started:.1f} s."
            )
        )
