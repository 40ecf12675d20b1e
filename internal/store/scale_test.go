package store

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"zengo/internal/filter"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

// The maintained run counts (projects.run_count, pipelines.run_total)
// stay equal to the rows through creation, placeholder takeover and every
// kind of delete, and the run lists' totals they answer are exact.
func TestRunCountsStayExact(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		p1, p2 := f.pipeline(t, "p1"), f.pipeline(t, "p2")
		s1a, s1b, s2 := f.snapshot(t, p1), f.snapshot(t, p1), f.snapshot(t, p2)
		check := func(step string, project, one, two int) {
			t.Helper()
			var bad int
			if err := f.db.reader.QueryRowContext(ctx, `SELECT
				(SELECT COUNT(*) FROM projects pr WHERE run_count <> (SELECT COUNT(*) FROM pipeline_runs r WHERE r.project_id = pr.id)) +
				(SELECT COUNT(*) FROM pipelines p WHERE run_total <> (SELECT COUNT(*) FROM pipeline_runs r WHERE r.pipeline_id = p.id))`).Scan(&bad); err != nil {
				t.Fatal(err)
			}
			if bad != 0 {
				t.Errorf("%s: %d counters differ from their rows", step, bad)
			}
			for _, c := range []struct {
				query string
				want  int
			}{{"sort_by=desc:updated", project}, {"pipeline_id=" + p1.ID.String() + "&sort_by=desc:updated", one},
				{"pipeline_id=" + p2.ID.String(), two}, {"pipeline_id=" + zen.Pipeline{}.ID.String(), 0}} {
				page, err := f.db.ListRuns(ctx, mustList(t, filter.Runs, c.query), RunScope{ProjectID: f.project.ID})
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != c.want || (c.want > 0 && len(page.Items) == 0) {
					t.Errorf("%s: %s total %d (%d items), want %d", step, c.query, page.Total, len(page.Items), c.want)
				}
			}
		}
		check("empty", 0, 0, 0)
		r1 := f.run(t, s1a, "r1", zen.StatusRunning)
		f.run(t, s1a, "r2", zen.StatusCompleted)
		f.run(t, s1b, "r3", zen.StatusFailed)
		f.run(t, s2, "r4", zen.StatusRunning)
		f.run(t, s2, "r5", zen.StatusInitializing)
		check("created", 5, 3, 2)
		// A started run takes over the placeholder: no new row.
		if _, created, err := f.db.GetOrCreateRun(ctx, zen.Run{Name: "r6", ProjectID: f.project.ID, SnapshotID: s2.ID, UserID: &f.admin.ID,
			Status: zen.StatusRunning, OrchestratorRunID: ptr("orch-1")}, nil); err != nil || !created {
			t.Fatalf("takeover: %v %v", created, err)
		}
		check("placeholder taken over", 5, 3, 2)
		if err := f.db.DeleteRun(ctx, r1.ID); err != nil {
			t.Fatal(err)
		}
		check("run deleted", 4, 2, 2)
		if err := f.db.DeleteSnapshot(ctx, s1b.ID); err != nil {
			t.Fatal(err)
		}
		check("snapshot deleted", 3, 1, 2)
		if err := f.db.DeletePipeline(ctx, p2.ID); err != nil {
			t.Fatal(err)
		}
		check("pipeline deleted", 1, 1, 0)
	})
}

// likeOracle is SQLite's LIKE without an escape character, written
// independently: ASCII letters fold, '%' is any run, '_' one character.
func likeOracle(pattern, s string) bool {
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '%':
			re.WriteString("(?s:.*)")
		case '_':
			re.WriteString("(?s:.)")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	fold := func(x string) string {
		b := []byte(x)
		for i, c := range b {
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 32
			}
		}
		return string(b)
	}
	return regexp.MustCompile(fold(re.String())).MatchString(fold(s))
}

