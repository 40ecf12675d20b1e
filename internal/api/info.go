package api

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"zengo/internal/store"
	"zengo/internal/zen"
)

// health answers liveness cheaply: it never touches the database.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok"))
}

// ready reports whether the database answers.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, detail("RuntimeError", "The database is not reachable: "+err.Error()))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok"))
}

func (s *Server) version(r *http.Request) (any, error) { return Version, nil }

// serverInfo is the reference's ServerModel.
type serverInfo struct {
	ID                  uuid.UUID         `json:"id"`
	Name                string            `json:"name"`
	Version             string            `json:"version"`
	Active              bool              `json:"active"`
	Debug               bool              `json:"debug"`
	DeploymentType      string            `json:"deployment_type"`
	DatabaseType        string            `json:"database_type"`
	SecretsStoreType    string            `json:"secrets_store_type"`
	AuthScheme          string            `json:"auth_scheme"`
	ServerURL           string            `json:"server_url"`
	DashboardURL        string            `json:"dashboard_url"`
	AnalyticsEnabled    bool              `json:"analytics_enabled"`
	Metadata            map[string]string `json:"metadata"`
	LastUserActivity    zen.Time          `json:"last_user_activity"`
	ProDashboardURL     *string           `json:"pro_dashboard_url"`
	ProAPIURL           *string           `json:"pro_api_url"`
	ProOrganizationID   *string           `json:"pro_organization_id"`
	ProOrganizationName *string           `json:"pro_organization_name"`
	ProWorkspaceID      *string           `json:"pro_workspace_id"`
	ProWorkspaceName    *string           `json:"pro_workspace_name"`
}

func (s *Server) info(r *http.Request) (any, error) {
	settings, _, err := s.db.Settings(r.Context())
	if err != nil {
		return nil, err
	}
	dbType := "other"
	switch s.db.Engine() {
	case "sqlite", "mysql":
		dbType = s.db.Engine()
	}
	return serverInfo{
		ID: s.serverID, Name: settings.ServerName, Version: Version, Active: settings.Active,
		DeploymentType: s.cfg.DeploymentType, DatabaseType: dbType, SecretsStoreType: "sql",
		AuthScheme: "OAUTH2_PASSWORD_BEARER", ServerURL: s.cfg.ServerURL, DashboardURL: s.cfg.DashboardURL,
		AnalyticsEnabled: settings.EnableAnalytics, Metadata: map[string]string{}, LastUserActivity: settings.LastUserActivity,
	}, nil
}

type settingsBody struct {
	ServerID             uuid.UUID `json:"server_id"`
	ServerName           string    `json:"server_name"`
	LogoURL              *string   `json:"logo_url"`
	Active               bool      `json:"active"`
	EnableAnalytics      bool      `json:"enable_analytics"`
	DisplayAnnouncements *bool     `json:"display_announcements"`
	DisplayUpdates       *bool     `json:"display_updates"`
	LastUserActivity     zen.Time  `json:"last_user_activity"`
	Updated              zen.Time  `json:"updated"`
}

type settingsView struct {
	Body      settingsBody `json:"body"`
	Metadata  struct{}     `json:"metadata"`
	Resources struct{}     `json:"resources"`
}

func (s *Server) getSettings(r *http.Request) (any, error) {
	if _, err := hydrateParam(r, true); err != nil {
		return nil, err
	}
	return s.settingsAnswer(r)
}

func (s *Server) settingsAnswer(r *http.Request) (any, error) {
	st, _, err := s.db.Settings(r.Context())
	if err != nil {
		return nil, err
	}
	return settingsView{Body: settingsBody{ServerID: st.ServerID, ServerName: st.ServerName, LogoURL: st.LogoURL,
		Active: st.Active, EnableAnalytics: st.EnableAnalytics, DisplayAnnouncements: st.DisplayAnnouncements,
		DisplayUpdates: st.DisplayUpdates, LastUserActivity: st.LastUserActivity, Updated: st.Updated}}, nil
}

type settingsUpdate struct {
	ServerName           *string `json:"server_name"`
	LogoURL              *string `json:"logo_url"`
	EnableAnalytics      *bool   `json:"enable_analytics"`
	DisplayAnnouncements *bool   `json:"display_announcements"`
	DisplayUpdates       *bool   `json:"display_updates"`
}

func (s *Server) updateSettings(r *http.Request) (any, error) {
	var req settingsUpdate
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if !current(r).user.IsAdmin {
		return nil, forbidden("Only admins can update server settings.")
	}
	if err := s.db.UpdateSettings(r.Context(), store.SettingsUpdate{ServerName: req.ServerName, LogoURL: req.LogoURL,
		EnableAnalytics: req.EnableAnalytics, DisplayAnnouncements: req.DisplayAnnouncements, DisplayUpdates: req.DisplayUpdates}); err != nil {
		return nil, err
	}
	return s.settingsAnswer(r)
}

// statistics counts the server's stacks, components and projects.
func (s *Server) statistics(r *http.Request) (any, error) {
	st, err := s.db.ServerStatistics(r.Context())
	if err != nil {
		return nil, err
	}
	return struct {
		Stacks     int `json:"stacks"`
		Components int `json:"components"`
		Projects   int `json:"projects"`
	}{st[0], st[1], st[2]}, nil
}

// onboardingState lists the onboarding steps the server has seen.
func (s *Server) onboardingState(r *http.Request) (any, error) {
	return s.db.OnboardingState(r.Context())
}

// activateServer: a zengo server is active from its first start.
func (s *Server) activateServer(r *http.Request) (any, error) {
	return nil, forbidden("The server is already active.")
}
