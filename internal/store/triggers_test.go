package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

func (f *fixture) webhook(t *testing.T, name, secret string) *Webhook {
	t.Helper()
	w, err := f.db.CreateWebhook(context.Background(), Webhook{ProjectID: f.project.ID, UserID: &f.admin.ID, Name: name, Type: "custom", Active: true}, secret)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (f *fixture) webhookTrigger(t *testing.T, name string, w *Webhook) *Trigger {
	t.Helper()
	tr, err := f.db.CreateTrigger(context.Background(), Trigger{ProjectID: f.project.ID, UserID: &f.admin.ID, Name: name, Type: "webhook",
		Flavor: "webhook", Concurrency: "skip", Active: true, Configuration: json.RawMessage(`{"configuration":{"target_events":null}}`), WebhookID: &w.ID})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// A webhook's secret is an internal secret: it opens for intake, no
// secret list or get shows it, rotation replaces it, and it goes with the
// webhook; live triggers keep a webhook, archived ones forget it.
func TestWebhookSecretsAndDeletion(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		w := f.webhook(t, "w", "first")
		cfg, ok, err := f.db.WebhookIntakeConfig(ctx, w.ID)
		if err != nil || !ok || cfg.Secret != "first" || cfg.Type != "custom" || !cfg.Active {
			t.Fatalf("intake config: %+v %v %v", cfg, ok, err)
		}
		if _, ok, _ := f.db.WebhookIntakeConfig(ctx, uuid.New()); ok {
			t.Fatal("an unknown webhook has an intake config")
		}
		secrets, err := f.db.ListSecrets(ctx, mustList(t, filter.Secrets, ""), f.admin.ID)
		if err != nil || secrets.Total != 0 {
			t.Fatalf("the internal secret is listed: %v %v", secrets, err)
		}
		if _, err := f.db.GetSecret(ctx, w.secretID, f.admin.ID); zen.ErrorCode(err) != zen.ENotFound {
			t.Fatalf("the internal secret is readable: %v", err)
		}
		if err := f.db.RotateWebhookSecret(ctx, w.ID, "second"); err != nil {
			t.Fatal(err)
		}
		if cfg, _, _ := f.db.WebhookIntakeConfig(ctx, w.ID); cfg.Secret != "second" {
			t.Fatalf("rotated secret: %q", cfg.Secret)
		}
		tr := f.webhookTrigger(t, "t", w)
		if err := f.db.DeleteWebhook(ctx, w.ID); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("deleting a webhook with a live trigger: %v", err)
		}
		if err := f.db.DeleteTrigger(ctx, tr.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DeleteWebhook(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		got, err := f.db.GetTrigger(ctx, tr.ID)
		if err != nil || got.WebhookID != nil || !got.IsArchived || got.Active {
			t.Fatalf("archived trigger after its webhook went: %+v %v", got, err)
		}
		var left int
		if err := f.db.reader.QueryRow(f.db.dialect.rebind(`SELECT COUNT(*) FROM secrets`)).Scan(&left); err != nil || left != 0 {
			t.Fatalf("secrets left: %d %v", left, err)
		}
	})
}

// Intake outcomes are counted; nothing else of the webhook changes.
func TestWebhookEventsCounted(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		w := f.webhook(t, "w", "s")
		summary := "Invalid webhook signature."
		for _, o := range []WebhookOutcome{WebhookAuthFailed, WebhookAccepted, WebhookInvalidPayload, WebhookAccepted} {
			var s *string
			if o != WebhookAccepted {
				s = &summary
			}
			if err := f.db.RecordWebhookEvent(ctx, w.ID, o, s); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.db.GetWebhook(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		st := got.Stats
		if st.Received != 4 || st.Accepted != 2 || st.AuthFailed != 1 || st.InvalidPayload != 1 || st.LastErrorSummary == nil ||
			st.LastAccepted == nil || st.LastError == nil || got.Updated != w.Updated || got.Name != w.Name {
			t.Fatalf("stats: %+v (updated %v, was %v)", st, got.Updated, w.Updated)
		}
	})
}

// The trigger and webhook lists cost the same statements for any page
// size.
func TestTriggerAndWebhookListStatementsDoNotGrow(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		p := f.pipeline(t, "p")
		for i := 0; i < 3; i++ {
			w := f.webhook(t, fmt.Sprintf("w%d", i), "s")
			tr := f.webhookTrigger(t, fmt.Sprintf("t%d", i), w)
			source := f.snapshot(t, p)
			executable, err := f.db.CreateSnapshot(ctx, zen.Snapshot{ProjectID: f.project.ID, PipelineID: p.ID, StackID: &f.stackID,
				RunNameTemplate: "r", PipelineConfiguration: []byte(`{"name":"x"}`), SourceSnapshotID: &source.ID}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.db.AttachTriggerSnapshot(ctx, tr.ID, executable.ID, nil); err != nil {
				t.Fatal(err)
			}
		}
		scope := ProjectScope{ProjectID: f.project.ID}
		checkListStatements(t, f.db, map[string]func(int) error{
			"triggers": func(size int) error {
				_, err := f.db.ListTriggers(ctx, mustList(t, filter.Triggers, fmt.Sprintf("size=%d", size)), scope, TriggerFlags{Types: []string{"webhook"}})
				return err
			},
			"webhooks": func(size int) error {
				_, err := f.db.ListWebhooks(ctx, mustList(t, filter.Webhooks, fmt.Sprintf("size=%d", size)), scope)
				return err
			},
		})
	})
}

