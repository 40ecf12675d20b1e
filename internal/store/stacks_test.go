package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

func (f *fixture) component(t *testing.T, name, typ string, cfg string) *zen.Component {
	t.Helper()
	c, err := f.db.CreateComponent(context.Background(), zen.Component{Name: name, Type: typ, FlavorName: "local",
		Configuration: json.RawMessage(cfg), UserID: &f.admin.ID})
	if err != nil {
		t.Fatalf("component %s: %v", name, err)
	}
	return c
}

func (f *fixture) localStack(t *testing.T, name string) *zen.Stack {
	t.Helper()
	o := f.component(t, name+"-o", "orchestrator", `{}`)
	a := f.component(t, name+"-a", "artifact_store", `{"path": "/tmp/`+name+`"}`)
	s, err := f.db.CreateStack(context.Background(), NewStack{Name: name, UserID: &f.admin.ID,
		Members: []StackMember{{Type: "orchestrator", ID: &o.ID}, {Type: "artifact_store", ID: &a.ID}}})
	if err != nil {
		t.Fatalf("stack %s: %v", name, err)
	}
	return s
}

// Stack, component and flavor lists cost the same number of statements for
// a page of 1 and a page of 1,000, their users and (hydrated) stacks'
// components included.
func TestStackListStatementsDoNotGrowWithPageSize(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		for i := 0; i < 20; i++ {
			f.localStack(t, fmt.Sprintf("s%02d", i))
			if _, err := f.db.CreateFlavor(ctx, zen.Flavor{Name: fmt.Sprintf("custom%d", i), Type: "orchestrator", Source: "x",
				IsCustom: true, UserID: &f.admin.ID}); err != nil {
				t.Fatal(err)
			}
		}
		lists := map[string]func(size int) error{
			"stacks": func(size int) error {
				_, err := f.db.ListStacks(ctx, mustList(t, filter.Stacks, fmt.Sprintf("size=%d&sort_by=desc:created", size)), nil, false)
				return err
			},
			"hydrated stacks": func(size int) error {
				_, err := f.db.ListStacks(ctx, mustList(t, filter.Stacks, fmt.Sprintf("size=%d&sort_by=desc:created", size)), nil, true)
				return err
			},
			"components": func(size int) error {
				_, err := f.db.ListComponents(ctx, mustList(t, filter.Components, fmt.Sprintf("size=%d&sort_by=desc:created", size)), nil, nil)
				return err
			},
			"flavors": func(size int) error {
				_, err := f.db.ListFlavors(ctx, mustList(t, filter.Flavors, fmt.Sprintf("size=%d&sort_by=desc:created", size)), nil)
				return err
			},
		}
		checkListStatements(t, f.db, lists)
	})
}

// Concurrent creates of one name give one success and the reference's 409
// to every other writer, on every engine.
func TestConcurrentCreatesOfOneName(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		o := f.component(t, "cc-o", "orchestrator", `{}`)
		a := f.component(t, "cc-a", "artifact_store", `{"path": "/tmp/cc"}`)
		creates := map[string]func() error{
			"stack": func() error {
				_, err := f.db.CreateStack(ctx, NewStack{Name: "cc-stack", UserID: &f.admin.ID,
					Members: []StackMember{{Type: "orchestrator", ID: &o.ID}, {Type: "artifact_store", ID: &a.ID}}})
				return err
			},
			"component": func() error {
				_, err := f.db.CreateComponent(ctx, zen.Component{Name: "cc-comp", Type: "orchestrator", FlavorName: "local", UserID: &f.admin.ID})
				return err
			},
			"flavor": func() error {
				_, err := f.db.CreateFlavor(ctx, zen.Flavor{Name: "cc-flavor", Type: "orchestrator", Source: "x", IsCustom: true, UserID: &f.admin.ID})
				return err
			},
		}
		for name, create := range creates {
			const writers = 8
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- create()
				}()
			}
			wg.Wait()
			close(errs)
			created := 0
			for err := range errs {
				switch {
				case err == nil:
					created++
				case zen.ErrorCode(err) != zen.EConflict:
					t.Fatalf("%s: a concurrent create failed with %v", name, err)
				}
			}
			if created != 1 {
				t.Fatalf("%s: %d concurrent creates succeeded, want 1", name, created)
			}
		}
	})
}

