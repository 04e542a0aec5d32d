package main

import (
	"context"
	"net/http"
	"time"
)

type arrivalKey struct{}

// stampArrival notes when a request arrived, so an article pushed over
// HTTP is timed from then (herald_ingest_to_send_seconds), not from when
// the pipeline got to it.
func stampArrival(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), arrivalKey{}, time.Now().UTC())))
	})
}

// arrivedAt is when the request carrying ctx arrived, or now.
func arrivedAt(ctx context.Context) time.Time {
	if t, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		return t
	}
	return time.Now().UTC()
}
