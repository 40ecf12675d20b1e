// Package zenapi is a small client of the ZenML REST API, enough to log
// in and to seed benchmark data into any ZenML-compatible server (the
// reference ZenML server or zengo).
package zenapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one server.
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// New returns a client with a keep-alive pool sized for conns parallel
// requests.
func New(baseURL string, conns int) *Client {
	if conns < 1 {
		conns = 1
	}
	return &Client{
		BaseURL: strings.TrimRight(baseURL, "/"),
		HTTP: &http.Client{
			Timeout: 120 * time.Second,
			Transport: &http.Transport{
				Proxy:               nil,
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConns:        conns * 2,
				MaxIdleConnsPerHost: conns * 2,
				IdleConnTimeout:     90 * time.Second,
			},
		},
	}
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// Login returns an access token for a password login.
func (c *Client) Login(ctx context.Context, user, password string) (string, error) {
	form := url.Values{"username": {user}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, "POST", c.BaseURL+"/api/v1/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.send(req, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("login as %s: no access_token in the answer", user)
	}
	return out.AccessToken, nil
}

// Do sends a JSON request with a bearer token and decodes the JSON answer
// into out (if not nil).
func (c *Client) Do(ctx context.Context, token, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.send(req, out)
}

func (c *Client) send(req *http.Request, out any) error {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b := string(data)
		if len(b) > 300 {
			b = b[:300] + "..."
		}
		return &StatusError{Method: req.Method, Path: req.URL.RequestURI(), Status: resp.StatusCode, Body: b}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// Entity is the part of a ZenML response model the seeder needs.
type Entity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Page is a list answer.
type Page struct {
	Index int      `json:"index"`
	Total int      `json:"total"`
	Items []Entity `json:"items"`
}

// Health waits until GET /health answers 200 or the context ends.
func (c *Client) Health(ctx context.Context) error {
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", c.BaseURL+"/health", nil)
		resp, err := c.HTTP.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not become healthy: %v", c.BaseURL, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ProjectAndStack returns the ids of the default project and stack.
func (c *Client) ProjectAndStack(ctx context.Context, token string) (project, stack string, err error) {
	var p Entity
	if err := c.Do(ctx, token, "GET", "/api/v1/projects/default", nil, &p); err != nil {
		return "", "", err
	}
	var stacks Page
	if err := c.Do(ctx, token, "GET", "/api/v1/stacks?name=default", nil, &stacks); err != nil {
		return "", "", err
	}
	if len(stacks.Items) == 0 {
		return "", "", fmt.Errorf("no default stack")
	}
	return p.ID, stacks.Items[0].ID, nil
}
