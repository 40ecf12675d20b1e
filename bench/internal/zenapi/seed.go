package zenapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SeedSpec is the data the API seeder makes. It is the shape of
// store.SeedSpec (internal/store/seed.go): Pipelines pipelines named
// Prefix-NNNNNNN in the default project, each with Tags tags taken in turn
// from a pool of TagPool tags named Prefix-tag-K, one snapshot and Runs runs
// named Prefix-NNNNNNN-run-R, created by Users non-admin users in turn.
type SeedSpec struct {
	Pipelines   int
	Tags        int
	TagPool     int // default 4*Tags (at least Tags)
	Runs        int
	Users       int // default 4
	Prefix      string
	Concurrency int // parallel requests; default 8
	// UserPassword is the password of the seeding users.
	UserPassword string
	// Progress, if set, is called now and then with the pipelines done.
	Progress func(done int)
}

// SeedResult is what the seeder made.
type SeedResult struct {
	ProjectID   string
	StackID     string
	PipelineIDs []string
	Requests    int64
	Retries     int64
	Duration    time.Duration
}

func (s *SeedSpec) defaults() {
	if s.Users < 1 {
		s.Users = 4
	}
	if s.TagPool < s.Tags {
		s.TagPool = 4 * s.Tags
	}
	if s.Prefix == "" {
		s.Prefix = "pipeline"
	}
	if s.Concurrency < 1 {
		s.Concurrency = 8
	}
	if s.UserPassword == "" {
		s.UserPassword = "bench-Pa55word"
	}
}

// PipelineName is the name of the i-th seeded pipeline.
func PipelineName(prefix string, i int) string { return fmt.Sprintf("%s-%07d", prefix, i) }

// Seed creates the data through the public API, as an admin for the users
// and tags, then as the users in turn for pipelines, snapshots and runs.
func Seed(ctx context.Context, c *Client, adminUser, adminPassword string, spec SeedSpec) (*SeedResult, error) {
	spec.defaults()
	began := time.Now()
	res := &SeedResult{}
	var requests, retries atomic.Int64
	// retry sends a request again on transport errors and 5xx answers (the
	// reference server on SQLite answers 500 when its database is busy).
	retry := func(f func() error) error {
		var err error
		for attempt := 0; attempt < 6; attempt++ {
			requests.Add(1)
			if err = f(); err == nil {
				return nil
			}
			var se *StatusError
			if errors.As(err, &se) && se.Status < 500 {
				return err
			}
			if ctx.Err() != nil {
				return err
			}
			retries.Add(1)
			time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
		}
		return err
	}

	admin, err := c.Login(ctx, adminUser, adminPassword)
	if err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	res.ProjectID, res.StackID, err = c.ProjectAndStack(ctx, admin)
	if err != nil {
		return nil, err
	}
	tokens := make([]string, spec.Users)
	for u := range tokens {
		name := fmt.Sprintf("%s-user-%d", spec.Prefix, u)
		err := retry(func() error {
			return c.Do(ctx, admin, "POST", "/api/v1/users", map[string]any{"name": name, "password": spec.UserPassword, "is_admin": false}, nil)
		})
		if err != nil {
			return nil, fmt.Errorf("create user %s: %w", name, err)
		}
		if tokens[u], err = c.Login(ctx, name, spec.UserPassword); err != nil {
			return nil, fmt.Errorf("login as %s: %w", name, err)
		}
	}
	// The tags exist before the pipelines name them, so that parallel
	// pipeline creations never race to create the same tag.
	for k := 0; k < spec.TagPool && spec.Tags > 0; k++ {
		name := fmt.Sprintf("%s-tag-%d", spec.Prefix, k)
		err := retry(func() error {
			return c.Do(ctx, tokens[k%len(tokens)], "POST", "/api/v1/tags", map[string]any{"name": name}, nil)
		})
		if err != nil {
			return nil, fmt.Errorf("create tag %s: %w", name, err)
		}
	}

	res.PipelineIDs = make([]string, spec.Pipelines)
	next := make(chan int)
	var done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	var wg sync.WaitGroup
	for w := 0; w < spec.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id, err := seedOne(ctx, c, tokens[i%len(tokens)], res.ProjectID, res.StackID, spec, i, retry)
				if err != nil {
					fail(err)
					return
				}
				res.PipelineIDs[i] = id
				if n := done.Add(1); spec.Progress != nil && (n%500 == 0 || int(n) == spec.Pipelines) {
					spec.Progress(int(n))
				}
			}
		}()
	}
feed:
	for i := 0; i < spec.Pipelines; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	res.Requests, res.Retries = requests.Load(), retries.Load()
	res.Duration = time.Since(began)
	if firstErr != nil {
		return res, firstErr
	}
	return res, ctx.Err()
}

func seedOne(ctx context.Context, c *Client, token, project, stack string, spec SeedSpec, i int, retry func(func() error) error) (string, error) {
	name := PipelineName(spec.Prefix, i)
	tags := make([]string, 0, spec.Tags)
	for k := 0; k < spec.Tags; k++ {
		tags = append(tags, fmt.Sprintf("%s-tag-%d", spec.Prefix, (i+k)%spec.TagPool))
	}
	var p Entity
	err := retry(func() error {
		err := c.Do(ctx, token, "POST", "/api/v1/pipelines", map[string]any{
			"name": name, "project": project, "description": fmt.Sprintf("benchmark pipeline %d", i), "tags": tags,
		}, &p)
		var se *StatusError
		if errors.As(err, &se) && se.Status == 409 {
			// An earlier attempt went through after all.
			var page Page
			if err := c.Do(ctx, token, "GET", "/api/v1/pipelines?name="+name, nil, &page); err != nil {
				return err
			}
			if len(page.Items) == 1 {
				p = page.Items[0]
				return nil
			}
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create pipeline %s: %w", name, err)
	}
	var snap Entity
	err = retry(func() error {
		return c.Do(ctx, token, "POST", "/api/v1/pipeline_snapshots", map[string]any{
			"project": project, "run_name_template": "{pipeline}-{date}", "pipeline_configuration": map[string]any{"name": name},
			"stack": stack, "pipeline": p.ID,
		}, &snap)
	})
	if err != nil {
		return "", fmt.Errorf("create snapshot of %s: %w", name, err)
	}
	for r := 0; r < spec.Runs; r++ {
		runName := fmt.Sprintf("%s-run-%d", name, r)
		err := retry(func() error {
			var out []any // [run, created]
			err := c.Do(ctx, token, "POST", "/api/v1/runs", map[string]any{
				"project": project, "name": runName, "snapshot": snap.ID, "status": "running",
			}, &out)
			var se *StatusError
			if errors.As(err, &se) && se.Status == 409 {
				return nil // an earlier attempt went through
			}
			return err
		})
		if err != nil {
			return "", fmt.Errorf("create run %s: %w", runName, err)
		}
	}
	return p.ID, nil
}
