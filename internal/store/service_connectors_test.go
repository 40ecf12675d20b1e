package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"zengo/internal/catalog"
	"zengo/internal/filter"
	"zengo/internal/jsonobj"
	"zengo/internal/storetest"
	"zengo/internal/zen"
)

// A connector's secret values are sealed in an internal secret (no
// plaintext in the database when a key is set), the secrets API does not
// show that secret, updates rewrite or drop it, deleting the connector
// deletes it, a connector in use is kept, and a list costs the same
// statements for any page size.
func TestServiceConnectorSecretsAndRules(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, url string) {
		ctx := context.Background()
		f := newFixture(t, url)
		db := openWithKey(t, url, "connector-key")
		const plain = "hunter2-connector-password"
		docker := catalog.LookupConnectorType("docker")
		cfg, _ := jsonobj.Parse([]byte(`{"username": "alice", "password": "` + plain + `", "registry": "reg.io"}`))
		newConnector := func(name string) *ServiceConnector {
			c := &ServiceConnector{ServiceConnector: zen.ServiceConnector{UserID: &f.admin.ID, Name: name, ConnectorType: "docker", AuthMethod: "password"}}
			if err := c.Configure(docker, nil, true, cfg); err != nil {
				t.Fatal(err)
			}
			out, err := db.CreateServiceConnector(ctx, *c)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		c := newConnector("dk")
		if c.SecretID == nil || c.Secrets.String() != "username=alice,password="+plain {
			t.Fatalf("secrets: %v %v", c.SecretID, c.Secrets)
		}
		if got, _ := c.FullConfiguration().MarshalJSON(); string(got) != `{"registry":"reg.io","username":"alice","password":"`+plain+`"}` {
			t.Fatalf("configuration: %s", got)
		}
		var sealed, row string
		if err := f.db.reader.QueryRow(db.dialect.rebind(`SELECT secret_values FROM secrets WHERE id = ?`), hexID(*c.SecretID)).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if err := f.db.reader.QueryRow(db.dialect.rebind(`SELECT COALESCE(configuration, '') FROM service_connectors WHERE id = ?`), hexID(c.ID)).Scan(&row); err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(sealed)
		if strings.Contains(sealed, plain) || strings.Contains(string(raw), plain) || strings.Contains(row, plain) || raw[0] != 1 {
			t.Fatalf("the database shows the secret value: %q / %q", raw, row)
		}
		if p, err := db.ListSecrets(ctx, mustList(t, filter.Secrets, ""), f.admin.ID); err != nil || p.Total != 0 {
			t.Fatalf("the connector's secret is listed: %v %v", p, err)
		}
		if _, err := db.GetSecret(ctx, *c.SecretID, f.admin.ID); zen.ErrorCode(err) != zen.ENotFound {
			t.Fatalf("the connector's secret is readable: %v", err)
		}

		// A configuration without secrets drops the secret.
		plainCfg, _ := jsonobj.Parse([]byte(`{"username": "bob", "password": "x"}`))
		up, err := db.UpdateServiceConnector(ctx, c.ID, ServiceConnectorUpdate{Configuration: plainCfg})
		if err != nil || up.Secrets.String() != "username=bob,password=x" || *up.SecretID != *c.SecretID {
			t.Fatalf("update: %v %v", up, err)
		}

		// In use by a component: kept, as the reference keeps it.
		comp, err := db.CreateComponent(ctx, zen.Component{Name: "cr", Type: "container_registry", FlavorName: "default",
			Configuration: []byte(`{"uri": "reg.io/x"}`), ConnectorID: &c.ID, UserID: &f.admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		if comp.Connector == nil || comp.Connector.Name != "dk" {
			t.Fatalf("the component's connector: %+v", comp.Connector)
		}
		if err := db.DeleteServiceConnector(ctx, c.ID); zen.ErrorCode(err) != zen.EForbidden {
			t.Fatalf("deleting a connector in use: %v", err)
		}
		if err := db.DeleteComponent(ctx, comp.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteServiceConnector(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := f.db.reader.QueryRow(db.dialect.rebind(`SELECT COUNT(*) FROM secrets WHERE id = ?`), hexID(*c.SecretID)).Scan(&left); err != nil || left != 0 {
			t.Fatalf("the connector's secret stayed: %d %v", left, err)
		}

		for i := 0; i < 25; i++ {
			newConnector(fmt.Sprintf("many-%d", i))
		}
		count := func(size int) int64 {
			before := db.Statements()
			if _, err := db.ListServiceConnectors(ctx, mustList(t, filter.ServiceConnectors, fmt.Sprintf("size=%d&hydrate=true", size)), nil,
				ConnectorListScope{ResourceType: "docker-registry"}, true); err != nil {
				t.Fatal(err)
			}
			return db.Statements() - before
		}
		if a, b := count(1), count(1000); a != b {
			t.Fatalf("connector list statements: %d vs %d", a, b)
		}
	})
}
