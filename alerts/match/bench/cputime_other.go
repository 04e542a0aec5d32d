//go:build !linux

package bench

import "time"

// ThreadCPU is 0 off Linux: the figures that use it are left out.
func ThreadCPU() time.Duration { return 0 }

// ProcessCPU is 0 off Linux.
func ProcessCPU() time.Duration { return 0 }
