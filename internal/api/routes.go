package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"
)

// routes lists the whole API surface in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Each route is also recorded for the OpenAPI document (openapi.go).
	public := func(pattern string, h http.Handler) {
		mux.Handle(pattern, h)
		s.routeTable = append(s.routeTable, routeInfo{pattern: pattern, public: true})
	}
	authed := func(pattern string, h handler) {
		mux.Handle(pattern, s.authed(h))
		s.routeTable = append(s.routeTable, routeInfo{pattern: pattern})
	}
	listed := func(pattern string, l listRoute) {
		mux.Handle(pattern, s.authed(l))
		s.routeTable = append(s.routeTable, routeInfo{pattern: pattern, list: l.res})
	}

	// Public.
	public("/health", http.HandlerFunc(s.health))
	public("/ready", http.HandlerFunc(s.ready))
	// The document and its pages, which it does not list (as the
	// reference's does not).
	mux.Handle("GET /openapi.json", http.HandlerFunc(s.serveOpenAPI))
	mux.Handle("GET /docs", http.HandlerFunc(serveSwaggerUI))
	mux.Handle("GET /redoc", http.HandlerFunc(serveRedoc))
	switch s.cfg.Metrics {
	case "", "public":
		public("GET /metrics", http.HandlerFunc(s.serveMetrics))
	case "token":
		mux.Handle("GET /metrics", s.authed(http.HandlerFunc(s.serveMetrics)))
		s.routeTable = append(s.routeTable, routeInfo{pattern: "GET /metrics"})
	}
	public("GET /api/v1/version", handler(s.version))
	public("GET /api/v1/info", handler(s.info))
	public("POST /api/v1/login", http.HandlerFunc(s.login))
	public("GET /api/v1/logout", http.HandlerFunc(s.logout))
	public("PUT /api/v1/users/{user_name_or_id}/activate", handler(s.activateUser))
	public("PUT /api/v1/activate", handler(s.activateServer))
	public("POST /api/v1/device_authorization", handler(s.deviceAuthorization))

	// Auth and server.
	authed("GET /api/v1/api_token", s.apiToken)
	authed("GET /api/v1/settings", s.getSettings)
	authed("PUT /api/v1/settings", s.updateSettings)
	authed("GET /api/v1/statistics", s.statistics)
	authed("GET /api/v1/component-types", s.componentTypes)
	authed("GET /api/v1/onboarding_state", s.onboardingState)
	authed("GET /api/v1/load-info", s.loadInfo)
	public("GET /api/v1/supported-events", handler(supportedEvents))
	authed("GET /api/v1/stack-deployment/info", stackDeploymentInfo)
	authed("GET /api/v1/stack-deployment/config", s.stackDeploymentConfig)
	authed("GET /api/v1/stack-deployment/stack", deployedStack)

	// Resource requests: refused as on a server without resource pools.
	listed("GET /api/v1/resource_requests", s.listResourceRequests())
	authed("GET /api/v1/resource_requests/{resource_request_id}", getResourceRequest)
	authed("POST /api/v1/resource_requests/{resource_request_id}/release", releaseResourceRequest)
	authed("POST /api/v1/resource_requests/{resource_request_id}/renew", renewResourceRequest)

	// Users.
	authed("GET /api/v1/current-user", s.getCurrentUser)
	authed("PUT /api/v1/current-user", s.updateCurrentUser)
	listed("GET /api/v1/users", s.listUsers())
	authed("POST /api/v1/users", s.createUser)
	authed("GET /api/v1/users/{user_name_or_id}", s.getUser)
	authed("PUT /api/v1/users/{user_name_or_id}", s.updateUser)
	authed("DELETE /api/v1/users/{user_name_or_id}", s.deleteUser)
	authed("PUT /api/v1/users/{user_name_or_id}/deactivate", s.deactivateUser)
	authed("PUT /api/v1/users/{user_name_or_id}/email-opt-in", s.emailOptIn)

	// Service accounts and their API keys.
	listed("GET /api/v1/service_accounts", s.listServiceAccounts())
	authed("POST /api/v1/service_accounts", s.createServiceAccount)
	authed("GET /api/v1/service_accounts/{account}", s.getServiceAccount)
	authed("PUT /api/v1/service_accounts/{account}", s.updateServiceAccount)
	authed("DELETE /api/v1/service_accounts/{account}", s.deleteServiceAccount)
	listed("GET /api/v1/service_accounts/{service_account_id}/api_keys", s.listAPIKeys())
	authed("POST /api/v1/service_accounts/{service_account_id}/api_keys", s.createAPIKey)
	authed("GET /api/v1/service_accounts/{service_account_id}/api_keys/{key}", s.getAPIKey)
	authed("PUT /api/v1/service_accounts/{service_account_id}/api_keys/{key}", s.updateAPIKey)
	authed("DELETE /api/v1/service_accounts/{service_account_id}/api_keys/{key}", s.deleteAPIKey)
	authed("PUT /api/v1/service_accounts/{service_account_id}/api_keys/{key}/rotate", s.rotateAPIKey)

	// Devices (OAuth2 device authorization; the grant is in /login).
	listed("GET /api/v1/devices", s.listDevices())
	authed("GET /api/v1/devices/{device_id}", s.getDevice)
	authed("PUT /api/v1/devices/{device_id}", s.updateDevice())
	authed("DELETE /api/v1/devices/{device_id}", s.deleteDevice())
	authed("PUT /api/v1/devices/{device_id}/verify", s.verifyDevice())

	// Projects.
	listed("GET /api/v1/projects", s.listProjects())
	authed("POST /api/v1/projects", s.createProject)
	authed("GET /api/v1/projects/{project_name_or_id}", s.getProject)
	authed("PUT /api/v1/projects/{project_name_or_id}", s.updateProject)
	authed("DELETE /api/v1/projects/{project_name_or_id}", s.deleteProject)
	authed("GET /api/v1/projects/{project_name_or_id}/statistics", s.projectStatistics)
	listed("GET /api/v1/workspaces", s.listProjects())
	authed("POST /api/v1/workspaces", s.createProject)
	authed("GET /api/v1/workspaces/{project_name_or_id}", s.getProject)
	authed("PUT /api/v1/workspaces/{project_name_or_id}", s.updateProject)
	authed("DELETE /api/v1/workspaces/{project_name_or_id}", s.deleteProject)
	authed("GET /api/v1/workspaces/{project_name_or_id}/statistics", s.projectStatistics)

	// Stacks, components, flavors (and the deprecated project-scoped
	// aliases, which ignore the project).
	listed("GET /api/v1/stacks", s.listStacks())
	authed("POST /api/v1/stacks", s.createStack)
	authed("GET /api/v1/stacks/{stack_id}", s.getStack())
	authed("PUT /api/v1/stacks/{stack_id}", s.updateStack())
	authed("DELETE /api/v1/stacks/{stack_id}", s.deleteStack())
	listed("GET /api/v1/workspaces/{project_name_or_id}/stacks", s.listStacks())
	authed("POST /api/v1/workspaces/{project_name_or_id}/stacks", s.createStack)
	listed("GET /api/v1/components", s.listComponents())
	authed("POST /api/v1/components", s.createComponent)
	authed("GET /api/v1/components/{component_id}", s.getComponent())
	authed("PUT /api/v1/components/{component_id}", s.updateComponent())
	authed("DELETE /api/v1/components/{component_id}", s.deleteComponent())
	listed("GET /api/v1/workspaces/{project_name_or_id}/components", s.listComponents())
	authed("POST /api/v1/workspaces/{project_name_or_id}/components", s.createComponent)
	listed("GET /api/v1/flavors", s.listFlavors())
	authed("POST /api/v1/flavors", s.createFlavor)
	authed("PATCH /api/v1/flavors/sync", s.syncFlavors)
	authed("GET /api/v1/flavors/{flavor_id}", s.getFlavor())
	authed("PUT /api/v1/flavors/{flavor_id}", s.updateFlavor())
	authed("DELETE /api/v1/flavors/{flavor_id}", s.deleteFlavor())

	// Pipelines (and the deprecated project-scoped aliases).
	listed("GET /api/v1/pipelines", s.listPipelines())
	authed("POST /api/v1/pipelines", s.createPipeline)
	authed("GET /api/v1/pipelines/{pipeline_id}", s.getPipeline())
	authed("PUT /api/v1/pipelines/{pipeline_id}", s.updatePipeline())
	authed("DELETE /api/v1/pipelines/{pipeline_id}", s.deletePipeline())
	listed("GET /api/v1/workspaces/{workspace}/pipelines", s.listPipelines())
	authed("POST /api/v1/workspaces/{workspace}/pipelines", s.createPipeline)

	// Tags and their links.
	listed("GET /api/v1/tags", s.listTags())
	authed("POST /api/v1/tags", s.createTag)
	authed("GET /api/v1/tags/{tag_id}", s.getTag())
	authed("PUT /api/v1/tags/{tag_id}", s.updateTag)
	authed("DELETE /api/v1/tags/{tag_id}", s.deleteTag())
	authed("POST /api/v1/tag_resources", s.createTagLink)
	authed("DELETE /api/v1/tag_resources", s.deleteTagLink)
	authed("POST /api/v1/tag_resources/batch", s.createTagLinks)
	authed("DELETE /api/v1/tag_resources/batch", s.deleteTagLinks)

	// Snapshots and runs.
	listed("GET /api/v1/pipeline_snapshots", s.listSnapshots())
	authed("POST /api/v1/pipeline_snapshots", s.createSnapshot)
	authed("POST /api/v1/pipeline_snapshots/prune", s.pruneSnapshots)
	authed("PUT /api/v1/pipeline_snapshots/{snapshot_id}", s.updateSnapshot())
	authed("GET /api/v1/pipeline_snapshots/{snapshot_id}/download-token", s.snapshotDownloadToken)
	public("GET /api/v1/pipeline_snapshots/{snapshot_id}/code", http.HandlerFunc(s.snapshotCode))
	authed("GET /api/v1/pipeline_snapshots/{snapshot_id}", s.getSnapshot("snapshot_id"))
	authed("DELETE /api/v1/pipeline_snapshots/{snapshot_id}", s.deleteSnapshot("snapshot_id"))
	authed("POST /api/v1/pipeline_deployments", legacySnapshots(s.createSnapshot))
	listed("GET /api/v1/pipeline_deployments", s.legacySnapshotList())
	authed("GET /api/v1/pipeline_deployments/{deployment_id}", legacySnapshots(s.getSnapshot("deployment_id")))
	authed("DELETE /api/v1/pipeline_deployments/{deployment_id}", s.deleteSnapshot("deployment_id"))
	authed("POST /api/v1/workspaces/{workspace}/pipeline_deployments", legacySnapshots(s.createSnapshot))
	listed("GET /api/v1/workspaces/{workspace}/pipeline_deployments", s.legacySnapshotList())
	listed("GET /api/v1/pipeline_builds", s.listBuilds())
	authed("POST /api/v1/pipeline_builds", s.createBuild)
	authed("GET /api/v1/pipeline_builds/{build_id}", s.getBuild())
	authed("DELETE /api/v1/pipeline_builds/{build_id}", s.deleteBuild())
	listed("GET /api/v1/workspaces/{workspace}/pipeline_builds", s.listBuilds())
	authed("POST /api/v1/workspaces/{workspace}/pipeline_builds", s.createBuild)
	// Triggers and webhooks (intake is public: deliveries are signed).
	listed("GET /api/v1/triggers", s.listTriggers())
	authed("POST /api/v1/triggers", s.createTrigger)
	authed("GET /api/v1/triggers/{trigger_id}", s.getTrigger())
	authed("PUT /api/v1/triggers/{trigger_id}", s.updateTrigger)
	authed("DELETE /api/v1/triggers/{trigger_id}", s.deleteTrigger)
	authed("PUT /api/v1/triggers/{trigger_id}/pipeline_snapshots/{snapshot_id}", s.attachTriggerSnapshot)
	authed("DELETE /api/v1/triggers/{trigger_id}/pipeline_snapshots/{snapshot_id}", s.detachTriggerSnapshot)
	authed("DELETE /api/v1/triggers/{trigger_id}/dispatch_state", s.clearTriggerDispatchState)
	listed("GET /api/v1/webhooks", s.listWebhooks())
	authed("POST /api/v1/webhooks", s.createWebhook)
	authed("GET /api/v1/webhooks/{webhook_id}", s.getWebhook())
	authed("PUT /api/v1/webhooks/{webhook_id}", s.updateWebhook())
	authed("DELETE /api/v1/webhooks/{webhook_id}", s.deleteWebhook())
	authed("PUT /api/v1/webhooks/{webhook_id}/secret", s.rotateWebhookSecret)
	authed("GET /api/v1/webhooks/{webhook_id}/events/raw", s.getRawWebhookEvent)
	public("POST /api/v1/webhooks/{webhook_type}/{webhook_id}/events", http.HandlerFunc(s.receiveWebhookEvent))

	listed("GET /api/v1/schedules", s.listSchedules())
	authed("POST /api/v1/schedules", s.createSchedule)
	authed("GET /api/v1/schedules/{schedule_id}", s.getSchedule())
	authed("PUT /api/v1/schedules/{schedule_id}", s.updateSchedule())
	authed("DELETE /api/v1/schedules/{schedule_id}", s.deleteSchedule)
	listed("GET /api/v1/workspaces/{workspace}/schedules", s.listSchedules())
	authed("POST /api/v1/workspaces/{workspace}/schedules", s.createSchedule)

	// Run templates and deployments.
	listed("GET /api/v1/run_templates", s.listRunTemplates())
	authed("POST /api/v1/run_templates", s.createRunTemplate)
	authed("GET /api/v1/run_templates/{template_id}", s.getRunTemplate())
	authed("PUT /api/v1/run_templates/{template_id}", s.updateRunTemplate())
	authed("DELETE /api/v1/run_templates/{template_id}", s.deleteRunTemplate())
	listed("GET /api/v1/workspaces/{workspace}/run_templates", s.listRunTemplates())
	authed("POST /api/v1/workspaces/{workspace}/run_templates", s.createRunTemplate)
	listed("GET /api/v1/deployments", s.listDeployments())
	authed("POST /api/v1/deployments", s.createDeployment)
	authed("GET /api/v1/deployments/{deployment_id}", s.getDeployment())
	authed("PUT /api/v1/deployments/{deployment_id}", s.updateDeployment())
	authed("DELETE /api/v1/deployments/{deployment_id}", s.deleteDeployment())

	// Services (only POST has the deprecated project-scoped alias).
	listed("GET /api/v1/services", s.listServices())
	authed("POST /api/v1/services", s.createService)
	authed("GET /api/v1/services/{service_id}", s.getService())
	authed("PUT /api/v1/services/{service_id}", s.updateService())
	authed("DELETE /api/v1/services/{service_id}", s.deleteService())
	authed("POST /api/v1/workspaces/{workspace}/services", s.createService)

	// Runs (POST /runs/statistics is more specific than any /runs/{run_id}
	// pattern, so the mux never mistakes it for a run id).
	authed("POST /api/v1/runs", s.getOrCreateRun)
	listed("GET /api/v1/runs", s.listRuns())
	authed("POST /api/v1/runs/statistics", s.runStatistics)
	authed("GET /api/v1/runs/{run_id}", s.getRun())
	authed("PUT /api/v1/runs/{run_id}", s.updateRun)
	authed("DELETE /api/v1/runs/{run_id}", s.deleteRun())
	authed("GET /api/v1/runs/{run_id}/status", s.getRunStatus)
	listed("GET /api/v1/runs/{run_id}/steps", s.listSteps())
	authed("GET /api/v1/runs/{run_id}/dag", s.getRunDAG)
	authed("GET /api/v1/runs/{run_id}/pipeline-configuration", s.runPipelineConfiguration)
	authed("PUT /api/v1/runs/{run_id}/disable_heartbeat", s.disableRunHeartbeat)
	authed("GET /api/v1/runs/{run_id}/logs", s.runLogs)
	authed("POST /api/v1/runs/{run_id}/refresh", s.refreshRun)
	authed("POST /api/v1/runs/{run_id}/stop", s.stopRun)
	authed("POST /api/v1/runs/{run_id}/events", streamingDisabled)
	authed("GET /api/v1/runs/{run_id}/events/stream", streamingDisabled)
	authed("POST /api/v1/workspaces/{workspace}/runs", s.getOrCreateRun)
	listed("GET /api/v1/workspaces/{workspace}/runs", s.listRuns())

	// What a running pipeline records.
	authed("POST /api/v1/steps", s.createStep)
	listed("GET /api/v1/steps", s.listSteps())
	authed("GET /api/v1/steps/{step_id}", s.getStep())
	authed("PUT /api/v1/steps/{step_id}", s.updateStep)
	authed("PUT /api/v1/steps/{step_id}/heartbeat", s.stepHeartbeat)
	authed("GET /api/v1/steps/{step_id}/status", s.getStepStatus)
	authed("GET /api/v1/steps/{step_id}/step-configuration", s.stepConfigurationOf)
	authed("GET /api/v1/steps/{step_id}/logs", s.stepLogs)
	authed("POST /api/v1/logs", s.createLogs)
	authed("GET /api/v1/logs/{logs_id}", s.getLogs())
	authed("PUT /api/v1/logs/{logs_id}", s.updateLogs)
	authed("GET /api/v1/logs/{logs_id}/entries", s.logsEntriesOf)
	authed("POST /api/v1/run-metadata", s.addRunMetadata)
	authed("POST /api/v1/workspaces/{project_name_or_id}/run-metadata", s.addRunMetadata)
	listed("GET /api/v1/run_wait_conditions", s.listRunWaitConditions())
	authed("POST /api/v1/run_wait_conditions", s.createRunWaitCondition)
	authed("GET /api/v1/run_wait_conditions/{run_wait_condition_id}", s.getRunWaitCondition())
	authed("PUT /api/v1/run_wait_conditions/{run_wait_condition_id}", s.updateRunWaitConditionLease)
	authed("PUT /api/v1/run_wait_conditions/{run_wait_condition_id}/resolve", s.resolveRunWaitCondition)
	listed("GET /api/v1/hook_invocations", s.listHookInvocations())
	authed("POST /api/v1/hook_invocations", s.createHookInvocation)
	authed("GET /api/v1/hook_invocations/{hook_invocation_id}", s.getHookInvocation())
	authed("DELETE /api/v1/hook_invocations/{hook_invocation_id}", s.deleteHookInvocation())

	// Artifacts and their versions.
	listed("GET /api/v1/artifacts", s.listArtifacts())
	authed("POST /api/v1/artifacts", s.createArtifact)
	authed("GET /api/v1/artifacts/{artifact_id}", s.getArtifact())
	authed("PUT /api/v1/artifacts/{artifact_id}", s.updateArtifact())
	authed("DELETE /api/v1/artifacts/{artifact_id}", s.deleteArtifact())
	listed("GET /api/v1/artifact_versions", s.listArtifactVersions())
	authed("POST /api/v1/artifact_versions", s.createArtifactVersion)
	authed("POST /api/v1/artifact_versions/batch", s.createArtifactVersionBatch)
	authed("DELETE /api/v1/artifact_versions", s.pruneArtifactVersions)
	authed("GET /api/v1/artifact_versions/{artifact_version_id}", s.getArtifactVersion())
	authed("PUT /api/v1/artifact_versions/{artifact_version_id}", s.updateArtifactVersion())
	authed("DELETE /api/v1/artifact_versions/{artifact_version_id}", s.deleteArtifactVersion)
	authed("GET /api/v1/artifact_versions/{artifact_version_id}/visualize", s.visualizeArtifactVersion)
	authed("GET /api/v1/artifact_versions/{artifact_version_id}/download-token", s.artifactDownloadToken)
	public("GET /api/v1/artifact_versions/{artifact_version_id}/data", http.HandlerFunc(s.artifactVersionData))

	// Models, their versions and what the versions link.
	listed("GET /api/v1/models", s.listModels())
	authed("POST /api/v1/models", s.createModel)
	authed("GET /api/v1/models/{model_id}", s.getModel())
	authed("PUT /api/v1/models/{model_id}", s.updateModel())
	authed("DELETE /api/v1/models/{model_id}", s.deleteModel())
	listed("GET /api/v1/models/{model_name_or_id}/model_versions", s.listModelVersions())
	authed("POST /api/v1/workspaces/{workspace}/models", s.createModel)
	listed("GET /api/v1/model_versions", s.listModelVersions())
	authed("POST /api/v1/model_versions", s.createModelVersion)
	authed("POST /api/v1/workspaces/{workspace}/models/{model_id}/model_versions", s.createModelVersion)
	authed("GET /api/v1/model_versions/{model_version_id}", s.getModelVersion())
	authed("PUT /api/v1/model_versions/{model_version_id}", s.updateModelVersion())
	authed("DELETE /api/v1/model_versions/{model_version_id}", s.deleteModelVersion())
	authed("DELETE /api/v1/model_versions/{model_version_id}/artifacts", s.unlinkArtifactVersions)
	authed("DELETE /api/v1/model_versions/{model_version_id}/artifacts/{model_version_artifact_link_name_or_id}",
		s.unlink(false, "model_version_artifact_link_name_or_id"))
	authed("DELETE /api/v1/model_versions/{model_version_id}/runs/{model_version_pipeline_run_link_name_or_id}",
		s.unlink(true, "model_version_pipeline_run_link_name_or_id"))
	listed("GET /api/v1/model_version_artifacts", s.listLinks(false))
	authed("POST /api/v1/model_version_artifacts", s.linkArtifactVersion)
	listed("GET /api/v1/model_version_pipeline_runs", s.listLinks(true))
	authed("POST /api/v1/model_version_pipeline_runs", s.linkRun)

	// Secrets (and the deprecated project-scoped create the dashboard used),
	// and the backup operations of a secrets store zengo does not have.
	listed("GET /api/v1/secrets", s.listSecrets())
	authed("POST /api/v1/secrets", s.createSecret)
	authed("GET /api/v1/secrets/{secret_id}", s.getSecret())
	authed("PUT /api/v1/secrets/{secret_id}", s.updateSecret())
	authed("DELETE /api/v1/secrets/{secret_id}", s.deleteSecret())
	authed("POST /api/v1/workspaces/{workspace}/secrets", s.createSecret)
	authed("PUT /api/v1/secrets_operations/backup", secretsOperation("backup", true))
	authed("PUT /api/v1/secrets_operations/restore", secretsOperation("restore", false))

	// Code repositories (and the deprecated project-scoped aliases).
	listed("GET /api/v1/code_repositories", s.listCodeRepositories())
	authed("POST /api/v1/code_repositories", s.createCodeRepository)
	authed("GET /api/v1/code_repositories/{code_repository_id}", s.getCodeRepository())
	authed("PUT /api/v1/code_repositories/{code_repository_id}", s.updateCodeRepository())
	authed("DELETE /api/v1/code_repositories/{code_repository_id}", s.deleteCodeRepository())
	listed("GET /api/v1/workspaces/{workspace}/code_repositories", s.listCodeRepositories())
	authed("POST /api/v1/workspaces/{workspace}/code_repositories", s.createCodeRepository)

	// Service connectors and their types (and the deprecated project-scoped
	// aliases, which ignore the project).
	authed("GET /api/v1/service_connector_types", s.listConnectorTypes)
	authed("GET /api/v1/service_connector_types/{connector_type}", s.getConnectorType)
	listed("GET /api/v1/service_connectors", s.listServiceConnectors())
	authed("POST /api/v1/service_connectors", s.createServiceConnector)
	authed("POST /api/v1/service_connectors/verify", s.verifyConnectorConfig)
	authed("GET /api/v1/service_connectors/resources", s.listConnectorResources)
	authed("POST /api/v1/service_connectors/full_stack_resources", s.fullStackResources)
	authed("GET /api/v1/service_connectors/{connector_id}", s.getServiceConnector())
	authed("PUT /api/v1/service_connectors/{connector_id}", s.updateServiceConnector())
	authed("DELETE /api/v1/service_connectors/{connector_id}", s.deleteServiceConnector())
	authed("PUT /api/v1/service_connectors/{connector_id}/verify", s.verifyServiceConnector)
	authed("GET /api/v1/service_connectors/{connector_id}/client", s.connectorClient)
	listed("GET /api/v1/workspaces/{project_name_or_id}/service_connectors", s.listServiceConnectors())
	authed("POST /api/v1/workspaces/{project_name_or_id}/service_connectors", s.createServiceConnector)
	authed("GET /api/v1/workspaces/{project_name_or_id}/resources", s.listConnectorResources)

	// Curated visualizations and the artifact versions they show.
	authed("POST /api/v1/curated_visualizations", s.createCurated)
	authed("GET /api/v1/curated_visualizations/{visualization_id}", s.getCurated())
	authed("PUT /api/v1/curated_visualizations/{visualization_id}", s.updateCurated)
	authed("DELETE /api/v1/curated_visualizations/{visualization_id}", s.deleteCurated())

	return s.withRouteErrors(mux)
}

