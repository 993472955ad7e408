//go:build !darwin && !freebsd && !linux

package lab

import "context"

// portableEnv has nothing to offer where the portable runner does not
// build.
type portableEnv struct{ limits []string }

func newPortable(Options) (*portableEnv, error) { return nil, ErrUnsupported }

func (p *portableEnv) describe() Env { return Env{} }

func (p *portableEnv) run(context.Context, Job, Options, *Record) error { return ErrUnsupported }
