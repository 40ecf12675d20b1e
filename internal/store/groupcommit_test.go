package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// groupDB is a fresh SQLite store with a table of its own for these tests.
func groupDB(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:///"+filepath.Join(t.TempDir(), "db.sqlite"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// No time bound on a batch here: which functions share a transaction
	// must not depend on the machine's speed.
	db.group.maxWork = time.Hour
	if err := db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `CREATE TABLE gc (k TEXT PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func gcInsert(ctx context.Context, tx *Tx, k string) error {
	_, err := tx.exec(ctx, `INSERT INTO gc (k) VALUES (?)`, k)
	return err
}

// gcHas reads through the read pool: what another connection sees.
func gcHas(t *testing.T, db *DB, k string) bool {
	t.Helper()
	var n int
	if err := db.read(context.Background(), func(tx *Tx) error {
		return tx.queryRow(context.Background(), `SELECT COUNT(*) FROM gc WHERE k = ?`, k).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// holdWriter starts a write that keeps the writer until release is
// closed, and returns once it runs; the writes started meanwhile queue.
func holdWriter(t *testing.T, db *DB) (release chan struct{}, done chan error) {
	t.Helper()
	release, done = make(chan struct{}), make(chan error, 1)
	running := make(chan struct{})
	go func() {
		done <- db.write(context.Background(), func(tx *Tx) error {
			close(running)
			<-release
			return gcInsert(context.Background(), tx, "holder")
		})
	}()
	<-running
	return release, done
}

// waitQueued waits until n writes wait for the writer.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for {
		db.group.mu.Lock()
		q := len(db.group.queue)
		db.group.mu.Unlock()
		if q >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// Writes that wait together share one commit; the ones that fail, after
// writing, leave nothing, and only they get their error; every
// acknowledged write is visible to the read pool when write returns.
func TestGroupCommitFailuresStayAlone(t *testing.T) {
	db := groupDB(t)
	ctx := context.Background()
	release, held := holdWriter(t, db)
	before := db.group.commits.Load()
	const n = 40
	errs := make([]error, n)
	visible := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.write(ctx, func(tx *Tx) error {
				for _, s := range []string{"a", "b"} {
					if err := gcInsert(ctx, tx, fmt.Sprintf("%d%s", i, s)); err != nil {
						return err
					}
				}
				if i%3 == 0 {
					return fmt.Errorf("failure %d", i)
				}
				return nil
			})
			visible[i] = gcHas(t, db, fmt.Sprintf("%da", i)) && gcHas(t, db, fmt.Sprintf("%db", i))
		}()
	}
	waitQueued(t, db, n)
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if i%3 == 0 {
			if errs[i] == nil || errs[i].Error() != fmt.Sprintf("failure %d", i) {
				t.Errorf("write %d: err %v, want its own failure", i, errs[i])
			}
			if gcHas(t, db, fmt.Sprintf("%da", i)) || gcHas(t, db, fmt.Sprintf("%db", i)) {
				t.Errorf("write %d failed but its rows are there", i)
			}
			continue
		}
		if errs[i] != nil {
			t.Errorf("write %d: %v", i, errs[i])
		}
		if !visible[i] {
			t.Errorf("write %d acknowledged but not visible to a reader", i)
		}
	}
	// The holder's commit and one for the 40 that waited.
	if c := db.group.commits.Load() - before; c != 2 {
		t.Errorf("%d commits, want 2", c)
	}
}

// A constraint failure in one function of a batch rolls back its
// statements only: the earlier and later functions commit.
func TestGroupCommitConstraintFailure(t *testing.T) {
	db := groupDB(t)
	ctx := context.Background()
	release, held := holdWriter(t, db)
	keys := []string{"x", "y", "x", "z"} // the second "x" breaks the key
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.write(ctx, func(tx *Tx) error {
				if err := gcInsert(ctx, tx, fmt.Sprintf("%s-%d", k, i)); err != nil {
					return err
				}
				return gcInsert(ctx, tx, k)
			})
		}()
		waitQueued(t, db, i+1) // in this order
	}
	close(release)
	wg.Wait()
	<-held
	if errs[0] != nil || errs[1] != nil || errs[3] != nil || errs[2] == nil {
		t.Fatalf("errors %v", errs)
	}
	for _, k := range []string{"x", "y", "z", "x-0", "y-1", "z-3"} {
		if !gcHas(t, db, k) {
			t.Errorf("%s missing", k)
		}
	}
	if gcHas(t, db, "x-2") {
		t.Error("x-2 of the failed write is there")
	}
}

// A caller that leaves before its function runs gets its context's error
// and its function never runs; one whose function ran is committed with
// the batch even if it leaves before the commit.
func TestGroupCommitCancellation(t *testing.T) {
	db := groupDB(t)
	release, held := holdWriter(t, db)
	gone, cancelGone := context.WithCancel(context.Background())
	goneErr := make(chan error, 1)
	ranGone := false
	go func() {
		goneErr <- db.write(gone, func(tx *Tx) error {
			ranGone = true
			return gcInsert(gone, tx, "gone")
		})
	}()
	waitQueued(t, db, 1)
	late, cancelLate := context.WithCancel(context.Background())
	lateErr := make(chan error, 1)
	go func() {
		lateErr <- db.write(late, func(tx *Tx) error {
			if err := gcInsert(late, tx, "late"); err != nil {
				return err
			}
			cancelLate()
			return nil
		})
	}()
	waitQueued(t, db, 2)
	cancelGone()
	if err := <-goneErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	close(release)
	<-held
	if err := <-lateErr; err != nil {
		t.Fatalf("write cancelled after it ran: %v", err)
	}
	if ranGone || gcHas(t, db, "gone") {
		t.Error("the cancelled write ran")
	}
	if !gcHas(t, db, "late") {
		t.Error("the write cancelled after it ran is not committed")
	}
}

// A statement interrupted by its caller's cancellation makes SQLite roll
// back the whole transaction: the other functions of the batch are run
// again, and their writes committed.
func TestGroupCommitInterruptedStatement(t *testing.T) {
	db := groupDB(t)
	ctx := context.Background()
	release, held := holdWriter(t, db)
	before := make(chan error, 1)
	go func() { before <- db.write(ctx, func(tx *Tx) error { return gcInsert(ctx, tx, "before") }) }()
	waitQueued(t, db, 1)
	slow, cancel := context.WithCancel(ctx)
	defer cancel()
	slowErr := make(chan error, 1)
	go func() {
		slowErr <- db.write(slow, func(tx *Tx) error {
			time.AfterFunc(50*time.Millisecond, cancel)
			// Far more rows than can be written before the cancellation.
			_, err := tx.exec(slow, `INSERT INTO gc (k) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000000) SELECT 'slow' || i FROM n`)
			return err
		})
	}()
	waitQueued(t, db, 2)
	after := make(chan error, 1)
	go func() { after <- db.write(ctx, func(tx *Tx) error { return gcInsert(ctx, tx, "after") }) }()
	waitQueued(t, db, 3)
	close(release)
	<-held
	if err := <-slowErr; err == nil {
		t.Fatal("the interrupted write succeeded")
	}
	if err := <-before; err != nil {
		t.Fatal(err)
	}
	if err := <-after; err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"holder", "before", "after"} {
		if !gcHas(t, db, k) {
			t.Errorf("%s missing", k)
		}
	}
	if gcHas(t, db, "slow1") {
		t.Error("rows of the interrupted write are there")
	}
}

// A panic in one function is raised again in its own caller; the other
// functions of the batch commit.
func TestGroupCommitPanic(t *testing.T) {
	db := groupDB(t)
	ctx := context.Background()
	release, held := holdWriter(t, db)
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		db.write(ctx, func(tx *Tx) error {
			if err := gcInsert(ctx, tx, "panicker"); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	waitQueued(t, db, 1)
	other := make(chan error, 1)
	go func() { other <- db.write(ctx, func(tx *Tx) error { return gcInsert(ctx, tx, "other") }) }()
	waitQueued(t, db, 2)
	close(release)
	<-held
	if v := <-panicked; v != "boom" {
		t.Fatalf("caller recovered %v, want boom", v)
	}
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	if gcHas(t, db, "panicker") || !gcHas(t, db, "other") {
		t.Error("want only the other write")
	}
	// The writer still works.
	if err := db.write(ctx, func(tx *Tx) error { return gcInsert(ctx, tx, "later") }); err != nil || !gcHas(t, db, "later") {
		t.Fatal(err)
	}
}

// Each function of a batch has its own clock stamp.
func TestGroupCommitOwnNow(t *testing.T) {
	db := groupDB(t)
	ctx := context.Background()
	var mu sync.Mutex
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); tick = tick.Add(time.Second); return tick }
	release, held := holdWriter(t, db)
	stamps := make(chan int64, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.write(ctx, func(tx *Tx) error { stamps <- tx.now.Micros(); return nil })
		}()
		waitQueued(t, db, i+1)
	}
	close(release)
	<-held
	wg.Wait()
	if a, b := <-stamps, <-stamps; a == b {
		t.Errorf("both functions stamped %d", a)
	}
}

// A batch whose work passes its time bound leaves the functions not
// started to the next batches.
func TestGroupCommitWorkBound(t *testing.T) {
	db := groupDB(t)
	ctx := context.Background()
	db.group.maxWork = 0 // one function per batch
	release, held := holdWriter(t, db)
	before := db.group.commits.Load()
	errs := make(chan error, 5)
	for i := range 5 {
		go func() { errs <- db.write(ctx, func(tx *Tx) error { return gcInsert(ctx, tx, fmt.Sprint(i)) }) }()
	}
	waitQueued(t, db, 5)
	close(release)
	<-held
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if !gcHas(t, db, fmt.Sprint(i)) {
			t.Errorf("%d missing", i)
		}
	}
	if c := db.group.commits.Load() - before; c != 6 {
		t.Errorf("%d commits, want 6", c)
	}
}
