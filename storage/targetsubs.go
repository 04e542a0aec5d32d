package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/herald-news/herald/alerts"
)

// The target_subs bucket lists each target's subscriptions: its key is
// the target ID, its value the subscription IDs in ascending order, each
// as the uvarint of its difference from the one before. A chat follows a
// few dozen subscriptions at most, so its list is a few dozen bytes, read
// and written whole; an index with one key per subscription took 66 bytes
// a subscription, as much as the subscriptions themselves.
//
// Before schema version 4 the index was the subs_by_tgt bucket, one key
// (target, 0, ID) per subscription; the migration builds target_subs from
// the subscriptions and drops it.

var (
	bTargetSubs = []byte("target_subs")
	bSubsByTgt  = []byte("subs_by_tgt") // before version 4
)

// subsOf returns the IDs of a target's subscriptions, ascending.
func subsOf(tx *bolt.Tx, t alerts.TargetID) ([]uint64, error) {
	ids, err := decodeSubList(tx.Bucket(bTargetSubs).Get([]byte(t)))
	if err != nil {
		return nil, fmt.Errorf("subscription list of %s: %w", t, err)
	}
	return ids, nil
}

// decodeSubList reads a value of target_subs.
func decodeSubList(v []byte) ([]uint64, error) {
	var ids []uint64
	var last uint64
	for len(v) > 0 {
		d, w := binary.Uvarint(v)
		if w <= 0 {
			return nil, errors.New("malformed")
		}
		last += d
		ids = append(ids, last)
		v = v[w:]
	}
	return ids, nil
}

// setSubsOf stores a target's subscription IDs (sorted), or removes its
// list when there are none.
func setSubsOf(tx *bolt.Tx, t alerts.TargetID, ids []uint64) error {
	b := tx.Bucket(bTargetSubs)
	if len(ids) == 0 {
		return b.Delete([]byte(t))
	}
	v := make([]byte, 0, 3*len(ids))
	var last uint64
	for _, id := range ids {
		v = binary.AppendUvarint(v, id-last)
		last = id
	}
	return b.Put([]byte(t), v)
}

// addSubTo adds a subscription to its target's list.
func addSubTo(tx *bolt.Tx, t alerts.TargetID, id uint64) error {
	ids, err := subsOf(tx, t)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(ids, id)
	if found {
		return nil
	}
	return setSubsOf(tx, t, slices.Insert(ids, i, id))
}

// removeSubFrom takes a subscription out of its target's list.
func removeSubFrom(tx *bolt.Tx, t alerts.TargetID, id uint64) error {
	ids, err := subsOf(tx, t)
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(ids, id)
	if !found {
		return nil
	}
	return setSubsOf(tx, t, slices.Delete(ids, i, i+1))
}

// listSubsByTarget builds target_subs from the subscriptions and drops
// subs_by_tgt: part of the migration to schema version 4.
func listSubsByTarget(tx *bolt.Tx) error {
	lists := map[alerts.TargetID][]uint64{}
	err := tx.Bucket(bSubs).ForEach(func(k, v []byte) error {
		s, err := decodeSub(k, v)
		if err != nil {
			return err
		}
		lists[s.Target] = append(lists[s.Target], binary.BigEndian.Uint64(k))
		return nil
	})
	if err != nil {
		return err
	}
	for t, ids := range lists {
		if err := setSubsOf(tx, t, ids); err != nil { // ForEach went in ID order
			return err
		}
	}
	if tx.Bucket(bSubsByTgt) != nil {
		return tx.DeleteBucket(bSubsByTgt)
	}
	return nil
}
