package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"zengo/internal/zen"
)

// RunDAG is what a run's DAG is drawn from: the run (its id, status,
// times and snapshot's kind and step configurations only), its step runs (retried attempts left out), every
// artifact they read and wrote, the step metadata asked for, its wait
// conditions and the run's child runs. Loading it takes the same few statements whatever the
// run's size.
type RunDAG struct {
	Run       *zen.Run
	Steps     []DAGStep // by start time
	IO        []DAGArtifact
	Metadata  map[uuid.UUID]map[string]json.RawMessage
	ChildRuns []*zen.Run
	// WaitConditions are the run's wait conditions, oldest first.
	WaitConditions []*RunWaitCondition
}

// DAGStep is a step run as the DAG shows it.
type DAGStep struct {
	ID                 uuid.UUID
	Name, Status       string
	StartTime, EndTime *zen.Time
	// DynamicConfig is the step's own configuration in a dynamic pipeline.
	DynamicConfig json.RawMessage
}

// DAGArtifact is one input or output of a step run.
type DAGArtifact struct {
	StepID            uuid.UUID
	Output            bool
	Name              string
	Position          int
	InputType         *string
	ArtifactVersionID uuid.UUID
	Type, SaveType    string
	DataType          json.RawMessage
}

// GetRunDAG loads a run's DAG data; metadataKeys, if any, selects the
// step metadata to include.
func (db *DB) GetRunDAG(ctx context.Context, runID uuid.UUID, metadataKeys []string) (*RunDAG, error) {
	out := &RunDAG{}
	err := db.read(ctx, func(tx *Tx) error {
		var err error
		if out.Run, err = tx.runForDAG(ctx, runID); err != nil {
			return err
		}
		err = tx.each(ctx, `SELECT id, name, status, start_time, end_time, dynamic_config FROM step_runs
			WHERE pipeline_run_id = ? AND status <> 'retried' ORDER BY start_time, created, id`, []any{hexID(runID)}, func(rows *sql.Rows) error {
			var st DAGStep
			if err := rows.Scan(dbID{&st.ID}, &st.Name, &st.Status, dbTimePtr{&st.StartTime}, dbTimePtr{&st.EndTime}, dbJSON{&st.DynamicConfig, ""}); err != nil {
				return err
			}
			out.Steps = append(out.Steps, st)
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.each(ctx, `SELECT sra.step_run_id, sra.direction, sra.name, sra.position, sra.input_type, av.id, av.type, av.save_type, av.data_type
			FROM step_run_artifacts sra JOIN step_runs st ON st.id = sra.step_run_id JOIN artifact_versions av ON av.id = sra.artifact_version_id
			WHERE st.pipeline_run_id = ? AND st.status <> 'retried' ORDER BY sra.step_run_id, sra.direction, sra.name, sra.position`, []any{hexID(runID)}, func(rows *sql.Rows) error {
			var a DAGArtifact
			var direction string
			if err := rows.Scan(dbID{&a.StepID}, &direction, &a.Name, &a.Position, &a.InputType, dbID{&a.ArtifactVersionID},
				&a.Type, &a.SaveType, dbJSON{&a.DataType, "null"}); err != nil {
				return err
			}
			a.Output = direction == "output"
			out.IO = append(out.IO, a)
			return nil
		})
		if err != nil {
			return err
		}
		if len(metadataKeys) > 0 && len(out.Steps) > 0 {
			args := []any{hexID(runID)}
			for _, k := range metadataKeys {
				args = append(args, k)
			}
			out.Metadata = map[uuid.UUID]map[string]json.RawMessage{}
			err = tx.each(ctx, `SELECT rm.resource_id, rm.mkey, rm.value FROM run_metadata rm JOIN step_runs st ON st.id = rm.resource_id
				WHERE rm.resource_type = 'step_run' AND st.pipeline_run_id = ? AND rm.mkey IN (`+placeholders(len(metadataKeys))+`)
				ORDER BY rm.created, rm.id`, args, func(rows *sql.Rows) error {
				var id uuid.UUID
				var key, value string
				if err := rows.Scan(dbID{&id}, &key, &value); err != nil {
					return err
				}
				if out.Metadata[id] == nil {
					out.Metadata[id] = map[string]json.RawMessage{}
				}
				out.Metadata[id][key] = json.RawMessage(value)
				return nil
			})
			if err != nil {
				return err
			}
		}
		err = tx.each(ctx, `SELECT `+waitConditionSelect+` FROM run_wait_conditions wc WHERE wc.run_id = ? ORDER BY wc.created, wc.id`, []any{hexID(runID)}, func(rows *sql.Rows) error {
			c, err := scanWaitCondition(rows)
			if err != nil {
				return err
			}
			out.WaitConditions = append(out.WaitConditions, c)
			return nil
		})
		if err != nil {
			return err
		}
		return tx.each(ctx, `SELECT `+runSelect+` FROM pipeline_runs r WHERE r.parent_run_id = ? ORDER BY r.created, r.id`, []any{hexID(runID)}, func(rows *sql.Rows) error {
			r, err := scanRun(rows)
			if err != nil {
				return err
			}
			out.ChildRuns = append(out.ChildRuns, r)
			return nil
		})
	})
	return out, err
}

// runForDAG reads what the DAG shows of a run, with its snapshot's kind
// and step configurations, in one statement (a run page polls its DAG
// every 3 s; the run's other resources are not part of it).
func (tx *Tx) runForDAG(ctx context.Context, id uuid.UUID) (*zen.Run, error) {
	r := &zen.Run{}
	var snapshotID *uuid.UUID
	var dynamic sql.NullBool
	var configs sql.NullString
	err := tx.queryRow(ctx, `SELECT r.id, r.status, r.start_time, r.created, s.id, s.is_dynamic, s.step_configurations
		FROM pipeline_runs r LEFT JOIN pipeline_snapshots s ON s.id = r.snapshot_id WHERE r.id = ?`, hexID(id)).
		Scan(dbID{&r.ID}, &r.Status, dbTimePtr{&r.StartTime}, dbTime{&r.Created}, dbIDPtr{&snapshotID}, &dynamic, &configs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, zen.NotFound("Unable to get pipeline run with ID '%s': No pipeline run with this ID found", id)
	}
	if err != nil {
		return nil, err
	}
	if snapshotID != nil {
		r.SnapshotID = *snapshotID
		cfg := configs.String
		if cfg == "" {
			cfg = "{}"
		}
		r.Snapshot = &zen.Snapshot{ID: *snapshotID, IsDynamic: dynamic.Bool, StepConfigurations: json.RawMessage(cfg)}
	}
	return r, nil
}
