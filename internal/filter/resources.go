package filter

// The list language of each resource: its filter fields with their types,
// its custom sort keys, and the fields that filter but do not sort. These
// follow the reference's filter models field by field.

// base fields every resource has.
func base(fields ...Field) []Field {
	return append([]Field{{Name: "id", Type: UUID}, {Name: "created", Type: Datetime}, {Name: "updated", Type: Datetime}}, fields...)
}

// userScoped adds the creator filters of user-scoped resources.
func userScoped(fields ...Field) []Field {
	return append(base(fields...), Field{Name: "user", Type: UUID, Custom: true}, Field{Name: "scope_user", Type: UUID, Scope: true})
}

var userScopedUnsortable = []string{"scope_user"}

var (
	Users = &Resource{Model: "UserFilter", Fields: base(
		Field{Name: "name", Type: String}, Field{Name: "full_name", Type: String}, Field{Name: "email", Type: String},
		Field{Name: "active", Type: Bool, Single: true}, Field{Name: "email_opted_in", Type: Bool, Single: true},
		Field{Name: "external_user_id", Type: UUID})}

	ServiceAccounts = &Resource{Model: "ServiceAccountFilter", Fields: base(
		Field{Name: "name", Type: String}, Field{Name: "description", Type: String},
		Field{Name: "active", Type: Bool, Single: true}, Field{Name: "external_user_id", Type: UUID})}

	APIKeys = &Resource{Model: "APIKeyFilter", Fields: base(
		Field{Name: "name", Type: String}, Field{Name: "description", Type: String},
		Field{Name: "active", Type: Bool, Single: true},
		Field{Name: "last_login", Type: Datetime}, Field{Name: "last_rotated", Type: Datetime})}

	Projects = &Resource{Model: "ProjectFilter", Fields: base(
		Field{Name: "name", Type: String}, Field{Name: "display_name", Type: String})}

	Flavors = &Resource{Model: "FlavorFilter", Fields: userScoped(
		Field{Name: "name", Type: String}, Field{Name: "display_name", Type: String},
		Field{Name: "type", Type: String}, Field{Name: "integration", Type: String}),
		SortKeys: []string{"user"}, Unsortable: userScopedUnsortable}

	Components = &Resource{Model: "ComponentFilter", Fields: userScoped(
		Field{Name: "name", Type: String}, Field{Name: "flavor", Type: String}, Field{Name: "type", Type: String},
		Field{Name: "connector_id", Type: UUID}, Field{Name: "stack_id", Type: UUID, Custom: true}),
		SortKeys: []string{"user"}, Unsortable: append([]string{"scope_type", "stack_id"}, userScopedUnsortable...)}

	Stacks = &Resource{Model: "StackFilter", Fields: userScoped(
		Field{Name: "name", Type: String}, Field{Name: "description", Type: String},
		Field{Name: "component_id", Type: UUID, Custom: true}, Field{Name: "component", Type: UUID, Custom: true}),
		SortKeys: []string{"user"}, Unsortable: append([]string{"component_id", "component"}, userScopedUnsortable...)}
)

// taggable adds the tags filter of taggable resources.
var tagsField = Field{Name: "tags", Type: String, Custom: true}

var (
	Pipelines = &Resource{Model: "PipelineFilter", Fields: append(userScoped(tagsField,
		Field{Name: "project", Type: String, Scope: true},
		Field{Name: "name", Type: String}),
		Field{Name: "latest_run_status", Type: String, Fixed: true},
		Field{Name: "latest_run_user", Type: String, Fixed: true}),
		SortKeys:   []string{"user", "tags", "latest_run"},
		Unsortable: []string{"scope_user", "project", "latest_run_status", "latest_run_user"}}

	Tags = &Resource{Model: "TagFilter", Fields: userScoped(
		Field{Name: "name", Type: String}, Field{Name: "color", Type: String},
		Field{Name: "exclusive", Type: PlainBool},
		Field{Name: "resource_type", Type: Literal, Custom: true}),
		SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "resource_type"}}
)

