package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"zengo/internal/importer"
)

const importHelp = `Copies a ZenML 0.98.0 database (SQLite or MySQL) into a zengo store, ids,
names, timestamps and versions kept. The source is only read. The target
must be empty (a new store, or one only zengo's first start filled) unless
--merge is given. An interrupted import continues when the same command
runs again. Stop servers that use the target store while it runs.
`

// importCommand is `zengo import`.
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s := newSettings("import", stderr)
	ss := addStoreSettings(s, getenv)
	// Both keys default to the one variable: an operator who moves from
	// ZenML usually keeps the key for zengo, whose derivation is the same.
	ss.secretsKey = s.add("secrets-encryption-key", secretsKeyEnv, "", "the key zengo serve will use, to seal the imported secrets with (empty: unencrypted)")
	from := s.add("from", "", "", "the ZenML database URL: sqlite:///path or mysql://user:pass@host[:port]/db[?ssl_ca=...&ssl_cert=...&ssl_key=...&ssl_verify_server_cert=true]")
	srcCA := s.add("source-ssl-ca", "", "", "CA certificate for TLS to a MySQL source")
	srcCert := s.add("source-ssl-cert", "", "", "client certificate for TLS to a MySQL source")
	srcKey := s.add("source-ssl-key", "", "", "client key for TLS to a MySQL source")
	srcVerify := s.add("source-ssl-verify-server-cert", "", "false", "verify the MySQL source's certificate")
	sourceKey := s.add("source-secrets-key", secretsKeyEnv, "", "the source server's secrets key (empty: its secrets are not encrypted)")
	merge := s.add("merge", "", "false", "import into a store that already holds data (colliding rows are reported, not written)")
	keepIdentity := s.add("keep-server-identity", "", "false", "keep the source's server id (and, with --jwt-secret-key, its JWT key) so that logged-in clients stay logged in")
	jwtKey := s.add("jwt-secret-key", "ZENML_SERVER_JWT_SECRET_KEY", "", "the source server's ZENML_SERVER_JWT_SECRET_KEY (ZenML keeps it outside its database)")
	batch := s.add("batch", "", "20000", "source rows per transaction")
	progress := s.add("progress", "", "auto", "progress display: auto (a bar on a terminal, lines otherwise), bar, lines or none")
	s.fs.Usage = func(orig func()) func() {
		return func() { fmt.Fprint(stderr, "zengo import --from URL [flags]\n\n"+importHelp+"\n"); orig() }
	}(s.fs.Usage)
	// The boolean flags may be given bare (--merge).
	args = bareBooleans(args, "merge", "keep-server-identity")
	if err := s.parse(args, getenv); err != nil {
		return err
	}
	if *from == "" {
		s.fs.Usage()
		return errors.New("import: --from is required")
	}
	mergeOn, err := parseBoolSetting("--merge", *merge)
	if err != nil {
		return err
	}
	keepOn, err := parseBoolSetting("--keep-server-identity", *keepIdentity)
	if err != nil {
		return err
	}
	verifyOn, err := parseBoolSetting("--source-ssl-verify-server-cert", *srcVerify)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(*batch)
	if err != nil || n < 1 || n > 100000 {
		return fmt.Errorf("import: --batch must be an integer from 1 to 100000, got %q", *batch)
	}
	kind := *progress
	if kind == "auto" {
		kind = "lines"
		if f, ok := stderr.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				kind = "bar"
			}
		}
	}
	if keepOn && *jwtKey == "" {
		fmt.Fprintln(stderr, "zengo import: --keep-server-identity without --jwt-secret-key keeps the server id only: clients log in again")
	}
	prog, err := importer.NewProgress(kind, stderr)
	if err != nil {
		return err
	}
	src, err := importer.OpenSource(ctx, *from, importer.SourceTLS{CA: *srcCA, Cert: *srcCert, Key: *srcKey, VerifyServer: verifyOn})
	if err != nil {
		return fmt.Errorf("import: source: %w", err)
	}
	defer src.Close()
	db, err := openStore(ctx, ss)
	if err != nil {
		return fmt.Errorf("import: target: %w", err)
	}
	defer db.Close()
	res, err := importer.Run(ctx, src, db, importer.Config{
		Merge: mergeOn, KeepServerIdentity: keepOn, JWTSecretKey: *jwtKey, SourceSecretsKey: *sourceKey, Batch: n, Progress: prog,
	})
	if res != nil {
		res.Report(stdout)
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintln(stdout, "import complete")
	return nil
}

// bareBooleans turns "--name" into "--name=true" for the boolean flags
// (the settings table holds strings).
func bareBooleans(args []string, names ...string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		for _, n := range names {
			if a == "--"+n || a == "-"+n {
				a = "--" + n + "=true"
			}
		}
		out = append(out, a)
	}
	return out
}
