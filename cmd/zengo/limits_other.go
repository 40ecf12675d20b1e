//go:build !unix

package main

// openFileLimit: systems without an open-file limit (Windows) have none
// to leave room under.
func openFileLimit() (uint64, bool) { return 0, false }