var (
	Runs = &Resource{Model: "PipelineRunFilter", Fields: append(userScoped(tagsField,
		Field{Name: "project", Type: String, Scope: true},
		Field{Name: "name", Type: String}, Field{Name: "index", Type: Int},
		Field{Name: "orchestrator_run_id", Type: String}, Field{Name: "pipeline_id", Type: UUID},
		Field{Name: "stack_id", Type: UUID, Custom: true}, Field{Name: "schedule_id", Type: UUID, Custom: true}, Field{Name: "build_id", Type: UUID, Custom: true},
		Field{Name: "snapshot_id", Type: UUID}, Field{Name: "template_id", Type: UUID, Custom: true},
		Field{Name: "source_snapshot_id", Type: UUID, Custom: true}, Field{Name: "model_version_id", Type: UUID},
		Field{Name: "status", Type: String}, Field{Name: "in_progress", Type: PlainBool},
		Field{Name: "start_time", Type: Datetime}, Field{Name: "end_time", Type: Datetime},
		Field{Name: "pipeline_name", Type: String, Custom: true}, Field{Name: "pipeline", Type: UUID, Custom: true},
		Field{Name: "stack", Type: UUID, Custom: true}, Field{Name: "parent_run_id", Type: UUID},
		Field{Name: "model", Type: UUID, Custom: true}),
		Field{Name: "root_runs_only", Type: PlainBool}),
		SortKeys: []string{"user", "tags", "pipeline", "stack", "model", "model_version"},
		Unsortable: []string{"scope_user", "project", "stack_id", "schedule_id", "build_id", "template_id",
			"source_snapshot_id", "pipeline_name", "root_runs_only"}}
)