// An attached executable snapshot shows in its trigger with the snapshot it
// was made from, which the snapshot list's trigger_id filter keeps too;
// a replacement takes the place of the one before, an archived trigger
// takes none, and detaching by the source snapshot lets it go.
func TestSnapshotsOfTrigger(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		p := f.pipeline(t, "p")
		source, other := f.snapshot(t, p), f.snapshot(t, p)
		executableOf := func(source *zen.Snapshot) *zen.Snapshot {
			s, err := f.db.CreateSnapshot(ctx, zen.Snapshot{ProjectID: f.project.ID, PipelineID: p.ID, StackID: &f.stackID, UserID: &f.admin.ID,
				RunNameTemplate: "r", PipelineConfiguration: []byte(`{"name":"x"}`), SourceSnapshotID: &source.ID}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		first, second := executableOf(source), executableOf(source)
		tr := f.webhookTrigger(t, "t", f.webhook(t, "w", "s"))
		if err := f.db.AttachTriggerSnapshot(ctx, tr.ID, first.ID, nil); err != nil {
			t.Fatal(err)
		}
		if err := f.db.AttachTriggerSnapshot(ctx, tr.ID, second.ID, &first.ID); err != nil {
			t.Fatal(err)
		}
		got, err := f.db.GetTrigger(ctx, tr.ID)
		if err != nil || len(got.Attached) != 1 || got.Attached[0].ID != second.ID || got.Sources[source.ID] == nil || got.Attached[0].Build != nil {
			t.Fatalf("attached: %+v %v", got, err)
		}
		page, err := f.db.ListSnapshots(ctx, mustList(t, filter.Snapshots, ""), ProjectScope{ProjectID: f.project.ID}, SnapshotFlags{TriggerID: &tr.ID})
		if err != nil || page.Total != 1 || page.Items[0].ID != source.ID {
			t.Fatalf("snapshots of the trigger: %+v %v (other %s)", page, err, other.ID)
		}
		if err := f.db.DetachTriggerSnapshot(ctx, tr.ID, source.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.db.DetachTriggerSnapshot(ctx, tr.ID, source.ID); zen.ErrorCode(err) != zen.ENotFound {
			t.Fatalf("detaching twice: %v", err)
		}
		if err := f.db.DeleteTrigger(ctx, tr.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := f.db.AttachTriggerSnapshot(ctx, tr.ID, first.ID, nil); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("attaching to an archived trigger: %v", err)
		}
	})
}
