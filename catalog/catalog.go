// Package catalog holds teardown's built-in scenarios: the claims of the
// seed documents and their neighbouring cases, as .td files embedded in
// the binary. A scenario's id is its path under scenarios/ without ".td".
package catalog

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/teardown-net/teardown/scenario"
)

//go:embed scenarios
var files embed.FS

const root = "scenarios"

// IDs lists the ids of the built-in scenarios, sorted.
func IDs() []string {
	var ids []string
	fs.WalkDir(files, root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".td") {
			ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".td"))
		}
		return nil
	})
	slices.Sort(ids)
	return ids
}

// ErrNotFound is returned for an id that is not built in.
var ErrNotFound = errors.New("no such built-in scenario")

// Source returns the text of a built-in scenario. For an unknown id the
// error wraps ErrNotFound and names the nearest id, if one is close.
func Source(id string) ([]byte, error) {
	b, err := files.ReadFile(root + "/" + id + ".td")
	if err != nil {
		if near := scenario.Suggest(id, IDs()); near != "" {
			return nil, fmt.Errorf("%q: %w (did you mean %q?)", id, ErrNotFound, near)
		}
		return nil, fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	return b, nil
}

// Get parses one built-in scenario.
func Get(id string) (*scenario.Scenario, error) {
	b, err := Source(id)
	if err != nil {
		return nil, err
	}
	return scenario.Parse("catalog/"+root+"/"+id+".td", b)
}

// Load parses every built-in scenario.
func Load() ([]*scenario.Scenario, error) {
	var scs []*scenario.Scenario
	for _, id := range IDs() {
		sc, err := Get(id)
		if err != nil {
			return nil, err
		}
		scs = append(scs, sc)
	}
	return scs, nil
}

// Select resolves what a user names on the command line: built-in ids,
// glob patterns over ids ("close-unread/*"), and paths of .td files. No
// arguments selects the whole catalog. Each scenario appears once, in the
// order named.
func Select(args []string) ([]*scenario.Scenario, error) {
	if len(args) == 0 {
		return Load()
	}
	var scs []*scenario.Scenario
	seen := map[string]bool{}
	addID := func(id string) error {
		if seen[id] {
			return nil
		}
		seen[id] = true
		sc, err := Get(id)
		if err != nil {
			return err
		}
		scs = append(scs, sc)
		return nil
	}
	for _, a := range args {
		switch {
		case strings.HasSuffix(a, ".td"):
			sc, err := scenario.ParseFile(a)
			if err != nil {
				return nil, err
			}
			scs = append(scs, sc)
		case strings.ContainsAny(a, "*?["):
			var matched []string
			for _, id := range IDs() {
				if ok, err := path.Match(a, id); err != nil {
					return nil, fmt.Errorf("pattern %q: %w", a, err)
				} else if ok {
					matched = append(matched, id)
				}
			}
			if len(matched) == 0 {
				return nil, fmt.Errorf("pattern %q matches no built-in scenario (see \"teardown lab list\")", a)
			}
			for _, id := range matched {
				if err := addID(id); err != nil {
					return nil, err
				}
			}
		default:
			if err := addID(a); err != nil {
				return nil, err
			}
		}
	}
	return scs, nil
}
