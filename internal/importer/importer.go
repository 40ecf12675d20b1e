package importer

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"zengo/internal/store"
)

// Config is what `zengo import` was asked to do.
type Config struct {
	// Merge imports into a store that already holds data.
	Merge bool
	// KeepServerIdentity keeps the source's server id, and JWTSecretKey
	// (the source server's ZENML_SERVER_JWT_SECRET_KEY, which ZenML does
	// not keep in its database) as the signing key, so that tokens the
	// source issued stay valid.
	KeepServerIdentity bool
	JWTSecretKey       string
	// SourceSecretsKey is the source's ZENML_SECRETS_STORE_ENCRYPTION_KEY
	// (empty: its secrets are not encrypted).
	SourceSecretsKey string
	// Batch is the number of source rows per transaction.
	Batch int
	// Progress reports what happens (nil: nothing).
	Progress Progress
}

// Importer copies one source into one target.
type Importer struct {
	src    *Source
	target *store.DB
	cfg    Config
	aead   cipher.AEAD
}

// Result is the outcome of the verification pass.
type Result struct {
	Tables  []TableCount
	Rejects []store.ImportReject
	Skipped int
}

// TableCount compares one source table with what it became.
type TableCount struct {
	Source, Target    string
	SourceRows        int64
	TargetRows        int64
	Rejected, Skipped int64
}

// ErrRejected is an import that finished with rows it could not write.
var ErrRejected = errors.New("some rows could not be imported")

// bulkCacheMiB is the target's page cache during an import (SQLite).
const bulkCacheMiB = 1024

// Run imports src into target, or continues an import that was
// interrupted. It returns the verification's result; an error when a row
// could not be imported (ErrRejected, with the rows in the result) or a
// count does not match.
func Run(ctx context.Context, src *Source, target *store.DB, cfg Config) (*Result, error) {
	if cfg.Batch <= 0 {
		cfg.Batch = 20000
	}
	if cfg.Progress == nil {
		cfg.Progress = noProgress{}
	}
	im := &Importer{src: src, target: target, cfg: cfg}
	if cfg.SourceSecretsKey != "" {
		sum := sha256.Sum256([]byte(cfg.SourceSecretsKey))
		block, err := aes.NewCipher(sum[:])
		if err != nil {
			return nil, err
		}
		if im.aead, err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	settings, err := im.sourceSettings(ctx)
	if err != nil {
		return nil, err
	}
	state, err := target.ImportState(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the target's import state: %w", err)
	}
	resuming := state.SourceID != ""
	if resuming && state.SourceID != settings.SourceID {
		return nil, fmt.Errorf("the target holds an unfinished import of another ZenML database (server id %s); this source's server id is %s", state.SourceID, settings.SourceID)
	}
	if !resuming {
		if state.Content != "" && !cfg.Merge {
			return nil, fmt.Errorf("the target store is not empty (it has %s beyond what a new zengo store holds): import into a new store, or pass --merge to add the source's rows to it", state.Content)
		}
		// Every secret must open before anything is written: a wrong key
		// leaves the target as it was.
		if err := im.checkSecrets(ctx); err != nil {
			return nil, err
		}
		settings.ReplaceBootstrap = !cfg.Merge
		// A merge keeps the target's settings (and its identity, unless
		// asked to take the source's).
		settings.KeepSettings = cfg.Merge
		if err := target.ImportBegin(ctx, settings); err != nil {
			return nil, fmt.Errorf("start the import: %w", err)
		}
		cfg.Progress.Note("importing into an empty store")
	} else {
		cfg.Progress.Note("resuming the interrupted import")
	}
	// A bounded page cache for the writes (the importer's memory stays
	// within it whatever the source's size).
	restore, err := target.BulkWriterCache(ctx, bulkCacheMiB)
	if err != nil {
		return nil, err
	}
	defer restore()
	for _, t := range tables() {
		cp := state.Checkpoints[t.source]
		if cp.Done {
			continue
		}
		if err := im.copyTable(ctx, t, cp); err != nil {
			return nil, err
		}
	}
	if err := target.ImportFinish(ctx); err != nil {
		return nil, fmt.Errorf("compute derived columns: %w", err)
	}
	return im.verify(ctx)
}

// sourceSettings reads the source's server settings and turns them into
// the target's.
func (im *Importer) sourceSettings(ctx context.Context) (store.ImportSettings, error) {
	var s store.ImportSettings
	rs, err := im.src.db.QueryContext(ctx, "SELECT * FROM server_settings")
	if err != nil {
		return s, sourceError("server_settings", err)
	}
	rows, err := readRows(rs)
	if err != nil {
		return s, sourceError("server_settings", err)
	}
	if len(rows) != 1 {
		return s, fmt.Errorf("the source's server_settings table has %d rows, not one (the ZenML server never started on it?)", len(rows))
	}
	r := rows[0]
	id, _ := r.id("id").(string)
	s.SourceID = id
	s.ServerName = r.text("server_name")
	if v, ok := r.str("logo_url").(string); ok {
		s.LogoURL = &v
	}
	s.Active, s.EnableAnalytics = r.flag("active"), r.flag("enable_analytics")
	if b, ok := r.boolean("display_announcements").(bool); ok {
		s.DisplayAnnouncements = &b
	}
	if b, ok := r.boolean("display_updates").(bool); ok {
		s.DisplayUpdates = &b
	}
	s.OnboardingState = r.textOr("onboarding_state", "[]")
	s.LastUserActivity, s.Updated = r.at("last_user_activity"), r.at("updated")
	// ZenML keeps no creation stamp for its settings; the oldest user's is
	// the server's first start.
	s.Created = s.Updated
	var first sql.NullString
	if err := im.src.db.QueryRowContext(ctx, "SELECT MIN(created) FROM "+quote("user")).Scan(&first); err == nil && first.Valid {
		if n, ok := parseTime(first.String).(int64); ok {
			s.Created = n
		}
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return s, err
	}
	s.NewServerID, s.NewJWTSecret = newID(), hex.EncodeToString(secret)
	if im.cfg.KeepServerIdentity {
		s.ServerID = id
		if im.cfg.JWTSecretKey != "" {
			// ZenML signs with the key's text; zengo keeps its key as hex.
			s.JWTSecret = hex.EncodeToString([]byte(im.cfg.JWTSecretKey))
		}
	}
	return s, nil
}

func newID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b)
}

