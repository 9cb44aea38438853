// Package version implements `akctl version`: akctl's version and the
// server's.
package version

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/pkg/client"
)

// VersionOptions are the parsed command line of `akctl version`.
type VersionOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	Version    string
	ClientOnly bool
	Output     output.Options

	structured bool
}

// NewCmdVersion builds `akctl version`.
func NewCmdVersion(f *cmdutil.Factory, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams, Client: f.Client, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show akctl's version and the server's",
		Long: `Show akctl's version and the authentik API version it speaks, and the
server's version (GET /admin/version/). --client skips the server.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.structured = cmd.Flags().Changed("output") || opts.Output.JQ != ""
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return versionRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.ClientOnly, "client", false, "only akctl's version; do not contact the server")
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML)
	return cmd
}

type clientInfo struct {
	Version   string `json:"version"`
	APISchema string `json:"api_schema"`
	Go        string `json:"go"`
}

func versionRun(ctx context.Context, o *VersionOptions) error {
	ci := clientInfo{Version: o.Version, APISchema: client.SchemaVersion, Go: runtime.Version()}
	var server json.RawMessage
	var serverErr error
	if !o.ClientOnly {
		c, err := o.Client()
		if err == nil {
			var raw []byte
			err = c.Do(ctx, "GET", "/admin/version/", nil, nil, &raw)
			server = raw
		}
		if err != nil {
			serverErr = fmt.Errorf("server version: %w", err)
		}
	}
	if o.structured {
		doc := map[string]any{"client": ci}
		if server != nil {
			doc["server"] = server
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if err := output.NewPrinter(o.IO, &o.Output).JSON(raw); err != nil {
			return err
		}
		return serverErr
	}
	fmt.Fprintf(o.IO.Out, "Client: akctl %s (authentik API %s, %s)\n", ci.Version, ci.APISchema, ci.Go)
	if serverErr != nil {
		return serverErr
	}
	if server != nil {
		var v struct {
			Current   string `json:"version_current"`
			Latest    string `json:"version_latest"`
			BuildHash string `json:"build_hash"`
			Outdated  bool   `json:"outdated"`
		}
		if err := json.Unmarshal(server, &v); err != nil {
			return fmt.Errorf("server version: decode: %w", err)
		}
		line := "Server: authentik " + v.Current
		if v.BuildHash != "" {
			line += " (build " + v.BuildHash + ")"
		}
		if v.Outdated && v.Latest != "" {
			line += "; " + v.Latest + " is available"
		}
		fmt.Fprintln(o.IO.Out, line)
	}
	return nil
}
