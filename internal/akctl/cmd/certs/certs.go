// Package certs implements `akctl certs`: generate a self-signed
// certificate-key pair, export a certificate and its key as PEM.
package certs

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
	"github.com/akgo/akgo/internal/akctl/output"
	"github.com/akgo/akgo/internal/akctl/resource"
)

// NewCmdCerts builds `akctl certs`.
func NewCmdCerts(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Certificate-key pairs: generate, export",
		Long:  "Commands for certificate-key pairs beyond get/describe/delete (akctl get certs, ...).",
	}
	cmd.AddCommand(NewCmdGenerate(f, nil), NewCmdExport(f, nil))
	return cmd
}

// GenerateOptions are the parsed command line of `certs generate`.
type GenerateOptions struct {
	IO           *iostreams.IOStreams
	Resources    func() (*resource.Client, error)
	Certs        *resource.Resource
	CommonName   string
	SubjectAlt   []string
	ValidityDays int
	Output       output.Options

	structured bool
}

// NewCmdGenerate builds `akctl certs generate`.
func NewCmdGenerate(f *cmdutil.Factory, runF func(context.Context, *GenerateOptions) error) *cobra.Command {
	opts := &GenerateOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:   "generate <common-name>",
		Short: "Generate a self-signed certificate-key pair",
		Long: `Generate a self-signed certificate and private key on the server. The
pair is named after its common name.`,
		Example: `  akctl certs generate sso.example.com --san sso.example.com,login.example.com --days 730`,
		Args:    cmdutil.ExactArgs(1, "a common name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			certs, err := f.Catalog().Lookup("certificatekeypairs")
			if err != nil {
				return err
			}
			opts.Certs, opts.CommonName = certs, args[0]
			opts.structured = cmd.Flags().Changed("output") || opts.Output.JQ != ""
			if err := opts.Output.Validate(); err != nil {
				return cmdutil.MarkUsage(err)
			}
			if opts.ValidityDays < 1 {
				return cmdutil.Usagef("--days must be at least 1, got %d", opts.ValidityDays)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return generateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.SubjectAlt, "san", nil, "subject alternative `names` (comma-separated)")
	cmd.Flags().IntVar(&opts.ValidityDays, "days", 365, "validity in days")
	output.AddFlags(cmd, &opts.Output, output.JSON, output.YAML)
	return cmd
}

func generateRun(ctx context.Context, o *GenerateOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	body := map[string]any{"common_name": o.CommonName, "validity_days": o.ValidityDays}
	if len(o.SubjectAlt) > 0 {
		body["subject_alt_name"] = strings.Join(o.SubjectAlt, ",")
	}
	var raw []byte
	if err := rc.API.Do(ctx, "POST", "/crypto/certificatekeypairs/generate/", nil, body, &raw); err != nil {
		return fmt.Errorf("generate certificate %q: %w", o.CommonName, err)
	}
	if o.structured {
		return output.NewPrinter(o.IO, &o.Output).Object(raw, o.Certs.View())
	}
	v, err := output.Decode(raw)
	if err != nil {
		return err
	}
	m, _ := v.(map[string]any)
	fmt.Fprintf(o.IO.Out, "%s %s\n", o.Certs.QualifiedName(m), o.IO.ColorScheme().Green("generated"))
	return nil
}

// ExportOptions are the parsed command line of `certs export`.
type ExportOptions struct {
	IO        *iostreams.IOStreams
	Resources func() (*resource.Client, error)
	Certs     *resource.Resource
	Name      string
	// WithKey adds the private key.
	WithKey  bool
	CertFile string
	KeyFile  string
}

// NewCmdExport builds `akctl certs export`.
func NewCmdExport(f *cmdutil.Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Resources: f.Resources}
	cmd := &cobra.Command{
		Use:   "export <name-or-id>",
		Short: "Export a certificate (and its private key) as PEM",
		Long: `Print a certificate as PEM on stdout, or write it to --cert-file.
--key adds the private key (after the certificate on stdout, or to
--key-file, written with mode 0600). The server records each access.`,
		Example: `  akctl certs export "authentik Self-signed Certificate" > cert.pem
  akctl certs export sso --cert-file sso.crt --key-file sso.key`,
		Args:              cmdutil.ExactArgs(1, "a certificate-key pair (name or id)"),
		ValidArgsFunction: cmdutil.ObjectArgs(f, "certificatekeypairs", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			certs, err := f.Catalog().Lookup("certificatekeypairs")
			if err != nil {
				return err
			}
			opts.Certs, opts.Name = certs, args[0]
			if opts.KeyFile != "" {
				opts.WithKey = true
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return exportRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.WithKey, "key", false, "also export the private key")
	cmd.Flags().StringVar(&opts.CertFile, "cert-file", "", "write the certificate to `file` instead of stdout")
	cmd.Flags().StringVar(&opts.KeyFile, "key-file", "", "write the private key to `file` (implies --key)")
	return cmd
}

func exportRun(ctx context.Context, o *ExportOptions) error {
	rc, err := o.Resources()
	if err != nil {
		return err
	}
	kp, err := rc.Resolve(ctx, o.Certs, o.Name)
	if err != nil {
		return err
	}
	name := o.Certs.Display(kp.Map)
	cert, err := rc.API.Crypto.CertificatekeypairsViewCertificateRetrieve(ctx, kp.Lookup, nil)
	if err != nil {
		return fmt.Errorf("export certificate %q: %w", name, err)
	}
	var key string
	if o.WithKey {
		k, err := rc.API.Crypto.CertificatekeypairsViewPrivateKeyRetrieve(ctx, kp.Lookup, nil)
		if err != nil {
			return fmt.Errorf("export the private key of %q: %w", name, err)
		}
		if k.Data == "" {
			return fmt.Errorf("certificate-key pair %q has no private key", name)
		}
		key = k.Data
	}
	if err := write(o.IO, o.CertFile, cert.Data, 0o644); err != nil {
		return err
	}
	if o.WithKey {
		if o.KeyFile == "" && o.CertFile != "" {
			return write(o.IO, "", key, 0)
		}
		return write(o.IO, o.KeyFile, key, 0o600)
	}
	return nil
}

// write puts PEM data in a file, or on stdout when path is empty.
func write(ios *iostreams.IOStreams, path, data string, mode os.FileMode) error {
	if !strings.HasSuffix(data, "\n") {
		data += "\n"
	}
	if path == "" {
		_, err := fmt.Fprint(ios.Out, data)
		return err
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(ios.ErrOut, "Wrote %s.\n", path)
	return nil
}
