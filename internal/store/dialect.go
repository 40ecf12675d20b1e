package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds every difference between the SQL engines zengo speaks, so
// the rest of the store writes one query text for all of them.
type dialect struct {
	name string // "sqlite", "postgres", "mysql"
	// dollarPlaceholders: queries are written with ? and renumbered to $n.
	dollarPlaceholders bool
	// nullsFirstAscending: the engine already orders NULLs as SQLite does
	// (first ascending, last descending), the order the reference shows.
	nullsFirstAscending bool
}

var (
	sqliteDialect   = &dialect{name: "sqlite", nullsFirstAscending: true}
	postgresDialect = &dialect{name: "postgres", dollarPlaceholders: true}
	mysqlDialect    = &dialect{name: "mysql", nullsFirstAscending: true}
)

// rebind turns ? placeholders into the dialect's form, leaving question
// marks inside quoted SQL strings alone.
func (d *dialect) rebind(query string) string {
	if !d.dollarPlaceholders || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		if query[i] == '\'' {
			quoted = !quoted
		}
		if query[i] == '?' && !quoted {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

const asciiUpper, asciiLower = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"

// like renders "expr LIKE ?" with the semantics of the reference on its
// default engine, SQLite: ASCII letters match regardless of case, '%' and
// '_' are wildcards and there is no escape character.
func (d *dialect) like(expr string, negate bool) string {
	not := ""
	if negate {
		not = "NOT "
	}
	switch d.name {
	case "postgres":
		fold := func(x string) string { return "translate(" + x + ", '" + asciiUpper + "', '" + asciiLower + "')" }
		return fold(expr) + " " + not + "LIKE " + fold("?") + " ESCAPE ''"
	case "mysql":
		// The tables use a binary collation, so LIKE is case sensitive;
		// LOWER would fold non-ASCII letters too, so fold A-Z by hand.
		return mysqlFoldASCII(expr) + " " + not + "LIKE " + mysqlFoldASCII("?") + " ESCAPE '\\0'"
	}
	return expr + " " + not + "LIKE ?"
}

// castFloat renders the reference's numeric reading of a text column:
// text that is not a number counts as 0, as in SQLite.
func (d *dialect) castFloat(expr string) string {
	switch d.name {
	case "postgres":
		return "(CASE WHEN " + expr + ` ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$' THEN CAST(` + expr + " AS DOUBLE PRECISION) ELSE 0 END)"
	case "mysql":
		return "(" + expr + " + 0.0)"
	}
	return "CAST(" + expr + " AS REAL)"
}

// nullsOrder is what an ORDER BY term needs so NULLs sort as in SQLite.
func (d *dialect) nullsOrder(desc bool) string {
	if d.nullsFirstAscending {
		return ""
	}
	if desc {
		return " NULLS LAST"
	}
	return " NULLS FIRST"
}

// insertIgnore renders an INSERT of rows that skips rows violating a unique
// constraint.
func (d *dialect) insertIgnore(target, values string) string {
	if d.name == "mysql" {
		return "INSERT IGNORE INTO " + target + " VALUES " + values
	}
	return "INSERT INTO " + target + " VALUES " + values + " ON CONFLICT DO NOTHING"
}

// forUpdate locks the rows a SELECT reads until the transaction ends; SQLite
// needs none (its one writer holds the whole file).
func (d *dialect) forUpdate() string {
	if d.name == "sqlite" {
		return ""
	}
	return " FOR UPDATE"
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

// schemaLock names the session-level lock that serialises schema changes
// and first-start setup between replicas starting at the same moment, and
// the statement that releases it. SQLite needs none: its write
// transactions are exclusive already. (MySQL commits DDL at once, so a
// transaction-scoped lock would not cover a whole migration.)
func (d *dialect) schemaLock() (lock, unlock string) {
	switch d.name {
	case "postgres":
		return "SELECT pg_advisory_lock(4242424242)", "SELECT pg_advisory_unlock(4242424242)"
	case "mysql":
		return "SELECT GET_LOCK('zengo_schema', 300)", "SELECT RELEASE_LOCK('zengo_schema')"
	}
	return "", ""
}

// isUniqueViolation reports whether err is the engine's unique-constraint
// failure, which the store turns into a 409.
func (d *dialect) isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return false
}

// isRetryable reports whether err means "try the transaction again": a
// locked SQLite file, a deadlock or a serialization failure elsewhere.
func (d *dialect) isRetryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	return false
}

// isUnavailable reports whether err means the database cannot be reached
// (refused or broken connections), as opposed to a failing statement.
func (d *dialect) isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var ne *net.OpError
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || pgconn.SafeToRetry(err) || brokenConnection(err.Error())
}

// brokenConnection recognises drivers' messages for a connection that went
// away, for the errors they do not type.
func brokenConnection(msg string) bool {
	for _, s := range []string{"connection refused", "conn closed", "connection reset", "broken pipe", "bad connection"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// mysqlFoldASCII lower-cases the ASCII letters of expr and nothing else.
func mysqlFoldASCII(expr string) string {
	for i := 0; i < len(asciiUpper); i++ {
		expr = "REPLACE(" + expr + ", '" + asciiUpper[i:i+1] + "', '" + asciiLower[i:i+1] + "')"
	}
	return expr
}
