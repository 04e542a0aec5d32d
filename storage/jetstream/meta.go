package jetstream

import (
	"errors"
	"fmt"
	"strings"
)

// metaKey keeps a named value's key valid and readable: feed state keys
// carry URLs ("feed:https://…"), so anything past the first ':' is encoded.
func metaKey(key string) string {
	kind, rest, ok := strings.Cut(key, ":")
	if !ok {
		return "v." + enc(key)
	}
	return "m." + enc(kind) + "." + enc(rest)
}

// GetMeta returns a small named value, or alerts.ErrNotFound.
func (s *Store) GetMeta(key string) ([]byte, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	e, err := s.meta.Get(ctx, metaKey(key))
	if isMissing(err) {
		return nil, notFound("value", key)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return e.Value(), nil
}

// PutMeta stores a small named value.
func (s *Store) PutMeta(key string, v []byte) error {
	ctx, cancel := s.ctx()
	defer cancel()
	if _, err := s.meta.Put(ctx, metaKey(key), v); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// PutMetas stores several named values (not atomically: each is
// independent feed state).
func (s *Store) PutMetas(kv map[string][]byte) error {
	var errs []error
	for k, v := range kv {
		if err := s.PutMeta(k, v); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
