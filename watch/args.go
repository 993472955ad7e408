package watch

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePorts parses "80,443" (one list or several) into ports.
func ParsePorts(args []string) ([]uint16, error) {
	var out []uint16
	for _, a := range splitAll(args) {
		n, err := strconv.ParseUint(a, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("port %q: expected a number from 1 to 65535", a)
		}
		out = append(out, uint16(n))
	}
	return out, nil
}

// ParsePIDs parses "812,900" into process ids.
func ParsePIDs(args []string) ([]int, error) {
	var out []int
	for _, a := range splitAll(args) {
		n, err := strconv.Atoi(a)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("pid %q: expected a positive number", a)
		}
		out = append(out, n)
	}
	return out, nil
}

// splitAll splits each argument at commas and drops empty items.
func splitAll(args []string) []string {
	var out []string
	for _, a := range args {
		for _, f := range strings.Split(a, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// ResolveNetnsList resolves each of the comma-separated --netns arguments.
func ResolveNetnsList(args []string) ([]uint32, error) {
	var out []uint32
	for _, a := range splitAll(args) {
		n, err := ResolveNetns(a)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// ResolveList resolves each of the comma-separated --cgroup arguments
// to a cgroup id.
func (c *Cgroups) ResolveList(args []string) ([]uint64, error) {
	var out []uint64
	for _, a := range splitAll(args) {
		id, err := c.Resolve(a)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}
