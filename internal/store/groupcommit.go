package store

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"zengo/internal/zen"
)

// groupCommit batches the write transactions of SQLite's one writer
// connection. Each commit waits for an fsync (synchronous=FULL); writers
// that arrive while a transaction is running wait, and are then run
// together: one BEGIN IMMEDIATE, each function in a savepoint of its own
// (rolled back alone when it fails), one COMMIT for all. A caller is
// answered only after the COMMIT it depends on has returned, so an
// acknowledged write is on disk exactly as before; when the COMMIT fails
// every caller of the batch gets its error.
//
// There is no goroutine of its own: the first writer to find nobody
// running batches runs them (the leader), and hands the work to a new
// goroutine once its own write is answered and others still wait.
type groupCommit struct {
	db *DB
	// maxWork is groupMaxWork; tests set it longer.
	maxWork time.Duration
	// commits counts the batches committed.
	commits atomic.Int64
	mu      sync.Mutex
	queue   []*writeReq
	leading bool
}

const (
	// groupMaxBatch bounds the functions of one transaction.
	groupMaxBatch = 64
	// groupMaxWork bounds the time spent running one batch's functions;
	// the ones not started by then wait for the next batch.
	groupMaxWork = 5 * time.Millisecond
	// groupSavepoint names the savepoint around each function; the
	// functions' own savepoints (imports) have other names.
	groupSavepoint = "zengo_group_write"
)

// errBatchRolledBack is the answer to a function whose writes were lost
// with its batch's transaction, when another function's statement was
// interrupted (a cancelled context) and SQLite rolled the whole
// transaction back. write runs such a function again.
var errBatchRolledBack = errors.New("the transaction was rolled back by another write of its batch")

// States of a writeReq.
const (
	reqWaiting   int32 = iota
	reqTaken           // the leader runs or ran its function
	reqCancelled       // the caller left before its function ran
)

type writeReq struct {
	ctx   context.Context
	fn    func(*Tx) error
	state atomic.Int32
	done  chan struct{}
	// err and panicked are set before done is closed.
	err      error
	panicked any
}

func (r *writeReq) take() bool { return r.state.CompareAndSwap(reqWaiting, reqTaken) }

func (r *writeReq) finish(err error, panicked any) {
	r.err, r.panicked = err, panicked
	close(r.done)
}

// do runs fn in a batch and returns its outcome once that is committed
// (or rolled back). A panic of fn is raised again here, in its caller.
func (g *groupCommit) do(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		g.lead(r)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqWaiting, reqCancelled) {
			return ctx.Err()
		}
		// Its function runs or ran: its outcome is the batch's.
		<-r.done
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// lead runs batches until the queue is empty, or until own is answered
// (then a new goroutine goes on, so that own's caller is not kept).
func (g *groupCommit) lead(own *writeReq) {
	for {
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		if own != nil && own.state.Load() != reqWaiting {
			g.mu.Unlock()
			go g.lead(nil)
			return
		}
		n := min(len(g.queue), groupMaxBatch)
		batch := make([]*writeReq, n)
		copy(batch, g.queue)
		g.queue = append(g.queue[:0], g.queue[n:]...)
		g.mu.Unlock()
		if left := g.run(batch); len(left) > 0 {
			g.mu.Lock()
			g.queue = append(left, g.queue...)
			g.mu.Unlock()
		}
	}
}

// run runs one batch in one transaction and answers the callers whose
// functions ran; it returns the requests it did not start.
func (g *groupCommit) run(batch []*writeReq) (left []*writeReq) {
	db := g.db
	// The transaction belongs to no caller: one caller's cancellation
	// must not roll back the others' writes.
	sqlTx, err := db.writer.BeginTx(context.Background(), nil)
	if err != nil {
		err = db.wrapErr(err)
		for _, r := range batch {
			if r.take() {
				r.finish(err, nil)
			}
		}
		return nil
	}
	ctx := context.Background()
	// One function alone needs no savepoint: it has the transaction.
	savepoints := len(batch) > 1
	var ran []*writeReq
	// broken: the transaction is gone (SQLite rolls it back whole when a
	// writing statement is interrupted); the functions that ran are run
	// again by their callers' write.
	// The ones not started get the same answer rather than a place in the
	// next batch, so that write's bounded retries bound a failure that
	// repeats.
	broken := func(i int) []*writeReq {
		sqlTx.Rollback()
		for _, r := range ran {
			r.finish(errBatchRolledBack, nil)
		}
		for _, r := range batch[i:] {
			if r.take() {
				r.finish(errBatchRolledBack, nil)
			}
		}
		return nil
	}
	start := time.Now()
	for i, r := range batch {
		if i > 0 && time.Since(start) > g.maxWork {
			left = batch[i:]
			break
		}
		if !r.take() {
			continue // its caller left
		}
		if err := r.ctx.Err(); err != nil {
			r.finish(err, nil)
			continue
		}
		if savepoints {
			if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT "+groupSavepoint); err != nil {
				r.finish(errBatchRolledBack, nil)
				return broken(i + 1)
			}
		}
		err, panicked := runWrite(r.fn, &Tx{tx: sqlTx, db: db, now: zen.NewTime(db.Now())})
		if err == nil && panicked == nil {
			if savepoints {
				if _, err := sqlTx.ExecContext(ctx, "RELEASE SAVEPOINT "+groupSavepoint); err != nil {
					ran = append(ran, r)
					return broken(i + 1)
				}
			}
			ran = append(ran, r)
			continue
		}
		if err != nil {
			err = db.wrapErr(err)
		}
		if !savepoints {
			sqlTx.Rollback()
			r.finish(err, panicked)
			return nil
		}
		_, rerr := sqlTx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+groupSavepoint)
		if rerr == nil {
			_, rerr = sqlTx.ExecContext(ctx, "RELEASE SAVEPOINT "+groupSavepoint)
		}
		r.finish(err, panicked)
		if rerr != nil {
			return broken(i + 1)
		}
	}
	if len(ran) == 0 {
		sqlTx.Rollback()
		return left
	}
	err = sqlTx.Commit()
	g.commits.Add(1)
	if err != nil {
		err = db.wrapErr(err)
	}
	for _, r := range ran {
		r.finish(err, nil)
	}
	return left
}

// runWrite runs fn, turning a panic into a value for its caller.
func runWrite(fn func(*Tx) error, tx *Tx) (err error, panicked any) {
	defer func() {
		if v := recover(); v != nil {
			slog.Default().Error("panic in a write", "panic", v, "stack", string(debug.Stack()))
			err, panicked = nil, v
		}
	}()
	return fn(tx), nil
}
