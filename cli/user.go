package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"hindsight/models"
)

func runUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(env.Stderr, "Usage: hindsight user add --email E --name N --role admin|editor|viewer [--password P]")
			return nil
		}
		fmt.Fprintln(env.Stderr, "hindsight user: use 'hindsight user add --email E --name N --role admin|editor|viewer'")
		return errUsage
	}
	fs := newFlags(env, "user add", "user add --email E --name N --role admin|editor|viewer [--password P]\n(without --password, the password is read from the first line of stdin)")
	email := fs.String("email", "", "e-mail address (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "", "admin, editor or viewer (required)")
	password := fs.String("password", "", "password; prefer stdin so it stays out of shell history")
	if err := parseFlags(fs, args[1:], 0); err != nil {
		return err
	}
	for flagName, v := range map[string]string{"email": *email, "name": *name, "role": *role} {
		if strings.TrimSpace(v) == "" {
			fmt.Fprintf(env.Stderr, "hindsight user add: --%s is required\n", flagName)
			return errUsage
		}
	}
	if !models.ValidRole(*role) {
		fmt.Fprintf(env.Stderr, "hindsight user add: --role must be admin, editor or viewer, not %q\n", *role)
		return errUsage
	}
	pw := *password
	if pw == "" {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("no password: pass --password or write it on stdin")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	_, _, store, err := setup(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := store.CreateUser(ctx, models.NewUser{Email: *email, Name: *name, Role: *role, Password: pw})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created %s %s (%s), id %d\n", u.Role, u.Email, u.Name, u.ID)
	return nil
}
