// Command hindsight is the Hindsight postmortem app: the web server and the
// operator's tools (migrations, demo data, users, API tokens).
package main

import (
	"os"
	_ "time/tzdata" // viewers' time zones work on hosts without a zone database

	"hindsight/cli"
)

// Set at build time by the Makefile and the Dockerfile (-ldflags -X).
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		Version: version, Commit: commit,
	}))
}