var (
	Steps = &Resource{Model: "StepRunFilter", Fields: userScoped(
		Field{Name: "project", Type: String, Scope: true},
		Field{Name: "name", Type: String}, Field{Name: "code_hash", Type: String}, Field{Name: "cache_key", Type: String},
		Field{Name: "status", Type: String}, Field{Name: "start_time", Type: Datetime}, Field{Name: "end_time", Type: Datetime},
		Field{Name: "pipeline_run_id", Type: UUID}, Field{Name: "original_step_run_id", Type: UUID},
		Field{Name: "cache_expired", Type: Bool, Scope: true}),
		SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project", "cache_expired"}}

	CodeRepositories = &Resource{Model: "CodeRepositoryFilter", Fields: userScoped(
		Field{Name: "project", Type: String, Scope: true}, Field{Name: "name", Type: String}),
		SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project"}}
)

var runMetadataField = Field{Name: "run_metadata", Type: String, Custom: true}

var (
	Artifacts = &Resource{Model: "ArtifactFilter", Fields: userScoped(tagsField,
		Field{Name: "project", Type: String, Scope: true},
		Field{Name: "name", Type: String}, Field{Name: "has_custom_name", Type: Bool, Single: true}),
		SortKeys: []string{"user", "tags", "latest_version"}, Unsortable: []string{"scope_user", "project"}}

	ArtifactVersions = &Resource{Model: "ArtifactVersionFilter", Fields: userScoped(tagsField, runMetadataField,
		Field{Name: "project", Type: String, Scope: true},
		Field{Name: "artifact", Type: String, Custom: true}, Field{Name: "artifact_id", Type: String, Custom: true},
		Field{Name: "version", Type: String}, Field{Name: "version_number", Type: Int},
		Field{Name: "uri", Type: String}, Field{Name: "materializer", Type: String}, Field{Name: "type", Type: String},
		Field{Name: "data_type", Type: String}, Field{Name: "artifact_store_id", Type: UUID},
		Field{Name: "model_version_id", Type: UUID, Custom: true},
		Field{Name: "only_unused", Type: Bool, Scope: true},
		Field{Name: "has_custom_name", Type: Bool, Single: true, Custom: true},
		Field{Name: "model", Type: String, Custom: true}, Field{Name: "pipeline_run", Type: String, Custom: true}),
		SortKeys: []string{"user", "tags"},
		Unsortable: []string{"scope_user", "project", "run_metadata", "artifact", "artifact_id", "only_unused", "has_custom_name",
			"model", "pipeline_run", "model_version_id"}}
)

var (
	Models = &Resource{Model: "ModelFilter", Fields: userScoped(tagsField,
		Field{Name: "project", Type: String, Scope: true}, Field{Name: "name", Type: String}),
		SortKeys: []string{"user", "tags", "latest_version"}, Unsortable: []string{"scope_user", "project"}}

	ModelVersions = &Resource{Model: "ModelVersionFilter", Fields: userScoped(tagsField, runMetadataField,
		Field{Name: "project", Type: String, Scope: true},
		Field{Name: "name", Type: String}, Field{Name: "number", Type: Int}, Field{Name: "stage", Type: String},
		Field{Name: "model", Type: String, Custom: true}),
		SortKeys: []string{"user", "tags"}, Unsortable: []string{"scope_user", "project", "model", "run_metadata"}}

	ModelVersionArtifacts = &Resource{Model: "ModelVersionArtifactFilter", Fields: base(
		Field{Name: "model_version_id", Type: UUID}, Field{Name: "artifact_version_id", Type: UUID},
		Field{Name: "artifact_name", Type: String, Custom: true},
		Field{Name: "only_data_artifacts", Type: Bool, Scope: true}, Field{Name: "only_model_artifacts", Type: Bool, Scope: true},
		Field{Name: "only_deployment_artifacts", Type: Bool, Scope: true},
		Field{Name: "has_custom_name", Type: Bool, Single: true, Custom: true},
		Field{Name: "user", Type: UUID, Custom: true}),
		Unsortable: []string{"artifact_name", "only_data_artifacts", "only_model_artifacts", "only_deployment_artifacts", "has_custom_name", "user"}}

	ModelVersionRuns = &Resource{Model: "ModelVersionPipelineRunFilter", Fields: base(
		Field{Name: "model_version_id", Type: UUID}, Field{Name: "pipeline_run_id", Type: UUID},
		Field{Name: "pipeline_run_name", Type: String, Custom: true}, Field{Name: "user", Type: UUID, Custom: true}),
		Unsortable: []string{"pipeline_run_name", "user"}}
)

var Snapshots = &Resource{Model: "PipelineSnapshotFilter", Fields: userScoped(tagsField,
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "name", Type: String}, Field{Name: "pipeline", Type: String, Custom: true}, Field{Name: "stack", Type: String, Custom: true},
	Field{Name: "build_id", Type: UUID}, Field{Name: "schedule_id", Type: UUID}, Field{Name: "source_snapshot_id", Type: UUID},
	Field{Name: "named_only", Type: Bool, Scope: true}, Field{Name: "runnable", Type: Bool, Scope: true},
	Field{Name: "deployable", Type: Bool, Scope: true}, Field{Name: "deployed", Type: Bool, Scope: true},
	Field{Name: "trigger_id", Type: UUID, Scope: true}),
	SortKeys:   []string{"user", "tags", "pipeline", "stack", "deployment"},
	Unsortable: []string{"scope_user", "project", "named_only", "runnable", "deployable", "deployed", "trigger_id"}}

var Builds = &Resource{Model: "PipelineBuildFilter", Fields: userScoped(
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "pipeline_id", Type: UUID}, Field{Name: "stack_id", Type: UUID},
	Field{Name: "container_registry_id", Type: UUID, Custom: true},
	Field{Name: "is_local", Type: Bool, Single: true}, Field{Name: "contains_code", Type: Bool, Single: true},
	Field{Name: "zenml_version", Type: String}, Field{Name: "python_version", Type: String},
	Field{Name: "checksum", Type: String}, Field{Name: "stack_checksum", Type: String}, Field{Name: "duration", Type: Int}),
	SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project", "container_registry_id"}}

var Schedules = &Resource{Model: "ScheduleFilter", Fields: userScoped(
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "pipeline_id", Type: UUID}, Field{Name: "orchestrator_id", Type: UUID},
	Field{Name: "active", Type: Bool, Single: true}, Field{Name: "catchup", Type: Bool, Single: true},
	Field{Name: "is_archived", Type: Bool, Single: true},
	Field{Name: "name", Type: String}, Field{Name: "cron_expression", Type: String},
	Field{Name: "start_time", Type: Datetime}, Field{Name: "end_time", Type: Datetime},
	Field{Name: "interval_second", Type: Float}, Field{Name: "run_once_start_time", Type: Datetime}),
	SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project"}}

// ServiceConnectors: resource_type and labels_str narrow the list whatever
// the logical operator (the reference applies them after its query);
// sort_by is checked but the list keeps its creation order.
var ServiceConnectors = &Resource{Model: "ServiceConnectorFilter", Fields: userScoped(
	Field{Name: "name", Type: String}, Field{Name: "connector_type", Type: String}, Field{Name: "auth_method", Type: String},
	Field{Name: "resource_type", Type: Literal, Single: true, Scope: true}, Field{Name: "resource_id", Type: Literal, Single: true},
	Field{Name: "labels_str", Type: Literal, Single: true, Scope: true}),
	SortKeys: []string{"user"}, Unsortable: append([]string{"resource_type", "labels_str"}, userScopedUnsortable...)}

// Secrets: private is a plain query parameter; the values are a field of
// the filter model that neither filters nor sorts.
var Secrets = &Resource{Model: "SecretFilter", Fields: userScoped(
	Field{Name: "name", Type: String}, Field{Name: "private", Type: PlainBool}),
	SortKeys: []string{"user"}, Unsortable: append([]string{"values"}, userScopedUnsortable...)}

var RunTemplates = &Resource{Model: "RunTemplateFilter", Fields: userScoped(tagsField,
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "name", Type: String}, Field{Name: "hidden", Type: PlainBool},
	Field{Name: "pipeline_id", Type: UUID, Custom: true}, Field{Name: "build_id", Type: UUID, Custom: true},
	Field{Name: "stack_id", Type: UUID, Custom: true}, Field{Name: "code_repository_id", Type: UUID, Custom: true},
	Field{Name: "pipeline", Type: String, Custom: true}, Field{Name: "stack", Type: String, Custom: true}),
	SortKeys: []string{"user", "tags"},
	Unsortable: []string{"scope_user", "project", "hidden", "pipeline_id", "build_id", "stack_id", "code_repository_id",
		"pipeline", "stack"}}

