package store

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"zengo/internal/filter"
	"zengo/internal/zen"
)

// Deployment is a snapshot served by a deployer component.
type Deployment struct {
	ID, ProjectID                  uuid.UUID
	UserID, SnapshotID, DeployerID *uuid.UUID
	Name, Status                   string
	URL, AuthKey                   *string
	Metadata                       json.RawMessage
	Created, Updated               zen.Time
	User                           *zen.User
	Snapshot                       *zen.Snapshot // with its pipeline and stack
	Deployer                       *zen.Component
	Tags                           []*zen.Tag
	Visualizations                 []*zen.CuratedVisualization
}

const deploymentSelect = `d.id, d.project_id, d.user_id, d.snapshot_id, d.deployer_id, d.name, d.status, d.url, d.auth_key,
	d.deployment_metadata, d.created, d.updated`

func scanDeployment(row interface{ Scan(...any) error }) (*Deployment, error) {
	d := &Deployment{}
	err := row.Scan(dbID{&d.ID}, dbID{&d.ProjectID}, dbIDPtr{&d.UserID}, dbIDPtr{&d.SnapshotID}, dbIDPtr{&d.DeployerID}, &d.Name,
		&d.Status, &d.URL, &d.AuthKey, dbJSON{&d.Metadata, "{}"}, dbTime{&d.Created}, dbTime{&d.Updated})
	return d, err
}

var deploymentLinks = polymorphic[*Deployment]{"deployment", func(d *Deployment) uuid.UUID { return d.ID }}

var deploymentRelations = []relation[*Deployment]{
	withUsers(ref[*Deployment, *zen.User]{func(d *Deployment) *uuid.UUID { return d.UserID }, func(d *Deployment, u *zen.User) { d.User = u }}),
	withRows((*Tx).snapshotsWithResources, ref[*Deployment, *zen.Snapshot]{func(d *Deployment) *uuid.UUID { return d.SnapshotID },
		func(d *Deployment, s *zen.Snapshot) { d.Snapshot = s }}),
	withRows((*Tx).componentsByID, ref[*Deployment, *zen.Component]{func(d *Deployment) *uuid.UUID { return d.DeployerID },
		func(d *Deployment, c *zen.Component) { d.Deployer = c }}),
	withTags(deploymentLinks, func(d *Deployment, tags []*zen.Tag) { d.Tags = tags }),
	withCurated(deploymentLinks, func(d *Deployment, v []*zen.CuratedVisualization) { d.Visualizations = v }),
}

func (tx *Tx) getDeployment(ctx context.Context, id uuid.UUID) (*Deployment, error) {
	return getRow(ctx, tx, `SELECT `+deploymentSelect+` FROM deployments d WHERE d.id = ?`, []any{hexID(id)}, scanDeployment, zen.NotFound("Unable to get deployment with ID '%s': No deployment with this ID found", id), deploymentRelations)
}

// GetDeployment finds a deployment by id.
func (db *DB) GetDeployment(ctx context.Context, id uuid.UUID) (*Deployment, error) {
	return readByID(ctx, db, id, (*Tx).getDeployment)
}

