//go:build !unix && !js && !windows

package sockerr

// errnoName returns "": Plan 9 reports errors as strings, and wasip1 has no
// socket errno values worth a table of their own.
func errnoName(error) string { return "" }