// openSecret returns a secret's values as JSON text: ZenML's SQL secrets
// store keeps them as base64 of the JSON, or, with a key, as
// base64(nonce | tag | ciphertext) of AES-256-GCM under SHA-256 of the
// key (sqlalchemy_utils' AesGcmEngine).
func (im *Importer) openSecret(stored string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(stored))
	if err != nil {
		return nil, fmt.Errorf("secret values are not base64: %w", err)
	}
	if im.aead == nil {
		if !json.Valid(raw) {
			return nil, errWrongSecretsKey
		}
		return raw, nil
	}
	if len(raw) < 12+16 {
		return nil, errWrongSecretsKey
	}
	nonce, tag, ct := raw[:12], raw[12:28], raw[28:]
	plain, err := im.aead.Open(nil, nonce, append(append([]byte(nil), ct...), tag...), nil)
	if err != nil {
		return nil, errWrongSecretsKey
	}
	return plain, nil
}

var errWrongSecretsKey = errors.New("the source's secret values do not open with the given key: pass the source server's ZENML_SECRETS_STORE_ENCRYPTION_KEY with --source-secrets-key (or none if the source does not encrypt secrets)")

// checkSecrets opens every source secret once, before anything is written.
func (im *Importer) checkSecrets(ctx context.Context) error {
	last := ""
	for {
		rs, err := im.src.db.QueryContext(ctx, "SELECT id, "+quote("values")+" FROM "+quote("secret")+" WHERE id > ? ORDER BY id LIMIT 500", last)
		if err != nil {
			return sourceError("secret", err)
		}
		n := 0
		for rs.Next() {
			var id string
			var values sql.NullString
			if err := rs.Scan(&id, &values); err != nil {
				rs.Close()
				return sourceError("secret", err)
			}
			n++
			last = id
			if _, err := im.openSecret(values.String); err != nil {
				rs.Close()
				return fmt.Errorf("secret %s: %w", id, err)
			}
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return sourceError("secret", err)
		}
		if n < 500 {
			return nil
		}
	}
}