// snapshotInProject answers the reference's 404 for a snapshot that a
// deployment names but its project lacks; where is the project as the
// message shows it.
func (tx *Tx) snapshotInProject(ctx context.Context, id, projectID uuid.UUID, what, where string) error {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM pipeline_snapshots WHERE id = ? AND project_id = ?`, hexID(id), hexID(projectID)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return zen.NotFound("The pipeline snapshot with ID %s referenced by the %s was not found in the '%s' project", id, what, where)
	}
	return nil
}

// CreateDeployment stores a deployment (status unknown, no metadata yet).
// The deployer may be any component, as on the reference.
func (db *DB) CreateDeployment(ctx context.Context, d Deployment, tags []TagRef) (*Deployment, error) {
	var out *Deployment
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.checkName(ctx, "deployments", "deployment", "create", d.Name, d.ProjectID, uuid.Nil); err != nil {
			return err
		}
		if err := tx.snapshotInProject(ctx, *d.SnapshotID, d.ProjectID, "deployment being created", d.ProjectID.String()); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM components WHERE id = ?`, hexID(*d.DeployerID)).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return zen.NotFound("The deployer with ID %s referenced by the deployment being created was not found", *d.DeployerID)
		}
		d.ID = uuid.New()
		if _, err := tx.exec(ctx, `INSERT INTO deployments (id, project_id, user_id, name, url, status, deployment_metadata, auth_key, snapshot_id,
			deployer_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, hexID(d.ID), hexID(d.ProjectID), hexIDPtr(d.UserID), d.Name,
			nil, "unknown", "{}", d.AuthKey, hexIDPtr(d.SnapshotID), hexIDPtr(d.DeployerID), tx.now.Micros(), tx.now.Micros()); err != nil {
			return err
		}
		if err := tx.attachTags(ctx, "deployment", d.ID, tags, d.UserID); err != nil {
			return err
		}
		// A deployment completes the onboarding, as on the reference.
		if err := tx.markOnboarding(ctx, "pipeline_deployed", "oss_onboarding_completed", "pro_onboarding_completed"); err != nil {
			return err
		}
		var err error
		out, err = tx.getDeployment(ctx, d.ID)
		return err
	})
	return out, err
}

// DeploymentUpdate changes a deployment; nil fields stay as they are.
type DeploymentUpdate struct {
	Name, URL, Status, AuthKey *string
	SnapshotID                 *uuid.UUID
	Metadata                   json.RawMessage
	AddTags, RemoveTags        []TagRef
	UserID                     *uuid.UUID
}

// UpdateDeployment applies an update.
func (db *DB) UpdateDeployment(ctx context.Context, id uuid.UUID, up DeploymentUpdate) (*Deployment, error) {
	var out *Deployment
	err := db.write(ctx, func(tx *Tx) error {
		d, err := tx.getDeployment(ctx, id)
		if err != nil {
			return err
		}
		var set conditions
		set.addSQL("updated = ?", tx.now.Micros())
		if up.Name != nil {
			if err := tx.checkName(ctx, "deployments", "deployment", "update", *up.Name, d.ProjectID, id); err != nil {
				return err
			}
			set.addSQL("name = ?", *up.Name)
		}
		if up.SnapshotID != nil {
			var project string
			if err := tx.queryRow(ctx, `SELECT name FROM projects WHERE id = ?`, hexID(d.ProjectID)).Scan(&project); err != nil {
				return err
			}
			if err := tx.snapshotInProject(ctx, *up.SnapshotID, d.ProjectID, "deployment schema being updated", project); err != nil {
				return err
			}
			set.addSQL("snapshot_id = ?", hexID(*up.SnapshotID))
		}
		for col, v := range map[string]*string{"url": up.URL, "status": up.Status, "auth_key": up.AuthKey} {
			if v != nil {
				set.addSQL(col+" = ?", *v)
			}
		}
		if up.Metadata != nil {
			set.addSQL("deployment_metadata = ?", string(up.Metadata))
		}
		if _, err := tx.updateByID(ctx, "deployments", id, set); err != nil {
			return err
		}
		if err := tx.retag(ctx, "deployment", id, up.AddTags, up.RemoveTags, up.UserID); err != nil {
			return err
		}
		out, err = tx.getDeployment(ctx, id)
		return err
	})
	return out, err
}

// DeleteDeployment removes a deployment.
func (db *DB) DeleteDeployment(ctx context.Context, id uuid.UUID) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.getDeployment(ctx, id); err != nil {
			return err
		}
		_, err := tx.deleteCascading(ctx, "deployments", "id = ?", hexID(id))
		return err
	})
}

var deploymentFilterColumns = func() map[string]column {
	cols := baseColumns("d")
	cols["name"] = column{expr: "d.name", typ: filter.String}
	cols["url"] = column{expr: "d.url", typ: filter.String, nullable: true}
	cols["status"] = column{expr: "d.status", typ: filter.String}
	cols["snapshot_id"] = column{expr: "d.snapshot_id", typ: filter.UUID, nullable: true}
	cols["deployer_id"] = column{expr: "d.deployer_id", typ: filter.UUID, nullable: true}
	return cols
}()

// ListDeployments lists a project's deployments.
func (db *DB) ListDeployments(ctx context.Context, l *filter.List, scope ProjectScope) (*zen.Page[*Deployment], error) {
	dl := db.dialect
	custom := func(c filter.Condition) (clause, bool) {
		if c.Field != "pipeline" {
			return clause{}, false
		}
		m := dl.nameOrIDMatch("fp", c)
		return clause{"EXISTS (SELECT 1 FROM pipeline_snapshots fs JOIN pipelines fp ON fp.id = fs.pipeline_id WHERE fs.id = d.snapshot_id AND " + m.sql + ")", m.args}, true
	}
	spec := &listSpec{from: "deployments d", alias: "d", columns: deploymentFilterColumns,
		custom: dl.userScopedCustom("d.user_id", dl.tagsCustom("d.id", "deployment", custom)),
		sortKeys: map[string]sortKey{
			"user":     userSortKey("d.user_id"),
			"tags":     dl.tagsSortKey("d.id", "deployment"),
			"snapshot": {expr: "(SELECT ss.name FROM pipeline_snapshots ss WHERE ss.id = d.snapshot_id)", nullable: true},
			"pipeline": {expr: "(SELECT sp.name FROM pipeline_snapshots ss JOIN pipelines sp ON sp.id = ss.pipeline_id WHERE ss.id = d.snapshot_id)", nullable: true},
		}}
	return listRows(ctx, db, spec, l, scope.clauses("d"), deploymentSelect, scanDeployment, func(ctx context.Context, tx *Tx, items []*Deployment) error {
		return loadRelations(ctx, tx, items, deploymentRelations)
	})
}
