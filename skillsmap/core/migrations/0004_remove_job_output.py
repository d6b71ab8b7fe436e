from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_job_output_to_storage"),
    ]

    # Reversible: backwards the column comes back empty and 0003 refills it from the storage.
    operations = [
        migrations.RemoveField(
            model_name="job",
            name="output",
        ),
    ]
