"""Import (or refresh) the global skill library from the O*NET and ESCO reference files."""

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from skills.library import LibraryImportError, default_data_dir, import_library


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
            help="Directory holding onet-<release>/ and esco/ (default: SKILL_LIBRARY_DIR, "
            "else shared/data beside the repository).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir: Path = options["data_dir"] or default_data_dir()
        if not data_dir.is_dir():
            raise CommandError(
                f"Skill library directory {data_dir} does not exist. Pass --data-dir or set "
                "SKILL_LIBRARY_DIR to the directory holding onet-<release>/ and esco/."
            )
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
                summary = import_library(data_dir, progress=progress)
            except LibraryImportError as error:
                raise CommandError(str(error)) from error

        for source, tables in summary.sources.items():
            self.stdout.write(self.style.MIGRATE_HEADING(source))
            for table, counts in tables.items():
                self.stdout.write(f"  {table}: {counts}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Skill library imported from {data_dir} in {time.monotonic() - started:.1f} s."
            )
        )
