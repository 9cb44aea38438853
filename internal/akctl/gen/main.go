// Command gen writes akctl's command reference, one markdown file per
// command, from the cobra tree: docs/cli/akctl.md, docs/cli/akctl_get.md,
// ... It replaces cobra's doc package, whose man-page half needs a module
// akgo does not use. The output depends only on the command tree (no
// dates, no environment), so go generate is reproducible and CI can
// check it is current.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/akgo/akgo/internal/akctl"
	"github.com/akgo/akgo/internal/akctl/cmdutil"
	"github.com/akgo/akgo/internal/akctl/iostreams"
)

func main() {
	out := flag.String("out", "docs/cli", "output directory")
	flag.Parse()
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios, "docs", func(string) (string, bool) { return "", false })
	root := akctl.NewRootCmd(f, akctl.Commands...)
	root.DisableAutoGenTag = true
	files := map[string][]byte{}
	walk(root, files)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	// Remove pages of commands that no longer exist.
	old, _ := filepath.Glob(filepath.Join(*out, "akctl*.md"))
	for _, p := range old {
		if _, keep := files[filepath.Base(p)]; !keep {
			if err := os.Remove(p); err != nil {
				log.Fatal(err)
			}
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// visible leaves out hidden commands and cobra's help command.
func visible(c *cobra.Command) bool {
	return c.IsAvailableCommand() && c.Name() != "help"
}

func fileName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "_") + ".md"
}

func walk(c *cobra.Command, files map[string][]byte) {
	files[fileName(c)] = page(c)
	for _, sub := range c.Commands() {
		if visible(sub) {
			walk(sub, files)
		}
	}
}

func page(c *cobra.Command) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n\n%s\n\n", c.CommandPath(), c.Short)
	if c.Long != "" {
		b.WriteString("### Synopsis\n\n" + strings.TrimSpace(c.Long) + "\n\n")
	}
	if c.Runnable() {
		fmt.Fprintf(&b, "```\n%s\n```\n\n", c.UseLine())
	}
	if c.Example != "" {
		fmt.Fprintf(&b, "### Examples\n\n```\n%s\n```\n\n", strings.TrimRight(c.Example, "\n"))
	}
	if fl := c.NonInheritedFlags(); fl.HasAvailableFlags() {
		fmt.Fprintf(&b, "### Options\n\n```\n%s```\n\n", fl.FlagUsages())
	}
	if fl := c.InheritedFlags(); fl.HasAvailableFlags() {
		fmt.Fprintf(&b, "### Options inherited from parent commands\n\n```\n%s```\n\n", fl.FlagUsages())
	}
	var links []string
	if p := c.Parent(); p != nil {
		links = append(links, fmt.Sprintf("* [%s](%s)\t - %s", p.CommandPath(), fileName(p), p.Short))
	}
	subs := c.Commands()
	sort.Slice(subs, func(i, j int) bool { return subs[i].Name() < subs[j].Name() })
	for _, s := range subs {
		if visible(s) {
			links = append(links, fmt.Sprintf("* [%s](%s)\t - %s", s.CommandPath(), fileName(s), s.Short))
		}
	}
	if len(links) > 0 {
		b.WriteString("### See also\n\n" + strings.Join(links, "\n") + "\n")
	}
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
}
