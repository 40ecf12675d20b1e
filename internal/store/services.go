package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/zen"
)

// Service is zen.Service: the store's callers name it here.
type Service = zen.Service

const serviceSelect = `sv.id, sv.project_id, sv.user_id, sv.model_version_id, sv.pipeline_run_id, sv.name, sv.service_type, sv.type, sv.flavor,
	sv.service_source, sv.admin_state, sv.state, sv.prediction_url, sv.health_check_url, sv.pipeline_name, sv.pipeline_step_name,
	sv.config, sv.labels, sv.status, sv.endpoint, sv.created, sv.updated`

func scanService(row interface{ Scan(...any) error }) (*Service, error) {
	s := &Service{}
	err := row.Scan(dbID{&s.ID}, dbID{&s.ProjectID}, dbIDPtr{&s.UserID}, dbIDPtr{&s.ModelVersionID}, dbIDPtr{&s.PipelineRunID}, &s.Name,
		dbJSON{&s.ServiceType, "{}"}, &s.Type, &s.Flavor, &s.ServiceSource, &s.AdminState, &s.State, &s.PredictionURL, &s.HealthCheckURL,
		&s.PipelineName, &s.PipelineStepName, dbJSON{&s.Config, "{}"}, dbJSON{&s.Labels, ""}, dbJSON{&s.Status, ""}, dbJSON{&s.Endpoint, ""},
		dbTime{&s.Created}, dbTime{&s.Updated})
	return s, err
}

var serviceRelations = []relation[*Service]{
	withUsers(ref[*Service, *zen.User]{func(s *Service) *uuid.UUID { return s.UserID }, func(s *Service, u *zen.User) { s.User = u }}),
	withRows((*Tx).runRows, ref[*Service, *zen.Run]{func(s *Service) *uuid.UUID { return s.PipelineRunID }, func(s *Service, r *zen.Run) { s.PipelineRun = r }}),
	withRows((*Tx).modelVersionRows, ref[*Service, *zen.ModelVersion]{func(s *Service) *uuid.UUID { return s.ModelVersionID },
		func(s *Service, v *zen.ModelVersion) { s.ModelVersion = v }}),
}

// runRows loads runs without their relations, as other resources show
// them.
func (tx *Tx) runRows(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*zen.Run, error) {
	return byIDs(ctx, tx, `SELECT `+runSelect+` FROM pipeline_runs r WHERE r.id`, ids,
		func(r interface{ Scan(...any) error }) (*zen.Run, error) { return scanRun(r) },
		func(r *zen.Run) uuid.UUID { return r.ID })
}

func serviceNotFound(id uuid.UUID) error {
	return zen.NotFound("Unable to get service with ID '%s': No service with this ID found", id)
}

func (tx *Tx) getService(ctx context.Context, id uuid.UUID) (*Service, error) {
	return getRow(ctx, tx, `SELECT `+serviceSelect+` FROM services sv WHERE sv.id = ?`, []any{hexID(id)}, scanService, serviceNotFound(id), serviceRelations)
}

// GetService finds a service by id.
func (db *DB) GetService(ctx context.Context, id uuid.UUID) (*Service, error) {
	return readByID(ctx, db, id, (*Tx).getService)
}

// serviceConfigHash is the key of the reference's one uniqueness rule:
// a configuration, as the text Python's json.dumps writes for it, is used
// by at most one service in all projects.
func serviceConfigHash(config json.RawMessage) (string, error) {
	text, err := jsonobj.PyDumps(config)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:]), nil
}

// emptyAsNull is how the reference keeps optional objects: an empty one
// is stored as none.
func emptyAsNull(raw json.RawMessage) any {
	o, err := jsonobj.Parse(raw)
	if err != nil || len(o.Keys()) == 0 {
		return nil
	}
	return string(raw)
}

// serviceState is the state a status object carries, the reference's
// `status.get("state") if status else None`.
func serviceState(status json.RawMessage) *string {
	var s struct {
		State *string `json:"state"`
	}
	if emptyAsNull(status) == nil || json.Unmarshal(status, &s) != nil {
		return nil
	}
	return s.State
}

