"""Reword the occupation-specific O*NET level descriptors that organisations adopted earlier."""

from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import Organisation
from skills.services.framework import skill_descriptors_generalise
from skillsmap.core.tenancy import organisation_context


class Command(BaseCommand):
    help = (
        "In every organisation, replace level descriptors still in the words of an O*NET anchor "
        "that names one occupation's task (a lawyer's, a restaurant's...) by skillsmap's general "
        "wording. Descriptors an organisation has edited are left alone. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for organisation in Organisation.objects.order_by("pk"):
            # Each organisation in its own context: tenant rows are visible only inside it.
            with organisation_context(organisation):
                changed = skill_descriptors_generalise(organisation=organisation, by=None)
            if changed:
                self.stdout.write(f"{organisation.slug}: {changed} descriptor(s) reworded")
            total += changed
        self.stdout.write(f"{total} level descriptor(s) reworded.")
