// Command akctl administers authentik and akserver from the command line.
// See docs/cli.md.
package main

import (
	"os"

	"github.com/akgo/akgo/internal/akctl"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

func main() { os.Exit(akctl.Main(os.Args[1:], iostreams.System(), os.LookupEnv)) }
