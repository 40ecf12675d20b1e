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
