package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/frescolabs/fresco/emulator/build"
	"github.com/frescolabs/fresco/emulator/sam"
)

func runBuild(ctx context.Context, args []string, stderr io.Writer) error {
	var c common
	fs := newFlagSet("build", "build [-t template.yaml] [NAME...]", stderr)
	c.register(fs)
	names, err := parse(fs, args)
	if err != nil {
		return err
	}
	opts, err := c.options(stderr)
	if err != nil {
		return err
	}
	tmpl, err := sam.LoadTemplate(opts.Template, sam.TemplateOptions{Parameters: opts.Parameters})
	if err != nil {
		return err
	}
	fns, err := tmpl.Select(names)
	if err != nil {
		return err
	}
	b := &build.Builder{CacheDir: filepath.Join(build.DefaultCacheDir(opts.CacheDir), "build"), Out: stderr}
	out, err := b.Build(ctx, fns)
	if err != nil {
		return err
	}
	for _, f := range fns {
		fmt.Fprintf(stderr, "%s: %s\n", f.LogicalID, out[f.LogicalID])
	}
	return nil
}
