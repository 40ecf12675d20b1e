package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
)

// Run statistics: the runs a run-list filter selects, grouped and
// aggregated. The database filters and reads one row per run (per run and
// tag when grouping by tag) with everything a grouping or metric needs, in
// one statement; the grouping and the aggregates are computed here, in one
// pass over those rows. That is what lets zengo answer as the reference
// does on its SQLite database on every engine: durations carry SQLite's
// julianday rounding, sums are SQLite's (3.40, the reference's) plain
// double sums, and groups sort as SQLite sorts text, NULLs first.

// StatsGrouping is one grouping of a statistics request: Type is status,
// pipeline, snapshot, source_snapshot, stack, trigger, user, tag, time
// (with Granularity hour, day, week or month) or metadata (with
// MetadataKey).
type StatsGrouping struct{ Type, Granularity, MetadataKey string }

// StatsMetric is one metric: Aggregation (avg, sum, min, max) of Source
// (duration, step_count, cached_step_count, output_artifact_count, or
// metadata with MetadataKey).
type StatsMetric struct{ Source, Aggregation, MetadataKey string }

// RunStatsQuery is what to compute over the filtered runs.
type RunStatsQuery struct {
	Groupings []StatsGrouping
	Metrics   []StatsMetric
	MaxGroups int
}

// RunStatsGroup is one group: a JSON value per grouping, a value (nil for
// none) per metric, in the query's order.
type RunStatsGroup struct {
	Keys     []json.RawMessage
	Metrics  []*float64
	RunCount int
}

// RunStats is the answer: the groups, and whether more existed than
// MaxGroups.
type RunStats struct {
	Groups    []RunStatsGroup
	Truncated bool
}

// statsRow is what the query reads of one run (and tag).
type statsRow struct {
	id, status                          string
	pipeline, snapshot, user            sql.NullString
	stack, sourceSnapshot, tag          sql.NullString
	start, end                          sql.NullInt64
	steps, cachedSteps, outputArtifacts sql.NullInt64
	metadata                            []sql.NullString // value, type per metadata key
}