// withRouteErrors answers unknown paths and wrong methods as the reference
// does ({"detail": "Not Found"} / {"detail": "Method Not Allowed"}) instead
// of the mux's plain text.
func (s *Server) withRouteErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux serves HEAD with GET routes; the reference's routes take
		// no HEAD (nor OPTIONS) but those without a method (/health,
		// /ready), so HEAD is looked up as a method no route names.
		seen := r
		if r.Method == http.MethodHead {
			seen = r.Clone(r.Context())
			seen.Method = "ZENGO-PROBE"
		}
		if _, pattern := mux.Handler(seen); pattern != "" {
			setRoute(r, pattern)
			mux.ServeHTTP(w, r)
			return
		}
		switch {
		case (r.Method == http.MethodGet || r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/assets/")) &&
			(r.URL.Path == "/api" || !strings.HasPrefix(r.URL.Path, "/api/")):
			// (The reference's dashboard files answer HEAD too.)
			// The reference serves its dashboard on every other path.
			setRoute(r, "dashboard")
			s.dashboard.serve(w, r)
		case r.Method == http.MethodGet:
			// The reference catches every other GET under /api, so a GET
			// never learns that another method exists.
			writeJSON(w, http.StatusNotFound, plainDetail("Not Found"))
		default:
			w.Header().Set("Allow", referenceAllow(r.URL.Path))
			writeJSON(w, http.StatusMethodNotAllowed, plainDetail("Method Not Allowed"))
		}
	})
}

// routeOrder is the reference's routes in the order its router tries them,
// each with the method of its first route (tools/gen_route_order.py).
//
//go:embed route_order.json
var routeOrderJSON []byte

var routeOrder = func() [][2]string {
	var out [][2]string
	if err := json.Unmarshal(routeOrderJSON, &out); err != nil {
		panic("api: route_order.json: " + err.Error())
	}
	return out
}()

// referenceAllow is what the reference's 405 names: the method of the
// first of its routes whose path matches, else GET (its dashboard's
// catch-all, which matches every path).
func referenceAllow(path string) string {
	segs := strings.Split(path, "/")
	for _, route := range routeOrder {
		if pathMatches(route[0], segs) {
			return route[1]
		}
	}
	return "GET"
}

// pathMatches matches a route template ({name} is one non-empty segment).
func pathMatches(template string, segs []string) bool {
	parts := strings.Split(template, "/")
	if len(parts) != len(segs) {
		return false
	}
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return false
			}
		} else if p != segs[i] {
			return false
		}
	}
	return true
}