// sourceError names the table a failed source read was on.
func sourceError(table string, err error) error {
	return fmt.Errorf("reading the source's %s table failed (did the source database go away?): %w", table, err)
}

// readRows reads all rows of a result set (one batch at most).
func readRows(rs *sql.Rows) ([]row, error) {
	defer rs.Close()
	names, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	idx := make(map[string]int, len(names))
	for i, n := range names {
		if _, dup := idx[n]; !dup {
			idx[n] = i
		}
	}
	var out []row
	for rs.Next() {
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, row{vals: vals, idx: idx})
	}
	return out, rs.Err()
}

// copyTable streams one source table into the target from its checkpoint.
func (im *Importer) copyTable(ctx context.Context, t *table, cp store.ImportCheckpoint) error {
	from := t.from
	if from == "" {
		from = quote(t.source) + " t"
	}
	sel := t.selectList
	if sel == "" {
		sel = "t.*"
	}
	keyCols := make([]string, len(t.key))
	keyAliases := make([]string, len(t.key))
	for i, k := range t.key {
		keyCols[i] = "t." + quote(k)
		keyAliases[i] = "_k" + fmt.Sprint(i)
		sel += ", t." + quote(k) + " AS " + keyAliases[i]
	}
	var total int64
	if err := im.src.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+from).Scan(&total); err != nil {
		return sourceError(t.source, err)
	}
	var last []any
	if cp.LastKey != "" {
		if err := json.Unmarshal([]byte(cp.LastKey), &last); err != nil {
			return fmt.Errorf("checkpoint of %s: %w", t.source, err)
		}
	}
	bar := im.cfg.Progress.Start(t.source, total, cp.Read)
	defer bar.Finish()
	order := strings.Join(keyCols, ", ")
	done := cp.Read
	batch := im.cfg.Batch
	if t.maxBatch > 0 {
		batch = min(batch, t.maxBatch)
	}
	for {
		q := "SELECT " + sel + " FROM " + from
		var args []any
		if last != nil {
			var where string
			where, args = after(im.src.engine, keyCols, last)
			q += " WHERE " + where
		}
		q += " ORDER BY " + order + " LIMIT " + fmt.Sprint(batch)
		rs, err := im.src.db.QueryContext(ctx, q, args...)
		if err != nil {
			return sourceError(t.source, err)
		}
		rows, err := readRows(rs)
		if err != nil {
			return sourceError(t.source, err)
		}
		finished := len(rows) < batch
		var batchData any
		if t.prepare != nil && len(rows) > 0 {
			if batchData, err = t.prepare(ctx, im, rows); err != nil {
				return err
			}
		}
		b := &store.ImportBatch{Source: t.source, Columns: t.targets, Read: len(rows), Done: finished}
		for _, r := range rows {
			keyVals := make([]any, len(t.key))
			for i, a := range keyAliases {
				keyVals[i] = keyValue(r.raw(a))
			}
			kb, _ := json.Marshal(keyVals)
			key := string(kb)
			out, err := t.convert(im, r, batchData)
			switch {
			case errors.Is(err, errSkip):
				b.Rejects = append(b.Rejects, store.ImportReject{Table: t.source, Key: key, Reason: skippedPrefix + "a built-in flavor the target store has already"})
			case err != nil:
				b.Rejects = append(b.Rejects, store.ImportReject{Table: t.source, Key: key, Reason: err.Error()})
			default:
				b.Records = append(b.Records, store.ImportRecord{Key: key, Rows: out})
			}
			last = keyVals
			b.LastKey = key
		}
		if b.LastKey == "" {
			b.LastKey = cp.LastKey
			if last != nil {
				kb, _ := json.Marshal(last)
				b.LastKey = string(kb)
			}
		}
		if _, err := im.target.ImportBatch(ctx, b); err != nil {
			return fmt.Errorf("write %s rows into the target: %w", t.source, err)
		}
		done += int64(len(rows))
		bar.Set(done)
		if finished {
			return nil
		}
	}
}

