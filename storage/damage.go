package storage

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// ErrDamaged is returned (wrapped in a *DamageError) when the database
// file is damaged: cut short, written over, or with pages bbolt cannot
// read.
var ErrDamaged = errors.New("damaged")

// DamageError says which database is damaged, how, and what to do.
type DamageError struct {
	Path    string
	Problem string
	stack   string // where bbolt stopped, for the debug log
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("database %s is damaged: %s. Stop herald and run `herald check --repair %s` to save what can still be read into a new file, or restore a backup",
		e.Path, e.Problem, e.Path)
}

// Unwrap makes errors.Is(err, ErrDamaged) true.
func (e *DamageError) Unwrap() error { return ErrDamaged }

// checkHeader looks at the file before bbolt maps it: bbolt reads the free
// list and the root bucket from pages the meta page names, and a file
// truncated under them panics inside bbolt or faults. It returns the meta
// page that is broken while the other is fine (-1 if none), which bbolt
// reads past, going back one transaction.
func checkHeader(path string) (brokenMeta int, err error) {
	bf, err := openBoltFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return -1, nil // bbolt creates it
	}
	if err != nil {
		return -1, fmt.Errorf("open database %s: %w", path, err)
	}
	defer bf.Close()
	if bf.size == 0 {
		return -1, nil // new: bbolt writes its header
	}
	if problem, notBolt := bf.damage(); notBolt {
		return -1, fmt.Errorf("open database %s: %s: not a Herald database; check HERALD_DB", path, problem)
	} else if problem != "" {
		return -1, &DamageError{Path: path, Problem: problem}
	}
	return bf.brokenMeta(), nil
}

// damage is the state of a DB after a panic inside bbolt.
type damage struct {
	once sync.Once
	err  error
	done chan struct{} // closed once err is set
}

// callerPanic carries a panic of a caller's function (ForEachSubscription's
// fn) through guard, which must not take it for damage.
type callerPanic struct{ v any }

// guard runs op, a bbolt call. A panic inside it (bbolt's on a page that
// is not what it expects, or a fault reading the mapped file) becomes a
// *DamageError, and from then on every call of the DB returns that error:
// bbolt may have stopped with its locks held or its free list half
// rewritten, so the DB is not used again. A DB that returned a
// *DamageError should be closed and the process stopped.
func (d *DB) guard(op func() error) error {
	if err := d.Err(); err != nil {
		return err
	}
	err, damaged := catchDamage(d.path, op)
	if damaged {
		return d.markDamaged(err.(*DamageError))
	}
	return err
}

// catchDamage runs op, a bbolt call on the file at path, and turns a panic
// in it into a *DamageError (damaged is then true). A caller's panic
// passes through.
func catchDamage(path string, op func() error) (err error, damaged bool) {
	// Faults in the mapped file become panics, which the deferred
	// function below can recover (per goroutine; restored on return).
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if cp, ok := r.(callerPanic); ok {
			panic(cp.v)
		}
		if !fromTheFile(r) {
			// A fault of Herald's own storage code, not of the file: the
			// transaction was rolled back, and the file is as it was.
			err = fmt.Errorf("storage: internal error (a bug, please report it with this message): %v\n%s", r, debug.Stack())
			return
		}
		err = &DamageError{Path: path, Problem: fmt.Sprintf("bbolt stopped on it: %v", r), stack: string(debug.Stack())}
		damaged = true
	}()
	return op(), false
}

// fromTheFile reports whether a panic recovered by catchDamage came from
// reading the file: raised in bbolt's own code (its page checks, its
// slices over the mapped pages) or a fault in the mapped memory. A panic
// raised in this package's code is a bug, not damage, and must not send
// the operator to herald check --repair. It is called from the deferred
// recover, before the panicking frames unwind.
func fromTheFile(r any) bool {
	if e, ok := r.(runtime.Error); ok && strings.Contains(e.Error(), "fault") {
		return true
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		switch {
		case strings.HasPrefix(f.Function, "runtime."):
			// the panic machinery, and the runtime's own checks
		case strings.HasPrefix(f.Function, "go.etcd.io/bbolt"):
			return true
		default:
			if !strings.Contains(f.Function, "storage.catchDamage") {
				return false // the first frame of ours: where the panic was raised
			}
		}
		if !more {
			return true // nothing but the machinery: assume the file
		}
	}
}

// callOut runs a caller's function inside a transaction, marking its panic
// as the caller's.
func callOut[T any](fn func(T) error, v T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			panic(callerPanic{r})
		}
	}()
	return fn(v)
}

// markDamaged records the first damage found in use. The caller's error
// says it; the log gets where in bbolt it was found, for debugging.
func (d *DB) markDamaged(e *DamageError) error {
	d.damage.once.Do(func() {
		d.damage.err = e
		d.log.Debug("Database damaged: where bbolt stopped", "db", d.path, "stack", e.stack)
		close(d.damage.done)
	})
	return d.damage.err
}

// Err returns the *DamageError found while the DB was in use, or nil.
func (d *DB) Err() error {
	select {
	case <-d.damage.done:
		return d.damage.err
	default:
		return nil
	}
}

// Damaged is closed when the DB finds damage in use: the service should
// stop (Err says why).
func (d *DB) Damaged() <-chan struct{} { return d.damage.done }

// closeTimeout bounds Close on a damaged DB: bbolt may have stopped with
// its write lock held, and Close waits for it.
const closeTimeout = 2 * time.Second

// Close closes the database file. On a damaged DB it gives up after a
// moment (the process's exit releases the file).
func (d *DB) Close() error {
	d.stopMapWatch()
	if d.Err() == nil {
		return d.db.Close()
	}
	done := make(chan error, 1)
	go func() { done <- d.db.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(closeTimeout):
		return fmt.Errorf("close database %s: bbolt is stuck after the damage; the file is released when the process exits", d.path)
	}
}
