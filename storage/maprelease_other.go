//go:build !linux

package storage

// canReleaseMap is false here: the map's pages are left to the system.
const canReleaseMap = false

func (d *DB) releaseMap() error { return nil }

func residentFile() (int64, bool) { return 0, false }
