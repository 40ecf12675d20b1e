package store

import (
	"errors"
	"strconv"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds every difference between the SQL engines zengo speaks, so
// the rest of the store writes one query text for all of them.
type dialect struct {
	name string // "sqlite", "postgres", "mysql"
	// dollarPlaceholders: queries are written with ? and renumbered to $n.
	dollarPlaceholders bool
	// caseInsensitiveLike is the operator for LIKE patterns that ignore
	// ASCII case, as SQLite's LIKE does (the reference's default engine).
	caseInsensitiveLike string
	// floatType is the type name for CAST(x AS ...) in the numeric
	// comparisons the reference allows on text columns.
	floatType string
	// nullsFirstAscending: the engine already orders NULLs as SQLite does
	// (first ascending, last descending), the order the reference shows.
	nullsFirstAscending bool
}

var sqliteDialect = &dialect{
	name:                "sqlite",
	caseInsensitiveLike: "LIKE",
	floatType:           "REAL",
	nullsFirstAscending: true,
}

// rebind turns ? placeholders into the dialect's form. Our queries never
// carry a literal '?' inside a string, so a plain scan is enough.
func (d *dialect) rebind(query string) string {
	if !d.dollarPlaceholders || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// isUniqueViolation reports whether err is the engine's unique-constraint
// failure, which the store turns into a 409.
func (d *dialect) isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isBusy reports whether err means the database is temporarily locked.
func (d *dialect) isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}

// insertIgnore renders an INSERT of rows that skips rows violating a unique
// constraint.
func (d *dialect) insertIgnore(target, values string) string {
	if d.name == "mysql" {
		return "INSERT IGNORE INTO " + target + " VALUES " + values
	}
	return "INSERT INTO " + target + " VALUES " + values + " ON CONFLICT DO NOTHING"
}

// orderedConcat aggregates expr values in ascending order, joined by ", ".
func (d *dialect) orderedConcat(expr string) string {
	switch d.name {
	case "postgres":
		return "STRING_AGG(" + expr + ", ', ' ORDER BY " + expr + ")"
	case "mysql":
		return "GROUP_CONCAT(" + expr + " ORDER BY " + expr + " SEPARATOR ', ')"
	}
	return "GROUP_CONCAT(" + expr + ", ', ' ORDER BY " + expr + ")"
}
