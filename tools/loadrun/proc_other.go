//go:build !linux

package main

import "os/exec"

// configureChild has nothing to set outside Linux: there is no parent-death
// signal, and loadrun's deferred kill is the only guard. RSS and CPU figures
// need /proc and are left empty.
func configureChild(*exec.Cmd) {}
