package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// secretsKeyEnv is the reference's name for the SQL secrets store's key.
const secretsKeyEnv = "ZENML_SECRETS_STORE_ENCRYPTION_KEY"

const secretsUsage = `Usage:
  zengo secrets rotate-key --old-key K1 --new-key K2   re-encrypt every secret from K1 to K2
An empty key means unencrypted: --new-key K encrypts secrets stored without
a key, --old-key K alone decrypts them. --old-key defaults to
` + secretsKeyEnv + `, --new-key to ZENGO_NEW_SECRETS_STORE_ENCRYPTION_KEY
(variables keep keys out of the process list). All secrets change in one
transaction, or none does. Stop the servers first, then start them with the
new key. Store flags (--store, --data-dir) and their variables apply as for serve.
`

// secretsCommand manages the encryption of secret values in the store.
func secretsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stdout, secretsUsage)
		if len(args) == 0 {
			return errors.New("no secrets command given")
		}
		return nil
	}
	if args[0] != "rotate-key" {
		fmt.Fprint(stderr, secretsUsage)
		return fmt.Errorf("unknown secrets command %q", args[0])
	}
	s := newSettings("secrets rotate-key", stderr)
	ss := addStoreSettings(s, getenv)
	oldKey := s.add("old-key", secretsKeyEnv, "", "the key the secrets are encrypted with now (empty: unencrypted)")
	newKey := s.add("new-key", "ZENGO_NEW_SECRETS_STORE_ENCRYPTION_KEY", "", "the key to encrypt them with (empty: unencrypted)")
	if err := s.parse(args[1:], getenv); err != nil {
		return err
	}
	if *oldKey == *newKey {
		return errors.New("secrets rotate-key: the old and the new key are the same")
	}
	db, err := openStore(ctx, ss)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.RotateSecretsKey(ctx, *oldKey, *newKey)
	if err != nil {
		return fmt.Errorf("secrets rotate-key: %w", err)
	}
	state := "encrypted with the new key"
	if *newKey == "" {
		state = "stored unencrypted"
	}
	fmt.Fprintf(stdout, "%d secrets re-written, now %s\n", n, state)
	return nil
}
