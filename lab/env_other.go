//go:build !linux

package lab

import "context"

// environment has nothing to offer where the runner does not work.
type environment struct{ limits []string }

func newEnvironment(Options) (*environment, error) { return nil, ErrUnsupported }

func (env *environment) describe() Env { return Env{} }

func (env *environment) close() error { return nil }

func (env *environment) run(context.Context, Job, Options, *Record) error { return ErrUnsupported }

func (env *environment) fitParallel(want int) int { return want }

func (env *environment) released() {}
