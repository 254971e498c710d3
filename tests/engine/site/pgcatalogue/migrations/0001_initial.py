from django.contrib.postgres.operations import CreateCollation, HStoreExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        HStoreExtension(),
        CreateCollation(
            "case_insensitive", provider="icu", locale="und-u-ks-level2", deterministic=False
        ),
    ]