// A component cannot go while a stack uses it, nor a flavor while a
// component does; once free, they go.
func TestInUseRefusals(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		s := f.localStack(t, "iu")
		orch := s.Components[len(s.Components)-1]
		for _, c := range s.Components {
			if c.Type == "orchestrator" {
				orch = c
			}
		}
		if err := f.db.DeleteComponent(ctx, orch.ID); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("delete of a component in a stack: %v", err)
		}
		if err := f.db.DeleteStack(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeleteComponent(ctx, orch.ID); err != nil {
			t.Fatal(err)
		}
		fl, err := f.db.CreateFlavor(ctx, zen.Flavor{Name: "iu-flavor", Type: "orchestrator", Source: "x", IsCustom: true})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.db.CreateComponent(ctx, zen.Component{Name: "iu-c", Type: "orchestrator", FlavorName: "iu-flavor"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeleteFlavor(ctx, fl.ID); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("delete of a flavor in use: %v", err)
		}
		if err := f.db.DeleteComponent(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeleteFlavor(ctx, fl.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.GetFlavor(ctx, fl.ID); !zen.IsNotFound(err) {
			t.Fatalf("deleted flavor: %v", err)
		}
	})
}

// A full-stack create makes the connector it describes (its secret values
// in an internal secret) and links the components that name it, or an
// existing connector, by index; a refused create leaves nothing behind.
func TestFullStackCreateWithConnectors(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := context.Background()
		count := func(table string) int {
			var n int
			err := f.db.read(ctx, func(tx *Tx) error { return tx.queryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n) })
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		cfg, _ := jsonobj.Parse([]byte(`{"username": "u", "password": "p", "registry": "reg.example.com"}`))
		existing, err := f.db.CreateServiceConnector(ctx, ServiceConnector{ServiceConnector: zen.ServiceConnector{UserID: &f.admin.ID,
			Name: "fsc-ex", ConnectorType: "docker", AuthMethod: "password", ResourceTypes: []string{"docker-registry"}}, Configuration: jsonobj.New()})
		if err != nil {
			t.Fatal(err)
		}
		index0, index1 := 0, 1
		resourceID := "res-1"
		members := func(second StackMember) []StackMember {
			return []StackMember{{Type: "orchestrator", Flavor: "local"}, {Type: "artifact_store", Flavor: "local", Configuration: json.RawMessage(`{"path": "/tmp/fsc"}`)},
				{Type: "container_registry", Flavor: "default", Configuration: json.RawMessage(`{"uri": "reg.example.com/a"}`), ConnectorIndex: &index0},
				second}
		}
		connectors := []StackConnector{{Type: "docker", AuthMethod: "password", Configuration: cfg}, {ID: &existing.ID}}
		secrets, components := count("secrets"), count("components")

		// a flavor that takes no connector: refused, undone
		_, err = f.db.CreateStack(ctx, NewStack{Name: "fsc", UserID: &f.admin.ID, Connectors: connectors,
			Members: members(StackMember{Type: "image_builder", Flavor: "local", ConnectorIndex: &index1})})
		if zen.ErrorCode(err) != zen.EInvalid {
			t.Fatalf("create with a flavor that takes no connector: %v", err)
		}
		if count("service_connectors") != 1 || count("secrets") != secrets || count("components") != components {
			t.Fatal("a refused full-stack create left rows behind")
		}

		s, err := f.db.CreateStack(ctx, NewStack{Name: "fsc", UserID: &f.admin.ID, Connectors: connectors, Labels: json.RawMessage(`{"n": 1}`),
			Members: members(StackMember{Type: "container_registry", Flavor: "default", Configuration: json.RawMessage(`{"uri": "reg.example.com/b"}`),
				ConnectorIndex: &index1, ConnectorResourceID: &resourceID})})
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.db.ListServiceConnectors(ctx, mustList(t, filter.ServiceConnectors, "name=fsc"), nil, ConnectorListScope{}, true)
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("the new connector: %v %v", page, err)
		}
		c := page.Items[0]
		if got, _ := c.FullConfiguration().MarshalJSON(); string(got) != `{"registry":"reg.example.com","username":"u","password":"p"}` || c.SecretID == nil {
			t.Fatalf("the new connector's configuration: %s (secret %v)", got, c.SecretID)
		}
		if got, _ := c.Labels.MarshalJSON(); string(got) != `{"n":"1"}` {
			t.Fatalf("the new connector's labels: %s", got)
		}
		want := map[string]string{"reg.example.com/a": "reg.example.com/a", "reg.example.com/b": resourceID}
		linked := 0
		for _, m := range s.Components {
			if m.Type != "container_registry" {
				continue
			}
			got, err := f.db.GetComponent(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			var cfg struct{ URI string }
			json.Unmarshal(got.Configuration, &cfg)
			wantConnector := map[string]uuid.UUID{"reg.example.com/a": c.ID, "reg.example.com/b": existing.ID}[cfg.URI]
			if got.ConnectorID == nil || *got.ConnectorID != wantConnector || got.ConnectorResourceID == nil || *got.ConnectorResourceID != want[cfg.URI] {
				t.Fatalf("component %s: connector %v resource %v", cfg.URI, got.ConnectorID, got.ConnectorResourceID)
			}
			linked++
		}
		if linked != 2 {
			t.Fatalf("%d container registries linked, want 2", linked)
		}
	})
}