// Name searches through the trigram index answer exactly what the LIKE
// alone answers: short terms, wildcards inside the term, non-ASCII letters
// (not folded), ASCII case, quotes.
func TestNameSearchMatchesLike(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		names := []string{"Alpha-Pipeline", "alpha_pipeline", "ALPHAPIPELINE", "beta%pipe", "Ärger-groß", "ärger-GROSS", "ÉTÉ-été",
			`say "hi" there`, "under_score_name", "underXscoreYname", "ab", "training-0001", "training-0010", "xx-TRAIN", "日本語のパイプライン"}
		for _, n := range names {
			f.pipeline(t, n)
		}
		terms := []string{"pipeline", "PIPELINE", "alpha_p", "alpha%pipe", "a%e", "pi", "p", "", "ärger", "ÄRGER", "Ärger", "groß", "GROSS",
			"été", "ÉTÉ", `"hi"`, `"`, "under_score", "r_s", "e%p", "%", "_", "training-00", "train", "TRAIN", "パイプ", "本語", "xyz-nothing"}
		for _, term := range terms {
			for op, pattern := range map[string]string{"contains": "%" + term + "%", "startswith": term + "%", "endswith": "%" + term} {
				var want []string
				for _, n := range names {
					if likeOracle(pattern, n) {
						want = append(want, n)
					}
				}
				got := f.names(t, "size=100&sort_by=name&name="+url.QueryEscape(op+":"+term))
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("name=%s:%s: got %q, want %q", op, term, got, want)
				}
			}
		}
	})
}

func TestTrigramMatch(t *testing.T) {
	for in, want := range map[string]string{
		"%pipeline%":  `"pipeline"`,
		"%ab%":        "",
		"%a_bcd%e%":   `"bcd"`,
		`%say "hi"%`:  `"say ""hi"""`,
		"%日本語%":       `"日本語"`,
		"%ab_cd%":     "",
		"%abc%def%":   `"abc" AND "def"`,
		"abc\x00def%": "",
	} {
		if got := trigramMatch(in); got != want {
			t.Errorf("trigramMatch(%q) = %q, want %q", in, got, want)
		}
	}
}

// A name search through the trigram index answers its rows and its exact
// total in one statement (the page carries the total), on every page,
// deep pages included; a page past the last one names the total. The
// bulk rows come from Seed, which also drops and rebuilds the indexes.
func TestNameSearchPagesAndTotals(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, dbURL string) {
		f := newFixture(t, dbURL)
		ctx := context.Background()
		if _, err := f.db.Seed(ctx, SeedSpec{Pipelines: 620, TagsPerPipeline: 1, RunsPerPipeline: 1, NamePrefix: "bulk"}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"other-1", "other-2"} {
			f.pipeline(t, n)
		}
		list := func(query string) (*zen.Page[*zen.Pipeline], int64, error) {
			before := f.db.Statements()
			page, err := f.db.ListPipelines(ctx, mustList(t, filter.Pipelines, query), ProjectScope{ProjectID: f.project.ID})
			return page, f.db.Statements() - before, err
		}
		// "0001": bulk-0000001, bulk-0000010..019 and bulk-0000100..199.
		_, plain, err := list("size=20&sort_by=name&name=startswith:other")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			query       string
			total, rows int
			first       string
		}{
			{"size=20&sort_by=name&name=contains:0001", 111, 20, "bulk-0000001"},
			{"size=20&page=6&sort_by=name&name=contains:0001", 111, 11, "bulk-0000189"},
			{"size=500&page=2&sort_by=name&name=contains:bulk", 620, 120, "bulk-0000500"},
			{"size=200&page=3&sort_by=desc:name&name=startswith:BULK-", 620, 200, "bulk-0000219"},
			{"size=20&name=endswith:nothing-here", 0, 0, ""},
			{"size=20&sort_by=name&name=contains:bulk&name=contains:other&logical_operator=or", 622, 20, "bulk-0000000"},
		} {
			page, n, err := list(c.query)
			if err != nil {
				t.Fatalf("%s: %v", c.query, err)
			}
			first := ""
			if len(page.Items) > 0 {
				first = page.Items[0].Name
			}
			if page.Total != c.total || len(page.Items) != c.rows || first != c.first {
				t.Errorf("%s: total %d, %d rows from %q; want %d, %d from %q", c.query, page.Total, len(page.Items), first, c.total, c.rows, c.first)
			}
			if wantPages := max(1, (c.total+page.MaxSize-1)/page.MaxSize); page.TotalPages != wantPages {
				t.Errorf("%s: %d pages, want %d", c.query, page.TotalPages, wantPages)
			}
			if n > plain {
				t.Errorf("%s: %d statements, a search without the trigram index takes %d", c.query, n, plain)
			}
		}
		if _, _, err := list("size=20&page=7&name=contains:0001"); err == nil || !strings.Contains(err.Error(), "a total of 111 items") {
			t.Errorf("page past the last: %v", err)
		}
		if _, _, err := list("size=20&page=2&name=contains:nothing-here"); err == nil || !strings.Contains(err.Error(), "a total of 0 items") {
			t.Errorf("page past the last of none: %v", err)
		}
	})
}
