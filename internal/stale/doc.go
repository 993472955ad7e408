// Package stale tells whether the process that left something behind
// (a tracing instance, a directory named for its pid) still runs, without
// being fooled by a later process that was given the same pid.
package stale
