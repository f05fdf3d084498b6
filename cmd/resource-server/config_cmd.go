package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/resource-server/resource-server/internal/config"
)

// runConfig runs `resource-server config SUBCOMMAND`: check validates the
// configuration the flags, environment and file make and prints it, each
// value with where it came from (secrets redacted); example prints a
// commented YAML file holding every setting. An invalid configuration is
// the error returned, so the exit status is non-zero.
func runConfig(args []string, getenv func(string) string, dir string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("config: name a subcommand: check [--config FILE] or example")
	}
	switch args[0] {
	case "example":
		if len(args) > 1 {
			return fmt.Errorf("config example: takes no arguments, got %q", args[1:])
		}
		config.ExampleYAML(stdout)
		return nil
	case "check":
		cfg, err := config.Load(args[1:], getenv, dir)
		if errors.Is(err, flag.ErrHelp) {
			config.Usage(stdout)
			return nil
		}
		if err != nil {
			return err
		}
		if err := cfg.Describe(stdout); err != nil {
			return err
		}
		for _, w := range cfg.Warnings() {
			fmt.Fprintln(stdout, "warning:", w)
		}
		fmt.Fprintln(stdout, "configuration OK")
		return nil
	}
	return fmt.Errorf("config: unknown subcommand %q: use check [--config FILE] or example", args[0])
}
