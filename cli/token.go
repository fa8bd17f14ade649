package cli

import (
	"context"
	"fmt"

	"hindsight/models"
)

func runToken(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(env.Stderr, "Usage: hindsight token add --name N [--role editor]")
			return nil
		}
		fmt.Fprintln(env.Stderr, "hindsight token: use 'hindsight token add --name N [--role editor]'")
		return errUsage
	}
	fs := newFlags(env, "token add", "token add --name N [--role admin|editor|viewer]\n(the token is printed alone on the last line, once; only its hash is stored)")
	name := fs.String("name", "", "what the token is for (required)")
	role := fs.String("role", models.RoleEditor, "admin, editor or viewer")
	if err := parseFlags(fs, args[1:], 0); err != nil {
		return err
	}
	if *name == "" {
		fmt.Fprintln(env.Stderr, "hindsight token add: --name is required")
		return errUsage
	}
	if !models.ValidRole(*role) {
		fmt.Fprintf(env.Stderr, "hindsight token add: --role must be admin, editor or viewer, not %q\n", *role)
		return errUsage
	}
	_, _, store, err := setup(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	t, plain, err := store.CreateAPIToken(ctx, *name, *role, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created %s token %q (id %d); it is shown once:\n%s\n", t.Role, t.Name, t.ID, plain)
	return nil
}