// after renders "the key is past last" so that the engine reads it as a
// range of the key's index: a row-value comparison on SQLite; on MySQL
// (whose optimizer does not always take row values as ranges) its
// expansion, (a > ?) OR (a = ? AND b > ?) OR ...
func after(engine string, keyCols []string, last []any) (string, []any) {
	if len(keyCols) == 1 {
		return keyCols[0] + " > ?", last
	}
	if engine != "mysql" {
		return "(" + strings.Join(keyCols, ", ") + ") > (" + strings.TrimSuffix(strings.Repeat("?, ", len(last)), ", ") + ")", last
	}
	var terms []string
	var args []any
	for i := range keyCols {
		var parts []string
		for j := 0; j < i; j++ {
			parts = append(parts, keyCols[j]+" = ?")
			args = append(args, last[j])
		}
		parts = append(parts, keyCols[i]+" > ?")
		args = append(args, last[i])
		terms = append(terms, "("+strings.Join(parts, " AND ")+")")
	}
	return "(" + strings.Join(terms, " OR ") + ")", args
}

// skippedPrefix starts the reason of a row left out on purpose.
const skippedPrefix = "skipped: "

// keyValue is a key column's value as it goes into a checkpoint and back
// into a query: text or an integer.
func keyValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.999999")
	}
	return v
}

// verify compares the row counts per table and lists the rejects.
func (im *Importer) verify(ctx context.Context) (*Result, error) {
	rejects, err := im.target.ImportRejects(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	per := map[string][2]int64{}
	for _, r := range rejects {
		c := per[r.Table]
		if strings.HasPrefix(r.Reason, skippedPrefix) {
			c[1]++
			res.Skipped++
		} else {
			c[0]++
			res.Rejects = append(res.Rejects, r)
		}
		per[r.Table] = c
	}
	var mismatches []string
	for _, t := range tables() {
		if t.verify == "" {
			continue
		}
		from := t.from
		if from == "" {
			from = quote(t.source) + " t"
		}
		var src int64
		if err := im.src.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+from).Scan(&src); err != nil {
			return nil, sourceError(t.source, err)
		}
		dst, err := im.target.ImportCount(ctx, t.verify, t.verifyWhere)
		if err != nil {
			return nil, err
		}
		c := TableCount{Source: t.source, Target: t.verify, SourceRows: src, TargetRows: dst, Rejected: per[t.source][0], Skipped: per[t.source][1]}
		res.Tables = append(res.Tables, c)
		want := src - c.Rejected - c.Skipped
		if dst != want && !(im.cfg.Merge && dst >= want) {
			mismatches = append(mismatches, fmt.Sprintf("%s: %d source rows, %d rejected, %d skipped, but %s has %d", t.source, src, c.Rejected, c.Skipped, t.verify, dst))
		}
	}
	if len(mismatches) > 0 {
		return res, fmt.Errorf("row counts differ after the import:\n  %s", strings.Join(mismatches, "\n  "))
	}
	if len(res.Rejects) > 0 {
		return res, fmt.Errorf("%w: %d rows (listed above)", ErrRejected, len(res.Rejects))
	}
	return res, nil
}

// Report writes the verification table.
func (r *Result) Report(w io.Writer) {
	fmt.Fprintf(w, "%-34s %10s %10s %8s %8s\n", "source table", "source", "target", "rejected", "skipped")
	for _, c := range r.Tables {
		fmt.Fprintf(w, "%-34s %10d %10d %8d %8d\n", c.Source+" -> "+c.Target, c.SourceRows, c.TargetRows, c.Rejected, c.Skipped)
	}
	for _, x := range r.Rejects {
		fmt.Fprintf(w, "not imported: %s %s: %s\n", x.Table, x.Key, x.Reason)
	}
}
