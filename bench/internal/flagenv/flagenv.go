// Package flagenv declares command-line flags whose defaults come from
// environment variables, so the make targets can be tuned either way.
package flagenv

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func env(name string) (string, bool) {
	v, ok := os.LookupEnv(name)
	return v, ok && v != ""
}

func usage(u, envName string) string {
	if envName == "" {
		return u
	}
	return fmt.Sprintf("%s (env %s)", u, envName)
}

// String is a string flag defaulting to $envName, else def.
func String(fs *flag.FlagSet, name, envName, def, u string) *string {
	if v, ok := env(envName); ok {
		def = v
	}
	return fs.String(name, def, usage(u, envName))
}

// Int is an int flag defaulting to $envName, else def.
func Int(fs *flag.FlagSet, name, envName string, def int, u string) *int {
	if v, ok := env(envName); ok {
		n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s=%q is not an integer; using %d\n", envName, v, def)
		} else {
			def = n
		}
	}
	return fs.Int(name, def, usage(u, envName))
}

// Duration is a duration flag defaulting to $envName, else def.
func Duration(fs *flag.FlagSet, name, envName string, def time.Duration, u string) *time.Duration {
	if v, ok := env(envName); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s=%q is not a duration; using %s\n", envName, v, def)
		} else {
			def = d
		}
	}
	return fs.Duration(name, def, usage(u, envName))
}

// Ints parses "100000,1_000_000" (also accepting 100k and 1M).
func Ints(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(strings.ReplaceAll(part, "_", ""))
		if part == "" {
			continue
		}
		mult := 1
		switch {
		case strings.HasSuffix(part, "k"), strings.HasSuffix(part, "K"):
			mult, part = 1000, part[:len(part)-1]
		case strings.HasSuffix(part, "M"), strings.HasSuffix(part, "m"):
			mult, part = 1000000, part[:len(part)-1]
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("size %q: want a positive integer (100000, 100k, 1M)", part)
		}
		out = append(out, n*mult)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no sizes in %q", s)
	}
	return out, nil
}

// List splits a comma-separated list, dropping empty items.
func List(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
