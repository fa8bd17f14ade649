package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
)

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "migrate", "migrate [status]")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "", "up":
	case "status":
		return migrateStatus(ctx, env)
	default:
		fmt.Fprintf(env.Stderr, "hindsight migrate: unknown action %q; use 'migrate' or 'migrate status'\n", fs.Arg(0))
		return errUsage
	}
	_, _, store, err := setup(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := store.Migrate(ctx)
	for _, v := range applied {
		fmt.Fprintf(env.Stdout, "applied %05d\n", v)
	}
	if err != nil {
		return err
	}
	info, err := store.Schema(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "schema at version %d (%s)\n", info.Current, info.State)
	return nil
}

func migrateStatus(ctx context.Context, env Env) error {
	_, _, store, err := setup(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	rows, err := store.MigrationStatuses(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tFILE")
	for _, r := range rows {
		state, at := "pending", "-"
		if r.Applied {
			state, at = "applied", r.AppliedAt.Format("2006-01-02 15:04:05 UTC")
		}
		fmt.Fprintf(tw, "%05d\t%s\t%s\t%s\n", r.Version, state, at, r.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	info, err := store.Schema(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database at %d, this release expects %d: %s\n", info.Current, info.Expected, info.State)
	return nil
}