var Deployments = &Resource{Model: "DeploymentFilter", Fields: userScoped(tagsField,
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "name", Type: String}, Field{Name: "url", Type: String}, Field{Name: "status", Type: String},
	Field{Name: "pipeline", Type: String, Custom: true},
	Field{Name: "snapshot_id", Type: UUID}, Field{Name: "deployer_id", Type: UUID}),
	SortKeys:   []string{"user", "tags", "snapshot", "pipeline"},
	Unsortable: []string{"scope_user", "project"}}

// Services declares running and config too, but they never filter.
var Services = &Resource{Model: "ServiceFilter", Fields: userScoped(
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "name", Type: String}, Field{Name: "type", Type: String}, Field{Name: "flavor", Type: String},
	Field{Name: "pipeline_name", Type: String}, Field{Name: "pipeline_step_name", Type: String},
	Field{Name: "model_version_id", Type: UUID}, Field{Name: "pipeline_run_id", Type: UUID}),
	SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project", "running", "config"}}

var Webhooks = &Resource{Model: "WebhookFilter", Fields: userScoped(
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "name", Type: String}, Field{Name: "webhook_type", Type: String},
	Field{Name: "active", Type: Bool, Single: true}),
	SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project"}}

// Triggers: is_archived (false unless asked), type, flavor and the
// attached snapshots' pipeline_id and snapshot_id apply whatever the
// logical operator, as on the reference.
var Triggers = &Resource{Model: "TriggerFilter", Fields: userScoped(
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "name", Type: String}, Field{Name: "active", Type: Bool, Single: true},
	Field{Name: "is_archived", Type: String, Scope: true},
	Field{Name: "flavor", Type: String, Scope: true}, Field{Name: "type", Type: String, Scope: true},
	Field{Name: "next_occurrence", Type: Datetime}, Field{Name: "concurrency", Type: String},
	Field{Name: "webhook_id", Type: UUID},
	Field{Name: "pipeline_id", Type: String, Scope: true}, Field{Name: "snapshot_id", Type: String, Scope: true}),
	SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project", "is_archived", "flavor", "type", "pipeline_id", "snapshot_id"}}