// checkServiceState refuses a status whose state is not a service state.
// The reference stores such a status and then fails to answer for the
// service (its response model refuses the state), on every read, until
// the row is fixed in the database; zengo refuses it before writing, with
// the same answer.
func checkServiceState(status json.RawMessage) error {
	o, err := jsonobj.Parse(status)
	if err != nil || emptyAsNull(status) == nil {
		return nil
	}
	raw, ok := o.Get("state")
	var state string
	if !ok || string(raw) == "null" || json.Unmarshal(raw, &state) == nil && slices.Contains(zen.ServiceStates, state) {
		return nil
	}
	var v any
	json.Unmarshal(raw, &v)
	input, typ := string(raw), "dict"
	switch x := v.(type) {
	case string:
		input, typ = zen.PyRepr(x), "str"
	case bool:
		input, typ = map[bool]string{true: "True", false: "False"}[x], "bool"
	case float64:
		typ = "float"
		if !strings.ContainsAny(input, ".eE") {
			typ = "int"
		}
	case []any:
		typ = "list"
	}
	quoted := make([]string, len(zen.ServiceStates))
	for i, st := range zen.ServiceStates {
		quoted[i] = "'" + st + "'"
	}
	expected := strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
	return zen.Errorf(zen.EUnprocessable, "1 validation error for ServiceResponseBody\nstate\n  Input should be %s [type=enum, input_value=%s, input_type=%s]\n"+
		"    For further information visit https://errors.pydantic.dev/2.12/v/enum", expected, input, typ)
}

// configString reads a text entry of a configuration (pipeline_name,
// pipeline_step_name), or nil.
func configString(config json.RawMessage, key string) *string {
	o, err := jsonobj.Parse(config)
	if err != nil {
		return nil
	}
	raw, ok := o.Get(key)
	var s string
	if !ok || json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return &s
}

