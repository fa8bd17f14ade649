package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"hindsight/config"
	"hindsight/ingest/kinds"
)

func runIntegration(ctx context.Context, env Env, args []string) error {
	synopsis := "integration add --kind KIND --name NAME [--json]\nkinds: " + strings.Join(kinds.Names(), ", ")
	if len(args) == 0 || args[0] != "add" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(env.Stderr, "Usage: hindsight "+synopsis)
			return nil
		}
		fmt.Fprintln(env.Stderr, "hindsight integration: use 'hindsight "+strings.SplitN(synopsis, "\n", 2)[0]+"'")
		return errUsage
	}
	fs := newFlags(env, "integration add", synopsis)
	kind := fs.String("kind", "", "the tool: "+strings.Join(kinds.Names(), ", ")+" (required)")
	name := fs.String("name", "", "a name, e.g. \"Production Alertmanager\" (required)")
	asJSON := fs.Bool("json", false, "print the integration as JSON on the last line")
	if err := parseFlags(fs, args[1:], 0); err != nil {
		return err
	}
	if _, ok := kinds.Lookup(*kind); !ok {
		fmt.Fprintf(env.Stderr, "hindsight integration add: --kind must be one of %s, not %q\n", strings.Join(kinds.Names(), ", "), *kind)
		return errUsage
	}
	if strings.TrimSpace(*name) == "" {
		fmt.Fprintln(env.Stderr, "hindsight integration add: --name is required")
		return errUsage
	}
	cfg, _, store, err := setup(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return err
	}
	in, err := store.CreateIntegration(ctx, *kind, *name, kinds.Names())
	if err != nil {
		return err
	}
	url := hookURL(cfg, in.ID)
	if *asJSON {
		out, _ := json.Marshal(map[string]string{"id": in.ID, "kind": in.Kind, "url": url, "secret": in.Secret})
		fmt.Fprintln(env.Stdout, string(out))
		return nil
	}
	k, _ := kinds.Lookup(in.Kind)
	fmt.Fprintf(env.Stdout, "created %s integration %q\nURL:    %s\nsecret: %s\n", in.Kind, in.Name, url, in.Secret)
	if k.Instructions != nil {
		setup := k.Instructions(url, in.Secret)
		for i, step := range setup.Steps {
			fmt.Fprintf(env.Stdout, "%d. %s\n", i+1, step)
		}
		if setup.Config != "" {
			fmt.Fprintf(env.Stdout, "\n%s\n", setup.Config)
		}
	}
	return nil
}

func hookURL(cfg *config.Config, id string) string { return cfg.BaseURL.String() + "/hooks/" + id }
