package bench

import (
	"syscall"
	"time"
	"unsafe"
)

// Linux clock IDs (clock_gettime(2)).
const (
	clockProcessCPU = 2
	clockThreadCPU  = 3
)

func clockNow(id uintptr) time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, id, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

// ThreadCPU is the CPU time the calling OS thread has used; the caller
// locks its goroutine to the thread (runtime.LockOSThread) around what it
// measures. Unlike wall time it leaves out the time the thread waited for
// a core, which on a busy machine is most of it.
func ThreadCPU() time.Duration { return clockNow(clockThreadCPU) }

// ProcessCPU is the CPU time of every thread of the process.
func ProcessCPU() time.Duration { return clockNow(clockProcessCPU) }
