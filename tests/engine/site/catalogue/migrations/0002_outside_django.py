"""What a site does beside Django: an unmanaged model's table, a column no field knows."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]
    operations = [
        migrations.RunSQL(
            "CREATE TABLE catalogue_legacy (id integer PRIMARY KEY, label varchar(20) NOT NULL)",
            "DROP TABLE catalogue_legacy",
        ),
        migrations.RunSQL(
            "ALTER TABLE catalogue_wider ADD COLUMN unknown_flag integer DEFAULT 7 NOT NULL",
            migrations.RunSQL.noop,
        ),
    ]
