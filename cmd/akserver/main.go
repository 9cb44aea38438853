// Command akserver serves the authentik v3 API. See README.md.
package main

import (
	"os"

	"github.com/akgo/akgo/internal/app"
)

func main() { os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr)) }
