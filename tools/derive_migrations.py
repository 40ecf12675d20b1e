"""Derives the PostgreSQL and MySQL/MariaDB forms of a SQLite migration.

    python3 tools/derive_migrations.py internal/store/migrations/sqlite/0003_x.sql

writes internal/store/migrations/{postgres,mysql}/0003_x.sql. The SQLite
file is written by hand; the derived files are checked in and may be
edited after derivation (they are what zengo runs).

Rules: integer columns named in BOOLEAN_COLUMNS become BOOLEAN; on
PostgreSQL every text column gets the binary "C" collation; on MySQL text
becomes LONGTEXT (TEXT holds only 64 KiB), TEXT defaults are written as
expressions, and tables use utf8mb4 with the binary collation.
"""

import os
import re
import sys

BOOLEAN_COLUMNS = {
    "active", "enable_analytics", "display_announcements", "display_updates",
    "is_service_account", "email_opted_in", "is_admin", "is_custom",
    "exclusive", "is_dynamic", "in_progress", "has_custom_name",
    "is_retriable", "save_models_to_registry", "enable_heartbeat", "is_local", "contains_code", "catchup", "is_archived", "hidden", "trusted_device", "private", "internal", "supports_instances", "done",
}


def derive(text, dialect):
    out = []
    for line in text.split("\n"):
        m = re.match(r"^(\s+)(\w+)(\s+)INTEGER(.*)$", line)
        if m and m.group(2) in BOOLEAN_COLUMNS:
            rest = m.group(4).replace("DEFAULT 0", "DEFAULT FALSE").replace("DEFAULT 1", "DEFAULT TRUE")
            line = f"{m.group(1)}{m.group(2)}{m.group(3)}BOOLEAN{rest}"
        if dialect == "postgres":
            line = re.sub(r"\bVARCHAR\((\d+)\)(?!\s+COLLATE)", r'VARCHAR(\1) COLLATE "C"', line)
            line = re.sub(r"\bTEXT\b(?!\s+COLLATE)", 'TEXT COLLATE "C"', line)
        else:
            line = re.sub(r"\bTEXT NOT NULL DEFAULT ('[^']*')", r"TEXT NOT NULL DEFAULT (\1)", line)
            line = re.sub(r"\bTEXT\b", "LONGTEXT", line)
            if line.startswith(");"):
                line = ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;"
        out.append(line)
    header = {"postgres": "-- PostgreSQL form of the SQLite migration of the same number\n-- (derived by tools/derive_migrations.py).\n",
              "mysql": "-- MySQL/MariaDB form of the SQLite migration of the same number\n-- (derived by tools/derive_migrations.py).\n"}[dialect]
    return header + "\n".join(out)


def main():
    for path in sys.argv[1:]:
        text = open(path).read()
        base = os.path.dirname(os.path.dirname(os.path.abspath(path)))
        for dialect in ("postgres", "mysql"):
            target = os.path.join(base, dialect, os.path.basename(path))
            with open(target, "w") as f:
                f.write(derive(text, dialect))
            print("wrote", target)


if __name__ == "__main__":
    main()
