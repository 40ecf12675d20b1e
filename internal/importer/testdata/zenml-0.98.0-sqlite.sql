-- The schema ZenML 0.98.0 creates on SQLite (sqlite3 .schema of a database
-- the reference server made), for the importer's tests.
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE project (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	display_name VARCHAR NOT NULL, 
	description VARCHAR NOT NULL, 
	project_metadata VARCHAR(16777215), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_project_name UNIQUE (name)
);
CREATE TABLE server_settings (
	id CHAR(32) NOT NULL, 
	server_name VARCHAR NOT NULL, 
	logo_url VARCHAR, 
	active BOOLEAN NOT NULL, 
	enable_analytics BOOLEAN NOT NULL, 
	display_announcements BOOLEAN, 
	display_updates BOOLEAN, 
	onboarding_state TEXT, 
	last_user_activity DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE user (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	is_service_account BOOLEAN NOT NULL, 
	full_name VARCHAR NOT NULL, 
	description TEXT, 
	email VARCHAR, 
	avatar_url TEXT, 
	active BOOLEAN NOT NULL, 
	password VARCHAR, 
	password_changed_at DATETIME, 
	activation_token VARCHAR, 
	email_opted_in BOOLEAN, 
	external_user_id CHAR(32), 
	is_admin BOOLEAN NOT NULL, 
	user_metadata VARCHAR, 
	oidc_claims JSON, 
	default_project_id CHAR(32), 
	PRIMARY KEY (id), 
	UNIQUE (name, is_service_account), 
	CONSTRAINT fk_user_default_project_id_project FOREIGN KEY(default_project_id) REFERENCES project (id) ON DELETE SET NULL
);
CREATE TABLE api_key (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	description TEXT, 
	"key" VARCHAR NOT NULL, 
	previous_key VARCHAR, 
	key_generation INTEGER NOT NULL, 
	retain_period INTEGER NOT NULL, 
	active BOOLEAN NOT NULL, 
	last_login DATETIME, 
	last_rotated DATETIME, 
	service_account_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_api_key_name_in_service_account UNIQUE (name, service_account_id), 
	CONSTRAINT fk_api_key_service_account_id_user FOREIGN KEY(service_account_id) REFERENCES user (id) ON DELETE CASCADE
);
CREATE TABLE api_transaction (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	method VARCHAR NOT NULL, 
	url TEXT NOT NULL, 
	completed BOOLEAN NOT NULL, 
	expired DATETIME, 
	user_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_api_transaction_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE
);
CREATE INDEX ix_api_transaction_completed_expired ON api_transaction (completed, expired);
CREATE TABLE service_connector (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	connector_type TEXT, 
	description VARCHAR NOT NULL, 
	auth_method TEXT, 
	resource_types BLOB NOT NULL, 
	resource_id TEXT, 
	supports_instances BOOLEAN NOT NULL, 
	configuration BLOB, 
	secret_id CHAR(32), 
	expires_at DATETIME, 
	expires_skew_tolerance INTEGER, 
	expiration_seconds INTEGER, 
	labels BLOB, 
	user_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_service_connector_name UNIQUE (name), 
	CONSTRAINT fk_service_connector_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE stack (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	description VARCHAR, 
	stack_spec_path VARCHAR, 
	labels BLOB, 
	environment BLOB, 
	user_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_stack_name UNIQUE (name), 
	CONSTRAINT fk_stack_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE artifact (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	has_custom_name BOOLEAN NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_artifact_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT fk_artifact_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_artifact_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE code_repository (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	config TEXT NOT NULL, 
	source TEXT NOT NULL, 
	logo_url VARCHAR, 
	description TEXT, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_code_repository_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT fk_code_repository_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_code_repository_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE pipeline (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	description TEXT, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	run_count INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_pipeline_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT fk_pipeline_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_pipeline_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE tag (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	user_id CHAR(32), 
	color VARCHAR(255) NOT NULL, 
	"exclusive" BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_tag_name UNIQUE (name), 
	CONSTRAINT fk_tag_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE auth_devices (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	client_id CHAR(32) NOT NULL, 
	user_code VARCHAR NOT NULL, 
	device_code VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	failed_auth_attempts INTEGER NOT NULL, 
	expires DATETIME, 
	last_login DATETIME, 
	trusted_device BOOLEAN NOT NULL, 
	os VARCHAR, 
	ip_address VARCHAR, 
	hostname VARCHAR, 
	python_version VARCHAR, 
	zenml_version VARCHAR, 
	city VARCHAR, 
	region VARCHAR, 
	country VARCHAR, 
	user_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT fk_auth_devices_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE flavor (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	type VARCHAR NOT NULL, 
	source VARCHAR NOT NULL, 
	display_name VARCHAR, 
	config_schema TEXT NOT NULL, 
	integration VARCHAR, 
	connector_type VARCHAR, 
	connector_resource_type VARCHAR, 
	connector_resource_id_attr VARCHAR, 
	user_id CHAR(32), 
	logo_url VARCHAR, 
	docs_url VARCHAR, 
	sdk_docs_url VARCHAR, 
	is_custom BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_flavor_name_and_type UNIQUE (name, type), 
	CONSTRAINT fk_flavor_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE model (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	license TEXT, 
	description TEXT, 
	audience TEXT, 
	use_cases TEXT, 
	limitations TEXT, 
	trade_offs TEXT, 
	ethics TEXT, 
	save_models_to_registry BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_model_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT fk_model_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_model_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE TABLE secret (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	private BOOLEAN NOT NULL, 
	internal BOOLEAN NOT NULL, 
	"values" VARCHAR(16777215), 
	user_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_secret_name_private_scope_user UNIQUE (name, private, user_id), 
	CONSTRAINT fk_secret_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE
);
CREATE TABLE api_transaction_result (
	id CHAR(32) NOT NULL, 
	result BLOB NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_api_transaction_result_id_api_transaction FOREIGN KEY(id) REFERENCES api_transaction (id) ON DELETE CASCADE
);
CREATE TABLE stack_component (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	type VARCHAR NOT NULL, 
	flavor VARCHAR NOT NULL, 
	configuration BLOB NOT NULL, 
	labels BLOB, 
	environment BLOB, 
	user_id CHAR(32), 
	connector_id CHAR(32), 
	connector_resource_id VARCHAR, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_component_name_and_type UNIQUE (name, type), 
	CONSTRAINT fk_stack_component_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_stack_component_connector_id_service_connector FOREIGN KEY(connector_id) REFERENCES service_connector (id) ON DELETE SET NULL
);
CREATE TABLE code_reference (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	code_repository_id CHAR(32) NOT NULL, 
	"commit" VARCHAR NOT NULL, 
	subdirectory VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_code_reference_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_code_reference_code_repository_id_code_repository FOREIGN KEY(code_repository_id) REFERENCES code_repository (id) ON DELETE CASCADE
);
CREATE TABLE pipeline_build (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	user_id CHAR(32), 
	project_id CHAR(32) NOT NULL, 
	stack_id CHAR(32), 
	pipeline_id CHAR(32), 
	images VARCHAR(16777215) NOT NULL, 
	is_local BOOLEAN NOT NULL, 
	contains_code BOOLEAN NOT NULL, 
	zenml_version VARCHAR, 
	python_version VARCHAR, 
	checksum VARCHAR, 
	stack_checksum VARCHAR, 
	duration INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_pipeline_build_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_build_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_pipeline_build_stack_id_stack FOREIGN KEY(stack_id) REFERENCES stack (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_build_pipeline_id_pipeline FOREIGN KEY(pipeline_id) REFERENCES pipeline (id) ON DELETE SET NULL
);
CREATE TABLE tag_resource (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	tag_id CHAR(32) NOT NULL, 
	resource_id CHAR(32) NOT NULL, 
	resource_type VARCHAR(255) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_tag_resource_tag_id_tag FOREIGN KEY(tag_id) REFERENCES tag (id) ON DELETE CASCADE
);
CREATE INDEX ix_tag_resource_resource_id_resource_type_tag_id ON tag_resource (resource_id, resource_type, tag_id);
CREATE TABLE model_version (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	model_id CHAR(32) NOT NULL, 
	number INTEGER NOT NULL, 
	description TEXT, 
	stage TEXT, 
	producer_run_id_if_numeric CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_version_number_for_model_id UNIQUE (number, model_id), 
	CONSTRAINT unique_version_for_model_id UNIQUE (name, model_id), 
	CONSTRAINT unique_numeric_version_for_pipeline_run UNIQUE (model_id, producer_run_id_if_numeric), 
	CONSTRAINT fk_model_version_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_model_version_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_model_version_model_id_model FOREIGN KEY(model_id) REFERENCES model (id) ON DELETE CASCADE
);
CREATE TABLE secret_resource (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	secret_id CHAR(32) NOT NULL, 
	resource_id CHAR(32) NOT NULL, 
	resource_type VARCHAR(255) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_secret_resource_secret_id_secret FOREIGN KEY(secret_id) REFERENCES secret (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ix_secret_resource_resource_id_resource_type_secret_id ON secret_resource (resource_id, resource_type, secret_id);
CREATE TABLE webhook (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	secret_id CHAR(32) NOT NULL, 
	webhook_type VARCHAR NOT NULL, 
	active BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_webhook_name_in_project UNIQUE (project_id, name), 
	CONSTRAINT fk_webhook_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_webhook_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_webhook_secret_id_secret FOREIGN KEY(secret_id) REFERENCES secret (id) ON DELETE RESTRICT
);
CREATE INDEX ix_webhook_webhook_type ON webhook (webhook_type);
CREATE TABLE stack_composition (
	stack_id CHAR(32) NOT NULL, 
	component_id CHAR(32) NOT NULL, 
	default_for_type VARCHAR, 
	PRIMARY KEY (stack_id, component_id), 
	CONSTRAINT unique_default_stack_component_type UNIQUE (stack_id, default_for_type), 
	CONSTRAINT fk_stack_composition_stack_id_stack FOREIGN KEY(stack_id) REFERENCES stack (id) ON DELETE CASCADE, 
	CONSTRAINT fk_stack_composition_component_id_stack_component FOREIGN KEY(component_id) REFERENCES stack_component (id) ON DELETE CASCADE
);
CREATE TABLE artifact_version (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	version VARCHAR NOT NULL, 
	version_number INTEGER, 
	type VARCHAR NOT NULL, 
	uri TEXT NOT NULL, 
	materializer TEXT NOT NULL, 
	data_type TEXT NOT NULL, 
	save_type TEXT NOT NULL, 
	content_hash TEXT, 
	item_count INTEGER, 
	artifact_id CHAR(32) NOT NULL, 
	artifact_store_id CHAR(32), 
	user_id CHAR(32), 
	project_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_version_for_artifact_id UNIQUE (version, artifact_id), 
	CONSTRAINT fk_artifact_version_artifact_id_artifact FOREIGN KEY(artifact_id) REFERENCES artifact (id) ON DELETE CASCADE, 
	CONSTRAINT fk_artifact_version_artifact_store_id_stack_component FOREIGN KEY(artifact_store_id) REFERENCES stack_component (id) ON DELETE SET NULL, 
	CONSTRAINT fk_artifact_version_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_artifact_version_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE
);
CREATE INDEX ix_artifact_version_artifact_id_version_number ON artifact_version (artifact_id, version_number);
CREATE TABLE schedule (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	pipeline_id CHAR(32), 
	orchestrator_id CHAR(32), 
	active BOOLEAN NOT NULL, 
	cron_expression VARCHAR, 
	start_time DATETIME, 
	end_time DATETIME, 
	interval_second FLOAT, 
	catchup BOOLEAN NOT NULL, 
	run_once_start_time DATETIME, 
	is_archived BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_schedule_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT fk_schedule_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_schedule_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_schedule_pipeline_id_pipeline FOREIGN KEY(pipeline_id) REFERENCES pipeline (id) ON DELETE CASCADE, 
	CONSTRAINT fk_schedule_orchestrator_id_stack_component FOREIGN KEY(orchestrator_id) REFERENCES stack_component (id) ON DELETE SET NULL
);
CREATE TABLE webhook_stats (
	webhook_id CHAR(32) NOT NULL, 
	received_count INTEGER NOT NULL, 
	accepted_count INTEGER NOT NULL, 
	auth_failed_count INTEGER NOT NULL, 
	invalid_payload_count INTEGER NOT NULL, 
	last_received_at DATETIME, 
	last_accepted_at DATETIME, 
	last_error_at DATETIME, 
	last_error_summary TEXT, 
	PRIMARY KEY (webhook_id), 
	CONSTRAINT fk_webhook_stats_webhook_id_webhook FOREIGN KEY(webhook_id) REFERENCES webhook (id) ON DELETE CASCADE
);
CREATE TABLE webhook_event_payload (
	webhook_id CHAR(32) NOT NULL, 
	delivery_id VARCHAR(255) NOT NULL, 
	created DATETIME NOT NULL, 
	payload BLOB NOT NULL, 
	PRIMARY KEY (webhook_id, delivery_id), 
	CONSTRAINT fk_webhook_event_payload_webhook_id_webhook FOREIGN KEY(webhook_id) REFERENCES webhook (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "trigger" (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	active BOOLEAN NOT NULL, 
	is_archived BOOLEAN NOT NULL, 
	type VARCHAR(20) NOT NULL, 
	flavor VARCHAR(50) NOT NULL, 
	configuration VARCHAR(65535) NOT NULL, 
	concurrency VARCHAR(20) NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	webhook_id CHAR(32), 
	next_occurrence DATETIME, 
	source_entity VARCHAR(255), 
	target_events VARCHAR(65535), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_trigger_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT fk_trigger_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_trigger_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_trigger_webhook_id_webhook FOREIGN KEY(webhook_id) REFERENCES webhook (id) ON DELETE SET NULL
);
CREATE INDEX ix_trigger_flavor_source_entity ON "trigger" (flavor, source_entity);
CREATE INDEX ix_trigger_type ON "trigger" (type);
CREATE INDEX ix_trigger_type_webhook_id ON "trigger" (type, webhook_id);
CREATE INDEX ix_trigger_flavor_next_occurrence ON "trigger" (flavor, next_occurrence);
CREATE TABLE artifact_visualization (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	type VARCHAR NOT NULL, 
	uri TEXT NOT NULL, 
	artifact_version_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_artifact_visualization_artifact_version_id_artifact_version FOREIGN KEY(artifact_version_id) REFERENCES artifact_version (id) ON DELETE CASCADE
);
CREATE TABLE pipeline_snapshot (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR, 
	description VARCHAR(16777215), 
	is_dynamic BOOLEAN NOT NULL, 
	pipeline_configuration VARCHAR(16777215) NOT NULL, 
	client_environment TEXT NOT NULL, 
	run_name_template VARCHAR NOT NULL, 
	client_version VARCHAR, 
	server_version VARCHAR, 
	pipeline_version_hash VARCHAR, 
	pipeline_spec VARCHAR(16777215), 
	source_code TEXT, 
	code_path VARCHAR, 
	user_id CHAR(32), 
	project_id CHAR(32) NOT NULL, 
	stack_id CHAR(32), 
	pipeline_id CHAR(32) NOT NULL, 
	schedule_id CHAR(32), 
	build_id CHAR(32), 
	code_reference_id CHAR(32), 
	source_snapshot_id CHAR(32), 
	template_id CHAR(32), 
	step_count INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_name_for_pipeline_id UNIQUE (pipeline_id, name), 
	CONSTRAINT fk_pipeline_snapshot_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_snapshot_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_pipeline_snapshot_stack_id_stack FOREIGN KEY(stack_id) REFERENCES stack (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_snapshot_pipeline_id_pipeline FOREIGN KEY(pipeline_id) REFERENCES pipeline (id) ON DELETE CASCADE, 
	CONSTRAINT fk_pipeline_snapshot_schedule_id_schedule FOREIGN KEY(schedule_id) REFERENCES schedule (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_snapshot_build_id_pipeline_build FOREIGN KEY(build_id) REFERENCES pipeline_build (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_snapshot_code_reference_id_code_reference FOREIGN KEY(code_reference_id) REFERENCES code_reference (id) ON DELETE SET NULL
);
CREATE INDEX ix_pipeline_snapshot_project_id_name ON pipeline_snapshot (project_id, name);
CREATE INDEX ix_pipeline_snapshot_source_snapshot_id ON pipeline_snapshot (source_snapshot_id);
CREATE INDEX ix_pipeline_snapshot_project_id_created_id ON pipeline_snapshot (project_id, created, id);
CREATE TABLE model_versions_artifacts (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	model_version_id CHAR(32) NOT NULL, 
	artifact_version_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_model_versions_artifacts_model_version_id_model_version FOREIGN KEY(model_version_id) REFERENCES model_version (id) ON DELETE CASCADE, 
	CONSTRAINT fk_model_versions_artifacts_artifact_version_id_artifact_version FOREIGN KEY(artifact_version_id) REFERENCES artifact_version (id) ON DELETE CASCADE
);
CREATE TABLE curated_visualization (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	artifact_visualization_id CHAR(32) NOT NULL, 
	display_name VARCHAR, 
	display_order INTEGER, 
	layout_size VARCHAR NOT NULL, 
	resource_id CHAR(32) NOT NULL, 
	resource_type VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_curated_visualization_resource_link UNIQUE (artifact_visualization_id, resource_id, resource_type), 
	CONSTRAINT fk_curated_visualization_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_curated_visualization_artifact_visualization_id FOREIGN KEY(artifact_visualization_id) REFERENCES artifact_visualization (id) ON DELETE CASCADE
);
CREATE TABLE deployment (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	status VARCHAR NOT NULL, 
	url TEXT, 
	auth_key TEXT, 
	deployment_metadata VARCHAR(16777215) NOT NULL, 
	snapshot_id CHAR(32), 
	deployer_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_deployment_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT fk_deployment_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_deployment_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_deployment_snapshot_id_pipeline_snapshot FOREIGN KEY(snapshot_id) REFERENCES pipeline_snapshot (id) ON DELETE SET NULL, 
	CONSTRAINT fk_deployment_deployer_id_stack_component FOREIGN KEY(deployer_id) REFERENCES stack_component (id) ON DELETE SET NULL
);
CREATE TABLE pipeline_run (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	orchestrator_run_id VARCHAR, 
	start_time DATETIME, 
	end_time DATETIME, 
	in_progress BOOLEAN NOT NULL, 
	status VARCHAR NOT NULL, 
	status_reason VARCHAR, 
	orchestrator_environment TEXT, 
	"index" INTEGER NOT NULL, 
	enable_heartbeat BOOLEAN NOT NULL, 
	exception_info VARCHAR(16777215), 
	child_key VARCHAR, 
	snapshot_id CHAR(32), 
	user_id CHAR(32), 
	project_id CHAR(32) NOT NULL, 
	pipeline_id CHAR(32), 
	model_version_id CHAR(32), 
	pipeline_configuration TEXT, 
	client_environment TEXT, 
	stack_id CHAR(32), 
	build_id CHAR(32), 
	schedule_id CHAR(32), 
	original_run_id CHAR(32), 
	parent_run_id CHAR(32), 
	root_run_id CHAR(32), 
	triggered_by CHAR(32), 
	triggered_by_type VARCHAR, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_orchestrator_run_id_for_snapshot_id UNIQUE (snapshot_id, orchestrator_run_id), 
	CONSTRAINT unique_run_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT unique_child_key_for_parent_run_id UNIQUE (parent_run_id, child_key), 
	CONSTRAINT fk_pipeline_run_snapshot_id_pipeline_snapshot FOREIGN KEY(snapshot_id) REFERENCES pipeline_snapshot (id) ON DELETE CASCADE, 
	CONSTRAINT fk_pipeline_run_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_run_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_pipeline_run_pipeline_id_pipeline FOREIGN KEY(pipeline_id) REFERENCES pipeline (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_run_model_version_id_model_version FOREIGN KEY(model_version_id) REFERENCES model_version (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_run_stack_id_stack FOREIGN KEY(stack_id) REFERENCES stack (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_run_build_id_pipeline_build FOREIGN KEY(build_id) REFERENCES pipeline_build (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_run_schedule_id_schedule FOREIGN KEY(schedule_id) REFERENCES schedule (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_run_original_run_id_pipeline_run FOREIGN KEY(original_run_id) REFERENCES pipeline_run (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_run_parent_run_id_pipeline_run FOREIGN KEY(parent_run_id) REFERENCES pipeline_run (id) ON DELETE SET NULL, 
	CONSTRAINT fk_pipeline_run_root_run_id_pipeline_run FOREIGN KEY(root_run_id) REFERENCES pipeline_run (id) ON DELETE SET NULL
);
CREATE INDEX ix_pipeline_run_project_id_created_id ON pipeline_run (project_id, created, id);
CREATE INDEX ix_pipeline_run_triggered_by_triggered_by_type ON pipeline_run (triggered_by, triggered_by_type);
CREATE INDEX ix_pipeline_run_pipeline_id_created ON pipeline_run (pipeline_id, created);
CREATE TABLE run_template (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	hidden BOOLEAN NOT NULL, 
	description VARCHAR(16777215), 
	user_id CHAR(32), 
	project_id CHAR(32) NOT NULL, 
	source_snapshot_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_template_name_in_project UNIQUE (name, project_id), 
	CONSTRAINT fk_run_template_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_run_template_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_run_template_source_snapshot_id_pipeline_snapshot FOREIGN KEY(source_snapshot_id) REFERENCES pipeline_snapshot (id) ON DELETE SET NULL
);
CREATE TABLE trigger_snapshot (
	trigger_id CHAR(32) NOT NULL, 
	snapshot_id CHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	dispatch_state VARCHAR(65535), 
	PRIMARY KEY (trigger_id, snapshot_id), 
	CONSTRAINT unique_trigger_snapshot_link UNIQUE (trigger_id, snapshot_id), 
	CONSTRAINT fk_trigger_snapshot_trigger_id_trigger FOREIGN KEY(trigger_id) REFERENCES "trigger" (id) ON DELETE CASCADE, 
	CONSTRAINT fk_trigger_snapshot_snapshot_id_pipeline_snapshot FOREIGN KEY(snapshot_id) REFERENCES pipeline_snapshot (id) ON DELETE CASCADE
);
CREATE TABLE pipeline_run_output (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	output_index INTEGER NOT NULL, 
	pipeline_run_id CHAR(32) NOT NULL, 
	artifact_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_pipeline_run_output_name UNIQUE (pipeline_run_id, name), 
	CONSTRAINT unique_pipeline_run_output_index UNIQUE (pipeline_run_id, output_index), 
	CONSTRAINT fk_pipeline_run_output_pipeline_run_id_pipeline_run FOREIGN KEY(pipeline_run_id) REFERENCES pipeline_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_pipeline_run_output_artifact_id_artifact_version FOREIGN KEY(artifact_id) REFERENCES artifact_version (id) ON DELETE RESTRICT
);
CREATE TABLE step_run (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	start_time DATETIME, 
	end_time DATETIME, 
	latest_heartbeat DATETIME, 
	status VARCHAR NOT NULL, 
	docstring TEXT, 
	cache_key VARCHAR, 
	cache_expires_at DATETIME, 
	source_code TEXT, 
	code_hash VARCHAR, 
	version INTEGER NOT NULL, 
	is_retriable BOOLEAN NOT NULL, 
	exception_info VARCHAR(16777215), 
	heartbeat_threshold INTEGER, 
	original_step_run_id CHAR(32), 
	snapshot_id CHAR(32), 
	pipeline_run_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	project_id CHAR(32) NOT NULL, 
	model_version_id CHAR(32), 
	resource_request_id CHAR(32), 
	step_configuration VARCHAR(16777215), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_step_name_for_pipeline_run UNIQUE (name, pipeline_run_id, version), 
	CONSTRAINT fk_step_run_original_step_run_id_step_run FOREIGN KEY(original_step_run_id) REFERENCES step_run (id) ON DELETE SET NULL, 
	CONSTRAINT fk_step_run_snapshot_id_pipeline_snapshot FOREIGN KEY(snapshot_id) REFERENCES pipeline_snapshot (id) ON DELETE CASCADE, 
	CONSTRAINT fk_step_run_pipeline_run_id_pipeline_run FOREIGN KEY(pipeline_run_id) REFERENCES pipeline_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_step_run_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_step_run_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_step_run_model_version_id_model_version FOREIGN KEY(model_version_id) REFERENCES model_version (id) ON DELETE SET NULL
);
CREATE INDEX ix_step_run_project_id_pipeline_run_id_name_created_id ON step_run (project_id, pipeline_run_id, name, created, id);
CREATE INDEX ix_step_run_cache_key ON step_run (cache_key);
CREATE TABLE model_versions_runs (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	model_version_id CHAR(32) NOT NULL, 
	pipeline_run_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_model_versions_runs_model_version_id_model_version FOREIGN KEY(model_version_id) REFERENCES model_version (id) ON DELETE CASCADE, 
	CONSTRAINT fk_model_versions_runs_pipeline_run_id_pipeline_run FOREIGN KEY(pipeline_run_id) REFERENCES pipeline_run (id) ON DELETE CASCADE
);
CREATE TABLE run_wait_condition (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	run_id CHAR(32) NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	resolved_by_user_id CHAR(32), 
	type VARCHAR NOT NULL, 
	status VARCHAR NOT NULL, 
	name VARCHAR NOT NULL, 
	question VARCHAR, 
	data_schema_json TEXT, 
	resolution VARCHAR, 
	result_json TEXT, 
	last_polled_at DATETIME, 
	poller_instance_id VARCHAR, 
	poller_lease_expires_at DATETIME, 
	resolved_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT unique_wait_condition_name_per_run UNIQUE (run_id, name), 
	CONSTRAINT ck_run_wait_condition_resolved_requires_resolution CHECK ((status != 'resolved') OR (resolution IS NOT NULL)), 
	CONSTRAINT fk_run_wait_condition_run_id_pipeline_run FOREIGN KEY(run_id) REFERENCES pipeline_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_run_wait_condition_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_run_wait_condition_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_run_wait_condition_resolved_by_user_id_user FOREIGN KEY(resolved_by_user_id) REFERENCES user (id) ON DELETE SET NULL
);
CREATE INDEX ix_run_wait_condition_project_id_created ON run_wait_condition (project_id, created);
CREATE INDEX ix_run_wait_condition_run_id_status ON run_wait_condition (run_id, status);
CREATE TABLE service (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	name VARCHAR NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	service_source TEXT, 
	service_type TEXT NOT NULL, 
	type TEXT NOT NULL, 
	flavor TEXT NOT NULL, 
	admin_state TEXT, 
	state TEXT, 
	labels BLOB, 
	config BLOB NOT NULL, 
	status BLOB, 
	endpoint BLOB, 
	prediction_url TEXT, 
	health_check_url TEXT, 
	pipeline_name TEXT, 
	pipeline_step_name TEXT, 
	model_version_id CHAR(32), 
	pipeline_run_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT fk_service_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_service_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_service_model_version_id_model_version FOREIGN KEY(model_version_id) REFERENCES model_version (id) ON DELETE SET NULL, 
	CONSTRAINT fk_service_pipeline_run_id_pipeline_run FOREIGN KEY(pipeline_run_id) REFERENCES pipeline_run (id) ON DELETE SET NULL
);
CREATE TABLE trigger_execution (
	trigger_id CHAR(32) NOT NULL, 
	pipeline_run_id CHAR(32) NOT NULL, 
	created_at DATETIME NOT NULL, 
	info VARCHAR(65535), 
	PRIMARY KEY (trigger_id, pipeline_run_id), 
	CONSTRAINT unique_trigger_execution UNIQUE (trigger_id, pipeline_run_id), 
	CONSTRAINT fk_trigger_execution_trigger_id_trigger FOREIGN KEY(trigger_id) REFERENCES "trigger" (id) ON DELETE CASCADE, 
	CONSTRAINT fk_trigger_execution_pipeline_run_id_pipeline_run FOREIGN KEY(pipeline_run_id) REFERENCES pipeline_run (id) ON DELETE CASCADE
);
CREATE TABLE step_configuration (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	"index" INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	config VARCHAR(16777215) NOT NULL, 
	snapshot_id CHAR(32), 
	step_run_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT unique_step_configuration_for_snapshot_or_step_run UNIQUE (snapshot_id, step_run_id, name), 
	CONSTRAINT ck_step_configuration_snapshot_step_run_exclusivity CHECK ((snapshot_id IS NULL AND step_run_id IS NOT NULL) OR (snapshot_id IS NOT NULL AND step_run_id IS NULL)), 
	CONSTRAINT fk_step_configuration_snapshot_id_pipeline_snapshot FOREIGN KEY(snapshot_id) REFERENCES pipeline_snapshot (id) ON DELETE CASCADE, 
	CONSTRAINT fk_step_configuration_step_run_id_step_run FOREIGN KEY(step_run_id) REFERENCES step_run (id) ON DELETE CASCADE
);
CREATE INDEX ix_step_configuration_step_run_id ON step_configuration (step_run_id);
CREATE INDEX ix_step_configuration_snapshot_id_name ON step_configuration (snapshot_id, name);
CREATE TABLE hook_invocation (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	hook_type VARCHAR NOT NULL, 
	name VARCHAR, 
	status VARCHAR NOT NULL, 
	start_time DATETIME NOT NULL, 
	end_time DATETIME, 
	source VARCHAR, 
	exception_info VARCHAR(16777215), 
	pipeline_run_id CHAR(32) NOT NULL, 
	step_run_id CHAR(32), 
	user_id CHAR(32), 
	project_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_hook_invocation_pipeline_run_id_pipeline_run FOREIGN KEY(pipeline_run_id) REFERENCES pipeline_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_hook_invocation_step_run_id_step_run FOREIGN KEY(step_run_id) REFERENCES step_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_hook_invocation_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_hook_invocation_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE
);
CREATE TABLE step_run_parents (
	parent_id CHAR(32) NOT NULL, 
	child_id CHAR(32) NOT NULL, 
	PRIMARY KEY (parent_id, child_id), 
	CONSTRAINT fk_step_run_parents_parent_id_step_run FOREIGN KEY(parent_id) REFERENCES step_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_step_run_parents_child_id_step_run FOREIGN KEY(child_id) REFERENCES step_run (id) ON DELETE CASCADE
);
CREATE TABLE step_run_input_artifact (
	name VARCHAR NOT NULL, 
	type VARCHAR NOT NULL, 
	input_index INTEGER NOT NULL, 
	chunk_index INTEGER, 
	chunk_size INTEGER, 
	step_id CHAR(32) NOT NULL, 
	artifact_id CHAR(32) NOT NULL, 
	PRIMARY KEY (name, input_index, step_id, artifact_id), 
	CONSTRAINT fk_step_run_input_artifact_step_id_step_run FOREIGN KEY(step_id) REFERENCES step_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_step_run_input_artifact_artifact_id_artifact_version FOREIGN KEY(artifact_id) REFERENCES artifact_version (id) ON DELETE CASCADE
);
CREATE TABLE step_run_output_artifact (
	name VARCHAR NOT NULL, 
	step_id CHAR(32) NOT NULL, 
	artifact_id CHAR(32) NOT NULL, 
	PRIMARY KEY (step_id, artifact_id), 
	CONSTRAINT fk_step_run_output_artifact_step_id_step_run FOREIGN KEY(step_id) REFERENCES step_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_step_run_output_artifact_artifact_id_artifact_version FOREIGN KEY(artifact_id) REFERENCES artifact_version (id) ON DELETE CASCADE
);
CREATE TABLE run_metadata (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	stack_component_id CHAR(32), 
	user_id CHAR(32), 
	project_id CHAR(32) NOT NULL, 
	"key" VARCHAR NOT NULL, 
	value TEXT NOT NULL, 
	type VARCHAR NOT NULL, 
	publisher_step_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT fk_run_metadata_stack_component_id_stack_component FOREIGN KEY(stack_component_id) REFERENCES stack_component (id) ON DELETE SET NULL, 
	CONSTRAINT fk_run_metadata_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_run_metadata_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_run_metadata_publisher_step_id_step_run FOREIGN KEY(publisher_step_id) REFERENCES step_run (id) ON DELETE SET NULL
);
CREATE INDEX ix_run_metadata_key ON run_metadata ("key");
CREATE TABLE hook_invocation_output_artifact (
	name VARCHAR NOT NULL, 
	hook_invocation_id CHAR(32) NOT NULL, 
	artifact_version_id CHAR(32) NOT NULL, 
	PRIMARY KEY (name, hook_invocation_id, artifact_version_id), 
	CONSTRAINT fk_hook_invocation_output_artifact_hook_invocation_id FOREIGN KEY(hook_invocation_id) REFERENCES hook_invocation (id) ON DELETE CASCADE, 
	CONSTRAINT fk_hook_invocation_output_artifact_artifact_version_id FOREIGN KEY(artifact_version_id) REFERENCES artifact_version (id) ON DELETE CASCADE
);
CREATE TABLE logs (
	id CHAR(32) NOT NULL, 
	created DATETIME NOT NULL, 
	updated DATETIME NOT NULL, 
	uri TEXT, 
	source VARCHAR(255) NOT NULL, 
	project_id CHAR(32) NOT NULL, 
	user_id CHAR(32), 
	pipeline_run_id CHAR(32), 
	step_run_id CHAR(32), 
	artifact_store_id CHAR(32), 
	log_store_id CHAR(32), 
	hook_invocation_id CHAR(32), 
	PRIMARY KEY (id), 
	CONSTRAINT fk_logs_project_id_project FOREIGN KEY(project_id) REFERENCES project (id) ON DELETE CASCADE, 
	CONSTRAINT fk_logs_user_id_user FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE SET NULL, 
	CONSTRAINT fk_logs_pipeline_run_id_pipeline_run FOREIGN KEY(pipeline_run_id) REFERENCES pipeline_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_logs_step_run_id_step_run FOREIGN KEY(step_run_id) REFERENCES step_run (id) ON DELETE CASCADE, 
	CONSTRAINT fk_logs_artifact_store_id_stack_component FOREIGN KEY(artifact_store_id) REFERENCES stack_component (id) ON DELETE CASCADE, 
	CONSTRAINT fk_logs_log_store_id_stack_component FOREIGN KEY(log_store_id) REFERENCES stack_component (id) ON DELETE CASCADE, 
	CONSTRAINT fk_logs_hook_invocation_id_hook_invocation FOREIGN KEY(hook_invocation_id) REFERENCES hook_invocation (id) ON DELETE SET NULL
);
CREATE TABLE run_metadata_resource (
	id CHAR(32) NOT NULL, 
	resource_id CHAR(32) NOT NULL, 
	resource_type VARCHAR(255) NOT NULL, 
	run_metadata_id CHAR(32) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_run_metadata_resource_run_metadata_id_run_metadata FOREIGN KEY(run_metadata_id) REFERENCES run_metadata (id) ON DELETE CASCADE
);
CREATE INDEX ix_run_metadata_resource_resource_id_resource_type_run_metadata_ ON run_metadata_resource (resource_id, resource_type, run_metadata_id);