var Devices = &Resource{Model: "OAuthDeviceFilter", Fields: userScoped(
	Field{Name: "expires", Type: Datetime}, Field{Name: "client_id", Type: UUID},
	Field{Name: "status", Type: String}, Field{Name: "trusted_device", Type: Bool, Single: true},
	Field{Name: "failed_auth_attempts", Type: Int}, Field{Name: "last_login", Type: Datetime}),
	SortKeys: []string{"user"}, Unsortable: userScopedUnsortable}

// HookInvocations is the reference's HookInvocationFilter.
var HookInvocations = &Resource{Model: "HookInvocationFilter", Fields: userScoped(
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "pipeline_run_id", Type: UUID}, Field{Name: "step_run_id", Type: UUID},
	Field{Name: "hook_type", Type: String}, Field{Name: "name", Type: String}, Field{Name: "status", Type: String},
	Field{Name: "start_time", Type: Datetime}, Field{Name: "end_time", Type: Datetime}),
	SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project"}}

// RunWaitConditions is the reference's RunWaitConditionFilter.
var RunWaitConditions = &Resource{Model: "RunWaitConditionFilter", Fields: userScoped(runMetadataField,
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "pipeline_run", Type: String, Custom: true}, Field{Name: "type", Type: String},
	Field{Name: "status", Type: String}, Field{Name: "name", Type: String},
	Field{Name: "resolved_by", Type: String, Custom: true}, Field{Name: "resolved_at", Type: Datetime},
	Field{Name: "resolution", Type: String}),
	SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project", "run_metadata", "pipeline_run", "resolved_by"}}

// ResourceRequests is the reference's ResourceRequestFilter: its own fields
// take a UUID or any string, so only the shared ones can fail.
var ResourceRequests = &Resource{Model: "ResourceRequestFilter", Fields: userScoped(
	Field{Name: "project", Type: String, Scope: true},
	Field{Name: "reclaim_tolerance", Type: String}, Field{Name: "component_id", Type: String},
	Field{Name: "step_run_id", Type: String}, Field{Name: "preemption_initiated_by_id", Type: String},
	Field{Name: "status", Type: String}, Field{Name: "pipeline_run_id", Type: String}, Field{Name: "pool_id", Type: String}),
	SortKeys: []string{"user"}, Unsortable: []string{"scope_user", "project"}}

// schemas names each resource's table class as the reference's messages
// do.
func init() {
	for r, schema := range map[*Resource]string{
		Users: "UserSchema", ServiceAccounts: "UserSchema", APIKeys: "APIKeySchema", Projects: "ProjectSchema",
		Flavors: "FlavorSchema", Components: "StackComponentSchema", Stacks: "StackSchema", Pipelines: "PipelineSchema",
		Tags: "TagSchema", Runs: "PipelineRunSchema", Steps: "StepRunSchema", CodeRepositories: "CodeRepositorySchema",
		Artifacts: "ArtifactSchema", ArtifactVersions: "ArtifactVersionSchema", Models: "ModelSchema", ModelVersions: "ModelVersionSchema",
		ModelVersionArtifacts: "ModelVersionArtifactSchema", ModelVersionRuns: "ModelVersionPipelineRunSchema",
		Snapshots: "PipelineSnapshotSchema", Builds: "PipelineBuildSchema", Schedules: "ScheduleSchema",
		RunTemplates: "RunTemplateSchema", Deployments: "DeploymentSchema", Devices: "OAuthDeviceSchema",
		Services: "ServiceSchema", Secrets: "SecretSchema", ResourceRequests: "ResourceRequestSchema",
		HookInvocations: "HookInvocationSchema", RunWaitConditions: "RunWaitConditionSchema", Webhooks: "WebhookSchema", Triggers: "TriggerSchema", ServiceConnectors: "ServiceConnectorSchema",
	} {
		for i := range r.Fields {
			r.Fields[i].Schema = schema
		}
	}
}
