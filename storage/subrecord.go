package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// A subscription is stored as a compact binary record, not as JSON:
// herald run reads every one of them at start, a million in a large
// deployment, and their size is most of the file. The record is
//
//	1 (the format)
//	uvarint length, target ID
//	uvarint length, query
//	varint Created as Unix nanoseconds (0: none)
//	varint MutedUntil as Unix nanoseconds (0: not muted)
//	uvarint length, Role (a Discord role ID; empty for none)
//	uvarint length, RoleName
//
// under the subscription's ID (8 bytes, big-endian) in the subs bucket.
// Before schema version 4 they were JSON; Open rewrites an older database
// (upgrade.go).

const subFormat = 1

// subFill is how full the subs bucket's pages are written: IDs only grow,
// so new records go at its end, and bbolt's default of half-full pages
// would double the file.
const subFill = 0.95

// appendSub appends s's stored record to buf.
func appendSub(buf []byte, s alerts.Subscription) []byte {
	buf = append(buf, subFormat)
	buf = binary.AppendUvarint(buf, uint64(len(s.Target)))
	buf = append(buf, s.Target...)
	buf = binary.AppendUvarint(buf, uint64(len(s.Query)))
	buf = append(buf, s.Query...)
	buf = binary.AppendVarint(buf, unixNano(s.Created))
	buf = binary.AppendVarint(buf, unixNano(s.MutedUntil))
	buf = binary.AppendUvarint(buf, uint64(len(s.Role)))
	buf = append(buf, s.Role...)
	buf = binary.AppendUvarint(buf, uint64(len(s.RoleName)))
	return append(buf, s.RoleName...)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

var errSubRecord = errors.New("malformed subscription record")

// subView is a stored record read in place: Target and Query alias the
// transaction's memory, valid only while it lasts.
type subView struct {
	ID                 uint64
	Target, Query      []byte
	Created, MutedNano int64
	Role, RoleName     []byte
}

// viewSub reads a record of the subs bucket without copying it.
func viewSub(k, v []byte) (subView, error) {
	var s subView
	if len(k) != 8 {
		return s, fmt.Errorf("%w: key of %d bytes", errSubRecord, len(k))
	}
	s.ID = binary.BigEndian.Uint64(k)
	if len(v) == 0 || v[0] != subFormat {
		return s, fmt.Errorf("%w %d: unknown format", errSubRecord, s.ID)
	}
	rest := v[1:]
	field := func() []byte {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			rest = nil
			return nil
		}
		f := rest[w : w+int(n)]
		rest = rest[w+int(n):]
		return f
	}
	num := func() int64 {
		n, w := binary.Varint(rest)
		if w <= 0 {
			rest = nil
			return 0
		}
		rest = rest[w:]
		return n
	}
	s.Target = field()
	s.Query = field()
	if rest == nil {
		return s, fmt.Errorf("%w %d: cut short", errSubRecord, s.ID)
	}
	s.Created = num()
	if rest == nil {
		return s, fmt.Errorf("%w %d: cut short", errSubRecord, s.ID)
	}
	s.MutedNano = num()
	if rest == nil {
		return s, fmt.Errorf("%w %d: cut short", errSubRecord, s.ID)
	}
	s.Role = field()
	s.RoleName = field()
	if rest == nil {
		return s, fmt.Errorf("%w %d: cut short", errSubRecord, s.ID)
	}
	if len(rest) != 0 {
		return s, fmt.Errorf("%w %d: %d bytes past its end", errSubRecord, s.ID, len(rest))
	}
	return s, nil
}

// decodeSub reads a stored subscription.
func decodeSub(k, v []byte) (alerts.Subscription, error) {
	sv, err := viewSub(k, v)
	if err != nil {
		return alerts.Subscription{}, err
	}
	return alerts.Subscription{ID: sv.ID, Target: alerts.TargetID(sv.Target), Query: string(sv.Query),
		Created: fromUnixNano(sv.Created), MutedUntil: fromUnixNano(sv.MutedNano),
		Role: string(sv.Role), RoleName: string(sv.RoleName)}, nil
}

// getSub returns the subscription stored under id, or alerts.ErrNotFound.
func getSub(b *bolt.Bucket, id uint64) (alerts.Subscription, error) {
	k := u64(id)
	v := b.Get(k)
	if v == nil {
		return alerts.Subscription{}, alerts.ErrNotFound
	}
	return decodeSub(k, v)
}

// putSub stores s under its ID.
func putSub(b *bolt.Bucket, s alerts.Subscription) error {
	return b.Put(u64(s.ID), appendSub(nil, s))
}
