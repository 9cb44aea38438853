// Package cmd holds akctl's commands, one package per command or
// command group (get, describe, create, edit, deletecmd, apiresources,
// api, configcmd, users, tokens, certs, groups, apps, tasks, events,
// version, and blueprintcmds for blueprint, plan, diff, apply and
// export), each in cli/cli's shape: an Options struct, NewCmdX(f, runF)
// that parses flags and arguments into it, and xRun that does the work.
// Tests pass a runF to check parsing without a server.
package cmd
