import sqlite3
from django.db import connection
def test_x(migrated_data_dir_template):
    p = migrated_data_dir_template / "imsclinic.sqlite3"
    db = sqlite3.connect(p)
    print("\nTABLES", connection.settings_dict["NAME"], p.stat().st_size, len(db.execute("select name from sqlite_master where type='table'").fetchall()))