// checkRef answers the reference's 404 for a referenced row (run, model
// version) that is not in the project; projectLabel is how the message
// names the project.
func (tx *Tx) checkRef(ctx context.Context, table, what, verb string, id *uuid.UUID, projectID uuid.UUID, projectLabel string) error {
	if id == nil {
		return nil
	}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE id = ? AND project_id = ?`, hexID(*id), hexID(projectID)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return zen.NotFound("The %s with ID %s referenced by the %s was not found in the '%s' project", what, *id, verb, projectLabel)
	}
	return nil
}

// CreateService stores a service: its configuration must be unused (in
// any project), its run and model version must be in its project.
func (db *DB) CreateService(ctx context.Context, s Service) (*Service, error) {
	hash, err := serviceConfigHash(s.Config)
	if err != nil {
		return nil, err
	}
	var out *Service
	err = db.write(ctx, func(tx *Tx) error {
		var taken int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM services WHERE config_hash = ?`, hash).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return zen.Errorf(zen.EConflict, "Unable to create service '%s' with the given configuration: A service with the same configuration already exists.", s.Name)
		}
		project := s.ProjectID.String()
		if err := tx.checkRef(ctx, "pipeline_runs", "pipeline run", "service being created", s.PipelineRunID, s.ProjectID, project); err != nil {
			return err
		}
		if err := tx.checkRef(ctx, "model_versions", "model version", "service being created", s.ModelVersionID, s.ProjectID, project); err != nil {
			return err
		}
		if err := checkServiceState(s.Status); err != nil {
			return err
		}
		s.ID = uuid.New()
		if _, err := tx.exec(ctx, `INSERT INTO services (id, project_id, user_id, name, service_type, type, flavor, service_source, admin_state,
			state, config, config_hash, labels, status, endpoint, prediction_url, health_check_url, pipeline_name, pipeline_step_name,
			model_version_id, pipeline_run_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			hexID(s.ID), hexID(s.ProjectID), hexIDPtr(s.UserID), s.Name, string(s.ServiceType), s.Type, s.Flavor, s.ServiceSource, s.AdminState,
			serviceState(s.Status), string(s.Config), hash, emptyAsNull(s.Labels), emptyAsNull(s.Status), emptyAsNull(s.Endpoint),
			s.PredictionURL, s.HealthCheckURL, configString(s.Config, "pipeline_name"), configString(s.Config, "pipeline_step_name"),
			hexIDPtr(s.ModelVersionID), hexIDPtr(s.PipelineRunID), tx.now.Micros(), tx.now.Micros()); err != nil {
			return err
		}
		out, err = tx.getService(ctx, s.ID)
		return err
	})
	return out, err
}

// ServiceUpdate changes what a client may change of a service; nil fields
// (absent or null) are left as they are.
type ServiceUpdate struct {
	Name, AdminState, ServiceSource, PredictionURL, HealthCheckURL *string
	Labels, Status, Endpoint                                       json.RawMessage
	ModelVersionID                                                 *uuid.UUID
}

// UpdateService applies an update. An empty labels, status or endpoint
// object clears it; an empty status clears the state too.
func (db *DB) UpdateService(ctx context.Context, id uuid.UUID, up ServiceUpdate) (*Service, error) {
	var out *Service
	err := db.write(ctx, func(tx *Tx) error {
		s, err := tx.getService(ctx, id)
		if err != nil {
			return err
		}
		if up.ModelVersionID != nil {
			var project string
			if err := tx.queryRow(ctx, `SELECT name FROM projects WHERE id = ?`, hexID(s.ProjectID)).Scan(&project); err != nil {
				return err
			}
			if err := tx.checkRef(ctx, "model_versions", "model version", "service schema being updated", up.ModelVersionID, s.ProjectID, project); err != nil {
				return err
			}
		}
		if err := checkServiceState(up.Status); err != nil {
			return err
		}
		var set conditions
		texts := []struct {
			col string
			v   *string
		}{{"name", up.Name}, {"admin_state", up.AdminState}, {"service_source", up.ServiceSource},
			{"prediction_url", up.PredictionURL}, {"health_check_url", up.HealthCheckURL}}
		for _, t := range texts {
			if t.v != nil {
				set.addSQL(t.col+" = ?", *t.v)
			}
		}
		objects := []struct {
			col string
			v   json.RawMessage
		}{{"labels", up.Labels}, {"status", up.Status}, {"endpoint", up.Endpoint}}
		for _, o := range objects {
			if o.v != nil {
				set.addSQL(o.col+" = ?", emptyAsNull(o.v))
			}
		}
		if up.Status != nil {
			set.addSQL("state = ?", serviceState(up.Status))
		}
		if up.ModelVersionID != nil {
			set.addSQL("model_version_id = ?", hexID(*up.ModelVersionID))
		}
		set.addSQL("updated = ?", tx.now.Micros())
		if _, err := tx.updateByID(ctx, "services", id, set); err != nil {
			return err
		}
		out, err = tx.getService(ctx, id)
		return err
	})
	return out, err
}

// DeleteService removes a service.
func (db *DB) DeleteService(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		n, err := tx.deleteCascading(ctx, "services", "id = ?", hexID(id))
		if err == nil && n == 0 {
			return serviceNotFound(id)
		}
		return err
	})
}

var serviceFilterColumns = func() map[string]column {
	cols := baseColumns("sv")
	for _, c := range []string{"name", "type", "flavor"} {
		cols[c] = column{expr: "sv." + c, typ: filter.String}
	}
	for _, c := range []string{"pipeline_name", "pipeline_step_name"} {
		cols[c] = column{expr: "sv." + c, typ: filter.String, nullable: true}
	}
	for _, c := range []string{"model_version_id", "pipeline_run_id"} {
		cols[c] = column{expr: "sv." + c, typ: filter.UUID, nullable: true}
	}
	return cols
}()

// ListServices lists a project's services.
func (db *DB) ListServices(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*Service], error) {
	spec := &listSpec{from: "services sv", alias: "sv", columns: serviceFilterColumns,
		custom:   db.dialect.userScopedCustom("sv.user_id", nil),
		sortKeys: map[string]sortKey{"user": userSortKey("sv.user_id")}}
	return listRows(ctx, db, spec, l, scope.clauses("sv"), serviceSelect, scanService, func(ctx context.Context, tx *Tx, items []*Service) error {
		return loadRelations(ctx, tx, items, serviceRelations)
	})
}
