package main

import (
	"os/exec"
	"syscall"
)

// configureChild makes the kernel kill the server if loadrun dies first, so
// that an interrupted run never leaves a server behind.
func configureChild(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