// RunStatistics aggregates the runs the list l selects in scope.
func (db *DB) RunStatistics(ctx context.Context, l *filter.List, scope RunScope, q RunStatsQuery) (*RunStats, error) {
	where, err := db.dialect.where(db.dialect.runListSpec(), l, scope.clauses())
	if err != nil {
		return nil, err
	}
	has := func(typ string) bool {
		return slices.ContainsFunc(q.Groupings, func(g StatsGrouping) bool { return g.Type == typ })
	}
	sources := map[string]bool{}
	var keys []string // metadata keys, each once
	for _, m := range q.Metrics {
		sources[m.Source] = true
	}
	for _, g := range q.Groupings {
		if g.Type == "metadata" && !slices.Contains(keys, g.MetadataKey) {
			keys = append(keys, g.MetadataKey)
		}
	}
	for _, m := range q.Metrics {
		if m.Source == "metadata" && !slices.Contains(keys, m.MetadataKey) {
			keys = append(keys, m.MetadataKey)
		}
	}
	cols := []string{"r.id", "r.status", "r.pipeline_id", "r.snapshot_id", "r.user_id", "r.start_time", "r.end_time"}
	from := "pipeline_runs r"
	optional := func(need bool, expr string) {
		if !need {
			expr = "NULL"
		}
		cols = append(cols, expr)
	}
	snapshots := has("stack") || has("source_snapshot")
	if snapshots {
		from += " LEFT JOIN pipeline_snapshots sn ON sn.id = r.snapshot_id"
	}
	optional(snapshots, "sn.stack_id")
	optional(snapshots, "sn.source_snapshot_id")
	optional(has("tag"), "tg.name")
	if has("tag") {
		from += " LEFT JOIN tag_resources tgr ON tgr.resource_id = r.id AND tgr.resource_type = 'pipeline_run' LEFT JOIN tags tg ON tg.id = tgr.tag_id"
	}
	optional(sources["step_count"], "(SELECT COUNT(DISTINCT sr.name) FROM step_runs sr WHERE sr.pipeline_run_id = r.id)")
	optional(sources["cached_step_count"], "(SELECT COUNT(DISTINCT sr.name) FROM step_runs sr WHERE sr.pipeline_run_id = r.id AND sr.status = 'cached')")
	optional(sources["output_artifact_count"], `(SELECT COUNT(DISTINCT sra.artifact_version_id) FROM step_runs sr
		JOIN step_run_artifacts sra ON sra.step_run_id = sr.id WHERE sr.pipeline_run_id = r.id AND sra.direction = 'output')`)
	var args []any
	for i, k := range keys {
		// The newest entry of the key, as the reference reads it.
		md := "md" + strconv.Itoa(i)
		from += " LEFT JOIN run_metadata " + md + " ON " + md + `.id = (SELECT m.id FROM run_metadata m
			WHERE m.resource_id = r.id AND m.resource_type = 'pipeline_run' AND m.mkey = ? ORDER BY m.created DESC, m.id DESC LIMIT 1)`
		cols = append(cols, md+".value", md+".type")
		args = append(args, k)
	}
	query := "SELECT " + strings.Join(cols, ", ") + " FROM " + from
	if where.sql != "" {
		query += " WHERE " + where.sql
	}
	// The reference's SQLite reads the runs in id order; sums of floats
	// depend on the order of their terms.
	query += " ORDER BY r.id"
	args = append(args, where.args...)

	agg := newStatsAggregator(q, keys)
	err = db.read(ctx, func(tx *Tx) error {
		return tx.each(ctx, query, args, func(rows *sql.Rows) error {
			row := statsRow{metadata: make([]sql.NullString, 2*len(keys))}
			dest := []any{&row.id, &row.status, &row.pipeline, &row.snapshot, &row.user, &row.start, &row.end,
				&row.stack, &row.sourceSnapshot, &row.tag, &row.steps, &row.cachedSteps, &row.outputArtifacts}
			for i := range row.metadata {
				dest = append(dest, &row.metadata[i])
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			agg.add(&row)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return agg.result(), nil
}

// groupKey is one grouping's value: the text SQLite would sort, and the
// JSON the answer shows.
type groupKey struct {
	null bool
	sort string
	json json.RawMessage
}

type statsGroup struct {
	keys    []groupKey
	metrics []sqliteAggregate
	runs    int
}

type statsAggregator struct {
	q      RunStatsQuery
	keys   []string // metadata keys, in the order the query selects them
	groups map[string]*statsGroup
	order  []*statsGroup
}

func newStatsAggregator(q RunStatsQuery, keys []string) *statsAggregator {
	a := &statsAggregator{q: q, keys: keys, groups: map[string]*statsGroup{}}
	if len(q.Groupings) == 0 {
		// Without groupings there is exactly one group, runs or not.
		a.group(nil)
	}
	return a
}

func (a *statsAggregator) group(keys []groupKey) *statsGroup {
	var id strings.Builder
	for _, k := range keys {
		if k.null {
			id.WriteString("N")
		} else {
			id.WriteString("V" + strconv.Itoa(len(k.sort)) + ":" + k.sort)
		}
	}
	g, ok := a.groups[id.String()]
	if !ok {
		g = &statsGroup{keys: keys, metrics: make([]sqliteAggregate, len(a.q.Metrics))}
		a.groups[id.String()] = g
		a.order = append(a.order, g)
	}
	return g
}

// metadataOf is a run's newest value of a key and its metadata type.
func (a *statsAggregator) metadataOf(row *statsRow, key string) (value, typ sql.NullString) {
	i := slices.Index(a.keys, key)
	return row.metadata[2*i], row.metadata[2*i+1]
}

func (a *statsAggregator) add(row *statsRow) {
	keys := make([]groupKey, len(a.q.Groupings))
	for i, g := range a.q.Groupings {
		keys[i] = a.groupValue(row, g)
	}
	grp := a.group(keys)
	grp.runs++
	for i, m := range a.q.Metrics {
		if v, ok := a.metricValue(row, m); ok {
			grp.metrics[i].add(v)
		}
	}
}

func textKey(s sql.NullString) groupKey {
	if !s.Valid {
		return groupKey{null: true, json: json.RawMessage("null")}
	}
	b, _ := json.Marshal(s.String)
	return groupKey{sort: s.String, json: b}
}

// idKey is an id as the reference shows it (with hyphens); it sorts as
// stored (hex), in the same order.
func idKey(s sql.NullString) groupKey {
	k := textKey(s)
	if id, err := uuid.Parse(s.String); err == nil && s.Valid {
		k.json, _ = json.Marshal(id.String())
	}
	return k
}

func (a *statsAggregator) groupValue(row *statsRow, g StatsGrouping) groupKey {
	switch g.Type {
	case "status":
		return textKey(sql.NullString{String: row.status, Valid: true})
	case "pipeline":
		return idKey(row.pipeline)
	case "snapshot":
		return idKey(row.snapshot)
	case "user":
		return idKey(row.user)
	case "stack":
		return idKey(row.stack)
	case "source_snapshot":
		return idKey(row.sourceSnapshot)
	case "tag":
		return textKey(row.tag)
	case "time":
		if !row.start.Valid {
			return textKey(sql.NullString{})
		}
		return textKey(sql.NullString{String: timeBucket(row.start.Int64, g.Granularity), Valid: true})
	case "metadata":
		value, _ := a.metadataOf(row, g.MetadataKey)
		if !value.Valid {
			return textKey(value)
		}
		// The reference groups on the stored text (Python's json.dumps
		// form) and shows scalars decoded, anything else as null.
		sortText, err := jsonobj.PyDumps([]byte(value.String))
		if err != nil {
			sortText = value.String
		}
		shown := json.RawMessage(strings.TrimSpace(value.String))
		if len(shown) == 0 || shown[0] == '{' || shown[0] == '[' {
			shown = json.RawMessage("null")
		}
		return groupKey{sort: sortText, json: shown}
	}
	// trigger: zengo records no trigger executions.
	return textKey(sql.NullString{})
}

func (a *statsAggregator) metricValue(row *statsRow, m StatsMetric) (float64, bool) {
	count := func(n sql.NullInt64) (float64, bool) { return float64(n.Int64), true } // coalesce(…, 0)
	switch m.Source {
	case "duration":
		if !row.start.Valid || !row.end.Valid {
			return 0, false
		}
		return sqliteDuration(row.start.Int64, row.end.Int64), true
	case "step_count":
		return count(row.steps)
	case "cached_step_count":
		return count(row.cachedSteps)
	case "output_artifact_count":
		return count(row.outputArtifacts)
	case "metadata":
		value, typ := a.metadataOf(row, m.MetadataKey)
		if !value.Valid || (typ.String != "int" && typ.String != "float") {
			return 0, false
		}
		return sqliteNumeric(value.String), true
	}
	return 0, false
}

// result orders the groups as the reference does and cuts them at
// MaxGroups. With a time grouping the latest buckets are kept, shown
// oldest first.
func (a *statsAggregator) result() *RunStats {
	groups := a.order
	// Without a time grouping: ORDER BY run count DESC, the groupings ASC
	// (NULLs first). With one: ORDER BY time DESC, the other groupings DESC
	// (NULLs last).
	timeAt := slices.IndexFunc(a.q.Groupings, func(g StatsGrouping) bool { return g.Type == "time" })
	keyOrder := make([]int, 0, len(a.q.Groupings))
	if timeAt >= 0 {
		keyOrder = append(keyOrder, timeAt)
	}
	for i := range a.q.Groupings {
		if i != timeAt {
			keyOrder = append(keyOrder, i)
		}
	}
	slices.SortFunc(groups, func(x, y *statsGroup) int {
		if timeAt < 0 && x.runs != y.runs {
			return y.runs - x.runs
		}
		for _, i := range keyOrder {
			c := compareKeys(x.keys[i], y.keys[i])
			if timeAt >= 0 {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	out := &RunStats{Groups: []RunStatsGroup{}}
	if len(groups) > a.q.MaxGroups {
		groups, out.Truncated = groups[:a.q.MaxGroups], true
	}
	if timeAt >= 0 {
		slices.Reverse(groups)
	}
	for _, g := range groups {
		rg := RunStatsGroup{Keys: make([]json.RawMessage, len(g.keys)), Metrics: make([]*float64, len(g.metrics)), RunCount: g.runs}
		for i, k := range g.keys {
			rg.Keys[i] = k.json
		}
		for i, m := range a.q.Metrics {
			rg.Metrics[i] = g.metrics[i].value(m.Aggregation)
		}
		out.Groups = append(out.Groups, rg)
	}
	return out
}

// compareKeys orders two values of one grouping as SQLite orders text:
// NULL first, then by bytes.
func compareKeys(x, y groupKey) int {
	switch {
	case x.null && y.null:
		return 0
	case x.null:
		return -1
	case y.null:
		return 1
	}
	return strings.Compare(x.sort, y.sort)
}

// timeBucket is the reference's bucket label of a start time (UTC): the
// hour, the day, the Monday of the week or the first of the month.
func timeBucket(micros int64, granularity string) string {
	t := time.UnixMicro(micros).UTC()
	switch granularity {
	case "hour":
		return t.Format("2006-01-02 15:00:00")
	case "week":
		return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)).Format("2006-01-02")
	case "month":
		return t.Format("2006-01") + "-01"
	}
	return t.Format("2006-01-02")
}

// sqliteJulianMillis is SQLite's julianday of a stored time in integer
// milliseconds: the seconds (with their fraction, as a double) rounded
// half up to the millisecond.
func sqliteJulianMillis(micros int64) int64 {
	t := time.UnixMicro(micros).UTC()
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	ms := midnight.UnixMilli() + 210866760000000
	seconds := float64(t.Second()) + float64(t.Nanosecond()/1000)/1e6
	return ms + int64(t.Hour())*3600000 + int64(t.Minute())*60000 + int64(seconds*1000+0.5)
}

// sqliteDuration is the reference's (julianday(end) - julianday(start)) *
// 86400.0, with the same float noise (30 s is 29.999998211860657).
func sqliteDuration(start, end int64) float64 {
	return (float64(sqliteJulianMillis(end))/86400000.0 - float64(sqliteJulianMillis(start))/86400000.0) * 86400.0
}

// sqliteNumeric is CAST(text AS NUMERIC) of a stored metadata value: its
// number, or 0 for text that is not one.
func sqliteNumeric(text string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || strings.ContainsAny(text, "nNiI") {
		return 0
	}
	return f
}

// sqliteAggregate accumulates one metric of one group as SQLite 3.40's
// AVG, SUM, MIN and MAX do: a sequential double sum, no value for no input.
type sqliteAggregate struct {
	n             int
	sum, min, max float64
}

func (s *sqliteAggregate) add(v float64) {
	if s.n == 0 || v < s.min {
		s.min = v
	}
	if s.n == 0 || v > s.max {
		s.max = v
	}
	s.sum += v
	s.n++
}

func (s *sqliteAggregate) value(aggregation string) *float64 {
	if s.n == 0 {
		return nil
	}
	v := s.sum
	switch aggregation {
	case "avg":
		v = s.sum / float64(s.n)
	case "min":
		v = s.min
	case "max":
		v = s.max
	}
	return &v
}
