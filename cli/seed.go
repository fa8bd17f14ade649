package cli

import (
	"context"
	"fmt"

	"hindsight/seeds"
)

func runSeed(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "seed", "seed   (loads the demo postmortems; running it twice changes nothing)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	_, _, store, err := setup(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	res, err := seeds.Load(ctx, store)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "demo data: %d users and %d incidents created, %d incidents already present; %d events, %d timeline entries and %d actions added; %d postmortem sections saved\n",
		res.UsersCreated, res.IncidentsCreated, res.IncidentsSkipped, res.EventsCreated, res.TimelineEntriesAdded, res.ActionsCreated, res.PostmortemSectionsSaved)
	return nil
}
