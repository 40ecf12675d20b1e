package importer

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"zengo/internal/store"
)

// The foundation: projects, users and service accounts with their API
// keys, flavors, secrets, service connectors, stack components and stacks,
// code repositories and OAuth2 devices.
func foundationTables() []*table {
	return []*table{
		{
			source:  "project",
			key:     cols("id"),
			targets: map[string][]string{"projects": cols("id", "name", "display_name", "description", "metadata", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("projects", r.id("id"), r.text("name"), r.text("display_name"), r.text("description"),
					r.textOr("project_metadata", "{}"), r.at("created"), r.at("updated")), nil
			},
			verify: "projects",
		},
		{
			// Password and API-key hashes are bcrypt on ZenML; zengo checks
			// bcrypt hashes as they are, so the same password logs in.
			source: "user",
			key:    cols("id"),
			targets: map[string][]string{"users": cols("id", "name", "is_service_account", "full_name", "description", "email", "email_opted_in",
				"password_hash", "password_changed", "activation_token_hash", "active", "is_admin", "external_user_id", "user_metadata",
				"avatar_url", "default_project_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("users", r.id("id"), r.text("name"), r.flag("is_service_account"), r.text("full_name"), r.str("description"),
					r.str("email"), r.boolean("email_opted_in"), r.str("password"), r.micros("password_changed_at"), r.str("activation_token"),
					r.flag("active"), r.flag("is_admin"), r.id("external_user_id"), r.textOr("user_metadata", "{}"), r.str("avatar_url"),
					r.id("default_project_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "users",
		},
		{
			source: "api_key",
			key:    cols("id"),
			targets: map[string][]string{"api_keys": cols("id", "service_account_id", "name", "description", "key_hash", "previous_key_hash",
				"retain_period_minutes", "key_gen", "active", "last_login", "last_rotated", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("api_keys", r.id("id"), r.id("service_account_id"), r.text("name"), r.text("description"), r.text("key"),
					r.str("previous_key"), r.integer("retain_period"), r.integer("key_generation"), r.flag("active"), r.micros("last_login"),
					r.micros("last_rotated"), r.at("created"), r.at("updated")), nil
			},
			verify: "api_keys",
		},
		{
			// The source's flavors, built-in ones included, replace zengo's
			// catalogue on a fresh import (they keep their ids). On a merge,
			// built-in flavors the target has already are skipped.
			source: "flavor",
			key:    cols("id"),
			targets: map[string][]string{"flavors": cols("id", "name", "type", "display_name", "integration", "source", "logo_url", "is_custom",
				"config_schema", "connector_type", "connector_resource_type", "connector_resource_id_attr", "docs_url", "sdk_docs_url",
				"user_id", "created", "updated")},
			convert: func(im *Importer, r row, _ any) ([]store.ImportRow, error) {
				if im.cfg.Merge && !r.flag("is_custom") {
					return nil, errSkip
				}
				return one("flavors", r.id("id"), r.text("name"), r.text("type"), r.str("display_name"), r.str("integration"), r.text("source"),
					r.str("logo_url"), r.flag("is_custom"), r.textOr("config_schema", "{}"), r.str("connector_type"),
					r.str("connector_resource_type"), r.str("connector_resource_id_attr"), r.str("docs_url"), r.str("sdk_docs_url"),
					r.id("user_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "flavors",
		},
		{
			// Values are decrypted with the source's key and sealed with
			// zengo's (the key of the target store).
			source:  "secret",
			key:     cols("id"),
			targets: map[string][]string{"secrets": cols("id", "user_id", "name", "private", "internal", "name_scope", "secret_values", "created", "updated")},
			convert: func(im *Importer, r row, _ any) ([]store.ImportRow, error) {
				plain, err := im.openSecret(r.text("values"))
				if err != nil {
					return nil, err
				}
				id, err := uuid.Parse(r.text("id"))
				if err != nil {
					return nil, err
				}
				sealed, err := im.target.SealImportedSecret(id, plain)
				if err != nil {
					return nil, err
				}
				scope := ""
				if r.flag("private") {
					scope, _ = r.id("user_id").(string)
				}
				return one("secrets", r.id("id"), r.id("user_id"), r.text("name"), r.flag("private"), r.flag("internal"), scope, sealed,
					r.at("created"), r.at("updated")), nil
			},
			verify: "secrets",
		},
		{
			source: "service_connector",
			key:    cols("id"),
			targets: map[string][]string{"service_connectors": cols("id", "name", "connector_type", "description", "auth_method", "resource_types",
				"resource_id", "supports_instances", "configuration", "secret_id", "expires_at", "expires_skew_tolerance", "expiration_seconds",
				"labels", "user_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("service_connectors", r.id("id"), r.text("name"), r.text("connector_type"), r.text("description"), r.text("auth_method"),
					r.blobJSONOr("resource_types", "[]"), r.str("resource_id"), r.flag("supports_instances"), r.blobJSON("configuration"),
					r.id("secret_id"), r.micros("expires_at"), r.integer("expires_skew_tolerance"), r.integer("expiration_seconds"),
					r.blobJSON("labels"), r.id("user_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "service_connectors",
		},
		{
			source: "stack_component",
			key:    cols("id"),
			targets: map[string][]string{"components": cols("id", "name", "type", "flavor_name", "configuration", "labels", "environment",
				"connector_id", "connector_resource_id", "user_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("components", r.id("id"), r.text("name"), r.text("type"), r.text("flavor"), r.blobJSONOr("configuration", "{}"),
					r.blobJSON("labels"), r.blobJSONOr("environment", "{}"), r.id("connector_id"), r.str("connector_resource_id"),
					r.id("user_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "components",
		},
		{
			source:  "stack",
			key:     cols("id"),
			targets: map[string][]string{"stacks": cols("id", "name", "description", "stack_spec_path", "labels", "environment", "user_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("stacks", r.id("id"), r.text("name"), r.str("description"), r.str("stack_spec_path"), r.blobJSONOr("labels", "{}"),
					r.blobJSONOr("environment", "{}"), r.id("user_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "stacks",
		},
		{
			// A stack lists each type's default first, then the others; the
			// source keeps no order among the others, so they follow by id.
			source:     "stack_composition",
			key:        cols("stack_id", "component_id"),
			selectList: "t.stack_id, t.component_id, t.default_for_type, (SELECT COUNT(*) FROM stack_composition s2 WHERE s2.stack_id = t.stack_id AND s2.component_id < t.component_id) AS list_index",
			targets:    map[string][]string{"stack_components": cols("stack_id", "component_id", "default_for_type", "list_index")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("stack_components", r.id("stack_id"), r.id("component_id"), r.str("default_for_type"), r.integer("list_index")), nil
			},
			verify: "stack_components",
		},
		{
			source:  "code_repository",
			key:     cols("id"),
			targets: map[string][]string{"code_repositories": cols("id", "name", "project_id", "user_id", "config", "source", "logo_url", "description", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("code_repositories", r.id("id"), r.text("name"), r.id("project_id"), r.id("user_id"), r.textOr("config", "{}"),
					r.text("source"), r.str("logo_url"), r.str("description"), r.at("created"), r.at("updated")), nil
			},
			verify: "code_repositories",
		},
		{
			// The user and device codes are bcrypt hashes on ZenML, which
			// zengo does not read: a device still pending authorization must
			// start again; verified and active devices keep working.
			source: "auth_devices",
			key:    cols("id"),
			targets: map[string][]string{"auth_devices": cols("id", "client_id", "user_code_hash", "device_code_hash", "status", "failed_auth_attempts",
				"expires", "last_login", "trusted_device", "os", "ip_address", "hostname", "python_version", "zenml_version", "city", "region",
				"country", "user_id", "created", "updated")},
			convert: func(_ *Importer, r row, _ any) ([]store.ImportRow, error) {
				return one("auth_devices", r.id("id"), r.id("client_id"), r.text("user_code"), r.text("device_code"), r.text("status"),
					r.integer("failed_auth_attempts"), r.micros("expires"), r.micros("last_login"), r.flag("trusted_device"), r.str("os"),
					r.str("ip_address"), r.str("hostname"), r.str("python_version"), r.str("zenml_version"), r.str("city"), r.str("region"),
					r.str("country"), r.id("user_id"), r.at("created"), r.at("updated")), nil
			},
			verify: "auth_devices",
		},
	}
}

// errSkip marks a row that is deliberately not imported (counted, not an
// error).
var errSkip = errors.New("skipped")

// wrapReject names the column behind a conversion failure.
func wrapReject(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
