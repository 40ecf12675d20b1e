package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"zengo/internal/auth"
	"zengo/internal/filter"
	"zengo/internal/store"
	"zengo/internal/zen"
)

// migrate brings the schema up to date and reports the version.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s := newSettings("migrate", stderr)
	ss := addStoreSettings(s, getenv)
	if err := s.parse(args, getenv); err != nil {
		return err
	}
	db, err := openStore(ctx, ss)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.CurrentVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database schema at version %d (%s)\n", v, db.Engine())
	return nil
}

const userUsage = `Usage:
  zengo user create NAME [--password P] [--admin]   create a user (no password: prints an activation token)
  zengo user list                                    list users
  zengo user set-password NAME --password P          set a user's password
Store flags (--store, --data-dir) and their variables apply as for serve.
`

// userCommand manages users straight in the store, for operators who
// cannot log in (a lost admin password).
func userCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stdout, userUsage)
		if len(args) == 0 {
			return errors.New("no user command given")
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	s := newSettings("user "+sub, stderr)
	ss := addStoreSettings(s, getenv)
	password := s.add("password", "", "", "the user's password")
	admin := s.fs.Bool("admin", false, "make the user an admin")
	var name string
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		name, rest = rest[0], rest[1:]
	}
	if err := s.parse(rest, getenv); err != nil {
		return err
	}
	db, err := openStore(ctx, ss)
	if err != nil {
		return err
	}
	defer db.Close()

	switch sub {
	case "create":
		if name == "" {
			return errors.New("user create: NAME is required")
		}
		nu := store.NewUser{User: zen.User{Name: name, IsAdmin: *admin}}
		token := ""
		if *password != "" {
			hash, err := auth.HashPassword(*password)
			if err != nil {
				return err
			}
			nu.PasswordHash, nu.User.Active = &hash, true
		} else {
			token = auth.NewSecret()
			h := auth.HashSecret(token)
			nu.ActivationTokenHash = &h
		}
		u, err := db.CreateUser(ctx, nu)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s (%s)\n", u.Name, u.ID)
		if token != "" {
			fmt.Fprintf(stdout, "activation token: %s\n", token)
		}
		return nil
	case "list":
		l := &filter.List{Page: 1, Size: filter.MaxPageSize, SortField: "created"}
		page, err := db.ListUsers(ctx, l, store.HumanAccount, nil)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tID\tADMIN\tACTIVE")
		for _, u := range page.Items {
			fmt.Fprintf(tw, "%s\t%s\t%t\t%t\n", u.Name, u.ID, u.IsAdmin, u.Active)
		}
		return tw.Flush()
	case "set-password":
		if name == "" || *password == "" {
			return errors.New("user set-password: NAME and --password are required")
		}
		u, err := db.GetUser(ctx, name, store.HumanAccount)
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(*password)
		if err != nil {
			return err
		}
		if _, err := db.UpdateUser(ctx, u.ID, store.UserUpdate{PasswordHash: &hash}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed\n", u.Name)
		return nil
	}
	fmt.Fprint(stderr, userUsage)
	return fmt.Errorf("unknown user command %q", sub)
}
