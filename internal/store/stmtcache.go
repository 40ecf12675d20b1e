package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
)

// The SQLite driver parses and plans the text of every statement it is
// given anew, and that was a third of the CPU of a get by id. Each SQLite
// connection therefore keeps the statements it prepared, by their text, and
// runs them again with new arguments. database/sql hands a connection to one
// user at a time, so a cache needs no lock.
//
// A statement still being read (its rows not closed) is not run a second
// time: a query with the same text meanwhile is prepared on its own and
// finalized after, as without the cache. The cache holds stmtCacheSize
// statements per connection; the least recently used one goes when a new
// one comes (list queries make texts that vary with the filters and the
// number of ids).
//
// PostgreSQL needs none of this: pgx keeps its own statement cache per
// connection.

// stmtCacheSize is how many prepared statements one connection keeps.
const stmtCacheSize = 128

// stmtCacheConnector opens connections of base with a statement cache.
type stmtCacheConnector struct {
	base driver.Connector
	size int
}

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := conn.(driver.ConnPrepareContext); !ok {
		return conn, nil
	}
	return &cachingConn{Conn: conn, size: c.size, byText: map[string]*list.Element{}, lru: list.New()}, nil
}

func (c stmtCacheConnector) Driver() driver.Driver { return c.base.Driver() }

// cachedStmt is one prepared statement of a connection.
type cachedStmt struct {
	text string
	ds   driver.Stmt
	// busy: its rows are being read. evicted: it left the cache while
	// busy, and is closed when its rows are.
	busy, evicted bool
}

// cachingConn is a driver connection with its prepared statements.
type cachingConn struct {
	driver.Conn
	size   int
	byText map[string]*list.Element // of *cachedStmt
	lru    *list.List               // most recently used first
}

// Unwrap gives the driver's own connection (the SQLite driver's
// connection-level extensions look for it).
func (c *cachingConn) Unwrap() driver.Conn { return c.Conn }

// stmt returns the connection's prepared statement for text, preparing it
// on first use; nil when it is being read already.
func (c *cachingConn) stmt(ctx context.Context, text string) (*cachedStmt, error) {
	if e, ok := c.byText[text]; ok {
		s := e.Value.(*cachedStmt)
		if s.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return s, nil
	}
	ds, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{text: text, ds: ds}
	c.byText[text] = c.lru.PushFront(s)
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		c.lru.Remove(old)
		o := old.Value.(*cachedStmt)
		delete(c.byText, o.text)
		if o.busy {
			o.evicted = true
		} else {
			o.ds.Close()
		}
	}
	return s, nil
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	rows, err := s.ds.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	return s.ds.(driver.StmtExecContext).ExecContext(ctx, args)
}

// The rest forwards to the driver's connection.

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return nil, errors.New("driver cannot begin transactions with options")
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close finalizes the kept statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).ds.Close())
	}
	c.lru.Init()
	clear(c.byText)
	return errors.Join(append(errs, c.Conn.Close())...)
}

// cachedRows gives the statement back when the rows are closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	if r.s.evicted {
		err = errors.Join(err, r.s.ds.Close())
	}
	return err
}
